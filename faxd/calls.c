/*
 * calls.c - the call on one line: dial, run T.30 over the line's audio, end, and hand the result
 * to finish.c.
 *
 * Every block of audio the network brings is answered at once with one block: the fax session's
 * output while T.30 runs, silence otherwise. Nothing here waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faxd.h"
#include "policy/words.h"
#include "util/log.h"
#include "util/xalloc.h"

/*
 * The header text of a job's pages: fax_header with %s (sender) and %n (pages in all). spandsp
 * puts the date before it and the station id and page number after it.
 */
static char *call_header(const struct conf *conf, const struct job *j)
{
	struct buf out = BUF_INIT;
	for (const char *p = conf->fax_header; *p && out.len < 100; p++) {
		if (p[0] != '%' || !p[1]) {
			buf_putc(&out, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			buf_puts(&out, j->sender && *j->sender ? j->sender : "");
			break;
		case 'n':
			buf_printf(&out, "%d", j->pages);
			break;
		case '%':
			buf_putc(&out, '%');
			break;
		default:
			buf_putc(&out, '%');
			buf_putc(&out, *p);
		}
	}
	/* the header is drawn with a fixed ASCII font: nothing else gets through */
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20 || (unsigned char)out.data[i] > 0x7e)
			out.data[i] = '?';
	return buf_steal(&out);
}

static void call_reset(struct faxd_line *l);

/* A call that could not start: its job is finished (internal error or line trouble), the line idle. */
static bool call_not_started(struct faxd *fd, struct faxd_line *l, enum fax_outcome o)
{
	finish_send(fd, l, o, NULL);
	call_reset(l);
	health_publish(fd, l);
	return false;
}

bool call_start_send(struct faxd *fd, struct faxd_line *l, struct job *j)
{
	const struct conf *conf = &fd->conf;
	struct fax_page_list pages = {0};
	struct buf err = BUF_INIT;
	time_t now = time(NULL);

	l->job = *j;
	memset(j, 0, sizeof(*j));
	l->state = CALL_DIALING;
	l->started = l->last_renew = l->last_progress = now;
	l->progress = 0;
	l->ended_by_line = false;
	log_context_set("job=%lld line=%s", (long long)l->job.id, l->name);

	if (queue_job_pages(fd->q, l->job.id, &pages, &err) != QUEUE_OK) {
		log_error("cannot read the pages: %s", buf_cstr(&err));
		buf_free(&err);
		return call_not_started(fd, l, FAX_INTERNAL);
	}
	char *header = call_header(conf, &l->job);
	struct faxsession_params p = {
	    .calling = true,
	    .station_id = conf->fax_station_id,
	    .header = header,
	    .ecm = conf->fax_ecm,
	    .max_speed = (int)conf->fax_max_speed,
	    .pages = &pages,
	    .first_page = conf->retry_skip_confirmed ? l->job.pages_done : 0,
	    .resolution = l->job.resolution,
	    .tmpdir = conf->render_tmpdir,
	};
	if (p.first_page < 0 || (size_t)p.first_page >= pages.count)
		p.first_page = 0;
	l->first_page = p.first_page; /* what finish_send counts the confirmed pages from */
	l->fs = faxsession_new(&p, &err);
	free(header);
	fax_page_list_free(&pages);
	if (!l->fs) {
		log_error("cannot prepare the call: %s", buf_cstr(&err));
		buf_free(&err);
		return call_not_started(fd, l, FAX_INTERNAL);
	}
	buf_free(&err);
	l->calls++;
	log_notice("calling %s (dial %s), pages %d..%zu", l->job.number, l->job.dial, p.first_page + 1,
	           (size_t)l->job.pages);
	/* Our number as caller id: the first of the numbers this server answers, if any. */
	char caller[32];
	line_first_number(conf, caller, sizeof(caller));
	if (line_dial(fd->lines_drv, l->index, l->job.dial, caller, media_hint(fd, l)) < 0) {
		log_error("line %s cannot dial", l->name);
		return call_not_started(fd, l, FAX_LINE);
	}
	health_publish(fd, l);
	return true;
}

/*
 * What a sent call leaves in the queue (the attempt, the job's outcome, the line's state) is
 * stored in one transaction: one commit, not three, while the other calls wait for their audio.
 * Without a transaction (the database is busy) each write goes on its own.
 */
static bool call_tx_begin(struct faxd *fd, const struct faxd_line *l)
{
	struct buf err = BUF_INIT;
	bool ok;

	if (l->state != CALL_DIALING && l->state != CALL_SENDING)
		return false; /* a received fax is stored with retries of its own */
	ok = queue_begin(fd->q, &err) == QUEUE_OK;
	buf_free(&err);
	return ok;
}

static void call_tx_end(struct faxd *fd, bool tx)
{
	struct buf err = BUF_INIT;

	if (tx && queue_commit(fd->q, &err) != QUEUE_OK)
		log_error("cannot store the end of the call: %s", buf_cstr(&err));
	buf_free(&err);
}

/* Hang up the line, unless the network is gone (then the call is gone too). */
static void call_hangup(struct faxd *fd, struct faxd_line *l)
{
	if (fd->lines_drv)
		line_hangup(fd->lines_drv, l->index);
}

/* T.30 is over (or was ended): take the result and hand it on. */
static void call_conclude(struct faxd *fd, struct faxd_line *l, enum fax_outcome forced)
{
	struct faxsession_result r;
	enum fax_outcome o;

	faxsession_result(l->fs, &r);
	if (l->state == CALL_RECEIVING) {
		finish_receive(fd, l, &r);
	} else {
		o = fax_outcome_from_t30(r.t30_code, r.fax_answered, r.pages_confirmed);
		if (forced != FAX_OK && o != FAX_OK)
			o = forced; /* cancelled, watchdog, line trouble: the reason, not the symptom */
		else if (l->ended_by_line && o == FAX_PROTOCOL && r.fax_answered)
			o = FAX_DROPPED; /* T.30 only saw the silence after the far end hung up */
		finish_send(fd, l, o, &r);
	}
	faxsession_result_free(&r);
}

/* Back to idle, whatever the call was. */
static void call_reset(struct faxd_line *l)
{
	if (l->fs)
		faxsession_free(l->fs);
	l->fs = NULL;
	job_free(&l->job);
	memset(&l->job, 0, sizeof(l->job));
	inbound_free(&l->in);
	memset(&l->in, 0, sizeof(l->in));
	l->state = CALL_IDLE;
	l->t38 = false;
	l->t30_over = false;
	log_context_clear();
}

/*
 * T.30 is over: the call ends and its result is stored, but at most FAXD_ENDS_PER_TICK calls a
 * tick: hundreds of calls begun together end together, and storing each costs a few
 * milliseconds that the other calls' audio cannot wait for. A call whose turn has not come stays
 * on its line, silent, and is tried again at its next block of audio or tick.
 */
void call_t30_over(struct faxd *fd, struct faxd_line *l)
{
	l->t30_over = true;
	if (fd->ends_left <= 0)
		return;
	fd->ends_left--;
	call_t30_done(fd, l);
}

void call_t30_done(struct faxd *fd, struct faxd_line *l)
{
	bool tx;

	call_context(l);
	call_hangup(fd, l);
	tx = call_tx_begin(fd, l);
	call_conclude(fd, l, FAX_OK);
	call_reset(l);
	health_publish(fd, l);
	call_tx_end(fd, tx);
}

void call_abort(struct faxd *fd, struct faxd_line *l, enum fax_outcome why)
{
	bool tx;

	if (l->state == CALL_IDLE)
		return;
	log_notice("ending the call: %s", fax_outcome_info(why)->words);
	call_hangup(fd, l);
	tx = call_tx_begin(fd, l);
	if (l->state == CALL_DIALING) {
		finish_send(fd, l, why, NULL);
	} else {
		faxsession_terminate(l->fs);
		call_conclude(fd, l, why);
	}
	call_reset(l);
	health_publish(fd, l);
	call_tx_end(fd, tx);
}

static enum fax_outcome call_signal_outcome(enum line_event_type t)
{
	switch (t) {
	case LINE_EV_BUSY:
		return FAX_BUSY;
	case LINE_EV_NO_ANSWER:
		return FAX_NO_ANSWER;
	case LINE_EV_UNASSIGNED:
		return FAX_UNASSIGNED;
	case LINE_EV_FORBIDDEN:
		return FAX_FORBIDDEN;
	case LINE_EV_HANGUP:
		return FAX_NO_ANSWER; /* hung up before answering */
	default:
		return FAX_LINE;
	}
}

/* An incoming call: answer it when the line is free and the number is ours. */
static void call_incoming(struct faxd *fd, struct faxd_line *l, const struct line_event *ev)
{
	const struct conf *conf = &fd->conf;
	struct buf err = BUF_INIT;
	bool ours = !conf->line_numbers[0];

	/* the list as the line driver announces it (words_next: commas and blanks, tabs too) */
	const char *cur = conf->line_numbers, *w;
	size_t len;
	while (!ours && words_next(&cur, &w, &len))
		ours = strlen(ev->called) == len && memcmp(w, ev->called, len) == 0;
	if (l->state != CALL_IDLE || fd->stopping || !ours || l->out_of_service) {
		log_notice("line %s: call from %s to %s refused (%s)", l->name, ev->caller, ev->called,
		           l->state != CALL_IDLE ? "line busy"
		           : !ours               ? "not our number"
		                                 : "not taking calls");
		call_hangup(fd, l);
		return;
	}
	struct faxsession_params p = {
	    .calling = false,
	    .station_id = conf->fax_station_id,
	    .header = "",
	    .ecm = conf->fax_ecm,
	    .max_speed = (int)conf->fax_max_speed,
	    .resolution = -1,
	    .tmpdir = conf->render_tmpdir,
	};
	l->fs = faxsession_new(&p, &err);
	if (!l->fs) {
		log_error("line %s: cannot take a call: %s", l->name, buf_cstr(&err));
		call_hangup(fd, l);
		buf_free(&err);
		return;
	}
	buf_free(&err);
	memset(&l->in, 0, sizeof(l->in));
	l->in.caller = xstrdup(ev->caller);
	l->in.called = xstrdup(ev->called);
	l->in.subaddress = ev->subaddress[0] ? xstrdup(ev->subaddress) : NULL;
	l->state = CALL_RECEIVING;
	l->started = l->last_progress = time(NULL);
	l->progress = 0;
	l->ended_by_line = false;
	l->calls++;
	log_context_set("in line=%s", l->name);
	log_notice("answering a call from %s to %s", ev->caller[0] ? ev->caller : "(unknown)", ev->called);
	line_answer(fd->lines_drv, l->index);
	health_publish(fd, l);
}

/* Log lines name the job (or the incoming call) and the line they are about. */
void call_context(const struct faxd_line *l)
{
	if (l->state == CALL_DIALING || l->state == CALL_SENDING)
		log_context_set("job=%lld line=%s", (long long)l->job.id, l->name);
	else if (l->state == CALL_RECEIVING)
		log_context_set("in line=%s", l->name);
	else
		log_context_set("line=%s", l->name);
}

void call_event(struct faxd *fd, struct faxd_line *l, const struct line_event *ev)
{
	static const int16_t silence[LINE_MAX_BLOCK];
	int16_t out[LINE_MAX_BLOCK];
	bool tx;

	if (ev->type != LINE_EV_AUDIO && ev->type != LINE_EV_IFP && ev->type != LINE_EV_TICK)
		call_context(l);

	switch (ev->type) {
	case LINE_EV_AUDIO:
		if (ev->nsamples <= 0 || ev->nsamples > LINE_MAX_BLOCK)
			return;
		if ((l->state == CALL_SENDING || l->state == CALL_RECEIVING) && l->fs && !l->t30_over &&
		    !faxsession_is_t38(l->fs)) {
			bool going = faxsession_audio(l->fs, ev->samples, out, ev->nsamples);
			line_send_audio(fd->lines_drv, l->index, out, ev->nsamples);
			if (!going)
				call_t30_over(fd, l);
		} else {
			if (l->t30_over)
				call_t30_over(fd, l); /* its turn may have come */
			line_send_audio(fd->lines_drv, l->index, silence, ev->nsamples);
		}
		break;
	case LINE_EV_RINGING:
		log_debug("ringing");
		break;
	case LINE_EV_ANSWERED:
		if (l->state == CALL_DIALING) {
			l->state = CALL_SENDING;
			l->last_progress = time(NULL);
			health_publish(fd, l); /* faxctl lines: sending, no longer dialing */
			log_info("answered");
		}
		break;
	case LINE_EV_BUSY:
	case LINE_EV_NO_ANSWER:
	case LINE_EV_UNASSIGNED:
	case LINE_EV_CONGESTION:
	case LINE_EV_FORBIDDEN:
	case LINE_EV_HANGUP:
		if (l->state == CALL_DIALING) {
			call_hangup(fd, l);
			tx = call_tx_begin(fd, l);
			finish_send(fd, l, call_signal_outcome(ev->type), NULL);
			call_reset(l);
			health_publish(fd, l);
			call_tx_end(fd, tx);
		} else if (l->state != CALL_IDLE) {
			l->ended_by_line = true;
			faxsession_terminate(l->fs);
			call_hangup(fd, l);
			tx = call_tx_begin(fd, l);
			call_conclude(fd, l, ev->type == LINE_EV_HANGUP ? FAX_OK : FAX_LINE);
			call_reset(l);
			health_publish(fd, l);
			call_tx_end(fd, tx);
		}
		break;
	case LINE_EV_INCOMING:
		call_incoming(fd, l, ev);
		break;
	case LINE_EV_T38:
	case LINE_EV_T38_REFUSED:
	case LINE_EV_IFP:
	case LINE_EV_TICK:
		media_event(fd, l, ev);
		break;
	case LINE_EV_DOWN:
		if (l->state != CALL_IDLE)
			call_abort(fd, l, FAX_LINE);
		break;
	default:
		break;
	}
}

void call_tick(struct faxd *fd, struct faxd_line *l, time_t now)
{
	const struct conf *conf = &fd->conf;

	if (l->state == CALL_IDLE)
		return;
	call_context(l);
	if (l->fs) {
		unsigned long p = faxsession_progress(l->fs);
		if (p != l->progress) {
			l->progress = p;
			l->last_progress = now;
		}
	}
	/* Ringing makes no progress: the network ends a call nobody answers; only the whole-call limit
	 * applies. */
	bool stalled = l->state != CALL_DIALING && now - l->last_progress > conf->faxd_stall_timeout;
	if (now - l->started > conf->faxd_call_timeout || stalled) {
		log_warning("watchdog: the call %s", stalled ? "stalled" : "ran too long");
		call_abort(fd, l, FAX_WATCHDOG);
	}
}

/*
 * A lease is renewed every faxd_lease / 3 seconds, in the second of that period given by the
 * line's index, so that calls that began together (a burst of jobs) do not all renew in the same
 * second: each second renews about 1/period of the calls. Between half a period and one and a
 * half after the claim the line finds its second; a second the loop missed is made up for at two
 * periods, with the lease's last third still left.
 */
static bool call_renew_due(const struct faxd *fd, const struct faxd_line *l, time_t now)
{
	long period = fd->conf.faxd_lease / 3, since = (long)(now - l->last_renew);

	if (l->state != CALL_DIALING && l->state != CALL_SENDING)
		return false;
	if (period < 1)
		period = 1;
	if (since >= 2 * period)
		return true;
	return since >= (period + 1) / 2 && (long)(now % period) == l->index % period;
}

void calls_renew(struct faxd *fd, time_t now)
{
	struct buf err = BUF_INIT;
	bool tx, *renewed = NULL;
	enum fax_outcome *lost = NULL;
	int due = 0;

	for (int i = 0; i < fd->nlines; i++)
		due += call_renew_due(fd, &fd->lines[i], now);
	if (due == 0)
		return;
	renewed = xcalloc((size_t)fd->nlines, sizeof(*renewed));
	lost = xcalloc((size_t)fd->nlines, sizeof(*lost));
	/* the renewals of this second in one transaction: one commit */
	tx = queue_begin(fd->q, &err) == QUEUE_OK;
	for (int i = 0; i < fd->nlines; i++) {
		struct faxd_line *l = &fd->lines[i];
		enum job_status st = JOB_SENDING;
		enum queue_rc rc;

		if (!call_renew_due(fd, l, now))
			continue;
		call_context(l);
		buf_reset(&err);
		rc = queue_lease_renew(fd->q, l->job.id, fd->owner, now, fd->conf.faxd_lease, &st, &err);
		if (rc == QUEUE_OK) {
			renewed[i] = true;
		} else if (rc == QUEUE_BAD_STATE) {
			log_notice("the job is %s now: hanging up", queue_status_name(st));
			lost[i] = st == JOB_HELD ? FAX_HELD : FAX_CANCELLED;
		} else {
			/* the database may be back in a moment; the lease has some time left */
			log_warning("cannot renew the lease: %s", buf_cstr(&err));
			if (tx)
				break; /* the transaction is spoilt: the rest try again next second */
		}
	}
	buf_reset(&err);
	if (tx && queue_commit(fd->q, &err) != QUEUE_OK) {
		log_context_clear();
		log_warning("cannot renew the leases: %s", buf_cstr(&err));
		memset(renewed, 0, (size_t)fd->nlines * sizeof(*renewed));
	}
	for (int i = 0; i < fd->nlines; i++) {
		if (renewed[i])
			fd->lines[i].last_renew = now;
		if (lost[i] != FAX_OK) {
			call_context(&fd->lines[i]);
			call_abort(fd, &fd->lines[i], lost[i]);
		}
	}
	log_context_clear();
	free(renewed);
	free(lost);
	buf_free(&err);
}

void call_release(struct faxd *fd, struct faxd_line *l)
{
	if (l->state == CALL_RECEIVING) {
		call_abort(fd, l, FAX_LINE); /* the pages received so far are kept */
		return;
	}
	if (l->state == CALL_IDLE)
		return;
	log_notice("stopping: the call ends, the job goes back to the queue");
	call_hangup(fd, l);
	if (l->fs)
		faxsession_terminate(l->fs);
	call_reset(l);
	health_publish(fd, l);
}
