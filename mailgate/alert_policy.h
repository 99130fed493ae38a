/*
 * alert_policy.h - when an alert is mailed: the pure decisions of alerts.c (de-duplication,
 * repeats, recoveries, the hourly limit, the daily summary's time), kept apart so they are tested
 * without a database, a relay or a clock.
 */
#ifndef FAXGATE_MAILGATE_ALERT_POLICY_H
#define FAXGATE_MAILGATE_ALERT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"
#include "util/buf.h"

enum alert_mail {
	ALERT_MAIL_NONE,   /* nothing to tell (and nothing to store) */
	ALERT_MAIL_DOWN,   /* the problem began */
	ALERT_MAIL_REPEAT, /* it lasts, and alert_repeat has passed since the last mail */
	ALERT_MAIL_UP,     /* it is over */
};

/*
 * A problem seen down (or not) at now, given its stored state cur (NULL: no row yet): which mail
 * goes out, and the state to store (next->state, since, last_mail; key and text are left to the
 * caller). A problem nobody heard of that is not down needs no row.
 */
enum alert_mail alert_decide(const struct alert_state *cur, bool down, int64_t now, long repeat,
                             struct alert_state *next);

/* Alert mails of the last hour, per process: beyond max_per_hour they are only logged, and counted. */
struct alert_rate {
	int64_t *sent; /* times of the mails of the last hour, oldest first */
	size_t n, cap;
	long suppressed; /* alerts only logged since the last mail */
};
/* May one more alert mail go out at now? Forgets mails older than an hour. */
bool alert_rate_allow(struct alert_rate *r, int64_t now, long max_per_hour);
/* A mail went out at now: counted, and the suppressed alerts it reported are forgotten. */
void alert_rate_sent(struct alert_rate *r, int64_t now);
void alert_rate_suppress(struct alert_rate *r);
void alert_rate_free(struct alert_rate *r);

/*
 * The problem an event is about, when it is one that begins and ends (kind "X_down" / "X_up"):
 * key "X:server:subject" (bounded, without control characters) and whether it is down. false for
 * other kinds: each such event is a mail of its own.
 */
bool alert_event_key(const struct event *e, struct buf *key, bool *down);

/*
 * Is the daily summary due at now, the last one having gone at last (0: never)? It goes at the
 * first look after hour:00 local time, once a local day.
 */
bool alert_summary_due(int64_t last, int64_t now, int hour);

#endif
