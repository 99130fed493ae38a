/*
 * mailtext.c - text parts of a mail decoded to the tidy UTF-8 the cover page and body pages want.
 *
 * Reads hostile text: the charset module bounds and repairs it (invalid bytes become U+FFFD,
 * unknown charsets decode as Windows-1252); the flowed-text join is one pass over the lines.
 */
#include "mail/mailtext.h"

#include <string.h>

#include <gmime/gmime.h>

#include "render/charset.h"

/* RFC 3676 section 4: join soft line breaks, undo space-stuffing, keep quote depth. */
static void mailtext_unflow(const char *s, size_t len, bool delsp, struct buf *out)
{
	const char *end = s + len;
	bool open = false; /* the previous line was flowed: this one continues it */
	size_t depth_open = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end, *c = s;
		size_t depth = 0, n;
		bool flowed;

		if (e > s && e[-1] == '\r')
			e--;
		while (c < e && *c == '>') {
			depth++;
			c++;
		}
		if (c < e && *c == ' ')
			c++;
		n = (size_t)(e - c);
		if (open && depth != depth_open)
			buf_putc(out, '\n');
		if (!open || depth != depth_open) {
			for (size_t i = 0; i < depth; i++)
				buf_putc(out, '>');
			if (depth > 0)
				buf_putc(out, ' ');
		}
		flowed = n > 0 && c[n - 1] == ' ' && !(n == 3 && memcmp(c, "-- ", 3) == 0);
		buf_append(out, c, flowed && delsp ? n - 1 : n);
		if (!flowed)
			buf_putc(out, '\n');
		open = flowed;
		depth_open = depth;
		s = nl != NULL ? nl + 1 : end;
	}
	if (open)
		buf_putc(out, '\n');
}

void mailtext_append(const void *data, size_t len, const char *charset, bool flowed, bool delsp,
                     struct buf *out)
{
	struct buf utf8 = BUF_INIT, joined = BUF_INIT;
	struct charset_guess g;

	if (data == NULL)
		data = "";
	if (charset != NULL) {
		charset_decode(data, len, g_mime_charset_iconv_name(charset), &utf8);
	} else {
		charset_detect(data, len, &g);
		charset_decode((const char *)data + g.skip, len - g.skip, g.name, &utf8);
	}
	if (flowed) {
		mailtext_unflow(buf_cstr(&utf8), utf8.len, delsp, &joined);
		charset_tidy(buf_cstr(&joined), joined.len, out);
	} else {
		charset_tidy(buf_cstr(&utf8), utf8.len, out);
	}
	buf_free(&utf8);
	buf_free(&joined);
}

size_t mailtext_finish(struct buf *text)
{
	size_t r = 0, w = 0, lines = 0, line_start = 0;

	/* "-- " is the signature separator: its blank is meaningful and stays */
	for (r = 0; r < text->len; r++) {
		char ch = text->data[r];

		if (ch == '\n') {
			size_t keep = w;

			while (keep > line_start &&
			       (text->data[keep - 1] == ' ' || text->data[keep - 1] == '\t'))
				keep--;
			if (w - line_start == 3 && memcmp(text->data + line_start, "-- ", 3) == 0)
				keep = w;
			w = keep;
			text->data[w++] = '\n';
			line_start = w;
			continue;
		}
		text->data[w++] = ch;
	}
	while (w > 0 && (text->data[w - 1] == ' ' || text->data[w - 1] == '\t' || text->data[w - 1] == '\n'))
		w--;
	text->len = w;
	if (text->data != NULL)
		text->data[w] = '\0';
	for (r = 0; r < w; r++)
		if (text->data[r] == '\n')
			lines++;
	return w > 0 ? lines + 1 : 0;
}
