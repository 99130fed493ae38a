/*
 * deliver.c - faxmailgate's last step: mails in the outbox to the relay (mailgate_deliver).
 *
 * Each due mail is claimed under a lease, handed to the relay with smtp_send() in one SMTP
 * session, and its claim ended by what the relay answered:
 *   - taken for every recipient (or taken for some, refused for good for the others): "sent";
 *   - "try again later" (no connection, timeout, 4xx) for some recipients only: the mail goes on
 *     for those alone (queue_outbox_redirect), so nobody gets it twice;
 *   - "try again later" for all: pending, due after a back-off that starts at smtp_retry_min and
 *     doubles with each attempt up to smtp_retry_max; once the mail is older than smtp_give_up it
 *     fails instead, with a "mail_failed" event for the admins (none for an alert mail: its
 *     admins are the ones who cannot be reached);
 *   - refused for good (5xx) for all: a fax mail goes to the catch-all (inbound_catchall, else
 *     alert_to) with a "mail_refused" event, or fails when it was for the catch-all already (its
 *     received fax then becomes "unrouted": an admin must look); a notice fails with an event; an
 *     alert fails with a log line only.
 * The stored message, and so its Message-ID, never changes: a mail handed over twice (a crash
 * between the relay's 250 and our finish) shows as one to anyone who looks at Message-IDs.
 *
 * Work per call is bounded (DELIVER_MAX mails, DELIVER_BUDGET seconds, and a relay that fails
 * several mails in a row ends the call) so the other steps and signals get their turn.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mailgate.h"
#include "policy/words.h"
#include "smtp/smtp.h"
#include "util/log.h"
#include "util/xalloc.h"

#define DELIVER_MAX      50 /* mails a call hands over at most */
#define DELIVER_BUDGET   30 /* seconds after which a call claims no further mail */
#define DELIVER_TEMP_ROW 3  /* mails in a row the relay put off: leave the rest for later */

/*
 * The lease outlives the longest session: a dozen answers awaited (greeting, EHLO, STARTTLS, EHLO
 * again, AUTH, MAIL, RCPTs, DATA, the dot...), twice with smtp_starttls = try, and a margin.
 */
static long deliver_lease(const struct conf *c)
{
	long lease = 24 * c->smtp_timeout + 60;

	return lease < 300 ? 300 : lease;
}

/* smtp_retry_min doubled for each attempt made before, at most smtp_retry_max. */
static long deliver_backoff(const struct conf *c, int attempts)
{
	long d = c->smtp_retry_min > 0 ? c->smtp_retry_min : 1;

	for (int i = 0; i < attempts && d < c->smtp_retry_max; i++)
		d *= 2;
	return d > c->smtp_retry_max ? c->smtp_retry_max : d;
}

/* The loop's clock, or later: the time now, after a session that may have taken a while. */
static int64_t deliver_now(const struct mailgate *mg)
{
	int64_t now = (int64_t)time(NULL);

	return now > mg->now ? now : mg->now;
}

/*
 * Words separated by blanks or commas, as a malloc'd array of malloc'd strings. All of them: the
 * list is faxgate's own (routing, alert_to), bounded by the stored text, and none may be dropped.
 */
static char **deliver_words(const char *s, size_t *n)
{
	char **v = NULL;
	const char *w;
	size_t cap = 0, len;

	*n = 0;
	while (words_next(&s, &w, &len)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = xstrndup(w, len);
	}
	return v;
}

static void deliver_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

static bool deliver_has(char *const *w, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(w[i], word) == 0)
			return true;
	return false;
}

/* Recipients whose outcome is rc, joined by single spaces (the outbox's form). */
static void deliver_join(struct buf *out, char *const *rcpt, const enum smtp_rc *rcs, size_t n,
                         enum smtp_rc rc)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++)
		if (rcs[i] == rc) {
			if (out->len)
				buf_putc(out, ' ');
			buf_puts(out, rcpt[i]);
		}
}

/* What a claim ends with; the transaction around it and its event. */
struct deliver_end {
	const char *status;     /* "sent", "pending", "failed", or NULL: redirect */
	const char *recipients; /* for a redirect */
	int64_t next_attempt;
	const char *event; /* event kind, or NULL */
	struct buf event_text;
	bool unroute; /* a fax mail that failed: its received fax becomes "unrouted" */
};

/* Store the end of a claim; -1 only when the database failed. */
static int deliver_store(struct mailgate *mg, const struct outbox_mail *m, struct deliver_end *e,
                         const char *reply)
{
	struct buf err = BUF_INIT, subject = BUF_INIT;
	enum queue_rc rc;
	bool tx = e->event || e->unroute;

	rc = tx ? queue_begin(mg->q, &err) : QUEUE_OK;
	if (rc == QUEUE_OK) {
		if (e->status)
			rc = queue_outbox_finish(mg->q, m->id, mg->owner, e->status, reply, e->next_attempt,
			                         &err);
		else
			rc = queue_outbox_redirect(mg->q, m->id, mg->owner, e->recipients, reply,
			                           e->next_attempt, &err);
	}
	if (rc == QUEUE_OK && e->unroute && m->ref_id > 0) {
		rc = queue_inbound_move(mg->q, m->ref_id, "mailed", "unrouted", buf_cstr(&e->event_text),
		                        &err);
		if (rc == QUEUE_BAD_STATE || rc == QUEUE_NOT_FOUND) {
			log_warning("received fax %" PRId64 " was not waiting for its mail: %s", m->ref_id,
			            buf_cstr(&err));
			buf_reset(&err);
			rc = QUEUE_OK;
		}
	}
	if (rc == QUEUE_OK && e->event) {
		buf_printf(&subject, "%s mail %" PRId64, m->kind, m->id);
		rc = queue_event_add(mg->q, e->event, buf_cstr(&subject), buf_cstr(&e->event_text), &err);
	}
	if (tx) {
		if (rc == QUEUE_OK)
			rc = queue_commit(mg->q, &err);
		else
			queue_rollback(mg->q);
	}
	buf_free(&subject);
	if (rc == QUEUE_BAD_STATE || rc == QUEUE_NOT_FOUND) {
		/* an admin or another mailgate got to it meanwhile: theirs stands */
		log_warning("the outcome was not stored: %s", buf_cstr(&err));
		buf_free(&err);
		return 0;
	}
	if (rc != QUEUE_OK) {
		log_error("cannot store the outcome: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

/* "The relay refused the fax mail <id> (received fax 7)" */
static void deliver_fax_words(struct buf *out, const struct outbox_mail *m)
{
	buf_printf(out, "The relay refused the fax mail %s", m->message_id);
	if (m->ref_id > 0)
		buf_printf(out, " (received fax %" PRId64 ")", m->ref_id);
}

/* A mail the relay refused for good for every recipient. */
static void deliver_refused(struct mailgate *mg, const struct outbox_mail *m, char *const *rcpt, size_t n,
                            const char *reply, struct deliver_end *e)
{
	const struct conf *c = mg->conf;
	const char *catchall =
	    c->inbound_catchall && *c->inbound_catchall ? c->inbound_catchall : c->alert_to;
	size_t ncatch = 0, mine = 0;
	char **catch = deliver_words(catchall, &ncatch);
	struct buf to = BUF_INIT;

	e->status = "failed";
	if (strcmp(m->kind, "fax") == 0) {
		for (size_t i = 0; i < n; i++)
			mine += deliver_has(catch, ncatch, rcpt[i]);
		for (size_t i = 0; i < ncatch; i++)
			buf_printf(&to, "%s%s", i ? " " : "", catch[i]);
		e->event = "mail_refused";
		if (ncatch > 0 && mine < n) {
			e->status = NULL;
			e->recipients = buf_cstr(&to);
			e->next_attempt = deliver_now(mg);
			deliver_fax_words(&e->event_text, m);
			buf_printf(&e->event_text, " for %s: %s. It goes to %s instead.", m->recipients,
			           reply, buf_cstr(&to));
			log_warning("refused for good; sending it to %s instead", buf_cstr(&to));
		} else {
			e->unroute = true;
			deliver_fax_words(&e->event_text, m);
			buf_printf(
			    &e->event_text, " for %s: %s. %s", m->recipients, reply,
			    ncatch ? "It was for the catch-all already: nobody got it."
			           : "There is no catch-all (inbound_catchall, alert_to): nobody got it.");
			log_error("refused for good, and nobody else can take it: the mail failed");
		}
	} else if (strcmp(m->kind, "notice") == 0) {
		e->event = "mail_refused";
		buf_printf(&e->event_text,
		           "The relay refused the notice %s to %s: %s. The sender does not get it.",
		           m->message_id, m->recipients, reply);
		log_error("refused for good: the notice failed");
	} else {
		/* an alert: an event would only make another alert to the same admins */
		log_error("refused for good: the alert to %s failed", m->recipients);
	}
	if (e->status)
		buf_free(&to); /* not needed: no redirect */
	else
		e->recipients = buf_steal(&to);
	deliver_words_free(catch, ncatch);
}

/* Hand one claimed mail to the relay and store the outcome. -1: database failure. *put_off: all TEMP. */
static int deliver_one(struct mailgate *mg, const struct outbox_mail *m, bool *put_off)
{
	const struct conf *c = mg->conf;
	size_t n;
	char **rcpt = deliver_words(m->recipients, &n);
	enum smtp_rc *rcs = xcalloc(n ? n : 1, sizeof(*rcs));
	struct smtp_message msg = {
	    m->sender ? m->sender : "", (const char *const *)rcpt, n, m->message.data, m->message.len, rcs};
	struct buf reply = BUF_INIT, temp = BUF_INIT, perm = BUF_INIT;
	struct deliver_end e = {.event_text = BUF_INIT};
	char *redirect = NULL;
	enum smtp_rc rc;
	int ret;

	rc = smtp_send(c, &msg, &reply);
	deliver_join(&temp, rcpt, rcs, n, SMTP_TEMP);
	deliver_join(&perm, rcpt, rcs, n, SMTP_PERM);
	*put_off =
	    rc == SMTP_TEMP && perm.len == 0 && temp.len > 0 && strcmp(buf_cstr(&temp), m->recipients) == 0;

	switch (rc) {
	case SMTP_SENT:
		e.status = "sent";
		log_notice("%s mail %s to %s: sent: %s", m->kind, m->message_id, m->recipients,
		           buf_cstr(&reply));
		if (perm.len) {
			log_warning("%s mail %s: refused for good for %s", m->kind, m->message_id,
			            buf_cstr(&perm));
			if (strcmp(m->kind, "alert") != 0) {
				e.event = "mail_refused";
				buf_printf(&e.event_text,
				           "The relay refused the %s mail %s for %s (others got it): %s",
				           m->kind, m->message_id, buf_cstr(&perm), buf_cstr(&reply));
			}
		}
		break;
	case SMTP_TEMP:
		log_warning("%s mail %s to %s: not sent, trying again later: %s", m->kind, m->message_id,
		            m->recipients, buf_cstr(&reply));
		if (mg->now - m->created >= c->smtp_give_up) {
			e.status = "failed";
			e.unroute = strcmp(m->kind, "fax") == 0;
			if (strcmp(m->kind, "alert") != 0)
				e.event = "mail_failed";
			buf_printf(
			    &e.event_text,
			    "The relay has not taken the %s mail %s for %s in %ld hours (smtp_give_up); it "
			    "failed. Last answer: %s",
			    m->kind, m->message_id, buf_cstr(&temp), (long)((mg->now - m->created) / 3600),
			    buf_cstr(&reply));
			log_error("%s mail %s: given up after %d attempts (smtp_give_up)", m->kind,
			          m->message_id, m->attempts + 1);
			break;
		}
		/* from the end of this attempt: a session that timed out took a while */
		e.next_attempt = deliver_now(mg) + deliver_backoff(c, m->attempts);
		if (strcmp(buf_cstr(&temp), m->recipients) == 0) {
			e.status = "pending";
		} else {
			/* the others were served (or refused for good): go on for these only */
			e.recipients = buf_cstr(&temp);
			if (perm.len) {
				log_warning("%s mail %s: refused for good for %s", m->kind, m->message_id,
				            buf_cstr(&perm));
				if (strcmp(m->kind, "alert") != 0) {
					e.event = "mail_refused";
					buf_printf(
					    &e.event_text,
					    "The relay refused the %s mail %s for %s (still trying %s): %s",
					    m->kind, m->message_id, buf_cstr(&perm), buf_cstr(&temp),
					    buf_cstr(&reply));
				}
			}
		}
		break;
	case SMTP_PERM:
		log_warning("%s mail %s to %s: refused for good: %s", m->kind, m->message_id, m->recipients,
		            buf_cstr(&reply));
		deliver_refused(mg, m, rcpt, n, buf_cstr(&reply), &e);
		redirect = (char *)e.recipients;
		break;
	}
	ret = deliver_store(mg, m, &e, buf_cstr(&reply));
	free(redirect);
	buf_free(&e.event_text);
	buf_free(&reply);
	buf_free(&temp);
	buf_free(&perm);
	free(rcs);
	deliver_words_free(rcpt, n);
	return ret;
}

int mailgate_deliver(struct mailgate *mg)
{
	time_t start = time(NULL);
	int done = 0, put_off_row = 0;

	if (!mg->q)
		return -1;
	while (done < DELIVER_MAX && time(NULL) - start < DELIVER_BUDGET && put_off_row < DELIVER_TEMP_ROW) {
		struct outbox_mail m;
		struct buf err = BUF_INIT;
		enum queue_rc rc =
		    queue_outbox_claim(mg->q, mg->owner, time(NULL), deliver_lease(mg->conf), &m, &err);
		bool put_off = false;
		int ret;

		if (rc == QUEUE_NOT_FOUND) {
			buf_free(&err);
			break;
		}
		if (rc != QUEUE_OK) {
			log_error("cannot claim mail from the outbox: %s", buf_cstr(&err));
			buf_free(&err);
			return -1;
		}
		buf_free(&err);
		/* the schema has none of these NULL; a mail that had one would not get far */
		if (!m.kind)
			m.kind = xstrdup("");
		if (!m.recipients)
			m.recipients = xstrdup("");
		if (!m.message_id)
			m.message_id = xstrdup("");
		log_context_set("outbox=%" PRId64, m.id);
		ret = deliver_one(mg, &m, &put_off);
		log_context_clear();
		outbox_mail_free(&m);
		if (ret < 0)
			return -1;
		done++;
		put_off_row = put_off ? put_off_row + 1 : 0;
	}
	return done;
}
