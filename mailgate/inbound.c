/*
 * inbound.c - faxmailgate's first step: received faxes ("new") to mail in the outbox.
 *
 * Each round takes the oldest few new faxes (INBOUND_BATCH), finds their mailboxes (route.h), makes
 * the mail (mailout_fax) and then, in one transaction, moves the fax to "mailed" and stores the
 * mail in the outbox, so a fax is mailed once however many mailgates run and whenever one dies:
 * when another mailgate moved the fax first, this one's transaction is rolled back and its mail
 * forgotten. A fax no route, directory entry or catch-all claims goes to "unrouted" with an event
 * for the admins. A fax whose directory cannot be asked stays "new" for the next round.
 *
 * A fax whose pages cannot be made into a PDF (a page the line delivered broken beyond what the
 * PDF can hold) must still reach its recipient: the mail is made again with the pages that can be
 * used, else with none (the text part only), the X-Faxgate-Route header says what is missing, the
 * admins get a "fax_damaged" event, and the fax stays in the database (faxctl inbound ID --export).
 * Only a mail that cannot be made at all (a broken template) leaves the fax "unrouted" with an
 * event, so nothing is lost silently.
 *
 * Hostile input: the caller's number, station id and sub-address come from the remote fax machine
 * and its network; they are only logged bounded, routed (route.c bounds them) and put in the mail
 * by gmime.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mailgate.h"
#include "mailout/mailout.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Faxes mailed per round at most: the other steps (delivery above all) must not wait long. */
#define INBOUND_BATCH 20
/* New faxes looked at per round at most, oldest first (faxes waiting for the directory are passed). */
#define INBOUND_SCAN 2000
/* Longest caller, number or station id written into a log line or an event. */
#define INBOUND_SHOW 40

static char inbound_kind_fax[] = "fax";

/* A value from the remote side, for logs and events: bounded, printable ASCII, "-" when empty. */
static void inbound_put(struct buf *out, const char *s)
{
	size_t i;

	if (!s || !s[0]) {
		buf_putc(out, '-');
		return;
	}
	for (i = 0; s[i] && i < INBOUND_SHOW; i++)
		buf_putc(out, s[i] > 0x20 && s[i] < 0x7f ? s[i] : s[i] == ' ' ? ' ' : '?');
	if (s[i])
		buf_puts(out, "...");
}

/* "fax 12 from +4940555123 to +49301234100 sub-address 9" */
static void inbound_who(const struct inbound *in, struct buf *out)
{
	buf_printf(out, "fax %" PRId64 " from ", in->id);
	inbound_put(out, in->caller);
	buf_puts(out, " to ");
	inbound_put(out, in->called);
	if (in->subaddress && in->subaddress[0]) {
		buf_puts(out, " sub-address ");
		inbound_put(out, in->subaddress);
	}
}

static enum queue_rc inbound_rollback(struct mailgate *mg, enum queue_rc rc)
{
	queue_rollback(mg->q);
	return rc;
}

/* A failure of the database: -1 for the loop (it reconnects); other failures skip the fax. */
static int inbound_db_failed(enum queue_rc rc)
{
	return rc == QUEUE_ERR_TEMP || rc == QUEUE_ERR_SCHEMA ? -1 : 0;
}

/*
 * Move the fax on to `to` with reason, and record an event of kind (NULL: none) about it, in one
 * transaction; with m, also store the mail. 1 done, 0 another mailgate took it (or it is gone),
 * -1 the database failed.
 */
static int inbound_store(struct mailgate *mg, const struct inbound *in, const char *to, const char *reason,
                         struct outbox_mail *m, const char *event, const char *event_text)
{
	struct buf err = BUF_INIT, subject = BUF_INIT;
	enum queue_rc rc;

	rc = queue_begin(mg->q, &err);
	if (rc == QUEUE_OK)
		rc = queue_inbound_move(mg->q, in->id, "new", to, reason, &err);
	if (rc == QUEUE_BAD_STATE || rc == QUEUE_NOT_FOUND) {
		log_info("fax %" PRId64 ": taken by another mailgate (%s)", in->id, buf_cstr(&err));
		inbound_rollback(mg, rc);
		buf_free(&err);
		return 0;
	}
	if (rc == QUEUE_OK && m)
		rc = queue_outbox_add(mg->q, m, &err);
	if (rc == QUEUE_OK && event) {
		buf_printf(&subject, "fax %" PRId64, in->id);
		rc = queue_event_add(mg->q, event, buf_cstr(&subject), event_text, &err);
	}
	if (rc == QUEUE_OK)
		rc = queue_commit(mg->q, &err);
	else
		inbound_rollback(mg, rc);
	if (rc != QUEUE_OK)
		log_error("fax %" PRId64 ": cannot store its mail: %s", in->id, buf_cstr(&err));
	buf_free(&err);
	buf_free(&subject);
	return rc == QUEUE_OK ? 1 : inbound_db_failed(rc);
}

/* The fax's words for admins: "fax 12 from +4940555123 to +49301234100 (3 pages)". */
static void inbound_describe(const struct inbound *in, struct buf *out)
{
	inbound_who(in, out);
	buf_printf(out, " (%d page%s%s)", in->pages, in->pages == 1 ? "" : "s",
	           in->partial ? ", incomplete" : "");
}

/* Nobody to send it to, or no mail can be made: "unrouted", and the admins hear of it. */
static int inbound_unrouted(struct mailgate *mg, const struct inbound *in, const char *why)
{
	struct buf text = BUF_INIT;
	int rc;

	inbound_describe(in, &text);
	buf_printf(&text, ": %s. The fax is kept: faxctl inbound %" PRId64 " --export fax.pdf", why, in->id);
	rc = inbound_store(mg, in, "unrouted", why, NULL, "fax_unrouted", buf_cstr(&text));
	if (rc == 1)
		log_warning("%s", buf_cstr(&text));
	buf_free(&text);
	return rc;
}

/* Whether the PDF can hold a page: the checks faxpdf makes of every page. */
static bool inbound_page_usable(const struct fax_page *p)
{
	size_t max = mmr_max_len(p->width, p->height);

	return p->data && p->len > 0 && max > 0 && p->len <= max;
}

/*
 * The mail, else one with the pages that can be used, else one without pages. damaged gets what
 * was left out (empty when the first try worked). 0, or -1 with err when no mail can be made.
 */
static int inbound_mail(struct mailgate *mg, const struct inbound *in, const struct fax_page_list *pages,
                        const int *bad_rows, const struct route_result *rt, struct mailout_mail *mail,
                        struct buf *damaged, struct buf *err)
{
	struct mailout_fax f = {in, pages, bad_rows, (const char *const *)rt->addrs, rt->n, rt->note};
	struct fax_page_list some = {0}, none = {0};
	int *some_bad = NULL;
	struct buf note = BUF_INIT, why = BUF_INIT;
	int rc;

	if (mailout_fax(mg->conf, &f, mail, &why) == 0) {
		buf_free(&why);
		return 0;
	}
	log_warning("fax %" PRId64 ": the mail with its pages cannot be made: %s", in->id, buf_cstr(&why));
	/* Shallow copies of the usable pages: their data stays owned by pages. */
	some.pages = xcalloc(pages->count ? pages->count : 1, sizeof(*some.pages));
	some_bad = xcalloc(pages->count ? pages->count : 1, sizeof(*some_bad));
	buf_puts(damaged, "pages not attached:");
	for (size_t i = 0; i < pages->count; i++) {
		if (inbound_page_usable(&pages->pages[i])) {
			some_bad[some.count] = bad_rows ? bad_rows[i] : 0;
			some.pages[some.count++] = pages->pages[i];
		} else {
			buf_printf(damaged, " %zu", i + 1);
		}
	}
	rc = -1;
	if (some.count > 0 && some.count < pages->count) {
		buf_printf(&note, "%s; %s (damaged)", rt->note ? rt->note : "", buf_cstr(damaged));
		f.pages = &some;
		f.bad_rows = some_bad;
		f.route_note = buf_cstr(&note);
		rc = mailout_fax(mg->conf, &f, mail, err);
	}
	if (rc < 0) {
		buf_reset(err);
		buf_reset(damaged);
		buf_printf(damaged, "no pages attached (%s)", buf_cstr(&why));
		buf_reset(&note);
		buf_printf(&note, "%s; %s; the fax is kept as fax %" PRId64, rt->note ? rt->note : "",
		           buf_cstr(damaged), in->id);
		f.pages = &none;
		f.bad_rows = NULL;
		f.route_note = buf_cstr(&note);
		rc = mailout_fax(mg->conf, &f, mail, err);
	}
	free(some.pages);
	free(some_bad);
	buf_free(&note);
	buf_free(&why);
	return rc;
}

static char *inbound_join(char *const *v, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", v[i]);
	return buf_steal(&b);
}

/* Store the mail for the route's addresses and log it; as inbound_store. */
static int inbound_send(struct mailgate *mg, const struct inbound *in, const struct route_result *rt,
                        struct mailout_mail *mail, const struct buf *damaged)
{
	struct buf from = BUF_INIT, text = BUF_INIT;
	int rc;

	mailout_from_address(mg->conf, &from);
	struct outbox_mail m = {
	    .kind = inbound_kind_fax,
	    .ref_id = in->id,
	    .sender = (char *)buf_cstr(&from),
	    .recipients = inbound_join(rt->addrs, rt->n),
	    .message_id = mail->message_id,
	    .message = mail->message,
	};
	if (damaged->len) {
		inbound_describe(in, &text);
		buf_printf(&text,
		           " was mailed to %s with %s. The whole fax is kept: faxctl inbound %" PRId64
		           " --export fax.tif",
		           m.recipients, damaged->data, in->id);
	}
	rc = inbound_store(mg, in, "mailed", rt->note, &m, damaged->len ? "fax_damaged" : NULL,
	                   buf_cstr(&text));
	if (rc == 1) {
		struct buf who = BUF_INIT;

		inbound_who(in, &who);
		log_notice("%s: mail %s to %s (%s: %s)%s%s", buf_cstr(&who), mail->message_id, m.recipients,
		           route_source_name(rt->source), rt->note ? rt->note : "", damaged->len ? "; " : "",
		           damaged->len ? damaged->data : "");
		buf_free(&who);
	}
	if (rc == 1 && damaged->len)
		log_warning("%s", buf_cstr(&text));
	free(m.recipients);
	buf_free(&from);
	buf_free(&text);
	return rc;
}

/* One fax: 1 mailed or unrouted, 0 left for later, -1 the database failed. */
static int inbound_one(struct mailgate *mg, const struct inbound *in)
{
	struct route_result rt;
	struct fax_page_list pages = {0};
	struct mailout_mail mail = {BUF_INIT, NULL};
	struct buf err = BUF_INIT, damaged = BUF_INIT, text = BUF_INIT;
	int *bad_rows = NULL, rc = 0;
	enum queue_rc qrc;

	if (route_find(mg->router, in->called, in->subaddress, &rt, &err) == ROUTE_TEMP) {
		inbound_who(in, &text);
		log_warning("%s waits: %s", buf_cstr(&text), buf_cstr(&err));
		buf_free(&text);
		buf_free(&err);
		return 0;
	}
	if (rt.source == ROUTE_NONE) {
		rc = inbound_unrouted(mg, in, rt.note ? rt.note : "no route");
		goto out;
	}
	qrc = queue_inbound_pages(mg->q, in->id, &pages, &bad_rows, &err);
	if (qrc == QUEUE_ERR_DATA) {
		/* a page row the queue will not hand out: the mail goes without pages and says so */
		log_error("fax %" PRId64 ": %s: mailed without its pages", in->id, buf_cstr(&err));
		buf_printf(&damaged, "no pages attached (%s); the fax is kept as fax %" PRId64,
		           buf_cstr(&err), in->id);
		buf_reset(&err);
		qrc = QUEUE_OK;
	}
	if (qrc != QUEUE_OK) {
		log_error("fax %" PRId64 ": cannot read its pages: %s", in->id, buf_cstr(&err));
		rc = inbound_db_failed(qrc);
		goto out;
	}
	if (inbound_mail(mg, in, &pages, bad_rows, &rt, &mail, &damaged, &err) < 0) {
		buf_reset(&text);
		buf_printf(&text, "the mail for %s cannot be made: %s", rt.addrs[0], buf_cstr(&err));
		rc = inbound_unrouted(mg, in, buf_cstr(&text));
		goto out;
	}
	rc = inbound_send(mg, in, &rt, &mail, &damaged);
out:
	mailout_mail_free(&mail);
	fax_page_list_free(&pages);
	free(bad_rows);
	route_result_free(&rt);
	buf_free(&err);
	buf_free(&damaged);
	buf_free(&text);
	return rc;
}

int mailgate_inbound(struct mailgate *mg)
{
	struct inbound *list = NULL;
	struct buf err = BUF_INIT;
	size_t n = 0;
	enum queue_rc qrc;
	int handled = 0;

	if (!mg->q || !mg->router)
		return 0;
	qrc = queue_inbound_oldest(mg->q, "new", INBOUND_SCAN, &list, &n, &err);
	if (qrc != QUEUE_OK) {
		log_error("cannot list received faxes: %s", buf_cstr(&err));
		buf_free(&err);
		return inbound_db_failed(qrc) < 0 ? -1 : 0;
	}
	buf_free(&err);
	/*
	 * Only faxes handled count towards the batch: faxes that wait for the directory (answered at
	 * once while it is held off) must not keep the ones the table or the catch-all can take from going.
	 */
	for (size_t i = 0; i < n && handled < INBOUND_BATCH; i++) {
		int rc = inbound_one(mg, &list[i]);

		if (rc < 0) {
			inbound_list_free(list, n);
			return -1;
		}
		handled += rc;
	}
	inbound_list_free(list, n);
	return handled;
}
