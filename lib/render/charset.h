/*
 * charset.h - hostile text in any character set to clean UTF-8 ready for typesetting.
 *
 * Plain-text attachments arrive in whatever charset the sender's system used, often unlabelled
 * or mislabelled. The bytes are classified (byte order mark, ISO-2022 escapes, valid UTF-8,
 * UTF-16 without a mark, then uchardet's guess, else Windows-1252, which decodes any byte),
 * decoded with every invalid sequence replaced by U+FFFD, and tidied: one kind of line end,
 * tabs expanded, control characters dropped except form feed (a page break). Nothing in the
 * input can make these functions fail; the work is bounded by CHARSET_MAX_INPUT bytes read and
 * CHARSET_MAX_OUTPUT bytes produced.
 */
#ifndef FAXGATE_RENDER_CHARSET_H
#define FAXGATE_RENDER_CHARSET_H

#include <stddef.h>

#include "util/buf.h"

/* Bytes of a text document that are read; the rest is ignored (the page limit stops far sooner). */
#define CHARSET_MAX_INPUT ((size_t)4 << 20)
/* Bytes of tidy UTF-8 produced at most (tab expansion can grow the text eightfold). */
#define CHARSET_MAX_OUTPUT ((size_t)8 << 20)
#define CHARSET_TAB_WIDTH  8
/* Zero-width characters (combining marks) kept in a row, as in Unicode's stream-safe format (UAX #15). */
#define CHARSET_MAX_MARKS 30

struct charset_guess {
	char name[40];   /* an iconv name: "UTF-8", "UTF-16LE", "SHIFT_JIS", "WINDOWS-1252"... */
	size_t skip;     /* bytes of byte order mark to skip before decoding */
	const char *how; /* why: "bom", "escapes", "utf-8", "zeros", "uchardet", "fallback" */
};

/* Decide the charset of data (only the first CHARSET_MAX_INPUT bytes are looked at). */
void charset_detect(const void *data, size_t len, struct charset_guess *g);
/*
 * Decode data from charset to UTF-8, appending to out. Invalid or incomplete sequences become
 * U+FFFD; a charset iconv does not know decodes as Windows-1252. Returns how many replacements
 * were made.
 */
size_t charset_decode(const void *data, size_t len, const char *charset, struct buf *out);
/*
 * Tidy UTF-8 for the typesetter, appending to out: CRLF and CR become LF, tabs become spaces to
 * the next multiple of CHARSET_TAB_WIDTH columns, backspace overstrikes (man page bold and
 * underline) keep the last character, a leading byte order mark and all control characters
 * except LF and FF are dropped, and so are combining marks beyond CHARSET_MAX_MARKS in a row.
 * Invalid UTF-8 in text becomes U+FFFD.
 */
void charset_tidy(const char *text, size_t len, struct buf *out);
/* All three: any bytes to tidy UTF-8 (out is reset first). g may be NULL. */
void charset_to_utf8(const void *data, size_t len, struct buf *out, struct charset_guess *g);

#endif
