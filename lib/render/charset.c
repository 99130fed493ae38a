/*
 * charset.c - detect the charset of hostile text and turn it into tidy UTF-8.
 *
 * Defends against: any byte sequence (invalid, truncated or overlong UTF-8, unpaired UTF-16
 * surrogates, broken multibyte sequences in legacy charsets, stray escapes), charsets iconv does
 * not know, mislabelled or unlabelled text, and sheer size (input and output are bounded, and
 * uchardet only sees a prefix). Decoding never fails: what cannot be decoded becomes U+FFFD.
 */
#include "render/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <uchardet.h>

#include "util/log.h"

/* uchardet needs no more than this to make up its mind, and is slow on megabytes. */
#define CHARSET_SNIFF_BYTES ((size_t)256 << 10)
/* The prefix looked at for UTF-16 without a byte order mark. */
#define CHARSET_ZERO_SNIFF 4096
#define CHARSET_INVALID    UINT32_MAX

/* Windows-1252 0x80-0x9F; the five holes map to the C1 control of the same value (as WHATWG does). */
static const uint16_t charset_cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/*
 * Decode one UTF-8 character. Returns the bytes consumed (at least 1); *cp is CHARSET_INVALID
 * when they are an invalid sequence, which is then the maximal subpart that could have started a
 * valid one, so each broken sequence costs exactly one U+FFFD (the Unicode recommended practice).
 */
static size_t charset_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		v = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		else if (b == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		v = b & 0x07;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		else if (b == 0xF4)
			hi = 0x8F; /* beyond U+10FFFF */
	} else {
		*cp = CHARSET_INVALID;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*cp = CHARSET_INVALID;
			return i;
		}
		v = (v << 6) | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

static void charset_put_char(struct buf *out, uint32_t cp)
{
	char tmp[8];
	int n = g_unichar_to_utf8((gunichar)cp, tmp);

	buf_append(out, tmp, (size_t)n);
}

static const char charset_replacement[] = "\xEF\xBF\xBD";

/* ESC sequences that designate a double-byte set: ISO-2022 text, which is also plain ASCII. */
static const char *charset_iso2022(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *e;

	for (e = memchr(p, 0x1B, n); e != NULL; e = memchr(e + 1, 0x1B, (size_t)(end - e - 1))) {
		size_t left = (size_t)(end - e);

		if (left >= 3 && e[1] == '$' && (e[2] == 'B' || e[2] == '@'))
			return "ISO-2022-JP-2"; /* a superset of ISO-2022-JP, so decodes either */
		if (left >= 4 && e[1] == '$' && e[2] == '(' && e[3] == 'D')
			return "ISO-2022-JP-2";
		if (left >= 4 && e[1] == '$' && e[2] == ')' && e[3] == 'C')
			return "ISO-2022-KR";
		if (left >= 4 && e[1] == '$' && e[2] == ')' && (e[3] == 'A' || e[3] == 'G'))
			return "ISO-2022-CN-EXT";
		if (left < 2)
			break;
	}
	return NULL;
}

/* UTF-16 without a byte order mark: ASCII-range text has a NUL in every other byte. */
static const char *charset_utf16_zeros(const uint8_t *p, size_t n)
{
	size_t even = 0, odd = 0, i, pairs;

	if (n > CHARSET_ZERO_SNIFF)
		n = CHARSET_ZERO_SNIFF;
	n &= ~(size_t)1;
	pairs = n / 2;
	if (pairs < 2)
		return NULL;
	for (i = 0; i < n; i += 2) {
		even += p[i] == 0;
		odd += p[i + 1] == 0;
	}
	if (odd * 10 >= pairs * 3 && even * 20 <= pairs)
		return "UTF-16LE";
	if (even * 10 >= pairs * 3 && odd * 20 <= pairs)
		return "UTF-16BE";
	return NULL;
}

/*
 * Is it UTF-8? Valid text is; so is text where bytes of valid multibyte sequences outnumber
 * invalid bytes: UTF-8 with a few damaged bytes, or cut at the input limit. Legacy multibyte and
 * 8-bit text forms valid UTF-8 only by chance, for a fifth of its high bytes at most.
 */
static bool charset_is_utf8(const uint8_t *p, size_t n)
{
	size_t good = 0, bad = 0, i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = charset_utf8_next(p + i, n - i, &cp);
		if (cp != CHARSET_INVALID)
			good += k;
		else
			bad += k;
		i += k;
	}
	return bad == 0 || good >= bad;
}

static void charset_set(struct charset_guess *g, const char *name, size_t skip, const char *how)
{
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->skip = skip;
	g->how = how;
}

static void charset_ask_uchardet(const uint8_t *p, size_t n, struct charset_guess *g)
{
	uchardet_t ud = uchardet_new();
	const char *name = NULL;

	if (ud != NULL && uchardet_handle_data(ud, (const char *)p,
	                                       n < CHARSET_SNIFF_BYTES ? n : CHARSET_SNIFF_BYTES) == 0) {
		uchardet_data_end(ud);
		name = uchardet_get_charset(ud);
	}
	/* Latin-1's 0x80-0x9F are controls nobody means; Windows-1252 has the characters they typed. */
	if (name == NULL || name[0] == '\0' || strcasecmp(name, "ISO-8859-1") == 0 ||
	    strcasecmp(name, "ASCII") == 0)
		charset_set(g, "WINDOWS-1252", 0, name && name[0] ? "uchardet" : "fallback");
	else
		charset_set(g, name, 0, "uchardet");
	if (ud != NULL)
		uchardet_delete(ud);
}

void charset_detect(const void *data, size_t len, struct charset_guess *g)
{
	const uint8_t *p = data;
	const char *name;
	size_t i;
	bool high = false;

	if (len > CHARSET_MAX_INPUT)
		len = CHARSET_MAX_INPUT;
	for (i = 0; i < len && !high; i++)
		high = p[i] >= 0x80;
	/* UTF-32LE's mark starts like UTF-16LE's, so it is tested first. */
	if (len >= 4 && memcmp(p, "\xFF\xFE\0\0", 4) == 0)
		charset_set(g, "UTF-32LE", 4, "bom");
	else if (len >= 4 && memcmp(p, "\0\0\xFE\xFF", 4) == 0)
		charset_set(g, "UTF-32BE", 4, "bom");
	else if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		charset_set(g, "UTF-8", 3, "bom");
	else if (len >= 2 && memcmp(p, "\xFF\xFE", 2) == 0)
		charset_set(g, "UTF-16LE", 2, "bom");
	else if (len >= 2 && memcmp(p, "\xFE\xFF", 2) == 0)
		charset_set(g, "UTF-16BE", 2, "bom");
	else if (!high && (name = charset_iso2022(p, len)) != NULL)
		charset_set(g, name, 0, "escapes");
	else if ((name = charset_utf16_zeros(p, len)) != NULL) /* NULs are valid UTF-8: test first */
		charset_set(g, name, 0, "zeros");
	else if (!high || charset_is_utf8(p, len))
		charset_set(g, "UTF-8", 0, "utf-8");
	else
		charset_ask_uchardet(p, len, g);
}

static size_t charset_decode_utf8(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i = 0, run = 0, k, bad = 0;
	uint32_t cp;

	buf_reserve(out, n);
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = charset_utf8_next(p + i, n - i, &cp);
		if (cp == CHARSET_INVALID) {
			/* Copy the valid run before the broken sequence in one go. */
			buf_append(out, p + run, i - run);
			buf_append(out, charset_replacement, 3);
			bad++;
			run = i + k;
		}
		i += k;
	}
	buf_append(out, p + run, n - run);
	return bad;
}

static void charset_decode_cp1252(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i;

	buf_reserve(out, n);
	buf_append(out, "", 0);
	for (i = 0; i < n; i++) {
		if (p[i] < 0x80)
			buf_putc(out, (char)p[i]);
		else if (p[i] < 0xA0)
			charset_put_char(out, charset_cp1252_high[p[i] - 0x80]);
		else
			charset_put_char(out, p[i]);
	}
}

/* The size of a code unit, so that an undecodable one is skipped whole and sync is kept. */
static size_t charset_unit(const char *charset)
{
	if (strncasecmp(charset, "UTF-16", 6) == 0 || strncasecmp(charset, "UCS-2", 5) == 0)
		return 2;
	if (strncasecmp(charset, "UTF-32", 6) == 0 || strncasecmp(charset, "UCS-4", 5) == 0)
		return 4;
	return 1;
}

/* Run iconv into out; in NULL flushes a stateful decoder. Returns -1 with errno on a stop. */
static int charset_iconv_step(iconv_t cd, char **in, size_t *inleft, struct buf *out)
{
	size_t oleft, r;
	char *o;

	do {
		buf_reserve(out, (inleft ? *inleft * 2 : 0) + 64);
		o = out->data + out->len;
		oleft = out->cap - out->len - 1;
		r = iconv(cd, in, inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
	} while (r == (size_t)-1 && errno == E2BIG);
	return r == (size_t)-1 ? -1 : 0;
}

static size_t charset_decode_iconv(iconv_t cd, const char *charset, const uint8_t *p, size_t n,
                                   struct buf *out)
{
	char *in = (char *)p;
	size_t inleft = n, unit = charset_unit(charset), bad = 0;

	while (inleft > 0 && charset_iconv_step(cd, &in, &inleft, out) < 0) {
		buf_append(out, charset_replacement, 3);
		bad++;
		if (errno == EILSEQ && inleft > unit) {
			in += unit;
			inleft -= unit;
		} else {
			/* EINVAL: incomplete at the end; anything else: give up on the rest. */
			inleft = 0;
		}
	}
	/* A stateful decoder (ISO-2022) may still hold output. */
	charset_iconv_step(cd, NULL, NULL, out);
	return bad;
}

size_t charset_decode(const void *data, size_t len, const char *charset, struct buf *out)
{
	iconv_t cd;
	size_t bad;

	if (len > CHARSET_MAX_INPUT)
		len = CHARSET_MAX_INPUT;
	if (strcasecmp(charset, "UTF-8") == 0)
		return charset_decode_utf8(data, len, out);
	if (strcasecmp(charset, "WINDOWS-1252") == 0 || strcasecmp(charset, "CP1252") == 0) {
		charset_decode_cp1252(data, len, out);
		return 0;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		log_info("text: iconv does not know charset %s, decoding as Windows-1252", charset);
		charset_decode_cp1252(data, len, out);
		return 0;
	}
	bad = charset_decode_iconv(cd, charset, data, len, out);
	iconv_close(cd);
	return bad;
}

/* Columns a character takes in a monospaced line, for tab stops. */
static int charset_cells(uint32_t cp)
{
	if (g_unichar_iszerowidth((gunichar)cp))
		return 0;
	return g_unichar_iswide((gunichar)cp) ? 2 : 1;
}

/* Drop the last character of the current line (backspace overstrike). */
static void charset_backspace(struct buf *out, size_t line_start, int *col, int last_cells)
{
	size_t i = out->len;

	if (i <= line_start)
		return;
	do
		i--;
	while (i > line_start && ((uint8_t)out->data[i] & 0xC0) == 0x80);
	out->len = i;
	out->data[i] = '\0';
	*col -= last_cells;
	if (*col < 0)
		*col = 0;
}

void charset_tidy(const char *text, size_t len, struct buf *out)
{
	const uint8_t *p = (const uint8_t *)text;
	size_t i = 0, start = out->len, line_start = out->len, k;
	int col = 0, last_cells = 0, marks = 0;
	uint32_t cp;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	buf_reserve(out, len);
	buf_append(out, "", 0); /* terminated even when nothing is added */
	while (i < len && out->len - start < CHARSET_MAX_OUTPUT) {
		k = charset_utf8_next(p + i, len - i, &cp);
		if (cp == CHARSET_INVALID)
			cp = 0xFFFD;
		i += k;
		if (cp == '\r' || cp == '\n' || cp == '\f') {
			if (cp == '\r' && i < len && p[i] == '\n')
				i++;
			buf_putc(out, cp == '\f' ? '\f' : '\n');
			line_start = out->len;
			col = 0;
			last_cells = 0;
		} else if (cp == '\t') {
			int n = CHARSET_TAB_WIDTH - col % CHARSET_TAB_WIDTH;

			buf_append(out, "        ", (size_t)n);
			col += n;
			last_cells = 1;
		} else if (cp == '\b') {
			charset_backspace(out, line_start, &col, last_cells);
			last_cells = 0;
		} else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
			continue;
		} else {
			last_cells = charset_cells(cp);
			/* Thousands of accents stacked on one letter take Pango seconds to shape. */
			marks = last_cells == 0 ? marks + 1 : 0;
			if (marks > CHARSET_MAX_MARKS)
				continue;
			if (cp < 0x80)
				buf_putc(out, (char)cp);
			else
				charset_put_char(out, cp);
			col += last_cells;
		}
	}
}

void charset_to_utf8(const void *data, size_t len, struct buf *out, struct charset_guess *g)
{
	struct charset_guess local;
	struct buf dec = BUF_INIT;
	size_t bad;

	if (g == NULL)
		g = &local;
	if (len > CHARSET_MAX_INPUT)
		len = CHARSET_MAX_INPUT;
	charset_detect(data, len, g);
	bad = charset_decode((const uint8_t *)data + g->skip, len - g->skip, g->name, &dec);
	/* A guess that leaves more than 1 in 50 characters undecodable was wrong: use the safe default. */
	if (strcmp(g->how, "uchardet") == 0 && bad * 50 > len) {
		log_info("text: %zu undecodable sequences as %s, decoding as Windows-1252", bad, g->name);
		buf_reset(&dec);
		charset_set(g, "WINDOWS-1252", 0, "fallback");
		charset_decode(data, len, g->name, &dec);
	}
	buf_reset(out);
	charset_tidy(dec.data ? dec.data : "", dec.len, out);
	buf_free(&dec);
	log_debug("text: charset %s (%s), %zu bytes in, %zu bytes of UTF-8 out", g->name, g->how, len,
	          out->len);
}
