/*
 * faxsim.h - the simulated telephone exchange: shared state of its parts.
 *
 * faxsim.c runs the event loop and the real-time tick, fs_conn.c speaks the protocol with trunks
 * (faxd) and control clients (faxctl sim), fs_call.c routes and paces calls, fs_remote.c is the
 * far end of a call (a spandsp fax machine or a talking person), fs_stats.c keeps the timing
 * statistics.
 */
#ifndef FAXGATE_FAXSIM_H
#define FAXGATE_FAXSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "simnet/simnet_io.h"
#include "simnet/simplan.h"

#define FS_BLOCK        160        /* samples a block: 20 ms */
#define FS_TICK_NS      20000000LL /* real-time tick */
#define FS_MAX_CONNS    1024
#define FS_MAX_NUMBERS  10000      /* numbers one trunk may announce */
#define FS_MAX_OUT      (8u << 20) /* bytes queued for a peer that does not read: then it is dropped */
#define FS_RING_TIMEOUT 30         /* seconds faxd has to answer an incoming call */
#define FS_STALL        30         /* seconds without an audio answer (unpaced) before the call ends */
#define FS_MAX_OWED     250        /* real time: blocks faxd is behind (5 s) before the call ends */

/* Latencies in microseconds: 10 us steps to 10 ms, 1 ms steps to 1 s, then one overflow bucket. */
#define FS_HIST_BUCKETS (1000 + 990 + 1)

struct fs_hist {
	uint64_t n;
	int64_t max_us;
	uint32_t bucket[FS_HIST_BUCKETS];
};

struct fs_stats {
	int64_t started_ns;
	double cpu_start_s; /* the process's CPU time when the statistics started */
	uint64_t ticks, ticks_skipped, answers_late, calls_total, calls_failed_setup;
	uint64_t audio_blocks;    /* blocks exchanged over all calls */
	struct fs_hist tick_late; /* how late each tick started */
	struct fs_hist tick_work; /* how long each tick's work took */
	struct fs_hist answer;    /* real time: from a block sent to faxd until its answer came */
};

struct fs_call;

enum fs_conn_kind { FS_NEW, FS_TRUNK, FS_CTL };

struct fs_conn {
	struct simnet_io io;
	enum fs_conn_kind kind;
	int id;
	bool dead;          /* to be freed by the loop */
	bool close_flushed; /* close once the output is written */
	/* trunk */
	char **numbers;
	int nnumbers;
	int nlines;
	struct fs_call **lines;
	/* control */
	struct fs_call *call;
	struct fs_conn *next;
};

struct fs {
	struct conf conf;
	struct simplan plan;
	int timing; /* enum simnet_timing */
	int law;    /* enum simnet_law */
	int listen_fd;
	struct fs_conn *conns;
	int nconns, next_conn_id;
	struct fs_call **calls; /* active calls, in no order */
	int ncalls, calls_cap;
	uint32_t next_in_ref;
	unsigned long rx_seq;
	uint64_t tick_index; /* real time: timer periods since the start, served or skipped */
	struct fs_stats stats;
};

int64_t fs_now(void);

/* fs_conn.c */
void fs_conn_accept(struct fs *fs);
/* Read and handle what the peer sent. */
void fs_conn_input(struct fs *fs, struct fs_conn *c);
/* Drop a peer: its calls end. */
void fs_conn_drop(struct fs *fs, struct fs_conn *c, const char *why);
void fs_conn_reap(struct fs *fs);
/* Send a frame to a connection (a no-op once it is dead). */
void fs_conn_put(struct fs_conn *c, int type, int line, uint32_t call, const void *data, size_t len);

/* fs_call.c */
/* A DIAL on a trunk line; -1: protocol violation (the line is in a call). */
int fs_call_dial(struct fs *fs, struct fs_conn *trunk, const struct simnet_msg *m, const char *dial,
                 const char *caller);
/* A control client's CALL: a simulated fax machine calls a trunk; the client gets the RESULT. */
void fs_call_inbound(struct fs *fs, struct fs_conn *ctl, const struct simnet_call_req *req);
/*
 * A frame from the trunk (ANSWER, HANGUP, AUDIO) for the call on its line (NULL: none); frames of
 * calls already ended are dropped. -1: protocol violation.
 */
int fs_call_frame(struct fs *fs, struct fs_call *call, const struct simnet_msg *m);
/* The peer that owns the call is gone. */
void fs_call_lost(struct fs *fs, struct fs_call *call, const char *why);
/* Timers due; returns ms until the next one (-1 none). */
int fs_call_timers(struct fs *fs, int64_t now);
/* Real time: one block for every connected call. */
void fs_call_tick(struct fs *fs, int64_t now);

/* fs_stats.c */
void fs_hist_add(struct fs_hist *h, int64_t us);
int64_t fs_hist_quantile(const struct fs_hist *h, double q);
void fs_stats_text(const struct fs *fs, struct buf *out);
/* Start the statistics afresh (SIGUSR2): a benchmark measures a window of its choosing. */
void fs_stats_reset(struct fs *fs);

#endif
