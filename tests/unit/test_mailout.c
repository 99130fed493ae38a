/*
 * test_mailout.c - the mails faxgate writes: templates (variables, "$$", malformed and unknown
 * names, hostile values, size limits, the admin's folder over the built-in texts, UTF-8), and
 * every kind of mail parsed back with gmime: headers present and safe (RFC 2047 subject, no header
 * smuggled in through a value, 7-bit only), the MIME structure of a received fax, of the three
 * RFC 3464 notices and of alerts, the delivery-status fields, and Message-IDs that never repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "conf/conf.h"
#include "mailout/mailout.h"
#include "mailout/mailout_int.h"
#include "mailout/template.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "testdir.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

static char dir[64];
static struct conf conf;

static int setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	log_open("test_mailout", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	if (testdir_make(dir, sizeof(dir), "test_mailout") < 0 || conf_load(&conf, NULL, &err) < 0)
		return -1;
	/* The admin's folder: empty unless a test puts a template there. */
	free(conf.mail_template_dir);
	conf.mail_template_dir = xstrdup(dir);
	free(conf.render_tmpdir);
	conf.render_tmpdir = xstrdup(dir);
	free(conf.mail_from);
	conf.mail_from = xstrdup("fax@example.com");
	g_mime_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	testdir_remove(dir);
	return 0;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static void remove_file(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	unlink(path);
	free(path);
}

/* Expand a template text; returns template_expand_text's result. */
static int expand(const char *text, const struct template_var *vars, size_t n, struct buf *subject,
                  struct buf *body)
{
	struct buf err = BUF_INIT;
	int rc = template_expand_text(text, strlen(text), vars, n, subject, body, &err);
	buf_free(&err);
	return rc;
}

static void test_template_vars(void **state)
{
	struct buf s = BUF_INIT, b = BUF_INIT;
	const struct template_var vars[] = {{"name", "Fax"}, {"n", "3"}, {"empty", NULL}, {"x_1", "ok"}};

	(void)state;
	assert_int_equal(expand("Subject: ${name} of ${n} pages\n\nHello ${name}, $${name} costs $$5 "
	                        "${empty}|${unknown}|${x_1}\n",
	                        vars, 4, &s, &b),
	                 0);
	assert_string_equal(buf_cstr(&s), "Fax of 3 pages");
	assert_string_equal(buf_cstr(&b), "Hello Fax, ${name} costs $5 ||ok\n");
	/* Malformed references stay as they are written. */
	assert_int_equal(expand("Subject: $ ${ ${} ${a b} ${name\n\n$x ${n}${ $\n", vars, 4, &s, &b), 0);
	assert_string_equal(buf_cstr(&s), "$ ${ ${} ${a b} ${name");
	assert_string_equal(buf_cstr(&b), "$x 3${ $\n");
	/* A name too long to be one. */
	struct buf t = BUF_INIT;
	buf_puts(&t, "Subject: x\n\n${");
	for (int i = 0; i < 100; i++)
		buf_putc(&t, 'a');
	buf_puts(&t, "}");
	assert_int_equal(expand(buf_cstr(&t), vars, 4, &s, &b), 0);
	assert_int_equal(b.len, t.len - strlen("Subject: x\n\n"));
	/* CRLF, a byte order mark, no blank line, case of "subject:", a trailing '$'. */
	assert_int_equal(expand("\xef\xbb\xbfsubject:\t${n}  \r\nbody ${n}\r\nend$", vars, 4, &s, &b), 0);
	assert_string_equal(buf_cstr(&s), "3");
	assert_string_equal(buf_cstr(&b), "body 3\nend$");
	buf_free(&t);
	buf_free(&s);
	buf_free(&b);
}

static void test_template_malformed(void **state)
{
	struct buf s = BUF_INIT, b = BUF_INIT, err = BUF_INIT;

	(void)state;
	assert_int_equal(expand("Hello\n\nbody\n", NULL, 0, &s, &b), -1);
	assert_int_equal(expand("", NULL, 0, &s, &b), -1);
	assert_int_equal(expand("Subjec", NULL, 0, &s, &b), -1);
	assert_int_equal(expand("Subject: caf\xe9\n\nbody\n", NULL, 0, &s, &b), -1); /* Latin-1, not UTF-8 */
	assert_int_equal(template_expand_text("Subject: a\0b\n\n", 14, NULL, 0, &s, &b, &err), -1);
	assert_true(strstr(buf_cstr(&err), "UTF-8") != NULL);
	assert_int_equal(expand("Subject:\n", NULL, 0, &s, &b),
	                 0); /* an empty subject is the admin's choice */
	assert_string_equal(buf_cstr(&s), "");
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&s);
	buf_free(&b);
	buf_free(&err);
}

static void test_template_hostile_values(void **state)
{
	struct buf s = BUF_INIT, b = BUF_INIT, big = BUF_INIT;
	const struct template_var vars[] = {
	    {"id", "REMOTE\r\nBcc: victim@example.com\x1b[2J\x7f"},
	    {"bad", "caf\xe9 \xff"},
	    {"text", "line 1\nline 2\tend\r\n"},
	};

	(void)state;
	assert_int_equal(
	    expand("Subject: from ${id} ${bad} ${text}\n\n${id}|${bad}|${text}", vars, 3, &s, &b), 0);
	/* The subject is one line: every control a space. */
	assert_null(strpbrk(buf_cstr(&s), "\r\n\x1b\x7f"));
	assert_string_equal(buf_cstr(&s),
	                    "from REMOTE Bcc: victim@example.com [2J  caf\xef\xbf\xbd \xef\xbf\xbd line 1 "
	                    "line 2 end");
	/*
	 * In the body a value from outside stays on its line (no forged "Bcc:" line); only ${text}
	 * keeps its line breaks and tabs, and its other controls become '?'.
	 */
	assert_string_equal(buf_cstr(&b),
	                    "REMOTE Bcc: victim@example.com [2J |caf\xef\xbf\xbd \xef\xbf\xbd|line 1\n"
	                    "line 2\tend\n");

	/* A huge value is cut (16 KiB), the subject stays short, the body bounded. */
	for (int i = 0; i < 100000; i++)
		buf_puts(&big, "\xc3\xa4"); /* two bytes: cuts must not split it */
	const struct template_var huge[] = {{"v", buf_cstr(&big)}};
	assert_int_equal(expand("Subject: ${v}\n\n${v}${v}", huge, 1, &s, &b), 0);
	assert_true(s.len <= 400 && s.len > 300);
	assert_true(g_utf8_validate(s.data, (gssize)s.len, NULL));
	assert_int_equal(b.len, 2 * 16384);
	assert_true(g_utf8_validate(b.data, (gssize)b.len, NULL));
	/* Many references to a huge value: the body stops at 1 MiB. */
	struct buf many = BUF_INIT;
	buf_puts(&many, "Subject: x\n\n");
	for (int i = 0; i < 3000; i++)
		buf_puts(&many, "${v}");
	assert_int_equal(expand(buf_cstr(&many), huge, 1, &s, &b), 0);
	assert_true(b.len <= ((size_t)1 << 20));
	assert_true(b.len > ((size_t)1 << 20) - 16);
	assert_true(g_utf8_validate(b.data, (gssize)b.len, NULL));
	buf_free(&many);
	buf_free(&big);
	buf_free(&s);
	buf_free(&b);
}

static void test_template_files(void **state)
{
	struct buf s = BUF_INIT, b = BUF_INIT, err = BUF_INIT, big = BUF_INIT;
	const struct template_var vars[] = {{"caller", "+4940555123"}, {"sender", "+4940555123"}};
	static const char *const names[] = {"fax",        "notice-success", "notice-failure", "notice-delay",
	                                    "alert-down", "alert-up",       "summary",        "alert-event"};

	(void)state;
	/* Every built-in template exists and expands. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(template_expand(&conf, names[i], vars, 2, &s, &b, &err), 0);
		assert_true(s.len > 0 && b.len > 0);
		assert_null(strstr(buf_cstr(&b), "${"));
	}
	assert_int_equal(template_expand(&conf, "fax", vars, 2, &s, &b, &err), 0);
	assert_string_equal(buf_cstr(&s), "Fax from +4940555123");
	assert_non_null(strstr(buf_cstr(&b), "+4940555123"));
	/* The admin's file wins. */
	write_text("fax.txt", "Subject: Telefax von ${caller}\n\nSie haben ein Fax erhalten.\n");
	assert_int_equal(template_expand(&conf, "fax", vars, 2, &s, &b, &err), 0);
	assert_string_equal(buf_cstr(&s), "Telefax von +4940555123");
	assert_string_equal(buf_cstr(&b), "Sie haben ein Fax erhalten.\n");
	/* A broken one is an error here (mailout falls back, see test_fax_mail). */
	write_text("fax.txt", "Telefax\n\nSie haben ein Fax erhalten.\n");
	buf_reset(&err);
	assert_int_equal(template_expand(&conf, "fax", vars, 2, &s, &b, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "fax.txt"));
	/* So is one over 64 KiB. */
	buf_puts(&big, "Subject: big\n\n");
	while (big.len <= 65536)
		buf_puts(&big, "0123456789abcdef\n");
	write_file("fax.txt", big.data, big.len);
	buf_reset(&err);
	assert_int_equal(template_expand(&conf, "fax", vars, 2, &s, &b, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "64 KiB"));
	remove_file("fax.txt");
	/* A folder in its place is not a template. */
	char *sub = xasprintf("%s/summary.txt", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(template_expand(&conf, "summary", vars, 2, &s, &b, &err), -1);
	rmdir(sub);
	free(sub);
	/* Unknown names and names that climb out of the folder. */
	assert_int_equal(template_expand(&conf, "nosuch", vars, 2, &s, &b, &err), -1);
	assert_int_equal(template_expand(&conf, "../fax", vars, 2, &s, &b, &err), -1);
	assert_int_equal(template_expand(&conf, "", vars, 2, &s, &b, &err), -1);
	buf_free(&big);
	buf_free(&s);
	buf_free(&b);
	buf_free(&err);
}

/* Without mail_template_dir, the folder is "templates" beside the configuration file. */
static void test_template_default_dir(void **state)
{
	struct buf d = BUF_INIT, s = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	char *saved = conf.mail_template_dir, *confpath = xasprintf("%s/faxgate.conf", dir);
	char *tdir = xasprintf("%s/templates", dir);

	(void)state;
	conf.mail_template_dir = xstrdup("");
	setenv("FAXGATE_CONF", confpath, 1);
	template_dir(&conf, &d);
	assert_string_equal(buf_cstr(&d), tdir);
	assert_int_equal(mkdir(tdir, 0700), 0);
	write_text("templates/alert-up.txt", "Subject: wieder gut\n\n");
	assert_int_equal(template_expand(&conf, "alert-up", NULL, 0, &s, &b, &err), 0);
	assert_string_equal(buf_cstr(&s), "wieder gut");
	remove_file("templates/alert-up.txt");
	rmdir(tdir);
	unsetenv("FAXGATE_CONF");
	free(conf.mail_template_dir);
	conf.mail_template_dir = saved;
	free(confpath);
	free(tdir);
	buf_free(&d);
	buf_free(&s);
	buf_free(&b);
	buf_free(&err);
}

/* ---- mails ---- */

static void make_pages(struct fax_page_list *l, int n, int height)
{
	for (int i = 0; i < n; i++) {
		struct bitmap b;
		struct fax_page p;
		bitmap_alloc(&b, FAX_WIDTH, height);
		for (int y = 50 + 40 * i; y < 70 + 40 * i; y++)
			for (int x = 100; x < 1500; x++)
				b.bits[(size_t)y * b.stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
		assert_int_equal(mmr_encode(&b, &p), 0);
		bitmap_free(&b);
		fax_page_list_push(l, &p);
	}
}

static GMimeMessage *parse(const struct mailout_mail *m)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(m->message.data, m->message.len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(msg);
	/* Only 7-bit: no relay needs 8BITMIME for faxgate's mail; LF line ends. */
	for (size_t i = 0; i < m->message.len; i++) {
		assert_true((unsigned char)m->message.data[i] < 0x80);
		assert_true(m->message.data[i] != '\r');
	}
	assert_non_null(m->message_id);
	assert_true(m->message_id[0] == '<' && m->message_id[strlen(m->message_id) - 1] == '>');
	/* The Message-ID header is the one reported. */
	char *mid = xasprintf("<%s>", g_mime_message_get_message_id(msg));
	assert_string_equal(mid, m->message_id);
	free(mid);
	assert_non_null(g_mime_message_get_date(msg));
	assert_non_null(g_mime_message_get_subject(msg));
	return msg;
}

static const char *header(GMimeMessage *msg, const char *name)
{
	return g_mime_object_get_header((GMimeObject *)msg, name);
}

/* The raw header section (up to the first blank line) contains s. */
static bool raw_header_has(const struct mailout_mail *m, const char *s)
{
	const char *end = strstr(m->message.data, "\n\n");
	const char *hit = strstr(m->message.data, s);
	return hit && end && hit < end;
}

/* Bytes of a part's decoded content. */
static size_t part_bytes(GMimeObject *o, struct buf *out)
{
	GMimeDataWrapper *w = g_mime_part_get_content((GMimePart *)o);
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *a;

	g_mime_data_wrapper_write_to_stream(w, s);
	a = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)s);
	buf_reset(out);
	buf_append(out, a->data, a->len);
	g_object_unref(s);
	return out->len;
}

static void test_fax_mail(void **state)
{
	struct fax_page_list pages = {0};
	int bad[3] = {0, 5, 0};
	const char *to[] = {"alice@example.com", "bob@example.com"};
	struct inbound in = {.id = 77,
	                     .received = 1780000000,
	                     .started = 1780000000 - 125,
	                     .line = "sim0",
	                     .caller = "+4940555123",
	                     .called = "+4930123456",
	                     .remote_id = "ACME \x1b[2J",
	                     .resolution = FAX_RES_STANDARD,
	                     .partial = true};
	struct mailout_fax f = {&in, &pages, bad, to, 2, "table\r\nBcc: evil@example.com"};
	struct mailout_mail m1, m2;
	struct buf err = BUF_INIT, data = BUF_INIT;
	GMimeMessage *msg;

	(void)state;
	make_pages(&pages, 3, 1143);
	conf.inbound_attach_tiff = true;
	conf.inbound_preview = true;
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), 0);
	msg = parse(&m1);
	assert_string_equal(g_mime_message_get_subject(msg), "Fax from +4940555123 (incomplete)");
	InternetAddressList *from = g_mime_message_get_from(msg);
	assert_int_equal(internet_address_list_length(from), 1);
	InternetAddress *a = internet_address_list_get_address(from, 0);
	assert_string_equal(internet_address_get_name(a), "+4940555123");
	assert_string_equal(internet_address_mailbox_get_addr((InternetAddressMailbox *)a),
	                    "fax@example.com");
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(msg)), 2);
	assert_string_equal(header(msg, "X-Faxgate-Fax"), "77");
	/* The route note's line break could not start a header of its own. */
	assert_null(header(msg, "Bcc"));
	assert_false(raw_header_has(&m1, "\nBcc:"));
	assert_non_null(strstr(header(msg, "X-Faxgate-Route"), "table??Bcc"));
	assert_true(g_str_has_prefix(m1.message_id, "<fax-in.77."));

	GMimeObject *top = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(top));
	GMimeMultipart *mp = (GMimeMultipart *)top;
	assert_int_equal(g_mime_multipart_get_count(mp), 4);
	GMimeObject *text = g_mime_multipart_get_part(mp, 0);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(text), "text", "plain"));
	char *body = g_mime_text_part_get_text((GMimeTextPart *)text);
	assert_non_null(strstr(body, "ACME  [2J")); /* the escape defused, on its line */
	assert_non_null(strstr(body, "02:05"));
	assert_non_null(strstr(body, "damaged rows on page 2"));
	g_free(body);
	GMimeObject *pdf = g_mime_multipart_get_part(mp, 1);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(pdf), "application", "pdf"));
	char stamp[64];
	time_t t = (time_t)in.received;
	struct tm tm;
	strftime(stamp, sizeof(stamp), "fax-+4940555123-%Y%m%d-%H%M%S.pdf", localtime_r(&t, &tm));
	assert_string_equal(g_mime_part_get_filename((GMimePart *)pdf), stamp);
	assert_string_equal(g_mime_object_get_disposition(pdf), "attachment");
	assert_true(part_bytes(pdf, &data) > 100);
	assert_memory_equal(data.data, "%PDF-", 5);
	GMimeObject *tif = g_mime_multipart_get_part(mp, 2);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(tif), "image", "tiff"));
	assert_true(part_bytes(tif, &data) > 100);
	assert_memory_equal(data.data, "II*\0", 4);
	GMimeObject *png = g_mime_multipart_get_part(mp, 3);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(png), "image", "png"));
	assert_string_equal(g_mime_object_get_disposition(png), "inline");
	assert_true(part_bytes(png, &data) > 50);
	assert_memory_equal(data.data, "\x89PNG", 4);
	g_object_unref(msg);

	/* The same fax again: a new Message-ID (the outbox keeps the first one's bytes). */
	assert_int_equal(mailout_fax(&conf, &f, &m2, &err), 0);
	assert_string_not_equal(m1.message_id, m2.message_id);
	mailout_mail_free(&m2);
	mailout_mail_free(&m1);

	/* Neither TIFF nor preview; a caller unknown: the station names the sender. */
	conf.inbound_attach_tiff = false;
	conf.inbound_preview = false;
	in.caller = NULL;
	in.partial = false;
	in.remote_id = "Stati\xc3\xb6n \"A\" <x>";
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), 0);
	msg = parse(&m1);
	assert_string_equal(g_mime_message_get_subject(msg), "Fax from Stati\xc3\xb6n \"A\" <x>");
	assert_true(raw_header_has(&m1, "Subject: Fax from =?")); /* RFC 2047 */
	a = internet_address_list_get_address(g_mime_message_get_from(msg), 0);
	assert_string_equal(internet_address_get_name(a), "Stati\xc3\xb6n \"A\" <x>");
	assert_string_equal(internet_address_mailbox_get_addr((InternetAddressMailbox *)a),
	                    "fax@example.com");
	assert_int_equal(g_mime_multipart_get_count((GMimeMultipart *)g_mime_message_get_mime_part(msg)), 2);
	g_object_unref(msg);
	mailout_mail_free(&m1);

	/* A broken translation: the built-in text goes out instead, and the fax is not lost. */
	write_text("fax.txt", "Telefax von ${caller}\n");
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), 0);
	msg = parse(&m1);
	assert_true(g_str_has_prefix(g_mime_message_get_subject(msg), "Fax from "));
	g_object_unref(msg);
	mailout_mail_free(&m1);
	/* A good translation is used. */
	write_text("fax.txt", "Subject: Telefax von ${sender} \xe2\x80\x93 ${pages} Seiten\n\nHallo\n");
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), 0);
	msg = parse(&m1);
	assert_string_equal(g_mime_message_get_subject(msg),
	                    "Telefax von Stati\xc3\xb6n \"A\" <x> \xe2\x80\x93 3 Seiten");
	g_object_unref(msg);
	mailout_mail_free(&m1);
	remove_file("fax.txt");

	/* No pages: the text alone. */
	struct fax_page_list none = {0};
	f.pages = &none;
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), 0);
	msg = parse(&m1);
	assert_true(GMIME_IS_TEXT_PART(g_mime_message_get_mime_part(msg)));
	g_object_unref(msg);
	mailout_mail_free(&m1);
	f.pages = &pages;

	/* Refusals: nobody to send to, an address that is none. */
	f.nto = 0;
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), -1);
	assert_null(m1.message_id);
	const char *bad_to[] = {"alice@example.com\r\nBcc: x@example.com"};
	f.to = bad_to;
	f.nto = 1;
	buf_reset(&err);
	assert_int_equal(mailout_fax(&conf, &f, &m1, &err), -1);
	assert_true(err.len > 0);
	assert_null(m1.message_id);
	assert_int_equal(m1.message.len, 0);

	fax_page_list_free(&pages);
	buf_free(&err);
	buf_free(&data);
}

/* The delivery-status part's text and the rfc822-headers part's text of a notice. */
static void notice_parts(GMimeMessage *msg, GMimeObject **human, struct buf *dsn, struct buf *headers)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = g_mime_object_get_content_type(top);

	assert_true(g_mime_content_type_is_type(ct, "multipart", "report"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "report-type"), "delivery-status");
	assert_int_equal(g_mime_multipart_get_count((GMimeMultipart *)top), 3);
	*human = g_mime_multipart_get_part((GMimeMultipart *)top, 0);
	GMimeObject *d = g_mime_multipart_get_part((GMimeMultipart *)top, 1);
	assert_true(
	    g_mime_content_type_is_type(g_mime_object_get_content_type(d), "message", "delivery-status"));
	part_bytes(d, dsn);
	GMimeObject *h = g_mime_multipart_get_part((GMimeMultipart *)top, 2);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(h), "text", "rfc822-headers"));
	part_bytes(h, headers);
}

static void test_notices(void **state)
{
	struct fax_page_list pages = {0};
	struct job j = {.id = 9,
	                .created = 1780000000,
	                .sender = "bob@example.com",
	                .number = "+4930123456",
	                .rcpt_addr = "+4930123456@fax.example.com",
	                .rcpt_name = "J\xc3\xbcrgen",
	                .subject = "Offer \xe2\x80\x93 final",
	                .pages = 2,
	                .resolution = FAX_RES_FINE,
	                .attempts = 3,
	                .reason_code = "busy",
	                .reason = "the line was busy (3 attempts)",
	                .orcpt = "rfc822;+2B4930123456@fax.example.com",
	                .message_id = "<abc.1@client.example.com>",
	                .headers =
	                    "From: Bob <bob@example.com>\r\nSubject: Offer\r\nX-Evil: \xff\xfe\r\n\r\n"};
	struct attempt at[2] = {
	    {.start = 1780000100, .end = 1780000110, .outcome = "busy"},
	    {.start = 1780000500,
	     .end = 1780000590,
	     .remote_id = "+49 30 123456\x1b",
	     .bit_rate = 9600,
	     .ecm = false,
	     .outcome = "busy"},
	};
	struct mailout_notice n = {
	    MAILOUT_FAILURE, &j, at, 2, &pages, "busy", "the line was busy (3 attempts)"};
	struct mailout_mail m, m2;
	struct buf err = BUF_INIT, dsn = BUF_INIT, hdr = BUF_INIT, data = BUF_INIT;
	GMimeMessage *msg;
	GMimeObject *human;

	(void)state;
	make_pages(&pages, 2, 2287);

	/* Failure: the text and the fax as a PDF, status 5.4.1 for busy. */
	conf.notify_attach_pdf = true;
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	assert_string_equal(g_mime_message_get_subject(msg),
	                    "Fax to +4930123456 failed: Offer \xe2\x80\x93 final");
	assert_true(raw_header_has(&m, "Subject: Fax to +4930123456 failed: Offer =?"));
	assert_string_equal(
	    internet_address_mailbox_get_addr(
	        (InternetAddressMailbox *)internet_address_list_get_address(g_mime_message_get_to(msg), 0)),
	    "bob@example.com");
	assert_string_equal(header(msg, "In-Reply-To"), "<abc.1@client.example.com>");
	assert_string_equal(header(msg, "References"), "<abc.1@client.example.com>");
	assert_string_equal(header(msg, "Auto-Submitted"), "auto-replied");
	assert_true(g_str_has_prefix(m.message_id, "<fax-notice.9.failure."));
	notice_parts(msg, &human, &dsn, &hdr);
	assert_true(GMIME_IS_MULTIPART(human));
	assert_int_equal(g_mime_multipart_get_count((GMimeMultipart *)human), 2);
	GMimeObject *pdf = g_mime_multipart_get_part((GMimeMultipart *)human, 1);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(pdf), "application", "pdf"));
	assert_string_equal(g_mime_part_get_filename((GMimePart *)pdf), "fax-+4930123456.pdf");
	part_bytes(pdf, &data);
	assert_memory_equal(data.data, "%PDF-", 5);
	char *text =
	    g_mime_text_part_get_text((GMimeTextPart *)g_mime_multipart_get_part((GMimeMultipart *)human, 0));
	assert_non_null(strstr(text, "the line was busy (3 attempts)"));
	assert_non_null(strstr(text, "J\xc3\xbcrgen"));
	g_free(text);
	const char *d = buf_cstr(&dsn);
	assert_non_null(strstr(d, "Reporting-MTA: dns; "));
	assert_non_null(strstr(d, "\nArrival-Date: "));
	assert_non_null(strstr(d, "\n\nOriginal-Recipient: rfc822;+4930123456@fax.example.com\n"));
	assert_non_null(strstr(d, "\nFinal-Recipient: rfc822; +4930123456@fax.example.com\n"));
	assert_non_null(strstr(d, "\nAction: failed\n"));
	assert_non_null(strstr(d, "\nStatus: 5.4.1\n"));
	assert_non_null(strstr(d, "\nRemote-MTA: X-Fax; +49 30 123456?\n"));
	assert_non_null(strstr(d, "\nDiagnostic-Code: X-Fax; busy: the line was busy (3 attempts)\n"));
	assert_non_null(strstr(d, "\nLast-Attempt-Date: "));
	assert_null(strstr(d, "Will-Retry-Until"));
	/* The original headers, one section, line ends LF, valid UTF-8. */
	assert_true(
	    g_str_has_prefix(buf_cstr(&hdr), "From: Bob <bob@example.com>\nSubject: Offer\nX-Evil: "));
	assert_null(strstr(buf_cstr(&hdr), "\n\n"));
	g_object_unref(msg);

	/* Two notices of the same job differ in their Message-ID. */
	assert_int_equal(mailout_notice(&conf, &n, &m2, &err), 0);
	assert_string_not_equal(m.message_id, m2.message_id);
	mailout_mail_free(&m2);
	mailout_mail_free(&m);

	/* Without the PDF (notify_attach_pdf = no): the text alone as the first part. */
	conf.notify_attach_pdf = false;
	n.outcome = "unassigned";
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	notice_parts(msg, &human, &dsn, &hdr);
	assert_true(GMIME_IS_TEXT_PART(human));
	assert_non_null(strstr(buf_cstr(&dsn), "\nStatus: 5.1.1\n"));
	g_object_unref(msg);
	mailout_mail_free(&m);
	/* a call the network would not place (SIP 403): not authorized */
	n.outcome = "forbidden";
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	notice_parts(msg, &human, &dsn, &hdr);
	assert_non_null(strstr(buf_cstr(&dsn), "\nStatus: 5.7.1\n"));
	g_object_unref(msg);
	mailout_mail_free(&m);
	conf.notify_attach_pdf = true;

	/* Delay: 4.x.x, delayed, until when; no PDF; the headers rebuilt from the job. */
	n.kind = MAILOUT_DELAY;
	n.outcome = "no_answer";
	j.headers = NULL;
	j.orcpt = NULL;
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	assert_true(g_str_has_prefix(g_mime_message_get_subject(msg), "Fax to +4930123456 delayed"));
	notice_parts(msg, &human, &dsn, &hdr);
	assert_true(GMIME_IS_TEXT_PART(human));
	assert_non_null(strstr(buf_cstr(&dsn), "\nAction: delayed\n"));
	assert_non_null(strstr(buf_cstr(&dsn), "\nStatus: 4.4.1\n"));
	assert_non_null(strstr(buf_cstr(&dsn), "\nWill-Retry-Until: "));
	assert_null(strstr(buf_cstr(&dsn), "Original-Recipient"));
	assert_non_null(strstr(buf_cstr(&hdr), "From: <bob@example.com>\n"));
	assert_non_null(strstr(buf_cstr(&hdr), "Message-ID: <abc.1@client.example.com>\n"));
	assert_non_null(strstr(buf_cstr(&hdr), "Subject: Offer =?"));
	g_object_unref(msg);
	mailout_mail_free(&m);

	/* Success: a transmission report and the first page, reduced; 2.0.0 delivered. */
	n.kind = MAILOUT_SUCCESS;
	n.outcome = "ok";
	at[1].outcome = "ok";
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	assert_true(g_str_has_prefix(g_mime_message_get_subject(msg), "Fax to +4930123456 sent"));
	notice_parts(msg, &human, &dsn, &hdr);
	assert_true(GMIME_IS_MULTIPART(human));
	assert_int_equal(g_mime_multipart_get_count((GMimeMultipart *)human), 3);
	GMimeObject *report = g_mime_multipart_get_part((GMimeMultipart *)human, 1);
	assert_string_equal(g_mime_part_get_filename((GMimePart *)report), "transmission-report.txt");
	text = g_mime_text_part_get_text((GMimeTextPart *)report);
	assert_non_null(strstr(text, "TRANSMISSION REPORT"));
	assert_non_null(strstr(text, "Speed:           9600 bit/s"));
	assert_non_null(strstr(text, "ECM:             off"));
	assert_non_null(strstr(text, "Duration:        01:30"));
	assert_non_null(strstr(text, "Attempts:        3"));
	assert_non_null(strstr(text, "Remote station:  +49 30 123456 \n"));
	assert_non_null(strstr(text, "Recipient:       J\xc3\xbcrgen\n"));
	assert_non_null(strstr(text, "Company:         -\n"));
	g_free(text);
	GMimeObject *png = g_mime_multipart_get_part((GMimeMultipart *)human, 2);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(png), "image", "png"));
	part_bytes(png, &data);
	assert_memory_equal(data.data, "\x89PNG", 4);
	assert_non_null(strstr(buf_cstr(&dsn), "\nAction: delivered\n"));
	assert_non_null(strstr(buf_cstr(&dsn), "\nStatus: 2.0.0\n"));
	g_object_unref(msg);
	mailout_mail_free(&m);

	/* Unknown outcomes are x.0.0; a bad original Message-ID is not threaded on. */
	n.kind = MAILOUT_FAILURE;
	n.outcome = "something_new";
	j.message_id = "<a b>\r\nBcc: x@example.com";
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	assert_null(header(msg, "In-Reply-To"));
	assert_null(header(msg, "Bcc"));
	notice_parts(msg, &human, &dsn, &hdr);
	assert_non_null(strstr(buf_cstr(&dsn), "\nStatus: 5.0.0\n"));
	assert_null(strstr(buf_cstr(&hdr), "\nBcc:"));
	g_object_unref(msg);
	mailout_mail_free(&m);

	/* A long reason is folded, never longer than 78 + a word. */
	char longreason[400];
	memset(longreason, 0, sizeof(longreason));
	for (int i = 0; i < 40; i++)
		strcat(longreason, "word1234 ");
	n.reason = longreason;
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), 0);
	msg = parse(&m);
	notice_parts(msg, &human, &dsn, &hdr);
	for (char *line = strtok(dsn.data, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 78);
	g_object_unref(msg);
	mailout_mail_free(&m);

	/* The null sender gets no notice. */
	j.sender = "";
	buf_reset(&err);
	assert_int_equal(mailout_notice(&conf, &n, &m, &err), -1);
	assert_true(err.len > 0);

	fax_page_list_free(&pages);
	buf_free(&err);
	buf_free(&dsn);
	buf_free(&hdr);
	buf_free(&data);
}

static void test_alerts(void **state)
{
	const char *to[] = {"admin@example.com", "ops@example.com"};
	struct mailout_alert a = {MAILOUT_ALERT_DOWN,
	                          "line_down:sim0\nBcc: x@example.com",
	                          "line sim0 out of service",
	                          "3 calls failed\nin a row",
	                          1780000000,
	                          4,
	                          to,
	                          2};
	struct mailout_mail m, m2;
	struct buf err = BUF_INIT;
	GMimeMessage *msg;

	(void)state;
	assert_int_equal(mailout_alert(&conf, &a, &m, &err), 0);
	msg = parse(&m);
	assert_string_equal(g_mime_message_get_subject(msg), "[faxgate] PROBLEM: line sim0 out of service");
	assert_string_equal(header(msg, "X-Faxgate-Alert"), "line_down:sim0?Bcc: x@example.com");
	assert_null(header(msg, "Bcc"));
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(msg)), 2);
	assert_true(GMIME_IS_TEXT_PART(g_mime_message_get_mime_part(msg)));
	char *text = g_mime_text_part_get_text((GMimeTextPart *)g_mime_message_get_mime_part(msg));
	assert_non_null(strstr(text, "3 calls failed\nin a row"));
	assert_non_null(strstr(text, "(hourly limit): 4"));
	assert_non_null(strstr(text, "every 4 h"));
	g_free(text);
	g_object_unref(msg);

	assert_int_equal(mailout_alert(&conf, &a, &m2, &err), 0);
	assert_string_not_equal(m.message_id, m2.message_id);
	mailout_mail_free(&m);
	mailout_mail_free(&m2);

	a.kind = MAILOUT_ALERT_UP;
	a.key = "line_down:sim0";
	assert_int_equal(mailout_alert(&conf, &a, &m, &err), 0);
	msg = parse(&m);
	assert_string_equal(g_mime_message_get_subject(msg), "[faxgate] RECOVERED: line sim0 out of service");
	assert_string_equal(header(msg, "X-Faxgate-Alert"), "line_down:sim0");
	g_object_unref(msg);
	mailout_mail_free(&m);

	a.kind = MAILOUT_ALERT_SUMMARY;
	a.key = NULL;
	a.title = "12 sent";
	assert_int_equal(mailout_alert(&conf, &a, &m, &err), 0);
	msg = parse(&m);
	assert_string_equal(g_mime_message_get_subject(msg), "[faxgate] Daily summary: 12 sent");
	assert_string_equal(header(msg, "X-Faxgate-Alert"), "summary");
	g_object_unref(msg);
	mailout_mail_free(&m);

	a.nto = 0;
	assert_int_equal(mailout_alert(&conf, &a, &m, &err), -1);
	buf_free(&err);
}

/* mail_from empty: faxgate@ the host name. */
static void test_from_address(void **state)
{
	struct buf b = BUF_INIT;
	char *saved = conf.mail_from;

	(void)state;
	mailout_from_address(&conf, &b);
	assert_string_equal(buf_cstr(&b), "fax@example.com");
	conf.mail_from = xstrdup("Fax Server <fax@example.org>");
	mailout_from_address(&conf, &b);
	assert_string_equal(buf_cstr(&b), "fax@example.org");
	free(conf.mail_from);
	conf.mail_from = xstrdup("");
	mailout_from_address(&conf, &b);
	assert_true(g_str_has_prefix(buf_cstr(&b), "faxgate@"));
	assert_true(b.len > strlen("faxgate@"));
	free(conf.mail_from);
	conf.mail_from = saved;
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_template_vars),
	    cmocka_unit_test(test_template_malformed),
	    cmocka_unit_test(test_template_hostile_values),
	    cmocka_unit_test(test_template_files),
	    cmocka_unit_test(test_template_default_dir),
	    cmocka_unit_test(test_fax_mail),
	    cmocka_unit_test(test_notices),
	    cmocka_unit_test(test_alerts),
	    cmocka_unit_test(test_from_address),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
