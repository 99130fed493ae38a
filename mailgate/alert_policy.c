/*
 * alert_policy.c - the decisions behind alert mails: a problem is mailed once when it begins,
 * again every alert_repeat while it lasts, once when it ends; never more than alert_max_per_hour
 * mails in any hour; one summary a day.
 *
 * The problem's state lives in the database (alerts table), so a restart or a second mailgate
 * does not mail it again; the hourly count lives in this process only.
 */
#include "alert_policy.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

enum alert_mail alert_decide(const struct alert_state *cur, bool down, int64_t now, long repeat,
                             struct alert_state *next)
{
	bool was_down = cur && cur->state && strcmp(cur->state, "down") == 0;

	if (!down && !was_down)
		return ALERT_MAIL_NONE;
	if (down && !was_down) {
		next->state = (char *)"down";
		next->since = now;
		next->last_mail = now;
		return ALERT_MAIL_DOWN;
	}
	if (!down) {
		next->state = (char *)"up";
		next->since = now;
		next->last_mail = now;
		return ALERT_MAIL_UP;
	}
	/* a clock set back must not silence a problem until it catches up */
	if (now - cur->last_mail < repeat && now >= cur->last_mail)
		return ALERT_MAIL_NONE;
	next->state = (char *)"down";
	next->since = cur->since;
	next->last_mail = now;
	return ALERT_MAIL_REPEAT;
}

bool alert_rate_allow(struct alert_rate *r, int64_t now, long max_per_hour)
{
	size_t kept = 0;

	/* keep the last hour's; a clock set back forgets what now seems to lie in the future */
	for (size_t i = 0; i < r->n; i++)
		if (r->sent[i] > now - 3600 && r->sent[i] <= now)
			r->sent[kept++] = r->sent[i];
	r->n = kept;
	return max_per_hour > 0 && r->n < (size_t)max_per_hour;
}

void alert_rate_sent(struct alert_rate *r, int64_t now)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->sent = xreallocarray(r->sent, r->cap, sizeof(r->sent[0]));
	}
	r->sent[r->n++] = now;
	r->suppressed = 0;
}

void alert_rate_suppress(struct alert_rate *r)
{
	r->suppressed++;
}

void alert_rate_free(struct alert_rate *r)
{
	free(r->sent);
	memset(r, 0, sizeof(*r));
}

/* Key material comes from other programs' rows: printable, bounded. */
static void key_put(struct buf *key, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_putc(key, c <= 0x20 || c == 0x7f ? '_' : (char)c);
	}
}

bool alert_event_key(const struct event *e, struct buf *key, bool *down)
{
	const char *kind = e->kind ? e->kind : "";
	size_t len = strlen(kind);

	buf_reset(key);
	if (len > 5 && strcmp(kind + len - 5, "_down") == 0) {
		*down = true;
		len -= 5;
	} else if (len > 3 && strcmp(kind + len - 3, "_up") == 0) {
		*down = false;
		len -= 3;
	} else {
		return false;
	}
	key_put(key, kind, len < 40 ? len : 40);
	buf_putc(key, ':');
	key_put(key, e->server, 64);
	buf_putc(key, ':');
	key_put(key, e->subject, 64);
	return true;
}

bool alert_summary_due(int64_t last, int64_t now, int hour)
{
	time_t t = (time_t)now, at;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return false;
	tm.tm_hour = hour;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	at = mktime(&tm);
	if (at == (time_t)-1)
		return false;
	return now >= (int64_t)at && last < (int64_t)at;
}
