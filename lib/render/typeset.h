/*
 * typeset.h - lay out UTF-8 text or Pango markup on fax pages (plain-text documents, cover page).
 *
 * Pango shapes every script (fontconfig supplies fallback fonts for what the chosen font lacks,
 * right-to-left paragraphs are aligned right), cairo draws at the fax's pixel grid, which is not
 * square: layout is done in millimetres and only the drawing is scaled, so a letter 'O' is round
 * on paper at standard, fine and superfine alike. Glyphs are rendered with grey antialiasing and
 * thresholded here, so the sink gets pure black and white and text is never halftoned.
 * Pages are split between lines, never through one.
 */
#ifndef FAXGATE_RENDER_TYPESET_H
#define FAXGATE_RENDER_TYPESET_H

#include <stddef.h>

#include "render/bitmap.h"
#include "render/geometry.h"
#include "util/buf.h"

#define TYPESET_MARGIN_X_MM  15.0 /* left and right */
#define TYPESET_MARGIN_Y_MM  12.0 /* top and bottom */
#define TYPESET_DEFAULT_FONT "DejaVu Sans Mono 10"
#define TYPESET_MAX_COLUMNS  8

/* One page surface and a Pango context; create one per process and reuse it. */
struct typeset;

/* threshold: grey below it (0 black .. 255 white) becomes black; out of 1..255 means 168. */
struct typeset *typeset_new(const struct fax_geometry *g, int threshold);
void typeset_free(struct typeset *t);
/* The area text may occupy, in mm. */
double typeset_text_width(const struct typeset *t);
double typeset_text_height(const struct typeset *t);

/* Receives each finished page (valid until the callback returns); -1 stops typesetting. */
typedef int (*typeset_page_fn)(void *arg, const struct greymap *page);

/*
 * Plain text: UTF-8 where '\n' ends a line and '\f' ends a page (a '\n' right after it is
 * swallowed, so a form feed on a line of its own does not start the next page with a blank line).
 * Long lines wrap at word boundaries. font is a Pango font description ("DejaVu Sans Mono 10");
 * NULL or unusable means TYPESET_DEFAULT_FONT. Returns the pages made, or -1 when fn said stop.
 */
int typeset_text(struct typeset *t, const char *font, const char *text, size_t len, typeset_page_fn fn,
                 void *arg);

/* Characters of text that no font, fallback included, can show (tofu boxes); for tests and logs. */
int typeset_unknown_glyphs(struct typeset *t, const char *font, const char *text);

/* Building a single page from blocks, top to bottom (the cover page). */
enum typeset_align { TYPESET_ALIGN_LEFT, TYPESET_ALIGN_CENTER, TYPESET_ALIGN_RIGHT };

struct typeset_block {
	const char *font; /* Pango font description; NULL: "DejaVu Sans 11" */
	enum typeset_align align;
	double columns[TYPESET_MAX_COLUMNS]; /* where cells 2, 3... start, mm from the left margin */
	size_t ncolumns;
	const char *const *cells; /* markup of each cell; cell i + 1 starts at columns[i] */
	size_t ncells;            /* at most ncolumns + 1 */
};

void typeset_page_begin(struct typeset *t);
/*
 * Add a row of markup cells, wrapped within their columns. What does not fit on the page is cut
 * with an ellipsis. Returns 0, 1 when something was cut or left out, or -1 with err set when a
 * cell is not valid markup (nothing is drawn then).
 */
int typeset_page_block(struct typeset *t, const struct typeset_block *b, struct buf *err);
/* A horizontal rule across the text width, centred in a band of band_mm. */
void typeset_page_rule(struct typeset *t, double band_mm, double thickness_mm);
void typeset_page_space(struct typeset *t, double mm);
/* mm left on the page below what was added. */
double typeset_page_room(const struct typeset *t);
/* The finished page, thresholded; valid until the next call on t. */
const struct greymap *typeset_page_end(struct typeset *t);

#endif
