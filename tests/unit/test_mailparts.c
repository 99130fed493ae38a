/*
 * test_mailparts.c - mails as common clients send them, taken apart: which parts become documents,
 * their names (RFC 2047, RFC 2231, TNEF long names) and their exact bytes, the body text, the
 * options in headers and subject, and the errors for mails too deep, too big, encrypted or with
 * malformed options. Fixtures are in tests/fixtures/mail (made by make-mail.py and make-tnef.py);
 * the expected bytes are rebuilt here from the same formulas and texts, not copied from output.
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

#include <cmocka.h>

#include "mail/htmltext.h"
#include "mail/mailopts.h"
#include "mail/mailparts.h"
#include "mail/tnef.h"
#include "render/geometry.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* The mails are dated November 2026; "now" is Wednesday 25 November 2026, 12:00 in Berlin. */
static int64_t now;

/* Same formula as tests/fixtures/mail/payload.py. */
static void payload(struct buf *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf_putc(b, (char)(((i * 131 + seed) ^ (i >> 3)) & 0xFF));
}

static void pdf_like(struct buf *b, size_t n, unsigned seed)
{
	buf_puts(b, "%PDF-1.4\n");
	payload(b, n - 9, seed);
}

static int64_t local_time(int y, int mon, int d, int h, int min)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mon - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = min,
	                .tm_isdst = -1};

	return (int64_t)mktime(&tm);
}

static void read_fixture(const char *name, struct buf *b)
{
	const char *src = getenv("FAXGATE_SRC");
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/mail/%s", src != NULL ? src : ".", name);
	if (buf_read_file(b, path, 1 << 24) < 0)
		fail_msg("cannot read %s (run from the source tree or set FAXGATE_SRC)", path);
}

static enum mailparts_rc parse_fixture(const char *name, struct mailparts *m, struct buf *err)
{
	struct buf b = BUF_INIT;
	enum mailparts_rc rc;

	read_fixture(name, &b);
	rc = mailparts_parse(b.data, b.len, now, m, err);
	buf_free(&b);
	return rc;
}

static void parse_ok(const char *name, struct mailparts *m)
{
	struct buf err = BUF_INIT;
	enum mailparts_rc rc = parse_fixture(name, m, &err);

	if (rc != MAILPARTS_OK)
		fail_msg("%s: rc %d: %s", name, rc, buf_cstr(&err));
	buf_free(&err);
}

static void check_doc(const struct mailparts *m, size_t i, const char *name, const void *data, size_t len,
                      bool is_body)
{
	assert_true(i < m->ndocs);
	assert_string_equal(m->docs[i].name, name);
	assert_int_equal(m->docs[i].len, len);
	assert_memory_equal(m->docs[i].data, data, len);
	assert_int_equal(m->docs[i].is_body, is_body);
}

static void check_doc_buf(const struct mailparts *m, size_t i, const char *name, struct buf *b)
{
	check_doc(m, i, name, b->data, b->len, false);
	buf_free(b);
}

/* Parse a message given as a string; returns the rc and leaves err for the caller to look at. */
static enum mailparts_rc parse_str(const char *msg, struct mailparts *m, struct buf *err)
{
	return mailparts_parse(msg, strlen(msg), now, m, err);
}

static void test_outlook(void **state)
{
	struct mailparts m;
	struct buf pdf = BUF_INIT;
	char *n;

	(void)state;
	parse_ok("outlook.eml", &m);
	assert_string_equal(m.subject, "Rechnung März");
	assert_int_equal(m.resolution, FAX_RES_FINE);
	assert_int_equal(m.cover, 0);
	assert_int_equal(m.send_after, 0);
	assert_string_equal(m.from, "Anna Schmidt <anna.schmidt@example.com>");
	assert_string_equal(m.message_id, "DB7PR07MB5511C0FFEE@DB7PR07MB5511.eurprd07.prod.outlook.com");
	assert_string_equal(m.body_text,
	                    "Hallo,\n\nanbei die Rechnung über 1.234,00 €.\n\nViele Grüße\nAnna");
	assert_int_equal(m.body_lines, 6);
	/* the HTML alternative is not a document: plain text is preferred */
	assert_int_equal(m.ndocs, 1);
	pdf_like(&pdf, 2048, 1);
	check_doc_buf(&m, 0, "Rechnung März 2026.pdf", &pdf);

	n = mailparts_display_name(&m, "4930123456@fax.example");
	assert_string_equal(n, "Büro Fax");
	free(n);
	n = mailparts_display_name(&m, "<4940999888@fax.EXAMPLE>");
	assert_string_equal(n, "Lager, Fax");
	free(n);
	n = mailparts_display_name(&m, "team@example.com");
	assert_string_equal(n, "Team");
	free(n);
	assert_null(mailparts_display_name(&m, "4930999999@fax.example"));
	mailparts_free(&m);
}

static const char plain_body_expect[] =
    "Guten Tag,\n\nanbei das Angebot und meine Notizen.\n\nGrüße\nJ. Müller";
static const char notes[] = "Notizen zum Angebot:\r\n- Lieferung ab Mai\r\n- Preise netto\r\n";
static const char rtf_body[] =
    "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\\f0\\fs20 "
    "Guten Tag,\\par\\par anbei das Angebot und meine Notizen.\\par\\par "
    "Gr\\'fc\\'dfe\\par J. M\\'fcller\\par anbei das Angebot, anbei das Angebot.\\par}";

static void test_outlook_tnef(void **state)
{
	struct mailparts m;
	struct buf pdf = BUF_INIT;

	(void)state;
	parse_ok("outlook-tnef.eml", &m);
	assert_string_equal(m.subject, "Angebot");
	assert_string_equal(m.from, "Jürgen Müller <j.mueller@example.com>");
	/* the MIME text/plain is the body; the RTF in winmail.dat would say the same again */
	assert_string_equal(m.body_text, plain_body_expect);
	assert_int_equal(m.ndocs, 2);
	pdf_like(&pdf, 3000, 11);
	check_doc_buf(&m, 0, "Angebot Müller 2026.pdf", &pdf);
	check_doc(&m, 1, "Notizen für Frau Groß.txt", notes, strlen(notes), false);
	mailparts_free(&m);
}

static void test_outlook_tnef_only(void **state)
{
	static const char embedded[] = "Der Lageplan für den Termin.\r\n";
	struct mailparts m;
	struct buf pdf = BUF_INIT, png = BUF_INIT;

	(void)state;
	parse_ok("outlook-tnef-only.eml", &m);
	assert_string_equal(m.body_text, plain_body_expect);
	assert_int_equal(m.body_lines, 6);
	assert_int_equal(m.ndocs, 5);
	/* no MIME body: the RTF body is the document, first */
	check_doc(&m, 0, "message text", rtf_body, strlen(rtf_body), true);
	pdf_like(&pdf, 3000, 11);
	check_doc_buf(&m, 1, "Angebot Müller 2026.pdf", &pdf);
	check_doc(&m, 2, "Notizen für Frau Groß.txt", notes, strlen(notes), false);
	check_doc(&m, 3, "embedded message.txt", embedded, strlen(embedded), false);
	payload(&png, 500, 23);
	check_doc_buf(&m, 4, "Lageplan.png", &png);
	mailparts_free(&m);
}

static void test_lotus_notes(void **state)
{
	static const unsigned char ole[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
	struct mailparts m;
	struct buf doc = BUF_INIT;

	(void)state;
	parse_ok("lotus-notes.eml", &m);
	assert_string_equal(m.subject, "Lieferschein 4711");
	assert_string_equal(m.body_text,
	                    "Guten Tag,\n\nanbei der Lieferschein.\n\nMit freundlichen Gruessen\nHans Meier");
	assert_int_equal(m.ndocs, 1);
	buf_append(&doc, ole, sizeof(ole));
	payload(&doc, 4088, 2);
	check_doc_buf(&m, 0, "Lieferschein 4711.doc", &doc);
	mailparts_free(&m);
}

static void test_thunderbird(void **state)
{
	struct mailparts m;
	struct buf pdf = BUF_INIT;

	(void)state;
	parse_ok("thunderbird.eml", &m);
	assert_string_equal(m.subject, "Prüfbericht");
	assert_int_equal(m.resolution, FAX_RES_SUPERFINE);
	assert_int_equal(m.cover, -1);
	assert_int_equal(m.send_after, local_time(2026, 11, 26, 18, 30));
	/* format=flowed joined, quote kept, signature separator kept with its blank */
	assert_string_equal(m.body_text,
	                    "Sehr geehrte Damen und Herren, anbei der Prüfbericht, bitte faxen Sie "
	                    "ihn an die Zentrale.\n\n> zitierte Zeile\n\n-- \nDr. Eva Schröder");
	assert_int_equal(m.body_lines, 6);
	assert_int_equal(m.ndocs, 1);
	pdf_like(&pdf, 1500, 3);
	check_doc_buf(&m, 0, "Prüfbericht über die Größe.pdf", &pdf);
	mailparts_free(&m);
}

static void test_apple_mail(void **state)
{
	struct mailparts m;
	struct buf png = BUF_INIT, pdf = BUF_INIT;

	(void)state;
	/* LF line ends; an inline image in multipart/mixed is a document; the split text is one body */
	parse_ok("apple-mail.eml", &m);
	assert_string_equal(m.body_text, "Here is the scan:\n\nThanks, Tim");
	assert_int_equal(m.ndocs, 1);
	buf_puts(&png, "\x89PNG\r\n\x1a\n");
	payload(&png, 992, 4);
	check_doc_buf(&m, 0, "scan.png", &png);
	mailparts_free(&m);

	/* the attachment is only in the HTML alternative, which is not chosen: it is still faxed */
	parse_ok("apple-mail-rich.eml", &m);
	assert_string_equal(m.body_text, "The contract is attached.\n\nTim");
	assert_int_equal(m.ndocs, 1);
	pdf_like(&pdf, 1200, 5);
	check_doc_buf(&m, 0, "Vertrag.pdf", &pdf);
	mailparts_free(&m);
}

static void test_gmail(void **state)
{
	struct mailparts m;
	struct buf pdf = BUF_INIT;

	(void)state;
	parse_ok("gmail.eml", &m);
	assert_string_equal(m.body_text, "Hi, the agenda is attached.\n[image: logo.png]");
	/* logo.png belongs to the HTML (multipart/related): not a document of its own */
	assert_int_equal(m.ndocs, 1);
	pdf_like(&pdf, 900, 8);
	check_doc_buf(&m, 0, "Agenda.pdf", &pdf);
	mailparts_free(&m);
}

static void test_forwarded(void **state)
{
	static const char fwd[] =
	    "---------- Forwarded message ----------\n"
	    "From: Bob <bob@example.org>\nDate: Mon, 23 Nov 2026 16:00:00 +0000\n"
	    "Subject: Quarterly figures\nTo: Carla <carla@example.com>\n\nFigures attached.\n";
	/* the line end before a boundary belongs to the boundary */
	static const char csv[] = "Quartal;Umsatz\r\nQ1;100\r\nQ2;120";
	struct mailparts m;

	(void)state;
	parse_ok("forwarded.eml", &m);
	assert_string_equal(m.body_text, "Please fax the message below.");
	assert_int_equal(m.ndocs, 2);
	check_doc(&m, 0, "Quarterly figures", fwd, strlen(fwd), false);
	check_doc(&m, 1, "figures.csv", csv, strlen(csv), false);
	mailparts_free(&m);
}

static const char utf8_head[] =
    "<!DOCTYPE html>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n";

static void test_html_only(void **state)
{
	struct mailparts m;
	const char *html;

	(void)state;
	parse_ok("html-only.eml", &m);
	assert_int_equal(m.ndocs, 1);
	assert_string_equal(m.docs[0].name, "message text");
	assert_true(m.docs[0].is_body);
	html = (const char *)m.docs[0].data;
	assert_int_equal(strlen(html), m.docs[0].len);
	/* relabelled: one UTF-8 declaration first, the ISO-8859-1 one gone, the text in UTF-8 */
	assert_true(strncmp(html, utf8_head, strlen(utf8_head)) == 0);
	assert_null(strstr(html + 1, "<!DOCTYPE"));
	assert_null(strstr(html, "iso-8859-1"));
	assert_non_null(strstr(html, "<p>Sehr geehrte Frau Müller,</p>"));
	assert_string_equal(m.body_text,
	                    "Sehr geehrte Frau Müller,\n\nhiermit bestellen wir:\n2 × Toner & Papier\n\n"
	                    "- Preis: 99 €\n- Lieferung: „sofort“\n\nGrüße");
	assert_int_equal(m.body_lines, 9);
	mailparts_free(&m);
}

static void test_latin1_qp(void **state)
{
	struct mailparts m;

	(void)state;
	parse_ok("latin1-qp.eml", &m);
	assert_string_equal(m.subject, "Grüße");
	assert_string_equal(m.body_text,
	                    "Grüße aus Köln, dies ist eine sehr lange Zeile, die mit einem weichen "
	                    "Zeilenumbruch fortgesetzt wird.\nZeile mit Leerzeichen am Ende");
	assert_int_equal(m.body_lines, 2);
	assert_int_equal(m.ndocs, 0);
	mailparts_free(&m);
}

static void test_no_body(void **state)
{
	struct mailparts m;

	(void)state;
	parse_ok("no-body.eml", &m);
	assert_string_equal(m.subject, "");
	assert_string_equal(m.body_text, "");
	assert_int_equal(m.body_lines, 0);
	assert_int_equal(m.ndocs, 0);
	assert_int_equal(m.resolution, FAX_RES_STANDARD);
	assert_int_equal(m.cover, 0);
	assert_null(m.message_id);
	mailparts_free(&m);
}

static void test_malformed_uuencode_signed(void **state)
{
	static const char uu[] = "Notes sent by an old mail program.\nLine two.\n";
	struct mailparts m;
	struct buf pdf = BUF_INIT;

	(void)state;
	/* a missing end boundary: gmime ends the last part at the end of the message */
	parse_ok("malformed.eml", &m);
	assert_string_equal(m.body_text, "The end boundary is missing.");
	pdf_like(&pdf, 1000, 7);
	check_doc_buf(&m, 0, "cut.pdf", &pdf);
	assert_int_equal(m.ndocs, 1);
	mailparts_free(&m);

	parse_ok("uuencode.eml", &m);
	assert_int_equal(m.ndocs, 1);
	check_doc(&m, 0, "notes.txt", uu, strlen(uu), false);
	mailparts_free(&m);

	/* neither the S/MIME signature nor the vCard is faxed */
	parse_ok("signed.eml", &m);
	assert_string_equal(m.body_text, "Signed text.");
	assert_int_equal(m.ndocs, 0);
	mailparts_free(&m);
}

/* n multiparts one in another, a text part in the innermost. */
static char *nested(int n)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_puts(&b, "Content-Type: text/plain\n\ndeep text\n");
	for (int i = n - 1; i >= 0; i--)
		buf_printf(&b, "--b%d--\n", i);
	return buf_steal(&b);
}

static void test_depth_and_counts(void **state)
{
	struct buf err = BUF_INIT, b = BUF_INIT;
	struct mailparts m;
	char *msg;

	(void)state;
	msg = nested(MAILPARTS_MAX_DEPTH);
	assert_int_equal(parse_str(msg, &m, &err), MAILPARTS_OK);
	assert_string_equal(m.body_text, "deep text");
	mailparts_free(&m);
	free(msg);

	msg = nested(MAILPARTS_MAX_DEPTH + 1);
	assert_int_equal(parse_str(msg, &m, &err), MAILPARTS_BAD_MESSAGE);
	assert_non_null(strstr(buf_cstr(&err), "deep"));
	assert_int_equal(m.ndocs, 0);
	free(msg);

	/* far deeper: refused before gmime's recursive parser sees it */
	msg = nested(5000);
	assert_int_equal(parse_str(msg, &m, &err), MAILPARTS_BAD_MESSAGE);
	assert_non_null(strstr(buf_cstr(&err), "containers"));
	free(msg);

	for (int n = MAILPARTS_MAX_DOCS; n <= MAILPARTS_MAX_DOCS + 1; n++) {
		buf_reset(&b);
		buf_puts(&b,
		         "Subject: many\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n");
		for (int i = 0; i < n; i++)
			buf_printf(&b, "--x\nContent-Type: application/pdf; name=\"f%d.pdf\"\n\n%%PDF-%d\n",
			           i, i);
		buf_puts(&b, "--x--\n");
		if (n == MAILPARTS_MAX_DOCS) {
			assert_int_equal(parse_str(b.data, &m, &err), MAILPARTS_OK);
			assert_int_equal(m.ndocs, MAILPARTS_MAX_DOCS);
			assert_string_equal(m.docs[49].name, "f49.pdf");
			assert_string_equal((char *)m.docs[49].data, "%PDF-49");
			mailparts_free(&m);
		} else {
			assert_int_equal(parse_str(b.data, &m, &err), MAILPARTS_BAD_MESSAGE);
			assert_non_null(strstr(buf_cstr(&err), "50 attachments"));
		}
	}
	buf_free(&b);
	buf_free(&err);
}

static void test_refused_and_odd(void **state)
{
	struct buf err = BUF_INIT;
	struct mailparts m;

	(void)state;
	assert_int_equal(parse_str("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; "
	                           "protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: "
	                           "application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: "
	                           "application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n--e--\n",
	                           &m, &err),
	                 MAILPARTS_BAD_MESSAGE);
	assert_non_null(strstr(buf_cstr(&err), "encrypted"));
	assert_int_equal(parse_str("Subject: x\nMIME-Version: 1.0\nContent-Type: application/pkcs7-mime; "
	                           "smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: "
	                           "base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n",
	                           &m, &err),
	                 MAILPARTS_BAD_MESSAGE);
	assert_non_null(strstr(buf_cstr(&err), "S/MIME"));
	assert_int_equal(parse_str("Subject: x\nMIME-Version: 1.0\nContent-Type: message/partial; id=\"a\"; "
	                           "number=1; total=2\n\nFrom: b\n",
	                           &m, &err),
	                 MAILPARTS_BAD_MESSAGE);
	assert_non_null(strstr(buf_cstr(&err), "partial"));

	/* an empty attachment is still a document (the renderer tells the sender it is empty) */
	assert_int_equal(
	    parse_str("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=y\n\n"
	              "--y\nContent-Type: text/plain\n\nhello\n--y\nContent-Type: application/pdf\n"
	              "Content-Disposition: attachment; filename=\"C:\\\\Temp\\\\empty.pdf\"\n\n\n--y--\n",
	              &m, &err),
	    MAILPARTS_OK);
	assert_int_equal(m.ndocs, 1);
	assert_string_equal(m.docs[0].name, "empty.pdf");
	assert_int_equal(m.docs[0].len, 0);
	mailparts_free(&m);

	/* an unnamed attachment gets a name; not MIME at all is one plain text body */
	assert_int_equal(
	    parse_str("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=y\n\n"
	              "--y\nContent-Type: image/gif\n\nGIF89a\n--y--\n",
	              &m, &err),
	    MAILPARTS_OK);
	assert_string_equal(m.docs[0].name, "attachment 1");
	mailparts_free(&m);
	assert_int_equal(parse_str("no headers at all, just text\n", &m, &err), MAILPARTS_BAD_MESSAGE);
	buf_free(&err);
}

static void test_options(void **state)
{
	struct buf err = BUF_INIT;
	struct mailparts m;

	(void)state;
	assert_int_equal(parse_str("Subject: [after 09:30] Report [cover] [EXTERNAL] now\nX-Fax-Resolution: "
	                           "superfine\n\nbody\n",
	                           &m, &err),
	                 MAILPARTS_OK);
	assert_string_equal(m.subject, "Report [EXTERNAL] now");
	assert_int_equal(m.resolution, FAX_RES_SUPERFINE);
	assert_int_equal(m.cover, 1);
	/* 09:30 has passed at noon: tomorrow */
	assert_int_equal(m.send_after, local_time(2026, 11, 26, 9, 30));
	mailparts_free(&m);

	assert_int_equal(
	    parse_str("Subject: x\nX-Fax-Send-After: Thu, 26 Nov 2026 18:00:00 +0000\n\nb\n", &m, &err),
	    MAILPARTS_OK);
	assert_int_equal(m.send_after, 1795716000);
	mailparts_free(&m);

	static const struct {
		const char *msg, *says;
	} bad[] = {
	    {"Subject: x\nX-Fax-Resolution: high\n\nb\n", "X-Fax-Resolution"},
	    {"Subject: x\nX-Fax-Cover: maybe\n\nb\n", "X-Fax-Cover"},
	    {"Subject: x\nX-Fax-Send-After: tomorrow\n\nb\n", "X-Fax-Send-After"},
	    {"Subject: x\nX-Fax-Send-After: 2026-02-30 10:00\n\nb\n", "X-Fax-Send-After"},
	    {"Subject: x\nX-Fax-Send-After: 2030-01-01 10:00\n\nb\n", "at most a year"},
	    {"Subject: [after 25:00] x\n\nb\n", "[after]"},
	    {"Subject: [after] x\n\nb\n", "[after]"},
	    {"Subject: [fine] [standard] x\n\nb\n", "twice"},
	    {"Subject: [nocover] x\nX-Fax-Cover: yes\n\nb\n", "twice"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_str(bad[i].msg, &m, &err), MAILPARTS_BAD_OPTION);
		if (strstr(buf_cstr(&err), bad[i].says) == NULL)
			fail_msg("%s: error \"%s\" does not say %s", bad[i].msg, buf_cstr(&err), bad[i].says);
		assert_null(m.subject);
	}
	buf_free(&err);
}

static void test_times(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(mailopts_parse_time("18:00", now, &t), 0);
	assert_int_equal(t, local_time(2026, 11, 25, 18, 0));
	assert_int_equal(mailopts_parse_time("12:00", now, &t), 0); /* exactly now: tomorrow */
	assert_int_equal(t, local_time(2026, 11, 26, 12, 0));
	assert_int_equal(mailopts_parse_time(" 2026-11-26 07:05:30 ", now, &t), 0);
	assert_int_equal(t, local_time(2026, 11, 26, 7, 5) + 30);
	assert_int_equal(mailopts_parse_time("2020-01-01 00:00", now, &t), 0); /* the past: now */
	assert_int_equal(t, now);
	assert_int_equal(mailopts_parse_time("26 Nov 2026 18:00 GMT", now, &t), 0);
	assert_int_equal(t, 1795716000);
	assert_int_equal(mailopts_parse_time("Thu, 26 Nov 2026 19:00 +0100", now, &t), 0);
	assert_int_equal(t, 1795716000);
	/* summer time: 1 July in Berlin is UTC+2 */
	assert_int_equal(mailopts_parse_time("2027-07-01 12:00", now, &t), 0);
	assert_int_equal(t, 1814436000);
	static const char *const bad[] = {"",
	                                  "24:00",
	                                  "12:60",
	                                  "1200",
	                                  "2026-13-01 10:00",
	                                  "2026-11-26",
	                                  "2026-11-26 10",
	                                  "Thu, 26 Foo 2026 18:00 GMT",
	                                  "26 Nov 2026 18:00",
	                                  "26 Nov 2026 18:00 +2500",
	                                  "2099-01-01 00:00",
	                                  "18:00 extra"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mailopts_parse_time(bad[i], now, &t) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
}

/* winmail.dat broken in the ways a hostile sender might. */
static void test_tnef_hostile(void **state)
{
	struct buf dat = BUF_INIT, err = BUF_INIT, s = BUF_INIT;
	struct tnef_content t;

	(void)state;
	read_fixture("winmail.dat", &dat);
	assert_int_equal(tnef_unpack(dat.data, dat.len, 50, &t, &err), 0);
	assert_int_equal(t.nfiles, 2);
	assert_int_equal(t.rtf.len, strlen(rtf_body));
	assert_memory_equal(t.rtf.data, rtf_body, strlen(rtf_body));
	tnef_content_free(&t);
	assert_int_equal(tnef_unpack(dat.data, dat.len, 1, &t, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "more than 1 attachments"));
	tnef_content_free(&t);

	buf_reset(&err);
	assert_int_equal(tnef_unpack(dat.data, dat.len - 100, 50, &t, &err), -1); /* truncated */
	assert_non_null(strstr(buf_cstr(&err), "damaged"));
	tnef_content_free(&t);
	buf_reset(&err);
	dat.data[dat.len / 2] ^= 0x55; /* inside the PDF: its checksum no longer matches */
	assert_int_equal(tnef_unpack(dat.data, dat.len, 50, &t, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "checksum"));
	tnef_content_free(&t);
	buf_reset(&err);
	assert_int_equal(tnef_unpack("not tnef", 8, 50, &t, &err), -1);
	tnef_content_free(&t);

	/* 100000 attachments in a few hundred KiB: refused after the 51st, in linear time */
	buf_append(&s, "\x78\x9f\x3e\x22\x00\x00", 6);
	for (int i = 0; i < 100000; i++)
		buf_append(&s, "\x02\x02\x90\x06\x00\x01\x00\x00\x00\x01\x01\x00", 12);
	buf_reset(&err);
	assert_int_equal(tnef_unpack(s.data, s.len, 50, &t, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "more than 50"));
	tnef_content_free(&t);

	/* the mail says which attachment failed */
	{
		struct mailparts m;
		struct buf mail = BUF_INIT;

		buf_puts(&mail,
		         "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=t\n\n--t\n"
		         "Content-Type: application/ms-tnef; name=winmail.dat\n\n");
		buf_append(&mail, "\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\xff\xff\xff\x00", 15);
		buf_puts(&mail, "\n--t--\n");
		assert_int_equal(mailparts_parse(mail.data, mail.len, now, &m, &err), MAILPARTS_BAD_MESSAGE);
		assert_non_null(strstr(buf_cstr(&err), "winmail.dat"));
		buf_free(&mail);
	}
	buf_free(&s);
	buf_free(&dat);
	buf_free(&err);
}

static void test_rtf_decompress(void **state)
{
	/* stored (uncompressed) RTF: header, then the text */
	static const unsigned char mela[] = {0x12, 0, 0, 0, 6, 0,   0,    0,   'M', 'E', 'L',
	                                     'A',  0, 0, 0, 0, '{', '\\', 'r', 't', 'f', '}'};
	struct buf out = BUF_INIT, dat = BUF_INIT;

	(void)state;
	assert_int_equal(tnef_rtf_decompress(mela, sizeof(mela), &out), 0);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "{\\rtf}", 6);
	buf_reset(&out);
	assert_int_equal(tnef_rtf_decompress(mela, 12, &out), -1);
	{
		unsigned char big[sizeof(mela)];

		memcpy(big, mela, sizeof(mela));
		big[6] = 0x10; /* claims a megabyte of raw RTF in 6 bytes */
		assert_int_equal(tnef_rtf_decompress(big, sizeof(big), &out), -1);
		big[6] = 0;
		big[4] = 7; /* one byte more than there is */
		assert_int_equal(tnef_rtf_decompress(big, sizeof(big), &out), -1);
	}
	buf_free(&out);
	buf_free(&dat);
}

static void test_html_prepare(void **state)
{
	struct buf out = BUF_INIT, text = BUF_INIT;
	char cs[32];

	(void)state;
	/* a fragment in UTF-8 with no label: gets a doctype and a UTF-8 declaration */
	htmltext_prepare("<div>Gr\xc3\xbc\xc3\x9f"
	                 "e</div>",
	                 18, NULL, NULL, &out);
	assert_string_equal(buf_cstr(&out),
	                    "<!DOCTYPE html>\n<meta http-equiv=\"Content-Type\" content=\"text/html; "
	                    "charset=utf-8\">\n<div>Grüße</div>");
	/* a forwarded message's headers go after <body> */
	htmltext_prepare("<html><body class=x><p>Hi &amp; bye</p></body></html>", 53, "us-ascii", "From: <a>",
	                 &out);
	assert_non_null(strstr(buf_cstr(&out), "<body class=x><pre>From: &lt;a&gt;</pre>\n<p>Hi"));
	assert_int_equal(htmltext_meta_charset("<meta charset='koi8-r'>", 23, cs, sizeof(cs)), 0);
	assert_string_equal(cs, "koi8-r");
	htmltext_to_text(
	    "<script>x<y</script><table><tr><td>a</td><td>b</td></tr></table>&#x41;&bogus; <unterminated", 91,
	    &text);
	assert_string_equal(buf_cstr(&text), "a b\n\nA&bogus;");
	buf_free(&out);
	buf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outlook),
	    cmocka_unit_test(test_outlook_tnef),
	    cmocka_unit_test(test_outlook_tnef_only),
	    cmocka_unit_test(test_lotus_notes),
	    cmocka_unit_test(test_thunderbird),
	    cmocka_unit_test(test_apple_mail),
	    cmocka_unit_test(test_gmail),
	    cmocka_unit_test(test_forwarded),
	    cmocka_unit_test(test_html_only),
	    cmocka_unit_test(test_latin1_qp),
	    cmocka_unit_test(test_no_body),
	    cmocka_unit_test(test_malformed_uuencode_signed),
	    cmocka_unit_test(test_depth_and_counts),
	    cmocka_unit_test(test_refused_and_odd),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_tnef_hostile),
	    cmocka_unit_test(test_rtf_decompress),
	    cmocka_unit_test(test_html_prepare),
	};

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	now = local_time(2026, 11, 25, 12, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
