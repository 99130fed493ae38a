/*
 * mailout_notice.c - notices to the sender of a fax job: RFC 3464 delivery status notifications
 * (multipart/report; report-type=delivery-status, RFC 6522), so mail programs show them as the
 * bounces and delivery receipts they are, with the human part from a template.
 *
 * The machine-readable part must be 7-bit: every value taken from the job (addresses as the sender
 * wrote them, station ids, reasons) is reduced to printable ASCII and folded. The original headers
 * (text/rfc822-headers) come from a hostile mail: they are bounded, made valid UTF-8 and encoded.
 *
 * Status codes (RFC 3463), by the fax outcome: the class is 2 (sent), 5 (failed) or 4 (delayed);
 * the rest says what happened, in mail's terms (see notice_status below and docs/templates.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faxdoc/faxpdf.h"
#include "faxdoc/faxpreview.h"
#include "mailout/mailout.h"
#include "mailout/mailout_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Width of the reduced first page in a transmission report, in pixels. */
#define NOTICE_PREVIEW_WIDTH 400
/* The original mail's header section carried back: more is cut at a line's end. */
#define NOTICE_MAX_HEADERS ((size_t)64 << 10)
/* Bytes of a value in the delivery-status part. */
#define NOTICE_MAX_FIELD 500

/* The RFC 3463 subject.detail for an outcome; the class comes from the kind of notice. */
static const struct {
	const char *outcome, *detail;
} notice_statuses[] = {
    {"ok", "0.0"},
    {"busy", "4.1"},           /* no answer from host: "the remote system was busy" */
    {"no_answer", "4.1"},      /* no answer from host */
    {"dropped", "4.2"},        /* bad connection: established, but not completed */
    {"protocol", "4.2"},       /* bad connection: the fax machines could not finish */
    {"watchdog", "4.2"},       /* bad connection: stalled or too long */
    {"voice", "1.2"},          /* the destination cannot take faxes (a person answered) */
    {"unassigned", "1.1"},     /* bad destination address: no such number */
    {"forbidden", "7.1"},      /* delivery not authorized: the network will not place the call */
    {"refused", "6.1"},        /* media not supported */
    {"needs_standard", "6.1"}, /* media not supported */
    {"needs_a4", "6.1"},       /* media not supported */
    {"line", "4.0"},           /* our own line or trunk: network status */
    {"internal", "3.0"},       /* the gateway itself */
    {"cancelled", "0.0"},
    {"held", "0.0"},
};

static void notice_status(enum mailout_notice_kind kind, const char *outcome, struct buf *out)
{
	const char *detail = "0.0";

	for (size_t i = 0; outcome && i < sizeof(notice_statuses) / sizeof(notice_statuses[0]); i++)
		if (strcmp(notice_statuses[i].outcome, outcome) == 0)
			detail = notice_statuses[i].detail;
	if (kind == MAILOUT_SUCCESS)
		detail = "0.0";
	buf_printf(out, "%c.%s", kind == MAILOUT_SUCCESS ? '2' : kind == MAILOUT_FAILURE ? '5' : '4', detail);
}

static const char *notice_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

/* An RFC 5322 date. */
static void notice_date(int64_t t, struct buf *out)
{
	GDateTime *dt = g_date_time_new_from_unix_local(t > 0 ? t : (int64_t)time(NULL));
	char *s = g_mime_utils_header_format_date(dt);

	buf_puts(out, s);
	g_free(s);
	g_date_time_unref(dt);
}

/* "Name: value" of the delivery-status part: printable ASCII, folded at spaces before 78 columns. */
static void notice_field(struct buf *out, const char *name, const char *value)
{
	struct buf v = BUF_INIT;
	size_t col, i = 0;
	bool space = false; /* a space between words, written once we know whether the line folds */

	mailout_ascii(value, NOTICE_MAX_FIELD, &v);
	buf_printf(out, "%s: ", name);
	col = strlen(name) + 2;
	while (i < v.len) {
		size_t word = strcspn(v.data + i, " ");
		if (space && col + 1 + word > 78) {
			buf_puts(out, "\n "); /* the fold takes the space's place: unfolding gives it back */
			col = 1;
		} else if (space) {
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, v.data + i, word);
		col += word;
		i += word;
		space = i < v.len;
		if (space)
			i++;
	}
	buf_putc(out, '\n');
	buf_free(&v);
}

/* An address as the MTA gave it ("<x@y>") without its angle brackets, as RFC 3464 fields want it. */
static const char *notice_bare_addr(const char *addr, struct buf *tmp)
{
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		buf_reset(tmp);
		buf_append(tmp, addr + 1, n - 2);
		return buf_cstr(tmp);
	}
	return addr;
}

/* RFC 3461 xtext ("+2B" for '+'), decoded; NULL when malformed or not printable. */
static char *notice_xtext_decode(const char *s)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+') {
			if (!g_ascii_isxdigit(s[i + 1]) || !g_ascii_isxdigit(s[i + 2]))
				goto bad;
			c = (unsigned char)(g_ascii_xdigit_value(s[i + 1]) * 16 +
			                    g_ascii_xdigit_value(s[i + 2]));
			i += 2;
		}
		if (c <= ' ' || c >= 0x7f)
			goto bad;
		buf_putc(&b, (char)c);
	}
	return buf_steal(&b);
bad:
	buf_free(&b);
	return NULL;
}

/* The message/delivery-status body: per-message fields, a blank line, the recipient's fields. */
static void notice_dsn(const struct conf *conf, const struct mailout_notice *n, const struct attempt *last,
                       struct buf *out)
{
	const struct job *j = n->job;
	struct buf v = BUF_INIT, host = BUF_INIT, bare = BUF_INIT;
	char id[32];

	(void)conf;
	mailout_host(&host);
	buf_printf(&v, "dns; %s", buf_cstr(&host));
	notice_field(out, "Reporting-MTA", buf_cstr(&v));
	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	notice_field(out, "X-Faxgate-Job", id);
	buf_reset(&v);
	notice_date(j->created, &v);
	notice_field(out, "Arrival-Date", buf_cstr(&v));
	buf_putc(out, '\n');

	if (j->orcpt && strchr(j->orcpt, ';')) {
		const char *semi = strchr(j->orcpt, ';');
		char *addr = notice_xtext_decode(semi + 1);
		if (addr && semi > j->orcpt) {
			buf_reset(&v);
			buf_append(&v, j->orcpt, (size_t)(semi - j->orcpt));
			buf_printf(&v, ";%s", addr);
			notice_field(out, "Original-Recipient", buf_cstr(&v));
		}
		free(addr);
	}
	buf_reset(&v);
	if (j->rcpt_addr && j->rcpt_addr[0])
		buf_printf(&v, "rfc822; %s", notice_bare_addr(j->rcpt_addr, &bare));
	else
		buf_printf(&v, "X-Fax; %s", notice_or(j->number, "unknown"));
	notice_field(out, "Final-Recipient", buf_cstr(&v));
	notice_field(out, "Action",
	             n->kind == MAILOUT_SUCCESS   ? "delivered"
	             : n->kind == MAILOUT_FAILURE ? "failed"
	                                          : "delayed");
	buf_reset(&v);
	notice_status(n->kind, n->outcome, &v);
	notice_field(out, "Status", buf_cstr(&v));
	if (last && last->remote_id && last->remote_id[0]) {
		buf_reset(&v);
		buf_printf(&v, "X-Fax; %s", last->remote_id);
		notice_field(out, "Remote-MTA", buf_cstr(&v));
	}
	buf_reset(&v);
	buf_printf(&v, "X-Fax; %s: %s", notice_or(n->outcome, "unknown"),
	           notice_or(n->reason, notice_or(j->reason, "no reason given")));
	notice_field(out, "Diagnostic-Code", buf_cstr(&v));
	if (last) {
		buf_reset(&v);
		notice_date(last->end > 0 ? last->end : last->start, &v);
		notice_field(out, "Last-Attempt-Date", buf_cstr(&v));
	}
	if (n->kind == MAILOUT_DELAY) {
		buf_reset(&v);
		notice_date(j->created + conf->retry_max_age, &v);
		notice_field(out, "Will-Retry-Until", buf_cstr(&v));
	}
	buf_free(&v);
	buf_free(&host);
	buf_free(&bare);
}

static void notice_header_line(struct buf *h, const char *name, const char *value)
{
	struct buf v = BUF_INIT;

	mailout_ascii(value, NOTICE_MAX_FIELD * 2, &v);
	buf_printf(h, "%s: %s\n", name, buf_cstr(&v));
	buf_free(&v);
}

/* The original mail's headers, or those faxgate knows of it. */
static GMimeObject *notice_headers_part(const struct job *j)
{
	struct buf h = BUF_INIT, d = BUF_INIT;
	GMimePart *part;
	GMimeStream *s;
	GMimeDataWrapper *w;

	if (j->headers && j->headers[0]) {
		size_t len = strnlen(j->headers, NOTICE_MAX_HEADERS + 1);
		if (len > NOTICE_MAX_HEADERS) {
			const char *nl = memrchr(j->headers, '\n', NOTICE_MAX_HEADERS);
			len = nl ? (size_t)(nl - j->headers) + 1 : NOTICE_MAX_HEADERS;
		}
		gchar *valid = g_utf8_make_valid(j->headers, (gssize)len);
		for (const char *p = valid; *p; p++)
			if (*p != '\r')
				buf_putc(&h, *p);
		g_free(valid);
		/* Stored with or without the blank line after it: one header section either way. */
		while (h.len && h.data[h.len - 1] == '\n')
			h.len--;
		buf_putc(&h, '\n');
	} else {
		/* Values came from a mail: each is one line of printable ASCII. */
		char *enc = NULL;
		buf_puts(&d, "<");
		buf_puts(&d, notice_or(j->sender, ""));
		buf_puts(&d, ">");
		notice_header_line(&h, "From", buf_cstr(&d));
		if (j->rcpt_addr) {
			buf_reset(&d);
			buf_printf(&d, "<%s>", j->rcpt_addr);
			notice_header_line(&h, "To", buf_cstr(&d));
		}
		if (j->subject && j->subject[0]) {
			enc = g_mime_utils_header_encode_text(NULL, j->subject, "utf-8");
			notice_header_line(&h, "Subject", enc);
			g_free(enc);
		}
		if (j->message_id)
			notice_header_line(&h, "Message-ID", j->message_id);
		buf_reset(&d);
		notice_date(j->created, &d);
		notice_header_line(&h, "Date", buf_cstr(&d));
	}
	part = g_mime_part_new_with_type("text", "rfc822-headers");
	s = g_mime_stream_mem_new_with_buffer(h.data, h.len);
	w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	GMimeContentEncoding enc =
	    g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT);
	if (enc != GMIME_CONTENT_ENCODING_DEFAULT && enc != GMIME_CONTENT_ENCODING_7BIT)
		g_mime_object_set_content_type_parameter((GMimeObject *)part, "charset", "utf-8");
	g_mime_part_set_content_encoding(part, enc);
	buf_free(&h);
	buf_free(&d);
	return (GMimeObject *)part;
}

/* One line of the report: its values come from the mail and the remote, cleaned as in templates. */
static void notice_report_line(struct buf *out, const char *label, const char *value)
{
	buf_printf(out, "  %-17s", label);
	template_put_value(out, value && value[0] ? value : "-", true);
	buf_putc(out, '\n');
}

/* A transmission report as a fax machine prints it, for success notices. */
static void notice_report(const struct mailout_notice *n, const struct attempt *last, struct buf *out)
{
	const struct job *j = n->job;
	struct buf t = BUF_INIT;
	char num[32];

	buf_puts(out, "TRANSMISSION REPORT\n\n");
	mailout_time(last ? last->start : j->finished, "%Y-%m-%d %H:%M:%S", &t);
	notice_report_line(out, "Date/time:", buf_cstr(&t));
	notice_report_line(out, "Fax number:", j->number);
	notice_report_line(out, "Recipient:", j->rcpt_name);
	notice_report_line(out, "Company:", j->rcpt_company);
	notice_report_line(out, "Remote station:", last ? last->remote_id : NULL);
	snprintf(num, sizeof(num), "%d", j->pages);
	notice_report_line(out, "Pages:", num);
	mailout_duration(last && last->end >= last->start ? last->end - last->start : -1, &t);
	notice_report_line(out, "Duration:", buf_cstr(&t));
	buf_reset(&t);
	if (last && last->bit_rate > 0)
		buf_printf(&t, "%d bit/s", last->bit_rate);
	notice_report_line(out, "Speed:", buf_cstr(&t));
	notice_report_line(out, "ECM:", last ? (last->ecm ? "on" : "off") : NULL);
	notice_report_line(out, "Result:", "OK");
	snprintf(num, sizeof(num), "%d", j->attempts > (int)n->nattempts ? j->attempts : (int)n->nattempts);
	notice_report_line(out, "Attempts:", num);
	snprintf(num, sizeof(num), "%lld", (long long)j->id);
	notice_report_line(out, "Job:", num);
	notice_report_line(out, "Subject:", j->subject);
	buf_free(&t);
}

/* A Message-ID fit for In-Reply-To: "<...>", printable ASCII, no spaces. */
static bool notice_msgid_ok(const char *id)
{
	size_t len = id ? strnlen(id, 999) : 0;

	if (len < 3 || len > 998 || id[0] != '<' || id[len - 1] != '>')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
			return false;
	return true;
}

int mailout_notice(const struct conf *conf, const struct mailout_notice *n, struct mailout_mail *out,
                   struct buf *err)
{
	static const char *const templates[] = {"notice-success", "notice-failure", "notice-delay"};
	static const char *const kinds[] = {"success", "failure", "delay"};
	const struct job *j = n->job;
	const struct attempt *last = n->nattempts ? &n->attempts[n->nattempts - 1] : NULL;
	struct buf subject = BUF_INIT, body = BUF_INIT, date = BUF_INIT, dur = BUF_INIT, queued = BUF_INIT,
	           until = BUF_INIT, dsn = BUF_INIT, doc = BUF_INIT, why = BUF_INIT, name = BUF_INIT;
	char id[64], pages[32], sent[32], attempts[32];
	GMimeMessage *msg = NULL;
	GMimeMultipart *report = NULL;
	GMimeObject *part;
	int rc = -1;

	buf_init(&out->message);
	out->message_id = NULL;
	if ((unsigned)n->kind > MAILOUT_DELAY) {
		buf_puts(err, "unknown kind of notice");
		return -1;
	}
	if (j->sender == NULL || j->sender[0] == '\0') {
		buf_puts(err, "the job's mail came from the null sender: nobody to notify");
		return -1;
	}
	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	snprintf(pages, sizeof(pages), "%d", j->pages);
	snprintf(sent, sizeof(sent), "%d", j->pages_done);
	snprintf(attempts, sizeof(attempts), "%d",
	         j->attempts > (int)n->nattempts ? j->attempts : (int)n->nattempts);
	mailout_time(last ? (last->end > 0 ? last->end : last->start) : 0, "%Y-%m-%d %H:%M", &date);
	mailout_duration(last && last->end >= last->start ? last->end - last->start : -1, &dur);
	mailout_time(j->created, "%Y-%m-%d %H:%M", &queued);
	mailout_time(j->created + conf->retry_max_age, "%Y-%m-%d %H:%M", &until);
	const struct template_var vars[] = {
	    {"number", notice_or(j->number, "-")},
	    {"rcpt", notice_or(j->rcpt_addr, "-")},
	    {"rcpt_name", notice_or(j->rcpt_name, "-")},
	    {"company", notice_or(j->rcpt_company, "-")},
	    {"subject", notice_or(j->subject, "(no subject)")},
	    {"sender", j->sender},
	    {"pages", pages},
	    {"pages_sent", sent},
	    {"attempts", attempts},
	    {"reason", notice_or(n->reason, notice_or(j->reason, "-"))},
	    {"outcome", notice_or(n->outcome, notice_or(j->reason_code, "-"))},
	    {"station", last ? notice_or(last->remote_id, "-") : "-"},
	    {"date", buf_cstr(&date)},
	    {"duration", buf_cstr(&dur)},
	    {"queued", buf_cstr(&queued)},
	    {"retry_until", buf_cstr(&until)},
	    {"id", id},
	};
	if (mailout_texts(conf, templates[n->kind], vars, sizeof(vars) / sizeof(vars[0]), &subject, &body,
	                  err) < 0)
		goto out;

	snprintf(id, sizeof(id), "fax-notice.%lld.%s", (long long)j->id, kinds[n->kind]);
	msg = mailout_message_new(conf, "Fax service", id, buf_cstr(&subject), "auto-replied", out);
	if (mailout_add_to(msg, j->sender, err) < 0)
		goto out;
	if (notice_msgid_ok(j->message_id)) {
		g_mime_object_set_header((GMimeObject *)msg, "In-Reply-To", j->message_id, NULL);
		g_mime_object_set_header((GMimeObject *)msg, "References", j->message_id, NULL);
	}
	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	g_mime_object_set_header((GMimeObject *)msg, "X-Faxgate-Job", id, NULL);

	report = g_mime_multipart_new_with_subtype("report");
	g_mime_object_set_content_type_parameter((GMimeObject *)report, "report-type", "delivery-status");

	/* 1. for people: the text, and what goes with it */
	GMimeObject *text = mailout_text_part(body.data, body.len);
	bool with_pdf = n->kind == MAILOUT_FAILURE && conf->notify_attach_pdf && n->pages && n->pages->count;
	bool with_report = n->kind == MAILOUT_SUCCESS;
	if (!with_pdf && !with_report) {
		g_mime_multipart_add(report, text);
	} else {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, text);
		buf_puts(&name, "fax-");
		mailout_filename_part(notice_or(j->number, "unknown"), 32, &name);
		if (with_pdf) {
			struct faxpdf_info info = {j->subject, j->sender, NULL, "faxgate", j->created};
			if (faxpdf_write(n->pages, j->resolution, &info, &doc, &why) < 0) {
				/* The notice matters more than its attachment. */
				log_warning("job %lld: notice without its PDF: %s", (long long)j->id,
				            buf_cstr(&why));
			} else {
				char *file = xasprintf("%s.pdf", buf_cstr(&name));
				part = mailout_data_part("application", "pdf", file, doc.data, doc.len, true);
				free(file);
				g_mime_multipart_add(mixed, part);
				g_object_unref(part);
			}
		}
		if (with_report) {
			notice_report(n, last, &doc);
			part = mailout_text_part(doc.data, doc.len);
			g_mime_object_set_disposition(part, "inline");
			g_mime_part_set_filename((GMimePart *)part, "transmission-report.txt");
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
			buf_reset(&doc);
			if (n->pages && n->pages->count) {
				if (faxpreview_png(&n->pages->pages[0], j->resolution, NOTICE_PREVIEW_WIDTH,
				                   &doc, &why) < 0) {
					log_warning("job %lld: report without the first page: %s",
					            (long long)j->id, buf_cstr(&why));
				} else {
					char *file = xasprintf("%s-page1.png", buf_cstr(&name));
					part =
					    mailout_data_part("image", "png", file, doc.data, doc.len, false);
					free(file);
					g_mime_multipart_add(mixed, part);
					g_object_unref(part);
				}
			}
		}
		g_mime_multipart_add(report, (GMimeObject *)mixed);
		g_object_unref(mixed);
	}
	g_object_unref(text);

	/* 2. for programs: the delivery status */
	notice_dsn(conf, n, last, &dsn);
	part = (GMimeObject *)g_mime_part_new_with_type("message", "delivery-status");
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(dsn.data, dsn.len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content((GMimePart *)part, w);
	g_mime_part_set_content_encoding((GMimePart *)part, GMIME_CONTENT_ENCODING_7BIT);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_multipart_add(report, part);
	g_object_unref(part);

	/* 3. what the notice is about */
	part = notice_headers_part(j);
	g_mime_multipart_add(report, part);
	g_object_unref(part);

	g_mime_message_set_mime_part(msg, (GMimeObject *)report);
	mailout_finish(msg, out);
	msg = NULL;
	rc = 0;
out:
	if (report)
		g_object_unref(report);
	if (msg)
		g_object_unref(msg);
	if (rc < 0)
		mailout_mail_free(out);
	buf_free(&subject);
	buf_free(&body);
	buf_free(&date);
	buf_free(&dur);
	buf_free(&queued);
	buf_free(&until);
	buf_free(&dsn);
	buf_free(&doc);
	buf_free(&why);
	buf_free(&name);
	return rc;
}
