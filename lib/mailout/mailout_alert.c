/*
 * mailout_alert.c - alert mails to the admins: a problem ("alert-down"), its end ("alert-up"), the
 * daily summary ("summary"). Plain text, so they read well on a phone and in a ticket system; the
 * X-Faxgate-Alert header carries the problem's key for filters.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mailout/mailout.h"
#include "mailout/mailout_int.h"

/* "4 h", "30 min", "45 s": how often a lasting problem is mailed again. */
static void alert_interval(long secs, struct buf *out)
{
	if (secs >= 3600 && secs % 3600 == 0)
		buf_printf(out, "%ld h", secs / 3600);
	else if (secs >= 60 && secs % 60 == 0)
		buf_printf(out, "%ld min", secs / 60);
	else
		buf_printf(out, "%ld s", secs);
}

int mailout_alert(const struct conf *conf, const struct mailout_alert *a, struct mailout_mail *out,
                  struct buf *err)
{
	static const char *const templates[] = {"alert-down", "alert-up", "summary", "alert-event"};
	struct buf subject = BUF_INIT, body = BUF_INIT, since = BUF_INIT, host = BUF_INIT, repeat = BUF_INIT;
	char suppressed[32];
	GMimeMessage *msg = NULL;
	int rc = -1;

	buf_init(&out->message);
	out->message_id = NULL;
	if ((unsigned)a->kind > MAILOUT_ALERT_EVENT) {
		buf_puts(err, "unknown kind of alert");
		return -1;
	}
	if (a->nto == 0) {
		buf_puts(err, "an alert with no recipients (alert_to is empty)");
		return -1;
	}
	snprintf(suppressed, sizeof(suppressed), "%ld", a->suppressed > 0 ? a->suppressed : 0);
	mailout_time(a->since > 0 ? a->since : (int64_t)time(NULL), "%Y-%m-%d %H:%M", &since);
	mailout_host(&host);
	alert_interval(conf->alert_repeat, &repeat);
	const struct template_var vars[] = {
	    {"key", a->key ? a->key : ""},    {"title", a->title ? a->title : ""},
	    {"text", a->text ? a->text : ""}, {"since", buf_cstr(&since)},
	    {"suppressed", suppressed},       {"host", buf_cstr(&host)},
	    {"repeat", buf_cstr(&repeat)},
	};
	if (mailout_texts(conf, templates[a->kind], vars, sizeof(vars) / sizeof(vars[0]), &subject, &body,
	                  err) < 0)
		goto out;

	msg = mailout_message_new(conf, "faxgate",
	                          a->kind == MAILOUT_ALERT_SUMMARY ? "fax-summary" : "fax-alert",
	                          buf_cstr(&subject), "auto-generated", out);
	for (size_t i = 0; i < a->nto; i++)
		if (mailout_add_to(msg, a->to[i], err) < 0)
			goto out;
	mailout_set_ascii_header((GMimeObject *)msg, "X-Faxgate-Alert",
	                         a->key && a->key[0] ? a->key : templates[a->kind], 200);
	GMimeObject *text = mailout_text_part(body.data, body.len);
	g_mime_message_set_mime_part(msg, text);
	g_object_unref(text);
	mailout_finish(msg, out);
	msg = NULL;
	rc = 0;
out:
	if (msg)
		g_object_unref(msg);
	if (rc < 0)
		mailout_mail_free(out);
	buf_free(&subject);
	buf_free(&body);
	buf_free(&since);
	buf_free(&host);
	buf_free(&repeat);
	return rc;
}
