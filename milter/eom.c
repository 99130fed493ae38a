/*
 * eom.c - at the end of a fax mail: take it apart, render it, and queue one job per fax recipient.
 *
 * All jobs of a mail are stored in one transaction, then the fax recipients are removed from the
 * mail (or the mail is discarded when it had only fax recipients). Anything that fails inside
 * faxgate before the commit gives a tempfail and stores nothing: the MTA keeps the mail and tries
 * again, and the dedupe key makes sure a mail queued once (whose reply got lost) is not queued twice.
 * A document that cannot be faxed refuses the whole mail with the reason, so the sender learns it at
 * once and no recipient gets a mail the others did not.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fax/faxaddr.h"
#include "mail/mailparts.h"
#include "session.h"
#include "queue/queue.h"
#include "render/render.h"
#include "util/log.h"
#include "util/xalloc.h"

struct eom_fax {
	struct mailparts mp;
	int resolution;
	bool cover;
	const char *comment; /* text for the cover, or "" */
	struct render_input *inputs;
	size_t ninputs;
	struct render_result docs; /* the documents' pages, without the cover */
	char *dedupe_base;
};

/* What becomes of the mail's own text: cover comment, pages of its own, or nothing (fax_body). */
static void eom_plan_body(const struct conf *conf, struct eom_fax *f)
{
	const struct mailparts *mp = &f->mp;
	bool have_text = mp->body_text && mp->body_text[0];
	bool on_cover = false, on_pages = false;

	f->comment = "";
	/* A body that exists only as a document (an RTF body from Outlook's winmail.dat) needs pages. */
	switch (conf->fax_body) {
	case CONF_BODY_NONE:
		break;
	case CONF_BODY_COVER:
		on_cover = f->cover && have_text;
		on_pages = !on_cover;
		break;
	case CONF_BODY_PAGES:
		on_pages = true;
		break;
	default: /* auto */
		on_cover = f->cover && have_text && mp->body_lines <= (size_t)conf->fax_body_cover_lines;
		on_pages = !on_cover;
		break;
	}
	if (on_cover)
		f->comment = mp->body_text;

	f->inputs = xcalloc(mp->ndocs + 1, sizeof(*f->inputs));
	bool html_body = false;
	for (size_t i = 0; i < mp->ndocs; i++)
		html_body |= mp->docs[i].is_body;
	if (on_pages && have_text && !html_body)
		f->inputs[f->ninputs++] = (struct render_input){
		    .name = "message text", .data = mp->body_text, .len = strlen(mp->body_text)};
	for (size_t i = 0; i < mp->ndocs; i++) {
		if (mp->docs[i].is_body && !on_pages)
			continue;
		f->inputs[f->ninputs++] = (struct render_input){
		    .name = mp->docs[i].name, .data = mp->docs[i].data, .len = mp->docs[i].len};
	}
}

/* The same mail always gives the same key: its Message-ID, or a digest of all of it. */
static char *eom_dedupe_base(const struct session *s, const struct mailparts *mp)
{
	if (mp->message_id && mp->message_id[0] && strlen(mp->message_id) < 500)
		return xasprintf("mid:%s", mp->message_id);
	gchar *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)s->msg.data, s->msg.len);
	char *key = xasprintf("sha256:%s", sum);
	g_free(sum);
	return key;
}

/*
 * One job per mail, sender and number: another sender's mail that happens to carry the same
 * Message-ID is a mail of its own. Keys go with their jobs when those are purged.
 */
static char *eom_dedupe_key(const char *base, const char *sender, const struct fax_rcpt *r)
{
	char *plain = xasprintf("%s|%s|%s|%s", base, sender ? sender : "", r->number,
	                        r->subaddress ? r->subaddress : "");
	gchar *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, plain, -1);
	char *key = xstrdup(sum);

	g_free(sum);
	free(plain);
	return key;
}

/* Report a rendering failure: the sender's words and code when it is the document's fault. */
static sfsistat eom_render_failed(SMFICTX *ctx, struct session *s, const struct render_result *res)
{
	const struct render_status_info *info = render_status_info(res->status);
	struct buf msg = BUF_INIT;

	render_result_message(res, &s->rt->conf, &msg);
	log_notice("fax refused: %s (%s)", buf_cstr(&msg), buf_cstr((struct buf *)&res->detail));
	if (info->permanent) {
		session_reply(ctx, "554", info->smtp, "%s", buf_cstr(&msg));
		buf_free(&msg);
		return SMFIS_REJECT;
	}
	session_reply(ctx, "451", "4.3.0", "The fax could not be prepared right now; it will be tried again");
	buf_free(&msg);
	return SMFIS_TEMPFAIL;
}

/* The cover page for one recipient. */
static enum render_status eom_cover(const struct session *s, const struct eom_fax *f,
                                    const struct fax_rcpt *r, const char *name, const char *company,
                                    struct render_result *cover)
{
	struct render_field fields[] = {
	    {"to_name", name ? name : ""}, {"to_company", company ? company : ""},
	    {"to_fax", r->number},         {"from_name", f->mp.from ? f->mp.from : s->sender},
	    {"from_email", s->sender},     {"subject", f->mp.subject ? f->mp.subject : ""},
	    {"comment", f->comment},
	};
	struct render_request req = {
	    .conf = &s->rt->conf,
	    .res = (enum fax_resolution)f->resolution,
	    .paper = (enum fax_paper)s->rt->conf.render_paper,
	    .cover = true,
	    .fields = fields,
	    .nfields = sizeof(fields) / sizeof(fields[0]),
	    .other_pages = f->docs.pages.count,
	};
	return render_documents(&req, cover);
}

static void eom_job_fill(const struct session *s, const struct eom_fax *f, const struct fax_rcpt *r,
                         struct job *j, int pages, char *name, char *company)
{
	memset(j, 0, sizeof(*j));
	j->sender = s->sender;
	j->auth_user = s->auth_user;
	j->client_addr = s->client_addr[0] ? (char *)s->client_addr : NULL;
	j->number = r->number;
	j->dial = r->dial;
	j->rcpt_addr = r->rcpt;
	j->rcpt_name = name;
	j->rcpt_company = company;
	j->subaddress = r->subaddress;
	j->subject = f->mp.subject;
	j->pages = pages;
	j->resolution = f->resolution;
	j->paper = s->rt->conf.render_paper;
	j->priority = (int)s->rt->conf.fax_priority;
	j->send_after = f->mp.send_after > 0 ? f->mp.send_after : (int64_t)time(NULL);
	j->notify = r->notify;
	j->orcpt = r->orcpt;
	j->message_id = f->mp.message_id;
}

/* Store one job per recipient in the open transaction; -1 when the queue failed (rolled back by caller). */
/* Each recipient's name and company (from the To/Cc display name) and cover page, before any lock. */
struct eom_rcpt {
	char *name, *company;
	struct render_result cover;
};

static sfsistat eom_covers(SMFICTX *ctx, struct session *s, struct eom_fax *f, struct eom_rcpt *er)
{
	for (size_t i = 0; i < s->nrcpts; i++) {
		char *display = mailparts_display_name(&f->mp, s->rcpts[i].rcpt);

		if (display)
			faxaddr_split_name(display, &er[i].name, &er[i].company);
		free(display);
		if (f->cover &&
		    eom_cover(s, f, &s->rcpts[i], er[i].name, er[i].company, &er[i].cover) != RENDER_OK)
			return eom_render_failed(ctx, s, &er[i].cover);
	}
	return SMFIS_CONTINUE;
}

/* Store one job per recipient in the open transaction. */
static sfsistat eom_store(SMFICTX *ctx, struct session *s, struct eom_fax *f, struct eom_rcpt *er,
                          struct queue *q)
{
	struct buf err = BUF_INIT;
	sfsistat rc = SMFIS_CONTINUE;
	/* The header section as received, for the notices; the queue keeps at most QUEUE_HEADERS_MAX. */
	size_t hlen = s->header_len < s->msg.len ? s->header_len : s->msg.len;
	char *headers = hlen ? xstrndup(s->msg.data, hlen) : NULL;

	for (size_t i = 0; i < s->nrcpts && rc == SMFIS_CONTINUE; i++) {
		const struct fax_rcpt *r = &s->rcpts[i];
		const struct fax_page_list *cover = &er[i].cover.pages;
		struct fax_page_list all = {0};
		struct job j;
		enum queue_rc qrc;

		/* The job's page list borrows the pages: cover first, then the documents. */
		all.count = cover->count + f->docs.pages.count;
		all.pages = xcalloc(all.count ? all.count : 1, sizeof(*all.pages));
		if (cover->count)
			memcpy(all.pages, cover->pages, cover->count * sizeof(*all.pages));
		if (f->docs.pages.count)
			memcpy(all.pages + cover->count, f->docs.pages.pages,
			       f->docs.pages.count * sizeof(*all.pages));
		eom_job_fill(s, f, r, &j, (int)all.count, er[i].name, er[i].company);
		j.dedupe_key = eom_dedupe_key(f->dedupe_base, s->identity, r);
		j.headers = headers;
		qrc = queue_job_add(q, &j, &all, &err);
		if (qrc == QUEUE_OK) {
			log_notice("queued job %lld: %s to %s (%zu pages) from <%s>", (long long)j.id,
			           r->rcpt, r->number, all.count, s->sender);
		} else if (qrc == QUEUE_DUPLICATE) {
			log_notice("%s to %s: already queued as job %lld", r->rcpt, r->number,
			           (long long)j.id);
		} else {
			log_error("cannot queue the fax to %s: %s", r->number, buf_cstr(&err));
			session_reply(ctx, "451", "4.3.0",
			              "The fax queue is not available; the mail will be tried again");
			rc = SMFIS_TEMPFAIL;
		}
		free(j.dedupe_key);
		free(all.pages);
	}
	free(headers);
	buf_free(&err);
	return rc;
}

/* Pages this sender may still queue today; reply and return false when the mail would exceed it. */
static sfsistat eom_quota(SMFICTX *ctx, struct session *s, struct queue *q, long pages)
{
	long limit = s->rt->conf.policy_daily_pages, used = 0;
	struct buf err = BUF_INIT;

	if (limit <= 0)
		return SMFIS_CONTINUE;
	if (queue_pages_today(q, s->identity, &used, &err) != QUEUE_OK) {
		log_error("cannot read the page count of %s: %s", s->identity, buf_cstr(&err));
		buf_free(&err);
		session_reply(ctx, "451", "4.3.0",
		              "The fax queue is not available; the mail will be tried again");
		return SMFIS_TEMPFAIL;
	}
	buf_free(&err);
	if (used + pages > limit) {
		log_notice("%s: daily quota of %ld pages reached (%ld used, %ld more asked)", s->identity,
		           limit, used, pages);
		session_reply(ctx, "554", "5.7.1",
		              "Daily fax quota reached: %ld of %ld pages used today, this mail needs %ld",
		              used, limit, pages);
		return SMFIS_REJECT;
	}
	return SMFIS_CONTINUE;
}

/*
 * Covers are rendered before the transaction: SQLite has one writer at a time, and a lock held
 * while a converter runs would make every other mail wait. The quota is checked inside it, so two
 * mails at once cannot both slip under it (SQLite; PostgreSQL narrows the window to the commit).
 */
static sfsistat eom_enqueue(SMFICTX *ctx, struct session *s, struct eom_fax *f)
{
	struct eom_rcpt *er = xcalloc(s->nrcpts, sizeof(*er));
	struct queue *q = NULL;
	struct buf err = BUF_INIT;
	sfsistat rc = eom_covers(ctx, s, f, er);
	long pages = (long)(f->docs.pages.count + (f->cover ? 1 : 0)) * (long)s->nrcpts;

	if (rc == SMFIS_CONTINUE && queue_open(&s->rt->conf, &q, &err) != QUEUE_OK) {
		log_error("cannot open the fax queue: %s", buf_cstr(&err));
		session_reply(ctx, "451", "4.3.0",
		              "The fax queue is not available; the mail will be tried again");
		rc = SMFIS_TEMPFAIL;
		buf_reset(&err);
	}
	if (rc == SMFIS_CONTINUE && queue_begin(q, &err) != QUEUE_OK)
		rc = SMFIS_TEMPFAIL;
	if (rc == SMFIS_CONTINUE) {
		rc = eom_quota(ctx, s, q, pages);
		if (rc == SMFIS_CONTINUE)
			rc = eom_store(ctx, s, f, er, q);
		if (rc == SMFIS_CONTINUE && queue_commit(q, &err) != QUEUE_OK)
			rc = SMFIS_TEMPFAIL;
		if (rc != SMFIS_CONTINUE)
			queue_rollback(q);
	}
	if (rc == SMFIS_TEMPFAIL && err.len) {
		log_error("fax queue: %s", buf_cstr(&err));
		session_reply(ctx, "451", "4.3.0",
		              "The fax queue is not available; the mail will be tried again");
	}
	for (size_t i = 0; i < s->nrcpts; i++) {
		free(er[i].name);
		free(er[i].company);
		render_result_free(&er[i].cover);
	}
	free(er);
	buf_free(&err);
	if (q)
		queue_close(q);
	return rc;
}

/* Take the fax recipients out of the mail; discard it when nobody else is left. */
static sfsistat eom_remove_recipients(SMFICTX *ctx, struct session *s)
{
	if (s->nother == 0)
		return SMFIS_DISCARD;
	for (size_t i = 0; i < s->nrcpts; i++) {
		if (smfi_delrcpt(ctx, s->rcpts[i].rcpt) != MI_SUCCESS) {
			/* The jobs are stored; the retry finds them queued and only removes the recipients.
			 */
			log_error("could not remove recipient %s from the mail", s->rcpts[i].rcpt);
			session_reply(ctx, "451", "4.3.0",
			              "Temporary problem removing fax recipients; try again");
			return SMFIS_TEMPFAIL;
		}
	}
	return SMFIS_CONTINUE;
}

sfsistat eom_queue(SMFICTX *ctx, struct session *s)
{
	const struct conf *conf = &s->rt->conf;
	struct eom_fax f = {0};
	struct buf err = BUF_INIT;
	sfsistat rc;

	switch (mailparts_parse(s->msg.data, s->msg.len, (int64_t)time(NULL), &f.mp, &err)) {
	case MAILPARTS_OK:
		break;
	case MAILPARTS_INTERNAL:
		log_error("cannot read the mail: %s", buf_cstr(&err));
		session_reply(ctx, "451", "4.3.0",
		              "The fax could not be prepared right now; it will be tried again");
		rc = SMFIS_TEMPFAIL;
		goto out;
	default:
		log_notice("fax mail refused: %s", buf_cstr(&err));
		session_reply(ctx, "554", "5.6.0", "%s", buf_cstr(&err));
		rc = SMFIS_REJECT;
		goto out;
	}
	f.resolution = f.mp.resolution >= 0 ? f.mp.resolution : conf->render_resolution;
	f.cover = f.mp.cover >= 0 ? f.mp.cover != 0 : conf->fax_cover;
	eom_plan_body(conf, &f);
	if (f.ninputs == 0 && !f.cover) {
		session_reply(ctx, "554", "5.6.0",
		              "There is nothing to fax: the mail has no text and no attachments");
		rc = SMFIS_REJECT;
		goto out;
	}
	if (f.ninputs > 0) {
		struct render_request req = {
		    .conf = conf,
		    .res = (enum fax_resolution)f.resolution,
		    .paper = (enum fax_paper)conf->render_paper,
		    .inputs = f.inputs,
		    .ninputs = f.ninputs,
		    .other_pages = f.cover ? 1 : 0,
		};
		if (render_documents(&req, &f.docs) != RENDER_OK) {
			rc = eom_render_failed(ctx, s, &f.docs);
			goto out;
		}
	}
	f.dedupe_base = eom_dedupe_base(s, &f.mp);
	rc = eom_enqueue(ctx, s, &f);
	if (rc == SMFIS_CONTINUE)
		rc = eom_remove_recipients(ctx, s);
out:
	render_result_free(&f.docs);
	free(f.inputs);
	free(f.dedupe_base);
	mailparts_free(&f.mp);
	buf_free(&err);
	return rc;
}
