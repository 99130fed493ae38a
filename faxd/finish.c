/*
 * finish.c - what an ended call leaves in the queue: the attempt, and the job sent, failed, or due
 * again (after a delay by cause, or at once with pages re-rendered); a received fax stored.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "faxd.h"
#include "render/geometry.h"
#include "util/log.h"
#include "util/xalloc.h"

static void finish_attempt(struct faxd *fd, struct faxd_line *l, enum fax_outcome o,
                           const struct faxsession_result *r, const char *reason)
{
	struct attempt a = {0};
	struct buf err = BUF_INIT;

	a.job_id = l->job.id;
	a.start = l->started;
	a.end = time(NULL);
	a.server = fd->owner;
	a.line = l->name;
	a.remote_id = r && r->remote_id[0] ? (char *)r->remote_id : NULL;
	a.bit_rate = r ? r->bit_rate : 0;
	a.ecm = r ? r->ecm : false;
	a.pages_confirmed = r ? r->pages_confirmed : 0;
	a.t30_code = r ? r->t30_code : -1;
	a.outcome = (char *)fax_outcome_info(o)->name;
	a.reason = (char *)reason;
	if (queue_attempt_add(fd->q, &a, &err) != QUEUE_OK)
		log_error("cannot record the attempt: %s", buf_cstr(&err));
	buf_free(&err);
}

/* Pages in the format the remote asked for; false (and a final failure) when there is none. */
static bool finish_rerender(struct faxd *fd, struct faxd_line *l, enum fax_outcome o)
{
	struct fax_page_list pages = {0}, out = {0};
	struct fax_geometry g;
	struct buf err = BUF_INIT;
	int res = l->job.resolution, paper = l->job.paper;
	bool ok = false;

	if (o == FAX_NEEDS_STANDARD && res != FAX_RES_STANDARD)
		res = FAX_RES_STANDARD;
	else if (o == FAX_NEEDS_A4 && paper != FAX_PAPER_A4)
		paper = FAX_PAPER_A4;
	else
		return false; /* already the simplest format: the remote refuses us */
	geometry_init(&g, (enum fax_resolution)res, (enum fax_paper)paper);
	if (queue_job_pages(fd->q, l->job.id, &pages, &err) == QUEUE_OK &&
	    rerender_pages(&pages, l->job.resolution, res, g.height, &out) == 0 &&
	    queue_job_replace_pages(fd->q, l->job.id, fd->owner, &out, res, paper, &err) == QUEUE_OK) {
		log_notice("pages made again at %s resolution on %s paper", geometry_resolution_name(g.res),
		           geometry_paper_name(g.paper));
		l->job.pages_done = 0;
		ok = true;
	} else if (err.len) {
		log_error("cannot store the re-rendered pages: %s", buf_cstr(&err));
	}
	fax_page_list_free(&pages);
	fax_page_list_free(&out);
	buf_free(&err);
	return ok;
}

void finish_send(struct faxd *fd, struct faxd_line *l, enum fax_outcome o, const struct faxsession_result *r)
{
	const struct conf *conf = &fd->conf;
	const struct fax_outcome_info *info = fax_outcome_info(o);
	time_t now = time(NULL);
	struct buf reason = BUF_INIT, err = BUF_INIT;
	enum job_status status = JOB_QUEUED;
	int64_t next = now;
	int attempts = l->job.attempts + 1;
	int first = l->first_page; /* as the call started, whatever a reload changed since */
	int done = first + (r ? r->pages_confirmed : 0);
	enum fax_next what = info->next;

	if (done > l->job.pages)
		done = l->job.pages;
	if (!conf->retry_skip_confirmed && o != FAX_OK)
		done = 0;
	if (what == FAX_NEXT_RERENDER && !finish_rerender(fd, l, o)) {
		what = FAX_NEXT_FAIL;
		info = fax_outcome_info(FAX_REFUSED);
	}
	if (what == FAX_NEXT_RERENDER)
		done = 0;

	switch (what) {
	case FAX_NEXT_DONE:
		status = JOB_SENT;
		buf_printf(&reason, "sent %d pages", l->job.pages);
		if (r && r->remote_id[0])
			buf_printf(&reason, " to %s", r->remote_id);
		break;
	case FAX_NEXT_RERENDER:
		buf_printf(&reason, "%s; sending again in a format it takes", info->words);
		break;
	case FAX_NEXT_RETRY: {
		long delay = fax_outcome_retry_delay(conf, o);
		if (attempts >= conf->retry_max_attempts) {
			status = JOB_FAILED;
			buf_printf(&reason, "%s (%d attempts)", info->words, attempts);
		} else if (now + delay > l->job.created + conf->retry_max_age) {
			status = JOB_FAILED;
			buf_printf(&reason, "%s; no more time to try again (%d attempts)", info->words,
			           attempts);
		} else {
			char at[16];
			struct tm tm;
			time_t t = now + delay;
			next = t;
			strftime(at, sizeof(at), "%H:%M", localtime_r(&t, &tm));
			buf_printf(&reason, "%s; trying again at %s", info->words, at);
		}
		break;
	}
	default:
		status = JOB_FAILED;
		buf_puts(&reason, info->words);
		break;
	}

	finish_attempt(fd, l, o, r, buf_cstr(&reason));
	enum queue_rc rc = queue_job_finish(fd->q, l->job.id, fd->owner, status, info->name,
	                                    buf_cstr(&reason), next, done, &err);
	if (rc == QUEUE_BAD_STATE)
		log_notice("the job was changed meanwhile (cancelled or held); it stays so");
	else if (rc != QUEUE_OK)
		log_error(
		    "cannot store the job's outcome (its lease will run out and it will be sent again): %s",
		    buf_cstr(&err));
	else
		log_notice("%s: %s", queue_status_name(status), buf_cstr(&reason));
	if (r)
		l->pages_sent += r->pages_confirmed;
	health_record(fd, l, o, l->job.number);
	buf_free(&reason);
	buf_free(&err);
}

void finish_receive(struct faxd *fd, struct faxd_line *l, const struct faxsession_result *r)
{
	struct inbound *in = &l->in;
	struct buf err = BUF_INIT;
	enum fax_outcome o = fax_outcome_from_t30(r->t30_code, r->fax_answered, (int)r->rx_pages.count);
	enum queue_rc rc = QUEUE_ERR_TEMP;

	in->started = l->started;
	in->received = time(NULL);
	in->server = xstrdup(fd->owner);
	in->line = xstrdup(l->name);
	in->remote_id = r->remote_id[0] ? xstrdup(r->remote_id) : NULL;
	in->pages = (int)r->rx_pages.count;
	in->resolution = r->resolution;
	in->t30_code = r->t30_code;
	in->partial = o != FAX_OK && r->rx_pages.count > 0;
	in->status = xstrdup(r->rx_pages.count > 0 ? "new" : "failed");
	in->reason = xstrdup(o == FAX_OK ? "received" : fax_outcome_info(o)->words);
	/* The fax is only here: try hard before giving up on it. */
	for (int i = 0; i < 3 && rc == QUEUE_ERR_TEMP; i++) {
		buf_reset(&err);
		rc = queue_inbound_add(fd->q, in, &r->rx_pages, r->rx_bad_rows, &err);
	}
	if (rc != QUEUE_OK)
		log_error("cannot store the received fax from %s (%d pages): %s", in->caller, in->pages,
		          buf_cstr(&err));
	else
		log_notice("received fax %lld from %s (%s) to %s: %d pages%s", (long long)in->id, in->caller,
		           in->remote_id ? in->remote_id : "no station id", in->called, in->pages,
		           in->partial ? ", partial" : "");
	l->pages_received += in->pages;
	buf_free(&err);
}
