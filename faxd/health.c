/*
 * health.c - lines whose failures point at themselves are taken out of service.
 *
 * Failures that blame the line (the outcome table says which) count when they come in a row and
 * to different numbers: one unreachable destination says nothing about the line. When
 * line_failures_down of them have come, the line stops taking jobs and an alert event is
 * recorded; every line_retest it makes one call, and the first call that shows the line working
 * puts it back and records the recovery.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "faxd.h"
#include "util/log.h"

static void health_event(struct faxd *fd, struct faxd_line *l, const char *kind, const char *text)
{
	struct buf err = BUF_INIT;

	if (queue_event_add(fd->q, kind, l->name, text, &err) != QUEUE_OK)
		log_error("cannot record the %s event of line %s: %s", kind, l->name, buf_cstr(&err));
	buf_free(&err);
}

void health_trunk(struct faxd *fd, bool down, const char *why)
{
	const char *trunk = fd->conf.line_driver == CONF_LINE_SIM ? "sim" : "sip";
	struct buf err = BUF_INIT, text = BUF_INIT;

	if (down)
		buf_printf(&text,
		           "faxd %s cannot reach its telephone network (%s lines): %s; no fax goes out or "
		           "comes in until it is back",
		           fd->owner, trunk, why ? why : "unknown");
	else
		buf_printf(&text, "faxd %s reaches its telephone network (%s lines) again", fd->owner, trunk);
	if (fd->q && queue_event_add(fd->q, down ? "trunk_down" : "trunk_up", trunk, buf_cstr(&text), &err) !=
	                 QUEUE_OK)
		log_error("cannot record the trunk event: %s", buf_cstr(&err));
	buf_free(&err);
	buf_free(&text);
}

void health_record(struct faxd *fd, struct faxd_line *l, enum fax_outcome o, const char *number)
{
	const struct fax_outcome_info *info = fax_outcome_info(o);
	char text[256];

	if (o == FAX_CANCELLED || o == FAX_HELD || o == FAX_INTERNAL)
		return; /* says nothing about the line */
	if (!info->blames_line) {
		l->failures_in_row = 0;
		l->last_failed_number[0] = '\0';
		if (l->out_of_service) {
			l->out_of_service = false;
			snprintf(text, sizeof(text), "line %s works again (after %ld s out of service)",
			         l->name, (long)(time(NULL) - l->down_since));
			log_notice("%s", text);
			health_event(fd, l, "line_up", text);
		}
		return;
	}
	if (l->out_of_service) {
		l->next_retest = time(NULL) + fd->conf.line_retest;
		return;
	}
	if (strcmp(number ? number : "", l->last_failed_number) != 0) {
		l->failures_in_row++;
		snprintf(l->last_failed_number, sizeof(l->last_failed_number), "%s", number ? number : "");
	}
	if (l->failures_in_row >= fd->conf.line_failures_down) {
		l->out_of_service = true;
		l->down_since = time(NULL);
		l->next_retest = l->down_since + fd->conf.line_retest;
		snprintf(text, sizeof(text),
		         "line %s out of service: %d failures in a row to different numbers, last: %s",
		         l->name, l->failures_in_row, info->words);
		log_error("%s", text);
		health_event(fd, l, "line_down", text);
	}
}

bool health_may_call(struct faxd *fd, struct faxd_line *l, time_t now)
{
	(void)fd;
	if (!l->out_of_service)
		return true;
	if (now < l->next_retest)
		return false;
	l->next_retest = now + fd->conf.line_retest;
	log_notice("line %s: trying it again", l->name);
	return true;
}

void health_publish(struct faxd *fd, struct faxd_line *l)
{
	static const char *const states[] = {"idle", "dialing", "sending", "receiving"};
	struct line_status ls = {0};
	struct buf err = BUF_INIT, info = BUF_INIT;

	if (l->state == CALL_DIALING || l->state == CALL_SENDING)
		buf_printf(&info, "job %lld to %s", (long long)l->job.id, l->job.number);
	else if (l->state == CALL_RECEIVING)
		buf_printf(&info, "from %s to %s", l->in.caller ? l->in.caller : "?",
		           l->in.called ? l->in.called : "?");
	ls.server = fd->owner;
	ls.line = l->name;
	ls.state = (char *)(l->out_of_service && l->state == CALL_IDLE ? "out_of_service" : states[l->state]);
	ls.since = l->state == CALL_IDLE ? (l->out_of_service ? l->down_since : time(NULL)) : l->started;
	ls.job_id = l->state == CALL_DIALING || l->state == CALL_SENDING ? l->job.id : 0;
	ls.call_info = (char *)buf_cstr(&info);
	ls.calls = l->calls;
	ls.failures_in_row = l->failures_in_row;
	ls.pages_sent = l->pages_sent;
	ls.pages_received = l->pages_received;
	if (queue_line_update(fd->q, &ls, &err) != QUEUE_OK)
		log_warning("cannot publish the state of line %s: %s", l->name, buf_cstr(&err));
	buf_free(&err);
	buf_free(&info);
}
