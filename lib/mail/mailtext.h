/*
 * mailtext.h - a mail's text part as tidy UTF-8: charset, format=flowed, line ends, trailing blanks.
 */
#ifndef FAXGATE_MAIL_MAILTEXT_H
#define FAXGATE_MAIL_MAILTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/*
 * Decoded part content in charset (the MIME label, NULL when none: detected) appended to out as
 * tidy UTF-8 (see charset_tidy); flowed text (RFC 3676) is joined into its paragraphs.
 */
void mailtext_append(const void *data, size_t len, const char *charset, bool flowed, bool delsp,
                     struct buf *out);
/* Trailing blanks off every line, blank lines off the end; returns the number of lines. */
size_t mailtext_finish(struct buf *text);

#endif
