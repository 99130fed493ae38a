/*
 * alerts.c - alert mails to the admins (alert_to): lines out of service and back, faxes waiting too
 * long, the queue's disk filling up, the database out of reach, things other steps could not do
 * (a mail the relay refused, a fax nobody receives), and an optional summary of the day.
 *
 * Problems that begin and end (a line, the queue's age, the disk) keep their state in the alerts
 * table: mailed once when they begin, again every alert_repeat while they last, once when they
 * end, however many mailgates run and however often they restart (alert_policy.c decides). Every
 * mail goes through the outbox in the transaction that stores that state or marks its event
 * handled. The database itself cannot hold its own state: that problem is kept in memory and
 * mailed straight to the relay. Beyond alert_max_per_hour mails an hour alerts are only logged,
 * and the next mail says how many were; with no alert_to every alert is only logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "alert_policy.h"
#include "fax/notify.h"
#include "mailgate.h"
#include "mailout/mailout.h"
#include "policy/words.h"
#include "smtp/smtp.h"
#include "util/log.h"
#include "util/xalloc.h"

#define ALERTS_CHECK_EVERY 30 /* seconds between the checks of the queue, the disk and the lines */
#define ALERTS_EVENT_BATCH 50
#define ALERTS_DB_RETRY    60 /* the relay failed a direct alert: try again after this long */
#define ALERTS_DB_GRACE    60 /* the database away this long (not one failed query) is an alert */

struct alerts {
	struct alert_rate rate;
	int64_t last_check;
	/* the database, which cannot hold its own state */
	bool db_down, db_up_pending;
	int64_t db_since, db_up_since, db_last_mail, db_next_try;
	char *db_why;
};

struct alerts *alerts_new(void)
{
	return xcalloc(1, sizeof(struct alerts));
}

void alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	alert_rate_free(&a->rate);
	free(a->db_why);
	free(a);
}

static int64_t alerts_now(const struct mailgate *mg)
{
	return mg->now ? mg->now : (int64_t)time(NULL);
}

static void alerts_time(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}

static void alerts_faxes(struct buf *out, long n)
{
	buf_printf(out, "%ld %s", n, n == 1 ? "fax" : "faxes");
}

/* "3 minutes", "2 hours 5 minutes", "40 seconds" */
static void alerts_duration(struct buf *out, int64_t secs)
{
	long h = (long)(secs / 3600), m = (long)(secs % 3600 / 60);

	if (secs < 60)
		buf_printf(out, "%lld second%s", (long long)secs, secs == 1 ? "" : "s");
	else if (h == 0)
		buf_printf(out, "%ld minute%s", m, m == 1 ? "" : "s");
	else if (m == 0)
		buf_printf(out, "%ld hour%s", h, h == 1 ? "" : "s");
	else
		buf_printf(out, "%ld hour%s %ld minute%s", h, h == 1 ? "" : "s", m, m == 1 ? "" : "s");
}

/* alert_to as a list of addresses (those that are not addresses are left out, with a warning). */
struct alerts_to {
	char **addr;
	size_t n;
	struct buf joined; /* separated by single spaces: the outbox's recipients */
};

static void alerts_to_get(const struct conf *conf, struct alerts_to *to)
{
	const char *p = conf->alert_to, *w;
	size_t len;

	memset(to, 0, sizeof(*to));
	while (words_next(&p, &w, &len)) {
		char *a = xstrndup(w, len);

		if (!notify_address_ok(a)) {
			log_warning("alert_to: \"%s\" is not a mail address, left out", a);
			free(a);
			continue;
		}
		to->addr = xreallocarray(to->addr, to->n + 1, sizeof(*to->addr));
		to->addr[to->n++] = a;
		if (to->joined.len)
			buf_putc(&to->joined, ' ');
		buf_puts(&to->joined, a);
	}
}

static void alerts_to_free(struct alerts_to *to)
{
	for (size_t i = 0; i < to->n; i++)
		free(to->addr[i]);
	free(to->addr);
	buf_free(&to->joined);
}

static const char *alerts_kind_name(enum mailout_alert_kind k)
{
	static const char *const names[] = {
	    [MAILOUT_ALERT_DOWN] = "alert",
	    [MAILOUT_ALERT_UP] = "recovery",
	    [MAILOUT_ALERT_SUMMARY] = "summary",
	    [MAILOUT_ALERT_EVENT] = "event",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "alert";
}

/* One alert to tell: what mailout_alert needs, before the recipients. */
struct alerts_msg {
	enum mailout_alert_kind kind;
	const char *key, *title, *text;
	int64_t since;
};

/*
 * Log the alert and, when it is to be mailed (alert_to set, the hourly limit not reached, a
 * summary always), make its mail into mm. Returns true when mm holds a mail to send.
 */
static bool alerts_make(struct mailgate *mg, const struct alerts_msg *am, struct alerts_to *to,
                        struct mailout_mail *mm, int64_t now)
{
	struct alerts *a = mg->alerts;
	struct buf err = BUF_INIT;

	log_msg(am->kind == MAILOUT_ALERT_DOWN || am->kind == MAILOUT_ALERT_EVENT ? LOG_LVL_ERROR
	                                                                          : LOG_LVL_NOTICE,
	        "%s %s: %s: %s", alerts_kind_name(am->kind), am->key, am->title, am->text ? am->text : "");
	if (to->n == 0)
		return false; /* only logged, as configured */
	if (am->kind != MAILOUT_ALERT_SUMMARY &&
	    !alert_rate_allow(&a->rate, now, mg->conf->alert_max_per_hour)) {
		alert_rate_suppress(&a->rate);
		log_warning("more than %ld alert mails this hour: %s %s only logged",
		            mg->conf->alert_max_per_hour, alerts_kind_name(am->kind), am->key);
		return false;
	}
	struct mailout_alert ma = {
	    .kind = am->kind,
	    .key = am->key,
	    .title = am->title,
	    .text = am->text,
	    .since = am->since,
	    .suppressed = a->rate.suppressed,
	    .to = (const char *const *)to->addr,
	    .nto = to->n,
	};
	if (mailout_alert(mg->conf, &ma, mm, &err) != 0) {
		log_error("cannot make the %s mail %s: %s", alerts_kind_name(am->kind), am->key,
		          buf_cstr(&err));
		buf_free(&err);
		return false;
	}
	buf_free(&err);
	return true;
}

/* Store mm in the outbox (inside the caller's transaction). */
static enum queue_rc alerts_outbox(struct mailgate *mg, struct alerts_to *to, struct mailout_mail *mm,
                                   struct buf *err)
{
	struct outbox_mail om = {0};
	struct buf from = BUF_INIT;
	enum queue_rc rc;

	mailout_from_address(mg->conf, &from);
	om.kind = (char *)"alert";
	om.sender = (char *)buf_cstr(&from);
	om.recipients = (char *)buf_cstr(&to->joined);
	om.message_id = mm->message_id;
	om.message = mm->message; /* borrowed */
	rc = queue_outbox_add(mg->q, &om, err);
	buf_free(&from);
	return rc;
}

/* Commit; a mail that went into the outbox counts towards the hourly limit. */
static enum queue_rc alerts_commit(struct mailgate *mg, bool mailed, struct buf *err)
{
	enum queue_rc rc = queue_commit(mg->q, err);

	if (rc != QUEUE_OK)
		queue_rollback(mg->q);
	else if (mailed)
		alert_rate_sent(&mg->alerts->rate, alerts_now(mg));
	return rc;
}

/*
 * A problem that begins and ends, seen down (or not) now: decide against its stored state, and
 * store the new state with its mail, and mark the event that told of it handled (event: 0 when a
 * check saw it), all in one transaction. title_down/title_up name it; text says more (NULL: the
 * stored words stay). since_at, when not 0, is when it began or ended (an event's time). 1 when
 * something was stored, 0 when nothing was due, -1 when the database failed.
 */
static int alerts_problem(struct mailgate *mg, const char *key, bool down, const char *title_down,
                          const char *title_up, const char *text, int64_t since_at, int64_t event)
{
	struct alert_state cur = {0}, next = {0};
	struct buf err = BUF_INIT;
	struct alerts_to to = {0};
	struct mailout_mail mm = {0};
	int64_t now = alerts_now(mg);
	enum alert_mail what;
	enum queue_rc rc;
	bool have, mailed = false;
	int result = -1;

	if (event == 0) {
		/* a cheap look first: most rounds nothing changes, and nothing need be locked */
		rc = queue_alert_get(mg->q, key, &cur, &err);
		if (rc != QUEUE_OK && rc != QUEUE_NOT_FOUND)
			goto fail;
		what = alert_decide(rc == QUEUE_OK ? &cur : NULL, down, now, mg->conf->alert_repeat, &next);
		alert_state_free(&cur);
		memset(&cur, 0, sizeof(cur));
		if (what == ALERT_MAIL_NONE) {
			buf_free(&err);
			return 0;
		}
	}

	/* under the write lock: another mailgate may have told it meanwhile */
	rc = queue_begin(mg->q, &err);
	if (rc != QUEUE_OK)
		goto fail;
	rc = queue_alert_get(mg->q, key, &cur, &err);
	if (rc != QUEUE_OK && rc != QUEUE_NOT_FOUND)
		goto rollback;
	have = rc == QUEUE_OK;
	rc = QUEUE_OK;
	memset(&next, 0, sizeof(next));
	what = alert_decide(have ? &cur : NULL, down, now, mg->conf->alert_repeat, &next);
	if (what != ALERT_MAIL_NONE) {
		if (since_at > 0 && what != ALERT_MAIL_REPEAT)
			next.since = since_at;
		next.key = (char *)key;
		next.text = (char *)(text ? text : (have ? cur.text : NULL));
		rc = queue_alert_put(mg->q, &next, &err);
		if (rc != QUEUE_OK)
			goto rollback;
		struct alerts_msg am = {
		    .kind = what == ALERT_MAIL_UP ? MAILOUT_ALERT_UP : MAILOUT_ALERT_DOWN,
		    .key = key,
		    .title = what == ALERT_MAIL_UP ? title_up : title_down,
		    .text = next.text,
		    .since = next.since,
		};
		alerts_to_get(mg->conf, &to);
		if (alerts_make(mg, &am, &to, &mm, now)) {
			rc = alerts_outbox(mg, &to, &mm, &err);
			if (rc != QUEUE_OK)
				goto rollback;
			mailed = true;
		}
	}
	if (event > 0) {
		rc = queue_event_handled(mg->q, event, &err);
		if (rc == QUEUE_BAD_STATE) { /* another mailgate told of it meanwhile */
			queue_rollback(mg->q);
			rc = QUEUE_OK;
			result = 0;
			goto out;
		}
		if (rc != QUEUE_OK)
			goto rollback;
	} else if (what == ALERT_MAIL_NONE) {
		queue_rollback(mg->q); /* nothing was written */
		result = 0;
		goto out;
	}
	if (alerts_commit(mg, mailed, &err) != QUEUE_OK)
		goto fail;
	result = what == ALERT_MAIL_NONE && event == 0 ? 0 : 1;
	goto out;
rollback:
	queue_rollback(mg->q);
fail:
	log_error("cannot store the alert %s: %s", key, buf_cstr(&err));
out:
	alerts_to_free(&to);
	alert_state_free(&cur);
	mailout_mail_free(&mm);
	buf_free(&err);
	return result;
}

/* --- events other programs recorded --- */

/* Words for the kinds of events that are a problem of their own (one mail each). */
static const struct {
	const char *kind, *title;
} alerts_oneshot[] = {
    {"mail_failed", "a mail could not be delivered"},
    {"mail_refused", "the relay refused a mail"},
    {"fax_unrouted", "a received fax has no mailbox"},
    {"fax_damaged", "a received fax has damaged pages"},
    {"notice_failed", "a notice to a sender could not be made"},
};

static void alerts_event_title(const struct event *e, const char *prefix, bool down, struct buf *title)
{
	const char *subject = e->subject && e->subject[0] ? e->subject : NULL;

	buf_reset(title);
	if (strcmp(prefix, "line") == 0 || strcmp(prefix, "trunk") == 0) {
		buf_printf(title, "%s %s%s%s %s", prefix, subject ? subject : "?", e->server ? " of " : "",
		           e->server ? e->server : "", down ? "out of service" : "works again");
		return;
	}
	if (prefix[0]) {
		buf_printf(title, "%s%s%s %s", prefix, subject ? " " : "", subject ? subject : "",
		           down ? "is down" : "is up again");
		return;
	}
	for (size_t i = 0; i < sizeof(alerts_oneshot) / sizeof(alerts_oneshot[0]); i++)
		if (e->kind && strcmp(e->kind, alerts_oneshot[i].kind) == 0) {
			buf_puts(title, alerts_oneshot[i].title);
			if (subject)
				buf_printf(title, " (%s)", subject);
			return;
		}
	buf_printf(title, "%s%s%s", e->kind ? e->kind : "event", subject ? " " : "", subject ? subject : "");
}

/* Is the event still unhandled? Under the write lock, so another mailgate cannot mail it too. */
static enum queue_rc alerts_event_open(struct mailgate *mg, int64_t id, bool *open, struct buf *err)
{
	struct event *ev = NULL;
	size_t n = 0;
	enum queue_rc rc = queue_event_list(mg->q, id - 1, true, 1, &ev, &n, err);

	*open = rc == QUEUE_OK && n == 1 && ev[0].id == id;
	event_list_free(ev, n);
	return rc;
}

/*
 * A mail of its own (an event that is a problem of its own, the database's recovery) into the
 * outbox, and its event (0: none) marked handled, in one transaction. 1 done, -1 the database
 * failed.
 */
static int alerts_store(struct mailgate *mg, const struct alerts_msg *am, int64_t event)
{
	struct buf err = BUF_INIT;
	struct mailout_mail mm = {0};
	struct alerts_to to;
	enum queue_rc rc;
	bool mailed = false, open = true, made;
	int64_t now = alerts_now(mg);

	alerts_to_get(mg->conf, &to);
	rc = queue_begin(mg->q, &err);
	if (rc == QUEUE_OK && event > 0)
		rc = alerts_event_open(mg, event, &open, &err);
	made = rc == QUEUE_OK && open && alerts_make(mg, am, &to, &mm, now);
	if (made) {
		rc = alerts_outbox(mg, &to, &mm, &err);
		mailed = rc == QUEUE_OK;
	}
	if (rc == QUEUE_OK && event > 0 && open)
		rc = queue_event_handled(mg->q, event, &err);
	if (rc == QUEUE_BAD_STATE) { /* another mailgate told of it meanwhile */
		queue_rollback(mg->q);
		alerts_to_free(&to);
		mailout_mail_free(&mm);
		buf_free(&err);
		return 1;
	}
	if (rc == QUEUE_OK)
		rc = alerts_commit(mg, mailed, &err);
	else
		queue_rollback(mg->q);
	if (rc != QUEUE_OK)
		log_error("cannot store the alert %s: %s", am->key, buf_cstr(&err));
	alerts_to_free(&to);
	mailout_mail_free(&mm);
	buf_free(&err);
	return rc == QUEUE_OK ? 1 : -1;
}

static int alerts_oneshot_event(struct mailgate *mg, const struct event *e, const char *title)
{
	struct buf key = BUF_INIT;
	int rc;

	buf_printf(&key, "%s:%lld", e->kind ? e->kind : "event", (long long)e->id);
	struct alerts_msg am = {
	    .kind = MAILOUT_ALERT_EVENT,
	    .key = buf_cstr(&key),
	    .title = title,
	    .text = e->text,
	    .since = e->time,
	};
	rc = alerts_store(mg, &am, e->id);
	buf_free(&key);
	return rc;
}

static int alerts_event(struct mailgate *mg, const struct event *e)
{
	struct buf key = BUF_INIT, title_down = BUF_INIT, title_up = BUF_INIT;
	bool down;
	int rc;

	if (!alert_event_key(e, &key, &down)) {
		alerts_event_title(e, "", false, &title_down);
		rc = alerts_oneshot_event(mg, e, buf_cstr(&title_down));
		buf_free(&title_down);
		buf_free(&key);
		return rc;
	}
	char *prefix = xstrndup(buf_cstr(&key), strcspn(buf_cstr(&key), ":"));
	alerts_event_title(e, prefix, true, &title_down);
	alerts_event_title(e, prefix, false, &title_up);
	free(prefix);
	rc = alerts_problem(mg, buf_cstr(&key), down, buf_cstr(&title_down), buf_cstr(&title_up), e->text,
	                    e->time, e->id);
	buf_free(&key);
	buf_free(&title_down);
	buf_free(&title_up);
	return rc < 0 ? -1 : 1;
}

static int alerts_events(struct mailgate *mg)
{
	struct event *ev = NULL;
	size_t n = 0;
	struct buf err = BUF_INIT;
	int done = 0;

	if (queue_event_list(mg->q, 0, true, ALERTS_EVENT_BATCH, &ev, &n, &err) != QUEUE_OK) {
		log_error("cannot read the events: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	for (size_t i = 0; i < n && done >= 0; i++) {
		int rc = alerts_event(mg, &ev[i]);
		done = rc < 0 ? -1 : done + rc;
	}
	event_list_free(ev, n);
	buf_free(&err);
	return done;
}

/* --- checks made every ALERTS_CHECK_EVERY seconds --- */

static int alerts_check_queue(struct mailgate *mg, int64_t now)
{
	struct queue_stats st = {0};
	struct buf err = BUF_INIT, text = BUF_INIT;
	char at[32];
	int rc;

	if (queue_stats(mg->q, now - 86400, &st, &err) != QUEUE_OK) {
		log_error("cannot read the queue's statistics: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	bool late =
	    st.waiting > 0 && st.oldest_waiting > 0 && now - st.oldest_waiting > mg->conf->alert_queue_age;
	if (late) {
		alerts_time(st.oldest_waiting, at, sizeof(at));
		alerts_faxes(&text, st.waiting);
		buf_printf(&text, " waiting to be sent; the oldest has been waiting since %s (", at);
		alerts_duration(&text, now - st.oldest_waiting);
		buf_puts(&text, " ago)");
	} else {
		alerts_faxes(&text, st.waiting);
		buf_puts(&text, " waiting to be sent, none for longer than ");
		alerts_duration(&text, mg->conf->alert_queue_age);
	}
	rc = alerts_problem(mg, "queue_age", late, "faxes are waiting too long to be sent",
	                    "faxes are sent in time again", buf_cstr(&text), 0, 0);
	buf_free(&text);
	buf_free(&err);
	return rc;
}

/* The folder of the SQLite database (PostgreSQL's disk is another machine's business). */
static int alerts_check_disk(struct mailgate *mg)
{
	const struct conf *conf = mg->conf;
	struct statvfs sv;
	struct buf text = BUF_INIT;
	char *dir;
	int rc;

	if (conf->alert_disk_free_pct <= 0 || conf->db_driver != CONF_DB_SQLITE || !conf->db_path ||
	    !conf->db_path[0])
		return 0;
	dir = xstrdup(conf->db_path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (statvfs(dir, &sv) != 0 || sv.f_blocks == 0) {
		log_warning("cannot see the free space of %s: %s", dir, strerror(errno));
		free(dir);
		return 0;
	}
	double pct = 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
	bool low = pct < (double)conf->alert_disk_free_pct;
	buf_printf(&text, "%.1f%% of the disk holding %s is free (%llu MB); the alert is below %ld%%", pct,
	           dir, (unsigned long long)sv.f_bavail * sv.f_frsize / (1024 * 1024),
	           conf->alert_disk_free_pct);
	rc = alerts_problem(mg, "disk", low, "little disk space left for the queue",
	                    "enough disk space for the queue again", buf_cstr(&text), 0, 0);
	free(dir);
	buf_free(&text);
	return rc;
}

/*
 * Lines told as out of service: faxd tells their recovery with an event, but a faxd that was
 * restarted forgets the line was out of service and never does. A line whose row shows it
 * working (not out of service, no failures in a row) since the alert began is back; one still out
 * of service is mailed again every alert_repeat.
 */
static int alerts_check_lines(struct mailgate *mg)
{
	struct alert_state *al = NULL;
	struct line_status *ls = NULL;
	size_t nal = 0, nls = 0;
	struct buf err = BUF_INIT, key = BUF_INIT, title_down = BUF_INIT, title_up = BUF_INIT;
	int done = 0;

	if (queue_alert_list(mg->q, &al, &nal, &err) != QUEUE_OK ||
	    queue_line_list(mg->q, &ls, &nls, &err) != QUEUE_OK) {
		log_error("cannot read the alerts and lines: %s", buf_cstr(&err));
		alert_list_free(al, nal);
		buf_free(&err);
		return -1;
	}
	for (size_t i = 0; i < nal && done >= 0; i++) {
		const struct alert_state *s = &al[i];
		const struct line_status *line = NULL;
		bool down, unused;

		if (strncmp(s->key, "line:", 5) != 0 || !s->state || strcmp(s->state, "down") != 0)
			continue;
		for (size_t k = 0; k < nls && !line; k++) {
			struct event e = {
			    .kind = (char *)"line_up", .server = ls[k].server, .subject = ls[k].line};
			alert_event_key(&e, &key, &unused);
			if (strcmp(buf_cstr(&key), s->key) == 0)
				line = &ls[k];
		}
		/* a line no longer in the table (renamed, its server retired) is a problem no more */
		down = line && !(line->updated > s->since && line->state &&
		                 strcmp(line->state, "out_of_service") != 0 && line->failures_in_row == 0);
		buf_reset(&title_down);
		buf_reset(&title_up);
		if (line) {
			struct event e = {.server = line->server, .subject = line->line};
			alerts_event_title(&e, "line", true, &title_down);
			alerts_event_title(&e, "line", false, &title_up);
		} else {
			buf_printf(&title_down, "%s out of service", s->key);
			buf_printf(&title_up, "%s removed", s->key);
		}
		int rc = alerts_problem(mg, s->key, down, buf_cstr(&title_down), buf_cstr(&title_up),
		                        down   ? NULL
		                        : line ? "the line has worked since (faxd shows it in service)"
		                               : "the line is no longer in faxd's table of lines (removed)",
		                        0, 0);
		done = rc < 0 ? -1 : done + rc;
	}
	alert_list_free(al, nal);
	line_status_list_free(ls, nls);
	buf_free(&key);
	buf_free(&title_down);
	buf_free(&title_up);
	buf_free(&err);
	return done;
}

/* The day in numbers: faxes sent, failed, received, waiting; each line; the problems open. */
static void alerts_summary_text(struct mailgate *mg, const struct queue_stats *st,
                                const struct line_status *ls, size_t nls, const struct alert_state *al,
                                size_t nal, struct buf *text)
{
	char at[32];

	buf_puts(text, "In the last 24 hours: ");
	alerts_faxes(text, st->sent);
	buf_printf(text, " sent, %ld failed, %ld received.\n", st->failed, st->received);
	if (st->waiting > 0) {
		alerts_time(st->oldest_waiting, at, sizeof(at));
		buf_puts(text, "Waiting to be sent: ");
		alerts_faxes(text, st->waiting);
		buf_printf(text, ", the oldest waiting since %s.\n", at);
	} else {
		buf_puts(text, "Waiting to be sent: none.\n");
	}
	buf_printf(text, "\nLines (%zu):\n", nls);
	for (size_t i = 0; i < nls; i++) {
		alerts_time(ls[i].since, at, sizeof(at));
		buf_printf(text, "  %s %s: %s since %s; %lld calls, %lld pages sent, %lld received",
		           ls[i].server, ls[i].line, ls[i].state ? ls[i].state : "?", at,
		           (long long)ls[i].calls, (long long)ls[i].pages_sent,
		           (long long)ls[i].pages_received);
		if (ls[i].failures_in_row > 0)
			buf_printf(text, "; %lld failures in a row", (long long)ls[i].failures_in_row);
		buf_putc(text, '\n');
	}
	size_t open = 0;
	for (size_t i = 0; i < nal; i++) {
		if (!al[i].state || strcmp(al[i].state, "down") != 0)
			continue;
		if (open++ == 0)
			buf_puts(text, "\nProblems now:\n");
		alerts_time(al[i].since, at, sizeof(at));
		buf_printf(text, "  %s since %s: %s\n", al[i].key, at, al[i].text ? al[i].text : "");
	}
	if (open == 0)
		buf_puts(text, "\nNo problems now.\n");
	if (mg->alerts->db_down)
		buf_puts(text, "The database could not be reached a moment ago.\n");
}

static int alerts_summary(struct mailgate *mg, int64_t now)
{
	const struct conf *conf = mg->conf;
	struct alert_state cur = {0}, next = {0};
	struct queue_stats st = {0};
	struct line_status *ls = NULL;
	struct alert_state *al = NULL;
	size_t nls = 0, nal = 0;
	struct buf err = BUF_INIT, text = BUF_INIT, title = BUF_INIT;
	struct mailout_mail mm = {0};
	struct alerts_to to;
	enum queue_rc rc;
	bool mailed = false;
	int result = -1;

	if (!conf->alert_daily_summary)
		return 0;
	rc = queue_alert_get(mg->q, "summary", &cur, &err);
	if (rc != QUEUE_OK && rc != QUEUE_NOT_FOUND)
		goto fail;
	if (!alert_summary_due(rc == QUEUE_OK ? cur.last_mail : 0, now, (int)conf->alert_summary_hour)) {
		alert_state_free(&cur);
		buf_free(&err);
		return 0;
	}
	alert_state_free(&cur);
	memset(&cur, 0, sizeof(cur));
	if (queue_stats(mg->q, now - 86400, &st, &err) != QUEUE_OK ||
	    queue_line_list(mg->q, &ls, &nls, &err) != QUEUE_OK ||
	    queue_alert_list(mg->q, &al, &nal, &err) != QUEUE_OK)
		goto fail;
	alerts_summary_text(mg, &st, ls, nls, al, nal, &text);

	rc = queue_begin(mg->q, &err);
	if (rc == QUEUE_OK)
		rc = queue_alert_get(mg->q, "summary", &cur, &err);
	if (rc == QUEUE_OK || rc == QUEUE_NOT_FOUND) {
		if (!alert_summary_due(rc == QUEUE_OK ? cur.last_mail : 0, now,
		                       (int)conf->alert_summary_hour)) {
			queue_rollback(mg->q); /* another mailgate sent it */
			result = 0;
			goto out;
		}
		next.key = (char *)"summary";
		next.state = (char *)"up";
		next.since = now;
		next.last_mail = now;
		next.text = (char *)"the daily summary";
		rc = queue_alert_put(mg->q, &next, &err);
	}
	if (rc != QUEUE_OK) {
		queue_rollback(mg->q);
		goto fail;
	}
	size_t open = 0;
	for (size_t i = 0; i < nal; i++)
		open += al[i].state && strcmp(al[i].state, "down") == 0;
	alerts_faxes(&title, st.sent);
	buf_printf(&title, " sent, %ld failed, %ld received", st.failed, st.received);
	if (open)
		buf_printf(&title, "; %zu problem%s", open, open == 1 ? "" : "s");
	struct alerts_msg am = {
	    .kind = MAILOUT_ALERT_SUMMARY,
	    .key = "summary",
	    .title = buf_cstr(&title),
	    .text = buf_cstr(&text),
	    .since = now - 86400,
	};
	alerts_to_get(conf, &to);
	if (alerts_make(mg, &am, &to, &mm, now)) {
		rc = alerts_outbox(mg, &to, &mm, &err);
		mailed = rc == QUEUE_OK;
	}
	alerts_to_free(&to);
	if (rc != QUEUE_OK) {
		queue_rollback(mg->q);
		goto fail;
	}
	if (alerts_commit(mg, mailed, &err) != QUEUE_OK)
		goto fail;
	result = 1;
	goto out;
fail:
	log_error("cannot make the daily summary: %s", buf_cstr(&err));
out:
	alert_state_free(&cur);
	line_status_list_free(ls, nls);
	alert_list_free(al, nal);
	mailout_mail_free(&mm);
	buf_free(&text);
	buf_free(&title);
	buf_free(&err);
	return result;
}

static int alerts_checks(struct mailgate *mg)
{
	struct alerts *a = mg->alerts;
	int64_t now = alerts_now(mg);
	int done = 0, rc;

	if (a->last_check && now >= a->last_check && now - a->last_check < ALERTS_CHECK_EVERY)
		return 0;
	a->last_check = now;
	int (*const checks[])(struct mailgate *) = {alerts_check_disk, alerts_check_lines};
	rc = alerts_check_queue(mg, now);
	if (rc < 0)
		return -1;
	done += rc;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		rc = checks[i](mg);
		if (rc < 0)
			return -1;
		done += rc;
	}
	rc = alerts_summary(mg, now);
	return rc < 0 ? -1 : done + rc;
}

/* --- the database, out of reach: kept in memory, mailed straight to the relay --- */

static bool alerts_send_direct(struct mailgate *mg, const struct alerts_msg *am, int64_t now)
{
	struct alerts_to to;
	struct mailout_mail mm = {0};
	struct buf from = BUF_INIT, reply = BUF_INIT;
	bool done = true;

	alerts_to_get(mg->conf, &to);
	if (alerts_make(mg, am, &to, &mm, now)) {
		enum smtp_rc *rcpt_rc = xcalloc(to.n, sizeof(*rcpt_rc));
		mailout_from_address(mg->conf, &from);
		struct smtp_message msg = {
		    .sender = buf_cstr(&from),
		    .recipients = (const char *const *)to.addr,
		    .nrecipients = to.n,
		    .data = mm.message.data,
		    .len = mm.message.len,
		    .rcpt_rc = rcpt_rc,
		};
		enum smtp_rc rc = smtp_send(mg->conf, &msg, &reply);
		if (rc == SMTP_SENT) {
			alert_rate_sent(&mg->alerts->rate, now);
			log_notice("%s %s mailed straight to the relay: %s", alerts_kind_name(am->kind),
			           am->key, buf_cstr(&reply));
		} else if (rc == SMTP_PERM) {
			log_error("the relay refused the %s mail %s: %s", alerts_kind_name(am->kind), am->key,
			          buf_cstr(&reply));
		} else {
			log_warning("cannot hand the %s mail %s to the relay (trying again in %d s): %s",
			            alerts_kind_name(am->kind), am->key, ALERTS_DB_RETRY, buf_cstr(&reply));
			done = false;
		}
		free(rcpt_rc);
	}
	alerts_to_free(&to);
	mailout_mail_free(&mm);
	buf_free(&from);
	buf_free(&reply);
	return done;
}

void alerts_db_state(struct mailgate *mg, bool down, const char *why)
{
	struct alerts *a = mg->alerts;
	/* called between rounds too, when mg->now is old: the clock itself */
	int64_t now = (int64_t)time(NULL);

	if (a == NULL)
		return;
	if (!down) {
		if (!a->db_down)
			return;
		a->db_down = false;
		log_notice("the queue database can be used again (after %lld s)",
		           (long long)(now - a->db_since));
		/* a recovery only for a problem that was told: mailgate_alerts stores it in the outbox */
		a->db_up_pending = a->db_last_mail != 0;
		a->db_up_since = now;
		a->db_next_try = 0;
		return;
	}
	if (!a->db_down) {
		a->db_down = true;
		a->db_up_pending = false;
		a->db_since = now;
		a->db_last_mail = 0;
		a->db_next_try = 0;
	}
	free(a->db_why);
	a->db_why = xstrdup(why && why[0] ? why : "no reason given");
	log_error("the queue database cannot be used: %s", a->db_why);
	/* one failed query (a lock held too long) is no alert: a database away this long is */
	if (now - a->db_since < ALERTS_DB_GRACE && now >= a->db_since)
		return;
	bool due =
	    a->db_last_mail == 0 || now - a->db_last_mail >= mg->conf->alert_repeat || now < a->db_last_mail;
	if (!due || now < a->db_next_try)
		return;
	char at[32];
	struct buf text = BUF_INIT;
	alerts_time(a->db_since, at, sizeof(at));
	buf_printf(&text,
	           "faxgate cannot use its queue database since %s: %s\n"
	           "Faxes are neither sent nor mailed while it lasts; mail for them waits at the relay or in "
	           "the outbox.",
	           at, a->db_why);
	struct alerts_msg am = {
	    .kind = MAILOUT_ALERT_DOWN,
	    .key = "db",
	    .title = "the queue database cannot be used",
	    .text = buf_cstr(&text),
	    .since = a->db_since,
	};
	if (alerts_send_direct(mg, &am, now))
		a->db_last_mail = now;
	else
		a->db_next_try = now + ALERTS_DB_RETRY;
	buf_free(&text);
}

/* The database is back after it was told down: its recovery, through the outbox like the rest. */
static int alerts_db_recovery(struct mailgate *mg)
{
	struct alerts *a = mg->alerts;
	struct buf text = BUF_INIT;
	char from[32], to[32];
	int rc;

	if (!a->db_up_pending)
		return 0;
	alerts_time(a->db_since, from, sizeof(from));
	alerts_time(a->db_up_since, to, sizeof(to));
	buf_printf(&text, "faxgate can use its queue database again since %s (it could not from %s: %s)", to,
	           from, a->db_why ? a->db_why : "?");
	struct alerts_msg am = {
	    .kind = MAILOUT_ALERT_UP,
	    .key = "db",
	    .title = "the queue database can be used again",
	    .text = buf_cstr(&text),
	    .since = a->db_up_since,
	};
	rc = alerts_store(mg, &am, 0);
	if (rc > 0)
		a->db_up_pending = false;
	buf_free(&text);
	return rc;
}

int mailgate_alerts(struct mailgate *mg)
{
	int ev, ch;

	if (mg->q == NULL)
		return -1;
	if (alerts_db_recovery(mg) < 0)
		return -1;
	ev = alerts_events(mg);
	if (ev < 0)
		return -1;
	ch = alerts_checks(mg);
	if (ch < 0)
		return -1;
	return ev + ch;
}
