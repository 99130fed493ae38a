/*
 * faxd.h - the fax daemon's state: its lines and the call on each.
 *
 * faxd is one event loop. The line driver paces the audio; everything else (claiming due jobs,
 * renewing leases, the watchdog, line health) happens on a timer between audio blocks. A job is
 * owned through its lease in the queue, never through this process's memory: a faxd that dies
 * loses nothing, its jobs are claimed again when their leases expire (or at once when it starts
 * again under the same name).
 */
#ifndef FAXGATE_FAXD_FAXD_H
#define FAXGATE_FAXD_FAXD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "fax/faxsession.h"
#include "fax/outcome.h"
#include "line/line.h"
#include "queue/queue.h"

/* Calls that may end (hang up and store their result) in one turn of faxd's loop: call_t30_over. */
#define FAXD_ENDS_PER_TICK 2

enum call_state {
	CALL_IDLE,
	CALL_DIALING,   /* outgoing: dialled, waiting for answer */
	CALL_SENDING,   /* outgoing: answered, T.30 running */
	CALL_RECEIVING, /* incoming: answered, T.30 running */
};

struct faxd;

struct faxd_line {
	struct faxd *daemon; /* for the T.38 packet sender */
	int index;
	char name[16]; /* "sim0" */
	enum call_state state;
	struct job job;        /* CALL_DIALING/SENDING: the claimed job */
	int first_page;        /* CALL_DIALING/SENDING: the first page this call sends (0-based) */
	struct faxsession *fs; /* CALL_SENDING/RECEIVING (made at claim time for sending) */
	bool ended_by_line;    /* the far end or the network hung up */
	time_t started;        /* call start */
	time_t last_renew;
	unsigned long progress; /* faxsession_progress at last_progress */
	time_t last_progress;
	struct inbound in; /* CALL_RECEIVING: caller, called, subaddress */
	bool t38;          /* the call went on in T.38 */
	bool t30_over;     /* T.30 finished; the call ends when its turn comes (call_t30_over) */

	/* health */
	bool out_of_service;
	time_t down_since, next_retest;
	int failures_in_row;
	char last_failed_number[32];

	/* counters for faxctl lines */
	long calls, pages_sent, pages_received;
};

struct faxd {
	const char *conf_path;
	struct conf conf;
	char owner[128]; /* lease owner: faxd_name or the host name */
	struct queue *q;
	struct line_driver *lines_drv;
	struct faxd_line *lines;
	int nlines;
	bool stopping;
	bool network_lost;
	bool claiming; /* a burst of claims was cut short to serve the audio: go on at once */
	int ends_left; /* calls that may still end (store their result) in this turn of the loop */
	time_t next_poll, next_purge;
};

/* calls.c: the call on one line */
void call_context(const struct faxd_line *l);
void call_event(struct faxd *fd, struct faxd_line *l, const struct line_event *ev);
/* Start sending a claimed job on an idle line; false when it could not start (the job is released). */
bool call_start_send(struct faxd *fd, struct faxd_line *l, struct job *j);
/* T.30 has finished on its own: hang up and store the result now, or when its turn comes. */
void call_t30_over(struct faxd *fd, struct faxd_line *l);
void call_t30_done(struct faxd *fd, struct faxd_line *l);
/* End the call now (cancel, watchdog, shutdown), with this outcome. */
void call_abort(struct faxd *fd, struct faxd_line *l, enum fax_outcome why);
/* Shutdown: hang up; a sending call's job is left to faxd_reclaim_own (no attempt counted). */
void call_release(struct faxd *fd, struct faxd_line *l);
/* Once a second: the watchdog. */
void call_tick(struct faxd *fd, struct faxd_line *l, time_t now);
/* Once a second: renew the leases that are due, all in one transaction (cancel and hold end the call). */
void calls_renew(struct faxd *fd, time_t now);

/* media.c: T.38 on SIP lines, and what worked with each destination */
enum line_media media_hint(struct faxd *fd, const struct faxd_line *l);
void media_event(struct faxd *fd, struct faxd_line *l, const struct line_event *ev);

/* finish.c: what an ended call leaves in the queue */
void finish_send(struct faxd *fd, struct faxd_line *l, enum fax_outcome o, const struct faxsession_result *r);
void finish_receive(struct faxd *fd, struct faxd_line *l, const struct faxsession_result *r);

/* health.c: lines taken out of service when failures point at them */
void health_record(struct faxd *fd, struct faxd_line *l, enum fax_outcome o, const char *number);
bool health_may_call(struct faxd *fd, struct faxd_line *l, time_t now);
void health_publish(struct faxd *fd, struct faxd_line *l);
/* The whole telephone network (trunk) lost or back: an event for the admins (trunk_down/trunk_up). */
void health_trunk(struct faxd *fd, bool down, const char *why);

/* rerender.c: pages in a format the remote takes */
int rerender_pages(const struct fax_page_list *in, int from_res, int to_res, int max_height,
                   struct fax_page_list *out);

#endif
