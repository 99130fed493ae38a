/*
 * htmltext.c - HTML mail bodies: relabelled as UTF-8 for the renderer, stripped to text for the cover.
 *
 * Reads hostile HTML. Every loop advances through the input, tags are scanned to their end once,
 * and output grows at most by a constant factor of the input (entities never expand, the added
 * header is fixed). Unterminated tags and comments end at the end of the input.
 */
#include "mail/htmltext.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "render/charset.h"

/* How far into the document a charset declaration is looked for (HTML5 prescans 1024 bytes). */
#define HTMLTEXT_SNIFF 4096

struct htmltext_tag {
	const char *start; /* '<' */
	const char *end;   /* just after '>' or the end of input */
	char name[12];     /* lower case, "" when not a tag name; "!--" for comments */
	bool closing;
};

/* Scan the tag starting at p (*p == '<'). Quoted attribute values may hold '>'. */
static void htmltext_scan_tag(const char *p, const char *end, struct htmltext_tag *t)
{
	const char *q = p + 1;
	size_t n = 0;
	char quote = 0;

	t->start = p;
	t->closing = false;
	t->name[0] = '\0';
	if (end - q >= 3 && memcmp(q, "!--", 3) == 0) {
		const char *c = q + 3;

		strcpy(t->name, "!--");
		while (c + 2 < end && !(c[0] == '-' && c[1] == '-' && c[2] == '>'))
			c++;
		t->end = c + 2 < end ? c + 3 : end;
		return;
	}
	if (q < end && *q == '/') {
		t->closing = true;
		q++;
	}
	while (q < end && (isalnum((unsigned char)*q) || *q == '!')) {
		if (n + 1 < sizeof(t->name))
			t->name[n++] = (char)tolower((unsigned char)*q);
		q++;
	}
	t->name[n] = '\0';
	for (; q < end; q++) {
		if (quote != 0) {
			if (*q == quote)
				quote = 0;
		} else if (*q == '"' || *q == '\'') {
			quote = *q;
		} else if (*q == '>') {
			q++;
			break;
		}
	}
	t->end = q;
}

/* The charset= value inside one tag, or false. */
static bool htmltext_tag_charset(const struct htmltext_tag *t, char *cs, size_t cap)
{
	size_t len = (size_t)(t->end - t->start), n = 0;
	const char *p = t->start, *end = t->end;

	for (; len >= 8; p++, len--) {
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		p += 7;
		while (p < end && (*p == ' ' || *p == '='))
			p++;
		while (p < end && (*p == '"' || *p == '\''))
			p++;
		while (p < end && n + 1 < cap && (isalnum((unsigned char)*p) || strchr("-_.:", *p) != NULL))
			cs[n++] = *p++;
		cs[n] = '\0';
		return n > 0;
	}
	return false;
}

int htmltext_meta_charset(const char *html, size_t len, char *cs, size_t cap)
{
	const char *p = html, *end = html + (len < HTMLTEXT_SNIFF ? len : HTMLTEXT_SNIFF);
	struct htmltext_tag t;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		htmltext_scan_tag(p, end, &t);
		if (!t.closing && strcmp(t.name, "meta") == 0 && htmltext_tag_charset(&t, cs, cap))
			return 0;
		p = t.end;
	}
	return -1;
}

static void htmltext_escape(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			buf_puts(out, "&lt;");
		else if (*s == '>')
			buf_puts(out, "&gt;");
		else if (*s == '&')
			buf_puts(out, "&amp;");
		else
			buf_putc(out, *s);
	}
}

void htmltext_prepare(const void *html, size_t len, const char *charset, const char *note, struct buf *out)
{
	struct buf utf8 = BUF_INIT;
	char cs[64];
	const char *p, *end, *copied;
	struct htmltext_tag t;
	bool noted = note == NULL;

	if (charset == NULL && htmltext_meta_charset(html, len, cs, sizeof(cs)) == 0)
		charset = cs;
	if (charset != NULL) {
		charset_decode(html, len, g_mime_charset_iconv_name(charset), &utf8);
	} else {
		struct charset_guess g;

		charset_detect(html, len, &g);
		charset_decode((const char *)html + g.skip, len - g.skip, g.name, &utf8);
	}
	buf_reset(out);
	buf_puts(
	    out,
	    "<!DOCTYPE html>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n");
	p = copied = utf8.data != NULL ? utf8.data : "";
	end = p + utf8.len;
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		htmltext_scan_tag(p, end, &t);
		if (!t.closing && strcmp(t.name, "meta") == 0 && htmltext_tag_charset(&t, cs, sizeof(cs))) {
			buf_append(out, copied, (size_t)(t.start - copied));
			copied = t.end;
		} else if (!noted && !t.closing && strcmp(t.name, "body") == 0) {
			buf_append(out, copied, (size_t)(t.end - copied));
			copied = t.end;
			buf_puts(out, "<pre>");
			htmltext_escape(note, out);
			buf_puts(out, "</pre>\n");
			noted = true;
		}
		p = t.end;
	}
	if (!noted) {
		buf_puts(out, "<pre>");
		htmltext_escape(note, out);
		buf_puts(out, "</pre>\n");
	}
	buf_append(out, copied, (size_t)(end - copied));
	buf_free(&utf8);
}

static const struct {
	const char *name;
	uint32_t cp;
} htmltext_entities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},      {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},  {"euro", 0x20AC},
    {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},    {"sect", 0xA7},     {"deg", 0xB0},
    {"para", 0xB6},    {"middot", 0xB7},  {"bull", 0x2022},  {"hellip", 0x2026}, {"ndash", 0x2013},
    {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},  {"rdquo", 0x201D},
    {"laquo", 0xAB},   {"raquo", 0xBB},   {"times", 0xD7},   {"divide", 0xF7},   {"shy", 0xAD},
    {"auml", 0xE4},    {"ouml", 0xF6},    {"uuml", 0xFC},    {"Auml", 0xC4},     {"Ouml", 0xD6},
    {"Uuml", 0xDC},    {"szlig", 0xDF},   {"eacute", 0xE9},  {"egrave", 0xE8},   {"ecirc", 0xEA},
    {"aacute", 0xE1},  {"agrave", 0xE0},  {"acirc", 0xE2},   {"ccedil", 0xE7},   {"iacute", 0xED},
    {"oacute", 0xF3},  {"uacute", 0xFA},  {"ntilde", 0xF1},  {"Eacute", 0xC9},   {"aring", 0xE5},
    {"oslash", 0xF8},  {"aelig", 0xE6},   {"Aring", 0xC5},   {"Oslash", 0xD8},   {"AElig", 0xC6},
};

static void htmltext_put_cp(uint32_t cp, struct buf *out)
{
	char u[6];

	if (cp == 0xA0)
		cp = ' ';
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xAD)
		return;
	buf_append(out, u, (size_t)g_unichar_to_utf8(cp, u));
}

/* An entity at p ('&'); returns its length when decoded, 0 to copy the '&' as it is. */
static size_t htmltext_entity(const char *p, const char *end, struct buf *out)
{
	const char *q = p + 1;
	uint32_t cp = 0;
	char name[10];
	size_t n = 0;

	if (q < end && *q == '#') {
		bool hex = q + 1 < end && (q[1] == 'x' || q[1] == 'X');

		q += hex ? 2 : 1;
		while (q < end && n < 8 && (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q))) {
			cp = cp * (hex ? 16 : 10) + (uint32_t)g_ascii_xdigit_value(*q);
			q++;
			n++;
		}
		if (n == 0)
			return 0;
		htmltext_put_cp(cp, out);
		return (size_t)(q - p) + (q < end && *q == ';');
	}
	while (q < end && n + 1 < sizeof(name) && isalnum((unsigned char)*q))
		name[n++] = *q++;
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(htmltext_entities) / sizeof(htmltext_entities[0]); i++) {
		if (strcmp(name, htmltext_entities[i].name) == 0) {
			htmltext_put_cp(htmltext_entities[i].cp, out);
			return (size_t)(q - p) + (q < end && *q == ';');
		}
	}
	return 0;
}

/* Ensure the text ends with at least nl line ends (none at the very start). */
static void htmltext_break(struct buf *out, size_t start, int nl)
{
	int have = 0;

	while (out->len > start && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	for (size_t i = out->len; i > start && out->data[i - 1] == '\n' && have < nl; i--)
		have++;
	if (out->len == start)
		return;
	for (; have < nl; have++)
		buf_putc(out, '\n');
}

static int htmltext_block(const char *name)
{
	static const char *const para[] = {"p",     "h1",         "h2", "h3", "h4", "h5",  "h6",
	                                   "table", "blockquote", "ul", "ol", "dl", "pre", "hr"};
	static const char *const line[] = {"br",      "div",     "tr",      "li",     "dt",
	                                   "dd",      "section", "article", "header", "footer",
	                                   "address", "center",  "form",    "caption"};

	for (size_t i = 0; i < sizeof(para) / sizeof(para[0]); i++)
		if (strcmp(name, para[i]) == 0)
			return 2;
	for (size_t i = 0; i < sizeof(line) / sizeof(line[0]); i++)
		if (strcmp(name, line[i]) == 0)
			return 1;
	return 0;
}

void htmltext_to_text(const char *html, size_t len, struct buf *out)
{
	const char *p = html, *end = html + len;
	const size_t start = out->len;
	char skip[8] = ""; /* inside script, style or title: drop until its end tag */
	int pre = 0;
	struct htmltext_tag t;

	while (p < end) {
		if (skip[0] != '\0') {
			/* raw text up to its end tag: a '<' inside a script is not a tag */
			size_t n = strlen(skip);

			while (p < end && !(*p == '<' && end - p > (ptrdiff_t)n + 1 && p[1] == '/' &&
			                    strncasecmp(p + 2, skip, n) == 0))
				p++;
			skip[0] = '\0';
			continue;
		}
		if (*p == '<') {
			htmltext_scan_tag(p, end, &t);
			p = t.end;
			if (!t.closing && (strcmp(t.name, "script") == 0 || strcmp(t.name, "style") == 0 ||
			                   strcmp(t.name, "title") == 0)) {
				strcpy(skip, t.name);
				continue;
			}
			if (strcmp(t.name, "pre") == 0)
				pre = t.closing ? 0 : 1;
			if (strcmp(t.name, "li") == 0 && !t.closing) {
				htmltext_break(out, start, 1);
				buf_puts(out, "- ");
			} else if (strcmp(t.name, "td") == 0 || strcmp(t.name, "th") == 0) {
				if (out->len > start && out->data[out->len - 1] != '\n' &&
				    out->data[out->len - 1] != ' ')
					buf_putc(out, ' ');
			} else if (htmltext_block(t.name) != 0) {
				htmltext_break(out, start,
				               strcmp(t.name, "br") == 0 ? 1 : htmltext_block(t.name));
			}
			continue;
		}
		if (*p == '&') {
			size_t n = htmltext_entity(p, end, out);

			if (n > 0) {
				p += n;
				continue;
			}
		}
		if (!pre && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			if (out->len > start && out->data[out->len - 1] != ' ' &&
			    out->data[out->len - 1] != '\n')
				buf_putc(out, ' ');
			p++;
			continue;
		}
		if (*p == '\r') {
			p++;
			continue;
		}
		buf_putc(out, *p++);
	}
	htmltext_break(out, start, 0);
}
