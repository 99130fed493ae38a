/*
 * line_sip_int.h - what the parts of the SIP line driver share (not for other modules).
 *
 * Everything but the sending of media runs in faxd's thread. A 20 ms timer (timerfd, the
 * descriptor faxd polls) drives both halves: each tick first lets sofia-sip's event loop run without
 * waiting (signalling, its timers), then reads every call's media socket into its jitter buffer
 * (RTP) or reordering window (UDPTL), then hands faxd one block of audio per audio call (or the fax
 * packets and a tick per T.38 call). Signalling events are queued by the sofia callbacks and handed
 * out before media. What faxd answers is sent by the sender thread (line_sip_pacer.c).
 *
 * A line is what faxd sees; a call is one SIP dialog. When faxd hangs up, the line is idle at once
 * while the dialog may still need a BYE or CANCEL answered: the call is detached from the line and
 * freed when sofia reports it terminated.
 */
#ifndef FAXGATE_LINE_LINE_SIP_INT_H
#define FAXGATE_LINE_LINE_SIP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/su_wait.h>

#include "line/line_int.h"
#include "rtp/rtp.h"
#include "sip/sdp.h"
#include "sip/trunk.h"
#include "t38/udptl.h"

enum lsip_state {
	LSIP_IDLE,
	LSIP_DIALING,   /* INVITE sent */
	LSIP_RINGING,   /* 180/183 seen */
	LSIP_OFFERED,   /* an incoming INVITE announced to faxd */
	LSIP_CONNECTED, /* 200 sent or received: media flows */
};

enum lsip_media { LSIP_MEDIA_NONE, LSIP_MEDIA_AUDIO, LSIP_MEDIA_T38 };

#define LSIP_OUTQ  8                  /* datagrams a line may have waiting for the sender thread */
#define LSIP_TXMAX UDPTL_MAX_DATAGRAM /* the largest (UDPTL; RTP packets are smaller) */
#define LSIP_TRUNK_ADDRS 8             /* addresses a trunk's host and registrar may have together */
#define LSIP_CUSHION 4                /* packets of silence queued when a call's audio starts */

/* One line's datagrams waiting for the sender thread (line_sip_pacer.c), under mu. */
struct lsip_out {
	pthread_mutex_t mu;
	int sock; /* -1: nothing to send */
	struct sockaddr_in remote;
	bool t38; /* send all queued each tick (audio: one packet a tick) */
	int head, count;
	uint16_t len[LSIP_OUTQ];
	uint8_t data[LSIP_OUTQ][LSIP_TXMAX];
};

struct lsip_pacer {
	pthread_t th;
	bool running, fifo;
	atomic_bool stop;
	int tfd;
	int n;
	struct lsip_out *out;
	/* the sender thread's counters, read once it has stopped */
	unsigned long late_hist[64]; /* lateness behind the tick by 0.25 ms steps, the last holds the rest */
	unsigned long sends, underruns, overruns, send_errors, ticks_missed;
	int64_t late_max_ns;
};

int lsip_pacer_start(struct lsip_pacer *p, int nlines, struct buf *err);
void lsip_pacer_stop(struct lsip_pacer *p);
/* Where a line's datagrams go now (a new socket or T.38 drops what was queued). */
void lsip_pacer_attach(struct lsip_pacer *p, int line, int sock, const struct sockaddr_in *remote, bool t38);
/* Nothing more goes out on the line; its socket may be closed once this returns. */
void lsip_pacer_detach(struct lsip_pacer *p, int line);
void lsip_pacer_push(struct lsip_pacer *p, int line, const uint8_t *data, size_t len);
double lsip_pacer_late_ms(const struct lsip_pacer *p, double q);

struct line_sip;

/* One SIP dialog. */
struct lsip_call {
	nua_handle_t *nh;
	int line;  /* -1: detached (faxd hung up; the dialog is ending) */
	int trunk; /* index into drv->trunks */
	bool outgoing;
	int auth_rounds;        /* digest answers given to challenges */
	bool answered;          /* 200 seen or sent */
	bool confirmed;         /* and ACKed: re-INVITEs may go */
	bool reinvite_out;      /* our T.38 re-INVITE waits for its answer */
	int64_t reinvite_at_ms; /* when it was sent */
	bool refused_told;      /* LINE_EV_T38_REFUSED given for this call */
	int64_t retry_t38_ms;   /* after glare (491): ask for T.38 again then; 0 not */
	bool refresh_out;       /* our refreshing re-INVITE waits for its answer (sip_refresh = invite) */
	int64_t refreshed_ms;   /* when the session was last refreshed by us (or answered) */
	struct lsip_call *next; /* every call of the driver, for the shutdown */
};

struct lsip_line {
	enum lsip_state state;
	struct lsip_call *call;
	int64_t dialed_at_ms;
	enum line_media hint;
	bool t38_tried; /* a T.38 re-INVITE was sent (or the peer's taken) on this call */
	bool tone_heard; /* the far end's fax tone: time to ask for T.38 */

	/* media */
	enum lsip_media media;
	int sock; /* UDP, bound to port; -1 none */
	int port;
	struct sockaddr_in remote;
	struct sdp_media sdp;    /* the stream agreed */
	uint64_t sdp_version;    /* o= version of our last SDP */
	struct rtp_tx rtx;
	struct rtp_rx rrx;
	bool rrx_on;
	struct udptl_tx utx;
	struct udptl_rx urx;
	int64_t held_since_ms; /* UDPTL packets wait behind a gap since then; 0 none */
	struct modem_connect_tones_rx_state_s *tones; /* fax tone heard: ask for T.38 */
	int owed;                                      /* AUDIO blocks not answered yet */
	int blocks_left;                               /* AUDIO blocks still to give this tick */
	bool t38_announce;                             /* LINE_EV_T38 still to be given */
};

/* A signalling event waiting for faxd (media events are made at the tick, not queued). */
struct lsip_pending {
	enum line_event_type type;
	int line;
	char caller[32], called[32]; /* INCOMING */
	struct line_t38 t38;         /* T38_REFUSED: t38.final */
};

struct line_sip {
	struct line_driver base;
	/* settings, copied from the configuration */
	char listen_addr[64];
	int listen_port;
	char media_addr[64];
	int port_min, port_max, next_port;
	int jitter_ms;
	int ring_timeout_s, session_expires_s, t38_timeout_s;
	bool refresh_invite;
	bool t38;
	int t38_redundancy, t38_max_datagram;
	struct trunk_list trunks;
	int trunk_busy[TRUNK_MAX];              /* calls in progress per trunk */
	struct in_addr trunk_addr[TRUNK_MAX][LSIP_TRUNK_ADDRS]; /* host's and registrar's, resolved at start */
	int64_t foreign_logged_ms;                            /* INVITEs from no trunk: logged once a minute */
	nua_handle_t *reg[TRUNK_MAX];           /* registrations */
	int reg_auth_rounds[TRUNK_MAX];
	int64_t reg_retry_ms[TRUNK_MAX]; /* a failed registration is tried again then; 0 none */
	bool registered[TRUNK_MAX];
	struct lsip_call *calls;
	bool closing, shutdown_done;

	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;

	struct lsip_line *lines;
	int tfd;                 /* the 20 ms timer */
	int tick_samples;        /* samples of the tick being served (160, more when late) */
	int tick_cursor;         /* next line to hand media events for; count: none pending */
	int64_t last_second;

	/* signalling events for faxd, a ring */
	struct lsip_pending *pend;
	int pend_head, pend_count, pend_cap;

	int offered;             /* incoming calls offered to faxd this tick */
	int tick_blocks;         /* 20 ms blocks of the tick being served (more than 1 when late) */
	struct lsip_pacer pacer; /* the sender thread */
};

/* line_sip.c */
int64_t lsip_mono_ns(void);
int64_t lsip_now_ms(void);
/* Queue a signalling event for faxd; the caller may fill in its fields at once. */
struct lsip_pending *lsip_push(struct line_sip *s, enum line_event_type type, int line);
/* Start media on a line for the stream agreed (opens nothing: the socket exists since the offer). */
void lsip_media_start(struct line_sip *s, int line, const struct sdp_media *m);
void lsip_media_stop(struct line_sip *s, int line);
/* A UDP socket on a free even port of the range, for a line: 0 or -1 with the reason in err. */
int lsip_media_open(struct line_sip *s, int line, struct buf *err);
/* Our SDP for the line (kind given) into out, with a growing version. */
void lsip_sdp_local(struct line_sip *s, int line, struct sdp_local *l);

/* line_sip_call.c */
int lsip_sip_start(struct line_sip *s, struct buf *err);
void lsip_sip_stop(struct line_sip *s);
int lsip_call_dial(struct line_sip *s, int line, const char *dial, const char *caller_id, enum line_media media);
int lsip_call_answer(struct line_sip *s, int line);
int lsip_call_hangup(struct line_sip *s, int line);
/* Ask for T.38 on a connected audio call (fax tone heard, or known to work). */
void lsip_call_want_t38(struct line_sip *s, int line);
/* Once a second: ring and re-INVITE timeouts. */
void lsip_calls_second(struct line_sip *s);

#endif
