/*
 * line.h - faxd's telephone lines, behind one interface for every kind: the simulated network
 * (sim) now, SIP trunks later.
 *
 * One driver serves all of faxd's lines (numbered 0 .. line_count-1). faxd runs one event loop:
 * it waits on line_fd(), takes events with line_next_event(), and drives each line's call. The
 * network paces the audio: every LINE_EV_AUDIO brings one block of received audio (linear 16-bit,
 * 8 kHz, normally 160 samples = 20 ms) and must be answered, on that line, by exactly one
 * line_send_audio() of the same length, at once. In real time a block arrives every 20 ms; unpaced,
 * the next block arrives as soon as the answer is in, so a call of minutes takes seconds. G.711
 * companding is the driver's business.
 *
 * A SIP line may switch a call to T.38 (LINE_EV_T38). From then on the call carries fax packets
 * instead of audio: no more AUDIO events, but an IFP event for every packet received (in order,
 * losses already recovered where the redundancy allowed) and a TICK every 20 ms for T.30's timers;
 * packets go out with line_send_ifp. When the far end refuses T.38 the call goes on in audio and
 * LINE_EV_T38_REFUSED says so, so that faxd remembers it for that destination.
 */
#ifndef FAXGATE_LINE_LINE_H
#define FAXGATE_LINE_LINE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "util/buf.h"

#define LINE_MAX_BLOCK 480 /* most samples in one audio block (60 ms) */
#define LINE_MAX_IFP   512 /* largest T.38 IFP packet */

enum line_event_type {
	LINE_EV_NONE = 0,
	LINE_EV_RINGING,    /* our outgoing call rings at the far end */
	LINE_EV_ANSWERED,   /* our outgoing call was answered */
	LINE_EV_BUSY,       /* far end busy */
	LINE_EV_NO_ANSWER,  /* far end did not answer in time */
	LINE_EV_UNASSIGNED, /* no such number */
	LINE_EV_CONGESTION, /* the network or our line cannot place the call */
	LINE_EV_HANGUP,     /* the far end (or the network) ended the call */
	LINE_EV_INCOMING,   /* a call for us: caller, called, subaddress filled in */
	LINE_EV_AUDIO,      /* a block of received audio: answer with line_send_audio */
	LINE_EV_DOWN,       /* the line (or the whole driver) lost its network */
	LINE_EV_UP,         /* ... and has it again */
	LINE_EV_FORBIDDEN,  /* the network refuses to place this call (SIP 403) */
	LINE_EV_T38,        /* the call carries T.38 from now on: t38 filled in */
	LINE_EV_T38_REFUSED, /* the far end refused T.38: the call goes on in audio */
	LINE_EV_IFP,        /* a T.38 IFP packet received: ifp, ifp_len, seq */
	LINE_EV_TICK,       /* T.38: nsamples of time passed (8 kHz), nothing to answer */
};

/* How a SIP call should try T.38 (what faxd remembers of the destination); sim lines ignore it. */
enum line_media {
	LINE_MEDIA_TRY = 0,     /* audio, switch to T.38 when a fax tone is heard */
	LINE_MEDIA_T38_AT_ONCE, /* T.38 worked before: ask for it as soon as the call is answered */
	LINE_MEDIA_G711,        /* T.38 was refused before: stay in audio */
};

struct line_t38 {
	bool final; /* T38_REFUSED: the far end said no (else it did not answer in time) */
	int version;
	int max_bitrate; /* bit/s, 0 unknown */
	bool transferred_tcf;
	bool fill_bit_removal;
};

struct line_event {
	enum line_event_type type;
	int line;             /* -1: every line (DOWN/UP of the driver) */
	char caller[32];      /* INCOMING: caller id as the network gave it ("" unknown) */
	char called[32];      /* INCOMING: the number dialled (DID) */
	char subaddress[21];  /* INCOMING: T.33 sub-address, "" none */
	int nsamples;         /* AUDIO, TICK */
	int16_t samples[LINE_MAX_BLOCK];
	struct line_t38 t38;  /* T38 */
	int ifp_len;          /* IFP */
	uint16_t seq;
	uint8_t ifp[LINE_MAX_IFP];
};

struct line_driver;

/*
 * What the driver must read while faxd still runs as root (a SIP trunk's password file, readable
 * by root only), kept for line_open: call before dropping privileges. 0, or -1 with the reason.
 */
int line_preload(const struct conf *conf, struct buf *err);
/* Connect to the network configured (line_driver, sim_socket...); NULL with the reason in err. */
struct line_driver *line_open(const struct conf *conf, struct buf *err);
void line_close(struct line_driver *d);
/* A descriptor to poll for POLLIN: events are waiting. */
int line_fd(const struct line_driver *d);
/*
 * Next event, without waiting: 1 with an event; 0 and LINE_EV_NONE when there is none; -1 when the
 * network is gone. Take events until there is none before polling line_fd again. When the network
 * is lost the driver first reports HANGUP for every line in a call, then DOWN (line -1), then -1
 * for good: close the driver and open it again to reconnect.
 */
int line_next_event(struct line_driver *d, struct line_event *ev);
/* Place a call; the outcome comes as events. caller_id may be "". -1 when the line is not idle. */
int line_dial(struct line_driver *d, int line, const char *dial, const char *caller_id, enum line_media media);
/* Answer an INCOMING call. */
int line_answer(struct line_driver *d, int line);
/*
 * End the call on the line (or refuse an INCOMING one); the line is idle afterwards. After BUSY,
 * NO_ANSWER, UNASSIGNED, CONGESTION or HANGUP the line is idle already: hanging up an idle line
 * does nothing and returns 0.
 */
int line_hangup(struct line_driver *d, int line);
/*
 * The answer to a LINE_EV_AUDIO (1 <= n <= LINE_MAX_BLOCK); -1 when no block is owed on the line.
 * Answers may be held back and written together once no further event is waiting.
 */
int line_send_audio(struct line_driver *d, int line, const int16_t *samples, int n);
/*
 * Send a T.38 IFP packet on a line in T.38 (count: how many times spandsp asks for it; the driver
 * may send it that often or rely on redundancy). -1 when the line is not in T.38.
 */
int line_send_ifp(struct line_driver *d, int line, const uint8_t *ifp, int len, int count);
/* The first of line_numbers ("" none, or too long for out): our caller id by default. */
void line_first_number(const struct conf *conf, char *out, size_t outlen);
/* Number of lines the driver has. */
int line_count(const struct line_driver *d);

#endif
