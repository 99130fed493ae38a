/*
 * mailparts.c - a fax mail taken apart with gmime: the walk over its MIME tree, and the glue.
 *
 * Reads a whole hostile message (already bounded in size by the milter). gmime parses it
 * leniently; before that, the number of nested containers is bounded so gmime's recursive parser
 * cannot be driven deep, and the walk here bounds depth, parts, documents and decoded bytes.
 * Which parts become documents, and why, is in docs/mail-parsing.md.
 */
#include "mail/mailparts.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "mail/htmltext.h"
#include "mail/mailopts.h"
#include "mail/mailtext.h"
#include "mail/tnef.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Containers (multipart and message/rfc822 parts) a message may name before gmime is let near it. */
#define MAILPARTS_MAX_CONTAINERS 500
/* Leaf parts visited, whatever becomes of them (signatures, inline images...). */
#define MAILPARTS_MAX_PARTS 1000
/* Decoded bytes of all documents: twice the message (charset conversion) plus RTF expansion. */
#define MAILPARTS_EXTRA_BYTES ((size_t)32 << 20)
#define MAILPARTS_MAX_NAME    255

/* Walk flags. */
#define WALK_ATTACH_ONLY 1u /* an alternative not chosen: only its attachments count */

/* One message being walked: the mail itself, or a message/rfc822 inside it. */
struct level {
	bool top;
	GMimeMessage *msg;
	struct buf plain; /* a nested message's plain text (the mail's own goes to walk.body) */
	size_t doc_pos;   /* where a nested message's text document goes */
	char *name;       /* a nested message's document name */
};

struct walk {
	struct mailparts *out;
	struct buf *err;
	size_t cap;
	struct buf body; /* the mail's plain text */
	size_t parts;
	size_t bytes, max_bytes;
	/* the body of a winmail.dat, used when the MIME has no body of its own */
	bool tnef_body;
	size_t tnef_pos;
	struct buf tnef_rtf, tnef_html, tnef_text;
};

static pthread_once_t mailparts_once = PTHREAD_ONCE_INIT;

static void mailparts_init_gmime(void)
{
	g_mime_init();
}

/* The name as shown to people: no folders, no control characters, valid UTF-8, bounded. */
static char *mailparts_clean_name(const char *name)
{
	const char *base;
	char *valid, *p;
	size_t n;

	if (name == NULL)
		return NULL;
	base = name;
	for (p = (char *)name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	valid = g_utf8_make_valid(base, -1);
	for (p = valid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	g_strstrip(valid);
	n = strlen(valid);
	if (n > MAILPARTS_MAX_NAME) {
		const char *end = g_utf8_find_prev_char(valid, valid + MAILPARTS_MAX_NAME + 1);

		n = end != NULL ? (size_t)(end - valid) : 0;
	}
	p = n > 0 ? xstrndup(valid, n) : NULL;
	g_free(valid);
	return p;
}

static int walk_fail(struct walk *w, enum mailparts_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int walk_fail(struct walk *w, enum mailparts_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (w->err->len == 0) {
		va_start(ap, fmt);
		buf_vprintf(w->err, fmt, ap);
		va_end(ap);
	}
	return -(int)rc;
}

/* Add a document (data copied) at index pos; name NULL becomes "attachment N". */
static int walk_add(struct walk *w, size_t pos, const char *name, const void *data, size_t len, bool is_body)
{
	struct mailparts *m = w->out;
	struct mailparts_doc *d;

	if (m->ndocs >= MAILPARTS_MAX_DOCS)
		return walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message has more than %d attachments",
		                 MAILPARTS_MAX_DOCS);
	if (len > w->max_bytes - w->bytes)
		return walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message unpacks to too much data");
	w->bytes += len;
	if (m->ndocs == w->cap) {
		w->cap = w->cap == 0 ? 8 : w->cap * 2;
		m->docs = xreallocarray(m->docs, w->cap, sizeof(*m->docs));
	}
	memmove(&m->docs[pos + 1], &m->docs[pos], (m->ndocs - pos) * sizeof(*m->docs));
	d = &m->docs[pos];
	m->ndocs++;
	d->name = mailparts_clean_name(name);
	if (d->name == NULL)
		d->name = xasprintf("attachment %zu", m->ndocs);
	d->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(d->data, data, len);
	d->data[len] = 0;
	d->len = len;
	d->is_body = is_body;
	return 0;
}

static void walk_remove(struct mailparts *m, size_t i)
{
	free(m->docs[i].name);
	free(m->docs[i].data);
	memmove(&m->docs[i], &m->docs[i + 1], (m->ndocs - i - 1) * sizeof(*m->docs));
	m->ndocs--;
}

/* Already collected (an attachment repeated in two alternatives)? */
static bool walk_have(const struct walk *w, const char *name, const void *data, size_t len)
{
	char *clean = mailparts_clean_name(name);
	bool found = false;

	for (size_t i = 0; i < w->out->ndocs && !found; i++) {
		const struct mailparts_doc *d = &w->out->docs[i];

		found = d->len == len && (len == 0 || memcmp(d->data, data, len) == 0) &&
		        (clean == NULL || strcmp(d->name, clean) == 0);
	}
	free(clean);
	return found;
}

/* The decoded content of a leaf part (transfer encoding undone). */
static void walk_decode(GMimePart *part, struct buf *out)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *bytes;

	if (content == NULL)
		return;
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (bytes != NULL && bytes->len > 0)
		buf_append(out, bytes->data, bytes->len);
	g_object_unref(mem);
}

static bool ct_is(GMimeContentType *ct, const char *type, const char *subtype)
{
	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

static bool walk_is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);

	return cd != NULL && g_mime_content_disposition_is_attachment(cd);
}

/* Parts that are not content: signatures, and the business cards clients attach by themselves. */
static bool walk_ignored(GMimeContentType *ct)
{
	static const char *const types[][2] = {
	    {"application", "pkcs7-signature"},
	    {"application", "x-pkcs7-signature"},
	    {"application", "pgp-signature"},
	    {"text", "vcard"},
	    {"text", "x-vcard"},
	    {"text", "directory"},
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (ct_is(ct, types[i][0], types[i][1]))
			return true;
	return false;
}

static bool walk_is_tnef(GMimeContentType *ct, const char *filename, const struct buf *data)
{
	bool sig = data->len >= 4 && (uint8_t)data->data[0] == 0x78 && (uint8_t)data->data[1] == 0x9F &&
	           (uint8_t)data->data[2] == 0x3E && (uint8_t)data->data[3] == 0x22;

	if (ct_is(ct, "application", "ms-tnef") || ct_is(ct, "application", "vnd.ms-tnef"))
		return true;
	return sig && filename != NULL && strcasecmp(filename, "winmail.dat") == 0;
}

/*
 * "From: ...", "Date: ..." above a forwarded message's text, after a title line: a text starting
 * with "From:" would be taken for a mail by content detection, and mail is not faxed as such.
 */
static void walk_note(GMimeMessage *msg, struct buf *out)
{
	static const char *const names[] = {"From", "Date", "Subject", "To", "Cc"};

	buf_puts(out, "---------- Forwarded message ----------\n");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), names[i]);
		char *dec;

		if (v == NULL)
			continue;
		dec = g_mime_utils_header_decode_text(NULL, v);
		buf_printf(out, "%s: %s\n", names[i], dec);
		g_free(dec);
	}
	buf_putc(out, '\n');
}

static int walk_tnef(struct walk *w, struct level *lv, const struct buf *data)
{
	struct tnef_content t;
	struct buf err = BUF_INIT;
	size_t pos = w->out->ndocs;
	int rc = 0;

	if (tnef_unpack(data->data, data->len, MAILPARTS_MAX_DOCS, &t, &err) < 0) {
		rc = walk_fail(w, MAILPARTS_BAD_MESSAGE,
		               "the Outlook attachment winmail.dat %s; please send the "
		               "mail in HTML or plain text format",
		               buf_cstr(&err));
		buf_free(&err);
		tnef_content_free(&t);
		return rc;
	}
	buf_free(&err);
	for (size_t i = 0; i < t.nfiles && rc == 0; i++)
		rc = walk_add(w, w->out->ndocs, t.files[i].name, t.files[i].data, t.files[i].len, false);
	if (rc == 0 && lv->top && !w->tnef_body) {
		w->tnef_body = true;
		w->tnef_pos = pos;
		buf_append(&w->tnef_rtf, t.rtf.data, t.rtf.len);
		buf_append(&w->tnef_html, t.html.data, t.html.len);
		buf_append(&w->tnef_text, t.text.data, t.text.len);
	} else if (rc == 0 && !lv->top) {
		if (t.rtf.len > 0)
			rc = walk_add(w, pos, lv->name, t.rtf.data, t.rtf.len, false);
		else if (lv->plain.len == 0)
			buf_append(&lv->plain, t.text.data, t.text.len);
	}
	tnef_content_free(&t);
	return rc;
}

static int walk_html(struct walk *w, struct level *lv, const struct buf *data, const char *charset)
{
	struct buf html = BUF_INIT, note = BUF_INIT;
	int rc;

	if (!lv->top)
		walk_note(lv->msg, &note);
	htmltext_prepare(data->data != NULL ? data->data : "", data->len, charset,
	                 lv->top ? NULL : buf_cstr(&note), &html);
	rc = walk_add(w, w->out->ndocs, lv->top ? "message text" : lv->name, html.data, html.len, lv->top);
	buf_free(&html);
	buf_free(&note);
	return rc;
}

static int walk_leaf(struct walk *w, struct level *lv, GMimePart *part, unsigned flags)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *filename = g_mime_part_get_filename(part);
	bool attachment = walk_is_attachment(obj);
	struct buf data = BUF_INIT;
	int rc = 0;

	if (++w->parts > MAILPARTS_MAX_PARTS)
		return walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message has more than %d MIME parts",
		                 MAILPARTS_MAX_PARTS);
	if (walk_ignored(ct))
		return 0;
	if (ct_is(ct, "application", "pkcs7-mime") || ct_is(ct, "application", "x-pkcs7-mime"))
		return walk_fail(
		    w, MAILPARTS_BAD_MESSAGE,
		    "the message is encrypted or signed with S/MIME in a way that hides its content");
	walk_decode(part, &data);
	if (walk_is_tnef(ct, filename, &data)) {
		rc = walk_tnef(w, lv, &data);
	} else if (filename == NULL && !attachment &&
	           (ct_is(ct, "text", "plain") || ct_is(ct, "text", "html"))) {
		const char *charset = g_mime_content_type_get_parameter(ct, "charset");

		if (flags & WALK_ATTACH_ONLY) {
			/* the text of an alternative not chosen */
		} else if (ct_is(ct, "text", "html")) {
			rc = walk_html(w, lv, &data, charset);
		} else {
			const char *format = g_mime_content_type_get_parameter(ct, "format");
			const char *delsp = g_mime_content_type_get_parameter(ct, "delsp");
			struct buf *dst = lv->top ? &w->body : &lv->plain;

			/* a body split around an inline attachment (Apple Mail): a blank line where it was */
			while (dst->len > 0 && dst->data[dst->len - 1] == '\n')
				dst->len--;
			if (dst->len > 0)
				buf_puts(dst, "\n\n");
			mailtext_append(data.data, data.len, charset,
			                format != NULL && strcasecmp(format, "flowed") == 0,
			                delsp != NULL && strcasecmp(delsp, "yes") == 0, dst);
		}
	} else if (!(flags & WALK_ATTACH_ONLY) || !walk_have(w, filename, data.data, data.len)) {
		if (!(flags & WALK_ATTACH_ONLY) || filename != NULL || attachment)
			rc = walk_add(w, w->out->ndocs, filename, data.data, data.len, false);
	}
	buf_free(&data);
	return rc;
}

static int walk_object(struct walk *w, struct level *lv, GMimeObject *obj, int depth, unsigned flags);

/* text/plain 3, a multipart 2, text/html 1, anything else 0. */
static int walk_alt_score(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (GMIME_IS_MULTIPART(obj))
		return 2;
	if (!GMIME_IS_PART(obj) || walk_is_attachment(obj) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL)
		return 0;
	if (ct_is(ct, "text", "plain"))
		return 3;
	return ct_is(ct, "text", "html") ? 1 : 0;
}

static int walk_alternative(struct walk *w, struct level *lv, GMimeMultipart *mp, int depth, unsigned flags)
{
	int n = g_mime_multipart_get_count(mp), best = -1, best_score = 0, rc = 0;

	for (int i = 0; i < n; i++) {
		int s = walk_alt_score(g_mime_multipart_get_part(mp, i));

		/* plain text: the first; richer forms: the last (RFC 2046 orders them plainest first) */
		if (s > best_score || (s == best_score && s > 0 && s < 3)) {
			best = i;
			best_score = s;
		}
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = walk_object(w, lv, g_mime_multipart_get_part(mp, i), depth + 1,
		                 i == best ? flags : flags | WALK_ATTACH_ONLY);
	return rc;
}

static int walk_related(struct walk *w, struct level *lv, GMimeMultipart *mp, int depth, unsigned flags)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	const char *start = g_mime_content_type_get_parameter(ct, "start");
	int n = g_mime_multipart_get_count(mp), root = 0, rc = 0;
	GMimeContentType *rct;

	for (int i = 0; start != NULL && i < n; i++) {
		const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
		size_t sl = strlen(start);

		if (cid != NULL && sl >= 2 && start[0] == '<' && strlen(cid) == sl - 2 &&
		    strncmp(cid, start + 1, sl - 2) == 0)
			root = i;
	}
	if (n == 0)
		return 0;
	rct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, root));
	/* the others are the HTML's pictures, unless the root cannot show them or they are attached */
	for (int i = 0; i < n && rc == 0; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		bool resource = i != root &&
		                (ct_is(rct, "text", "html") || ct_is(rct, "multipart", "alternative")) &&
		                !walk_is_attachment(child);

		if (!resource)
			rc = walk_object(w, lv, child, depth + 1, flags);
		else if (++w->parts > MAILPARTS_MAX_PARTS)
			rc = walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message has more than %d MIME parts",
			               MAILPARTS_MAX_PARTS);
	}
	return rc;
}

static int walk_multipart(struct walk *w, struct level *lv, GMimeMultipart *mp, int depth, unsigned flags)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	int n = g_mime_multipart_get_count(mp), rc = 0;

	if (ct_is(ct, "multipart", "encrypted"))
		return walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message is encrypted");
	if (ct_is(ct, "multipart", "alternative"))
		return walk_alternative(w, lv, mp, depth, flags);
	if (ct_is(ct, "multipart", "related"))
		return walk_related(w, lv, mp, depth, flags);
	if (ct_is(ct, "multipart", "signed"))
		n = n > 0 ? 1 : 0; /* the second part is the signature */
	for (int i = 0; i < n && rc == 0; i++)
		rc = walk_object(w, lv, g_mime_multipart_get_part(mp, i), depth + 1, flags);
	return rc;
}

/* A forwarded message: its text first (as a document of its own), then its attachments. */
static int walk_message(struct walk *w, GMimeMessage *msg, int depth, unsigned flags)
{
	struct level sub = {.top = false, .msg = msg, .plain = BUF_INIT, .doc_pos = w->out->ndocs};
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	const char *subject = g_mime_message_get_subject(msg);
	int rc = 0;

	sub.name = xstrdup(subject != NULL && *subject != '\0' ? subject : "forwarded message");
	if (body != NULL)
		rc = walk_object(w, &sub, body, depth + 1, flags);
	if (rc == 0 && sub.plain.len > 0) {
		struct buf text = BUF_INIT;

		walk_note(msg, &text);
		mailtext_finish(&sub.plain);
		buf_append(&text, sub.plain.data, sub.plain.len);
		buf_putc(&text, '\n');
		rc = walk_add(w, sub.doc_pos, sub.name, text.data, text.len, false);
		buf_free(&text);
	}
	buf_free(&sub.plain);
	free(sub.name);
	return rc;
}

static int walk_object(struct walk *w, struct level *lv, GMimeObject *obj, int depth, unsigned flags)
{
	if (depth > MAILPARTS_MAX_DEPTH)
		return walk_fail(w, MAILPARTS_BAD_MESSAGE, "the message nests MIME parts more than %d deep",
		                 MAILPARTS_MAX_DEPTH);
	if (GMIME_IS_MESSAGE_PARTIAL(obj))
		return walk_fail(w, MAILPARTS_BAD_MESSAGE,
		                 "the message is one piece of a message split in parts (message/partial)");
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *msg = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		return msg != NULL ? walk_message(w, msg, depth, flags) : 0;
	}
	if (GMIME_IS_MULTIPART(obj))
		return walk_multipart(w, lv, GMIME_MULTIPART(obj), depth, flags);
	if (GMIME_IS_PART(obj))
		return walk_leaf(w, lv, GMIME_PART(obj), flags);
	return 0;
}

/* Count the containers the message names, so gmime's recursion is bounded before it starts. */
static size_t mailparts_containers(const char *msg, size_t len)
{
	size_t n = 0;

	for (const char *p = msg, *end = msg + len; (size_t)(end - p) >= 10; p++) {
		p = memchr(p, '/', (size_t)(end - p));
		if (p == NULL)
			break;
		if ((p - msg >= 9 && strncasecmp(p - 9, "multipart", 9) == 0) ||
		    (p - msg >= 7 && end - p >= 7 && strncasecmp(p - 7, "message/rfc822", 14) == 0))
			n++;
	}
	return n;
}

static char *mailparts_addresses(InternetAddressList *list)
{
	char *s, *r;

	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	s = internet_address_list_to_string(list, NULL, FALSE);
	r = s != NULL ? xstrdup(s) : NULL;
	g_free(s);
	return r;
}

static int mailparts_options(GMimeMessage *msg, int64_t now, struct mailparts *m, struct buf *err)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	const char *subject = g_mime_message_get_subject(msg);
	struct mailopts o;
	int n = g_mime_header_list_get_count(hl);

	mailopts_init(&o);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h), *value = g_mime_header_get_value(h);

		if (name != NULL && value != NULL && mailopts_header(&o, name, value, now, err) < 0)
			return -1;
	}
	if (mailopts_subject(&o, subject != NULL ? subject : "", now, &m->subject, err) < 0)
		return -1;
	m->resolution = o.resolution;
	m->cover = o.cover;
	m->send_after = o.send_after;
	return 0;
}

static void mailparts_headers(GMimeMessage *msg, struct mailparts *m)
{
	const char *id = g_mime_message_get_message_id(msg);
	char *to = mailparts_addresses(g_mime_message_get_to(msg));
	char *cc = mailparts_addresses(g_mime_message_get_cc(msg));

	m->from = mailparts_addresses(g_mime_message_get_from(msg));
	if (m->from == NULL)
		m->from = xstrdup("");
	m->message_id = id != NULL && *id != '\0' ? xstrdup(id) : NULL;
	if (to != NULL && cc != NULL)
		m->to_header = xasprintf("%s, %s", to, cc);
	else
		m->to_header = xstrdup(to != NULL ? to : cc != NULL ? cc : "");
	free(to);
	free(cc);
}

/* The mail's body: its plain text, else its HTML, else a winmail.dat's. */
static int mailparts_body(struct walk *w)
{
	struct mailparts *m = w->out;
	struct buf text = BUF_INIT;
	bool html = false;
	int rc = 0;

	for (size_t i = 0; i < m->ndocs; i++)
		html = html || m->docs[i].is_body;
	if (mailtext_finish(&w->body) > 0) {
		for (size_t i = m->ndocs; i-- > 0;)
			if (m->docs[i].is_body)
				walk_remove(m, i);
		buf_append(&text, w->body.data, w->body.len);
	} else if (html) {
		for (size_t i = 0; i < m->ndocs; i++)
			if (m->docs[i].is_body)
				htmltext_to_text((const char *)m->docs[i].data, m->docs[i].len, &text);
	} else if (w->tnef_body) {
		if (w->tnef_rtf.len > 0) {
			rc =
			    walk_add(w, w->tnef_pos, "message text", w->tnef_rtf.data, w->tnef_rtf.len, true);
		} else if (w->tnef_html.len > 0) {
			struct buf prepared = BUF_INIT;

			htmltext_prepare(w->tnef_html.data, w->tnef_html.len, NULL, NULL, &prepared);
			rc = walk_add(w, w->tnef_pos, "message text", prepared.data, prepared.len, true);
			if (w->tnef_text.len == 0)
				htmltext_to_text(prepared.data, prepared.len, &w->tnef_text);
			buf_free(&prepared);
		}
		mailtext_append(w->tnef_text.data, w->tnef_text.len, "UTF-8", false, false, &text);
	}
	m->body_lines = mailtext_finish(&text);
	m->body_text = buf_steal(&text);
	if (m->body_text == NULL)
		m->body_text = xstrdup("");
	return rc;
}

static void mailparts_zero(struct mailparts *m)
{
	memset(m, 0, sizeof(*m));
	m->resolution = -1;
	m->cover = -1;
}

enum mailparts_rc mailparts_parse(const void *msg, size_t len, int64_t now, struct mailparts *out,
                                  struct buf *err)
{
	struct walk w = {.out = out, .err = err, .body = BUF_INIT};
	struct level top = {.top = true, .plain = BUF_INIT};
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	GMimeObject *body;
	int rc = 0;

	pthread_once(&mailparts_once, mailparts_init_gmime);
	mailparts_zero(out);
	buf_reset(err);
	if (mailparts_containers(msg, len) > MAILPARTS_MAX_CONTAINERS) {
		buf_printf(err, "the message has more than %d MIME containers", MAILPARTS_MAX_CONTAINERS);
		return MAILPARTS_BAD_MESSAGE;
	}
	w.max_bytes =
	    len > (SIZE_MAX - MAILPARTS_EXTRA_BYTES) / 2 ? SIZE_MAX : 2 * len + MAILPARTS_EXTRA_BYTES;
	stream = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (message == NULL) {
		buf_puts(err, "the message cannot be parsed as MIME");
		return MAILPARTS_BAD_MESSAGE;
	}
	mailparts_headers(message, out);
	if (mailparts_options(message, now, out, err) < 0) {
		g_object_unref(message);
		mailparts_free(out);
		return MAILPARTS_BAD_OPTION;
	}
	top.msg = message;
	body = g_mime_message_get_mime_part(message);
	if (body != NULL)
		rc = walk_object(&w, &top, body, 0, 0);
	if (rc == 0)
		rc = mailparts_body(&w);
	buf_free(&w.body);
	buf_free(&w.tnef_rtf);
	buf_free(&w.tnef_html);
	buf_free(&w.tnef_text);
	g_object_unref(message);
	if (rc != 0) {
		mailparts_free(out);
		return (enum mailparts_rc) - rc;
	}
	return MAILPARTS_OK;
}

void mailparts_free(struct mailparts *m)
{
	free(m->subject);
	free(m->from);
	free(m->message_id);
	free(m->to_header);
	free(m->body_text);
	for (size_t i = 0; i < m->ndocs; i++) {
		free(m->docs[i].name);
		free(m->docs[i].data);
	}
	free(m->docs);
	mailparts_zero(m);
}

/* Search the list (and its groups) for the mailbox rcpt; its display name or NULL. */
static char *mailparts_find_name(InternetAddressList *list, const char *rcpt, int depth)
{
	int n = internet_address_list_length(list);

	for (int i = 0; i < n && depth < 4; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			char *r = mailparts_find_name(
			    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), rcpt, depth + 1);

			if (r != NULL)
				return r;
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			const char *name = internet_address_get_name(ia);

			if (addr != NULL && strcasecmp(addr, rcpt) == 0)
				return name != NULL && *name != '\0' ? xstrdup(name) : NULL;
		}
	}
	return NULL;
}

char *mailparts_display_name(const struct mailparts *m, const char *rcpt)
{
	InternetAddressList *list;
	char addr[512];
	size_t n;
	char *r;

	if (m->to_header == NULL || rcpt == NULL)
		return NULL;
	pthread_once(&mailparts_once, mailparts_init_gmime);
	while (*rcpt == ' ' || *rcpt == '<')
		rcpt++;
	n = strcspn(rcpt, ">");
	while (n > 0 && rcpt[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(addr))
		return NULL;
	memcpy(addr, rcpt, n);
	addr[n] = '\0';
	list = internet_address_list_parse(NULL, m->to_header);
	if (list == NULL)
		return NULL;
	r = mailparts_find_name(list, addr, 0);
	g_object_unref(list);
	return r;
}
