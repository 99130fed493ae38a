/*
 * htmltext.h - an HTML mail body made ready for LibreOffice, and turned into plain text for the cover.
 *
 * The HTML of a mail body is faxed by the rendering engine; its text is only needed for the cover
 * page's comment, so the conversion to text is a simple tag stripper with entity decoding, not an
 * HTML parser. Both are single passes over the input, linear in time and output.
 */
#ifndef FAXGATE_MAIL_HTMLTEXT_H
#define FAXGATE_MAIL_HTMLTEXT_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Decode the HTML to UTF-8 and make it say so: charset is the MIME label (NULL: the document's
 * own <meta> charset, else detection). Every <meta> that names a charset is dropped and a
 * doctype and a UTF-8 <meta> are put first, so the content is recognised as HTML even when it is
 * a fragment and is read in the charset it now has. note, when not NULL, is plain text shown
 * above the document (a forwarded message's headers). out is reset first.
 */
void htmltext_prepare(const void *html, size_t len, const char *charset, const char *note, struct buf *out);
/* UTF-8 HTML to plain text (appended to out): tags dropped, blocks on lines, entities decoded. */
void htmltext_to_text(const char *html, size_t len, struct buf *out);
/* The charset a <meta> in the first few KiB declares, copied into cs; 0, or -1 when none. */
int htmltext_meta_charset(const char *html, size_t len, char *cs, size_t cap);

#endif
