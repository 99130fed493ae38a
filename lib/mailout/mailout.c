/*
 * mailout.c - what every mail faxgate writes has in common: the sender's address, a unique
 * Message-ID, the message's headers and parts made with gmime, and the texts from the templates.
 *
 * gmime does the encoding: RFC 2047 for a subject or a display name that is not ASCII, quoting of
 * names with specials, folding of long headers, quoted-printable or base64 for bodies. What goes
 * into headers from outside (addresses, station ids, route notes) is checked or reduced to
 * printable ASCII here first, so no value can add a header of its own.
 */
#include "mailout/mailout.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mailout/mailout_int.h"
#include "util/log.h"
#include "util/xalloc.h"

/* An address longer than this is no address (RFC 5321: 64 + 1 + 255). */
#define MAILOUT_MAX_ADDR 320
/* Bytes of a display name. */
#define MAILOUT_MAX_NAME 80

static pthread_once_t mailout_once = PTHREAD_ONCE_INIT;

static void mailout_gmime_init(void)
{
	g_mime_init();
}

void mailout_mail_free(struct mailout_mail *m)
{
	buf_free(&m->message);
	free(m->message_id);
	m->message_id = NULL;
}

void mailout_host(struct buf *out)
{
	char name[256];

	buf_reset(out);
	if (gethostname(name, sizeof(name)) < 0)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	for (char *p = name; *p; p++)
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '.')
			buf_putc(out, *p);
	if (out->len == 0)
		buf_puts(out, "localhost");
}

void mailout_from_address(const struct conf *conf, struct buf *out)
{
	buf_reset(out);
	if (conf->mail_from && conf->mail_from[0]) {
		/* An address is asked for; "Name <addr>" is forgiven: the address in it. */
		const char *lt = strchr(conf->mail_from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (gt && gt > lt + 1)
			buf_append(out, lt + 1, (size_t)(gt - lt - 1));
		else
			buf_puts(out, conf->mail_from);
		return;
	}
	struct buf host = BUF_INIT;
	mailout_host(&host);
	buf_printf(out, "faxgate@%s", buf_cstr(&host));
	buf_free(&host);
}

int mailout_texts(const struct conf *conf, const char *name, const struct template_var *vars, size_t nvars,
                  struct buf *subject, struct buf *body, struct buf *err)
{
	struct buf why = BUF_INIT;
	const char *text;

	if (template_expand(conf, name, vars, nvars, subject, body, &why) == 0) {
		buf_free(&why);
		return 0;
	}
	text = template_builtin_text(name);
	if (text == NULL) {
		buf_printf(err, "%s", buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	log_error("%s; using the built-in template %s instead", buf_cstr(&why), name);
	buf_free(&why);
	return template_expand_text(text, strlen(text), vars, nvars, subject, body, err);
}

/* Random hex digits for Message-IDs: unique even for two mails in the same second and process. */
static void mailout_random(struct buf *out)
{
	unsigned char r[10];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Only before the kernel's pool is ready (early boot): time, pid and a counter then. */
		static unsigned counter;
		unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		struct timespec ts;
		uint64_t v;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 44);
		memcpy(r, &v, sizeof(v));
		r[8] = (unsigned char)(n >> 8);
		r[9] = (unsigned char)n;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		buf_printf(out, "%02x", r[i]);
}

/* A display name: valid UTF-8, controls as spaces, bounded; gmime quotes and encodes it. */
static char *mailout_display_name(const char *name)
{
	struct buf b = BUF_INIT;
	gchar *valid;
	size_t len;

	if (name == NULL || name[0] == '\0')
		return NULL;
	valid = g_utf8_make_valid(name, (gssize)strnlen(name, MAILOUT_MAX_NAME * 2));
	len = strlen(valid);
	if (len > MAILOUT_MAX_NAME) {
		len = MAILOUT_MAX_NAME;
		while (len > 0 && ((unsigned char)valid[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++)
		buf_putc(&b, (unsigned char)valid[i] < 0x20 || valid[i] == 0x7f ? ' ' : valid[i]);
	g_free(valid);
	return buf_steal(&b);
}

GMimeMessage *mailout_message_new(const struct conf *conf, const char *from_name, const char *id_prefix,
                                  const char *subject, const char *auto_submitted, struct mailout_mail *out)
{
	struct buf from = BUF_INIT, id = BUF_INIT, host = BUF_INIT;
	GMimeMessage *msg;
	GDateTime *now;
	char *name;

	pthread_once(&mailout_once, mailout_gmime_init);
	buf_init(&out->message);
	out->message_id = NULL;
	msg = g_mime_message_new(TRUE);
	mailout_from_address(conf, &from);
	name = mailout_display_name(from_name);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, name, buf_cstr(&from));
	free(name);
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	g_mime_message_set_subject(msg, subject, "utf-8");
	mailout_host(&host);
	buf_printf(&id, "%s.", id_prefix);
	mailout_random(&id);
	buf_printf(&id, "@%s", buf_cstr(&host));
	g_mime_message_set_message_id(msg, buf_cstr(&id));
	out->message_id = xasprintf("<%s>", buf_cstr(&id));
	if (auto_submitted)
		g_mime_object_set_header((GMimeObject *)msg, "Auto-Submitted", auto_submitted, NULL);
	buf_free(&from);
	buf_free(&id);
	buf_free(&host);
	return msg;
}

int mailout_add_to(GMimeMessage *msg, const char *addr, struct buf *err)
{
	size_t len = addr ? strnlen(addr, MAILOUT_MAX_ADDR + 1) : 0;

	if (len == 0 || len > MAILOUT_MAX_ADDR) {
		buf_printf(err, "recipient address %s", len ? "too long" : "empty");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c <= ' ' || c == 0x7f || strchr("<>,;\"()", c)) {
			buf_puts(err, "recipient address with spaces, controls or specials");
			return -1;
		}
	}
	if (!g_utf8_validate(addr, (gssize)len, NULL)) {
		buf_puts(err, "recipient address not valid UTF-8");
		return -1;
	}
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, addr);
	return 0;
}

static GMimeDataWrapper *mailout_content(const void *data, size_t len)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);

	g_object_unref(s);
	return w;
}

GMimeObject *mailout_text_part(const char *text, size_t len)
{
	GMimeTextPart *t = g_mime_text_part_new_with_subtype("plain");
	GMimeDataWrapper *w = mailout_content(text, len);

	g_mime_text_part_set_charset(t, "utf-8");
	g_mime_part_set_content((GMimePart *)t, w);
	g_object_unref(w);
	g_mime_part_set_content_encoding((GMimePart *)t, g_mime_part_get_best_content_encoding(
	                                                     (GMimePart *)t, GMIME_ENCODING_CONSTRAINT_7BIT));
	return (GMimeObject *)t;
}

GMimeObject *mailout_data_part(const char *type, const char *subtype, const char *filename, const void *data,
                               size_t len, bool attachment)
{
	GMimePart *p = g_mime_part_new_with_type(type, subtype);
	GMimeDataWrapper *w = mailout_content(data, len);

	g_mime_part_set_content(p, w);
	g_object_unref(w);
	g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition((GMimeObject *)p, attachment ? "attachment" : "inline");
	if (filename)
		g_mime_part_set_filename(p, filename);
	return (GMimeObject *)p;
}

void mailout_finish(GMimeMessage *msg, struct mailout_mail *out)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	g_mime_object_write_to_stream((GMimeObject *)msg, fo, mem);
	bytes = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
	buf_reset(&out->message);
	buf_append(&out->message, bytes->data, bytes->len);
	g_object_unref(mem);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
}

void mailout_ascii(const char *s, size_t max, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; s && s[i] && i < max; i++)
		buf_putc(out, (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?');
	buf_cstr(out);
}

void mailout_set_ascii_header(GMimeObject *obj, const char *name, const char *value, size_t max)
{
	struct buf v = BUF_INIT;

	mailout_ascii(value, max, &v);
	g_mime_object_set_header(obj, name, buf_cstr(&v), NULL);
	buf_free(&v);
}

void mailout_time(int64_t t, const char *fmt, struct buf *out)
{
	char s[64];
	time_t tt = (time_t)t;
	struct tm tm;

	buf_reset(out);
	if (t <= 0 || localtime_r(&tt, &tm) == NULL || strftime(s, sizeof(s), fmt, &tm) == 0) {
		buf_puts(out, "-");
		return;
	}
	buf_puts(out, s);
}

void mailout_duration(int64_t secs, struct buf *out)
{
	buf_reset(out);
	if (secs < 0) {
		buf_puts(out, "-");
		return;
	}
	if (secs >= 3600)
		buf_printf(out, "%lld:%02lld:%02lld", (long long)(secs / 3600), (long long)(secs / 60 % 60),
		           (long long)(secs % 60));
	else
		buf_printf(out, "%02lld:%02lld", (long long)(secs / 60), (long long)(secs % 60));
}

void mailout_filename_part(const char *s, size_t max, struct buf *out)
{
	for (size_t i = 0; s && s[i] && i < max; i++)
		buf_putc(out, g_ascii_isalnum(s[i]) || s[i] == '+' || s[i] == '-' ? s[i] : '_');
	buf_cstr(out);
}
