/*
 * notices.c - notices to the senders of faxes, as RFC 3461 NOTIFY asked (notify_default when it
 * did not): a job sent, failed or cancelled gets its final notice, a job still not sent
 * notify_delay_after after it was queued its delay notice (RFC 3464 reports, made by mailout).
 *
 * Each notice goes into the outbox in the same transaction that moves the job's notice state on,
 * so it is made once however many mailgates run and wherever one stops; a job that wants no
 * notice only has its state moved. The envelope sender is the mail client's word: the null sender
 * never gets a notice (RFC 3461), nor does anything that does not look like an address.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fax/notify.h"
#include "mailgate.h"
#include "mailout/mailout.h"
#include "util/log.h"

/* Jobs looked at per round: the loop comes back soon, and other steps get their turn. */
#define NOTICES_BATCH 20

static enum mailout_notice_kind notices_kind(enum notify_kind k)
{
	switch (k) {
	case NOTIFY_SEND_SUCCESS:
		return MAILOUT_SUCCESS;
	case NOTIFY_SEND_DELAY:
		return MAILOUT_DELAY;
	default:
		return MAILOUT_FAILURE;
	}
}

static const char *notices_kind_name(enum notify_kind k)
{
	static const char *const names[] = {"no", "success", "failure", "delay"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* A hostile address for the log: printable, short. */
static void notices_clean(const char *s, char *out, size_t size)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < size && i < 80; i++)
		out[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = '\0';
}

/*
 * Move the job's notice state and store its mail (mm, NULL: none) or the event saying the mail
 * could not be made (failed, NULL: none), all in one transaction. 1 stored, 0 another mailgate
 * was first, -1 the database failed.
 */
static int notices_store(struct mailgate *mg, const struct job *j, const struct notify_decision *d,
                         struct mailout_mail *mm, const char *failed)
{
	struct buf err = BUF_INIT;
	enum queue_rc rc;

	rc = queue_begin(mg->q, &err);
	if (rc == QUEUE_OK)
		rc = queue_job_set_notice(mg->q, j->id, d->from, d->to, &err);
	if (rc == QUEUE_OK && mm) {
		struct outbox_mail om = {0};

		om.kind = (char *)"notice";
		om.ref_id = j->id;
		om.sender = (char *)""; /* a notice has the null sender: nobody bounces a bounce */
		om.recipients = j->sender;
		om.message_id = mm->message_id;
		om.message = mm->message; /* borrowed: mm keeps it */
		rc = queue_outbox_add(mg->q, &om, &err);
	}
	if (rc == QUEUE_OK && failed) {
		char subject[32];

		snprintf(subject, sizeof(subject), "job %lld", (long long)j->id);
		rc = queue_event_add(mg->q, "notice_failed", subject, failed, &err);
	}
	if (rc == QUEUE_OK)
		rc = queue_commit(mg->q, &err);
	if (rc != QUEUE_OK)
		queue_rollback(mg->q);
	if (rc == QUEUE_BAD_STATE || rc == QUEUE_NOT_FOUND) {
		log_info("another mailgate dealt with the notice first, or the job is gone: %s",
		         buf_cstr(&err));
		buf_free(&err);
		return 0;
	}
	if (rc != QUEUE_OK) {
		log_error("cannot store the notice: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 1;
}

/* Make the notice for j (its attempts and, when the mail shows them, its pages) and store it. */
static int notices_mail(struct mailgate *mg, const struct job *j, const struct notify_decision *d,
                        int64_t now)
{
	const struct conf *conf = mg->conf;
	struct attempt *att = NULL;
	size_t natt = 0;
	struct fax_page_list pages = {0};
	bool want_pages =
	    d->kind == NOTIFY_SEND_SUCCESS || (d->kind == NOTIFY_SEND_FAILURE && conf->notify_attach_pdf);
	struct buf err = BUF_INIT, reason = BUF_INIT;
	struct mailout_mail mm = {0};
	int rc = -1;

	if (queue_attempt_list(mg->q, j->id, &att, &natt, &err) != QUEUE_OK) {
		log_error("cannot read the job's attempts: %s", buf_cstr(&err));
		goto out;
	}
	if (want_pages) {
		enum queue_rc qrc = queue_job_pages(mg->q, j->id, &pages, &err);

		if (qrc == QUEUE_ERR_DATA) { /* the notice goes, without the fax */
			log_error("job %lld: %s: the notice goes without its pages", (long long)j->id,
			          buf_cstr(&err));
			buf_reset(&err);
		} else if (qrc != QUEUE_OK) {
			log_error("cannot read the job's pages: %s", buf_cstr(&err));
			goto out;
		}
	}
	notify_reason(j, att, natt, d->kind, now, &reason);

	struct mailout_notice n = {
	    .kind = notices_kind(d->kind),
	    .job = j,
	    .attempts = att,
	    .nattempts = natt,
	    .pages = want_pages && pages.count > 0 ? &pages : NULL,
	    .outcome = notify_outcome(j, att, natt, d->kind),
	    .reason = buf_cstr(&reason),
	};
	if (mailout_notice(conf, &n, &mm, &err) != 0) {
		/* the same job would fail the same way every round: tell the admins, go on */
		struct buf why = BUF_INIT;

		buf_printf(&why, "the %s notice for job %lld could not be made: %s",
		           notices_kind_name(d->kind), (long long)j->id, buf_cstr(&err));
		log_error("%s", buf_cstr(&why));
		rc = notices_store(mg, j, d, NULL, buf_cstr(&why));
		buf_free(&why);
		goto out;
	}
	rc = notices_store(mg, j, d, &mm, NULL);
	if (rc > 0)
		log_notice("%s notice to %s queued as %s: %s", notices_kind_name(d->kind), j->sender,
		           mm.message_id, buf_cstr(&reason));
out:
	attempt_list_free(att, natt);
	fax_page_list_free(&pages);
	mailout_mail_free(&mm);
	buf_free(&reason);
	buf_free(&err);
	return rc;
}

static int notices_job(struct mailgate *mg, const struct job *j, int64_t now, int64_t delay_before)
{
	unsigned wanted = notify_wanted(j->notify, mg->conf->notify_default);
	struct notify_decision d;
	char clean[96];

	if (!notify_decide(j, delay_before, wanted, &d))
		return 0;
	if (d.kind != NOTIFY_NONE && (j->sender == NULL || j->sender[0] == '\0')) {
		log_info("no %s notice: the mail had the null sender", notices_kind_name(d.kind));
		d.kind = NOTIFY_NONE;
	} else if (d.kind != NOTIFY_NONE && !notify_address_ok(j->sender)) {
		notices_clean(j->sender, clean, sizeof(clean));
		log_warning("no %s notice: the envelope sender \"%s\" is not an address a notice can go to",
		            notices_kind_name(d.kind), clean);
		d.kind = NOTIFY_NONE;
	}
	if (d.kind == NOTIFY_NONE)
		return notices_store(mg, j, &d, NULL, NULL);
	return notices_mail(mg, j, &d, now);
}

int mailgate_notices(struct mailgate *mg)
{
	const struct conf *conf = mg->conf;
	int64_t now = mg->now ? mg->now : (int64_t)time(NULL);
	int64_t delay_before = conf->notify_delay_after > 0 ? now - conf->notify_delay_after : 0;
	struct job *jobs = NULL;
	size_t n = 0;
	struct buf err = BUF_INIT;
	int done = 0;

	if (mg->q == NULL)
		return -1;
	if (queue_job_notices_due(mg->q, delay_before, NOTICES_BATCH, &jobs, &n, &err) != QUEUE_OK) {
		log_error("cannot look for notices to send: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		log_context_set("job=%lld", (long long)jobs[i].id);
		int rc = notices_job(mg, &jobs[i], now, delay_before);
		log_context_clear();
		if (rc < 0) {
			done = -1;
			break;
		}
		done += rc;
	}
	job_list_free(jobs, n);
	buf_free(&err);
	return done;
}
