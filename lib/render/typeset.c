/*
 * typeset.c - Pango/cairo layout of text and markup onto fax pages.
 *
 * Why layout in millimetres with an unscaled Pango context: Pango 1.50 given a non-uniform
 * device matrix (fax pixels are about twice as tall as wide at standard) scales glyph advances by
 * the wrong axis, so letters overlap at standard and spread apart at superfine. So Pango lays out
 * in mm (resolution 25.4 "dpi", glyph positions not rounded, metrics not hinted) and only cairo,
 * which handles any matrix, scales mm to fax pixels while drawing: glyph shapes and advances stay
 * physically right at every resolution.
 *
 * Why grey antialiasing then a threshold rather than antialias NONE: FreeType's monochrome
 * rasteriser draws 10 pt stems one pixel (0.12 mm) wide and drops hairlines at 98 lpi; grey
 * coverage thresholded at the text threshold (about a third covered) gives even two-pixel stems
 * that survive transmission and printing. Slight hinting snaps horizontal stems to rows only,
 * keeping letter widths true. The threshold is applied here, so the sink only ever sees black
 * and white and cannot mistake antialiased edges for a photo to halftone.
 *
 * Defends against: text that is one enormous line (laid out in bounded chunks), lines taller
 * than a page (drawn clipped, never an endless loop), invalid UTF-8 (replaced), bad markup
 * (reported, not drawn), absurd font sizes (clamped).
 */
#include "render/typeset.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "util/log.h"
#include "util/xalloc.h"

/*
 * Bytes of text handed to Pango at once. Pango reshapes the rest of an unbreakable run for every
 * line it wraps, so a long line without spaces costs time quadratic in its length: 64 KB of it
 * took 1.5 s, 4 KB pieces take 20 ms a page. Normal text is cut at line ends anyway.
 */
#define TYPESET_CHUNK             ((size_t)4 << 10)
#define TYPESET_BLOCK_FONT        "DejaVu Sans 11"
#define TYPESET_COLUMN_GAP_MM     2.0
#define TYPESET_MIN_PT            4.0
#define TYPESET_MAX_PT            96.0
#define TYPESET_DEFAULT_THRESHOLD 168

struct typeset {
	struct fax_geometry geom;
	double text_w, text_h; /* mm inside the margins */
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoContext *pango;
	uint8_t lut[256]; /* coverage -> black or white */
	struct greymap page;
	double y;     /* mm used below the top margin */
	size_t lines; /* lines of text on the page */
};

static double typeset_snap(double mm, double dpmm)
{
	return round(mm * dpmm) / dpmm;
}

static void typeset_clear(struct typeset *t)
{
	cairo_surface_flush(t->surface);
	memset(cairo_image_surface_get_data(t->surface), 0,
	       (size_t)cairo_image_surface_get_stride(t->surface) * (size_t)t->geom.height);
	cairo_surface_mark_dirty(t->surface);
	t->y = 0;
	t->lines = 0;
}

struct typeset *typeset_new(const struct fax_geometry *g, int threshold)
{
	struct typeset *t;
	cairo_font_options_t *fo;
	int i;

	if (g->width < 100 || g->width > 10000 || g->height < 100 || g->height > 20000 || !(g->xdpmm > 1) ||
	    !(g->xdpmm < 100) || !(g->ydpmm > 1) || !(g->ydpmm < 100)) {
		log_error("typeset: bad page geometry %dx%d", g->width, g->height);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->geom = *g;
	t->text_w = g->width / g->xdpmm - 2 * TYPESET_MARGIN_X_MM;
	t->text_h = g->height / g->ydpmm - 2 * TYPESET_MARGIN_Y_MM;
	if (threshold < 1 || threshold > 255)
		threshold = TYPESET_DEFAULT_THRESHOLD;
	for (i = 0; i < 256; i++)
		t->lut[i] = 255 - i < threshold ? 0 : 255;
	t->surface = cairo_image_surface_create(CAIRO_FORMAT_A8, g->width, g->height);
	if (cairo_surface_status(t->surface) != CAIRO_STATUS_SUCCESS) {
		log_error("typeset: cannot create a %dx%d page: %s", g->width, g->height,
		          cairo_status_to_string(cairo_surface_status(t->surface)));
		cairo_surface_destroy(t->surface);
		free(t);
		return NULL;
	}
	t->cr = cairo_create(t->surface);
	cairo_scale(t->cr, g->xdpmm, g->ydpmm);
	greymap_alloc(&t->page, g->width, g->height);

	/* The default font map is made once per thread: fontconfig is initialised only once. */
	t->pango = pango_font_map_create_context(pango_cairo_font_map_get_default());
	fo = cairo_font_options_create();
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(t->pango, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(t->pango, 25.4); /* one Pango pixel is one mm */
	pango_context_set_round_glyph_positions(t->pango, FALSE);
	typeset_clear(t);
	return t;
}

void typeset_free(struct typeset *t)
{
	if (t == NULL)
		return;
	g_object_unref(t->pango);
	cairo_destroy(t->cr);
	cairo_surface_destroy(t->surface);
	greymap_free(&t->page);
	free(t);
}

double typeset_text_width(const struct typeset *t)
{
	return t->text_w;
}

double typeset_text_height(const struct typeset *t)
{
	return t->text_h;
}

/* A font description from configuration or a template, with a family and a sane size. */
static PangoFontDescription *typeset_font(const char *font, const char *fallback)
{
	PangoFontDescription *fd = pango_font_description_from_string(font && font[0] ? font : fallback);
	PangoFontDescription *def = pango_font_description_from_string(fallback);
	double pt;

	if (pango_font_description_get_family(fd) == NULL)
		pango_font_description_set_family(fd, pango_font_description_get_family(def));
	pt = (double)pango_font_description_get_size(fd) / PANGO_SCALE;
	if (!(pango_font_description_get_set_fields(fd) & PANGO_FONT_MASK_SIZE) || !(pt > 0))
		pt = (double)pango_font_description_get_size(def) / PANGO_SCALE;
	/* "20px" would be 20 mm here: take the number as points. */
	pt = fmin(fmax(pt, TYPESET_MIN_PT), TYPESET_MAX_PT);
	pango_font_description_set_size(fd, (int)(pt * PANGO_SCALE));
	pango_font_description_free(def);
	return fd;
}

static PangoLayout *typeset_layout(struct typeset *t, const char *font, const char *fallback, double width_mm)
{
	PangoLayout *l = pango_layout_new(t->pango);
	PangoFontDescription *fd = typeset_font(font, fallback);

	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(fmax(width_mm, 1.0) * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	return l;
}

/* Draw a laid-out line with its baseline on a pixel row, so every line is rasterised alike. */
static void typeset_draw_line(struct typeset *t, PangoLayoutLine *line, double x_mm, double baseline_mm)
{
	cairo_move_to(t->cr, typeset_snap(x_mm, t->geom.xdpmm), typeset_snap(baseline_mm, t->geom.ydpmm));
	pango_cairo_show_layout_line(t->cr, line);
}

/* Draw a whole layout with its top left corner at (x, y) mm on the page. */
static void typeset_draw_layout(struct typeset *t, PangoLayout *l, double x_mm, double y_mm)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle log;

	do {
		pango_layout_iter_get_line_extents(it, NULL, &log);
		typeset_draw_line(t, pango_layout_iter_get_line_readonly(it),
		                  x_mm + (double)log.x / PANGO_SCALE,
		                  y_mm + (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE);
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

const struct greymap *typeset_page_end(struct typeset *t)
{
	const uint8_t *src;
	size_t stride, x, w = (size_t)t->geom.width;
	uint64_t word;
	int y;

	cairo_surface_flush(t->surface);
	src = cairo_image_surface_get_data(t->surface);
	stride = (size_t)cairo_image_surface_get_stride(t->surface);
	for (y = 0; y < t->geom.height; y++) {
		const uint8_t *s = src + (size_t)y * stride;
		uint8_t *d = t->page.px + (size_t)y * t->page.stride;

		/* Most of a page is paper: skip it eight pixels at a time. */
		for (x = 0; x + 8 <= w; x += 8) {
			memcpy(&word, s + x, 8);
			if (word == 0)
				memset(d + x, 255, 8);
			else
				for (size_t i = x; i < x + 8; i++)
					d[i] = t->lut[s[i]];
		}
		for (; x < w; x++)
			d[x] = t->lut[s[x]];
	}
	return &t->page;
}

void typeset_page_begin(struct typeset *t)
{
	typeset_clear(t);
}

double typeset_page_room(const struct typeset *t)
{
	return t->text_h - t->y;
}

/* Finish the page, hand it over and start the next. */
static int typeset_emit(struct typeset *t, typeset_page_fn fn, void *arg, int *pages)
{
	int ret = fn(arg, typeset_page_end(t));

	(*pages)++;
	typeset_clear(t);
	return ret < 0 ? -1 : 0;
}

/* Put the lines of l on pages, starting a new page when the next line does not fit whole. */
static int typeset_flow(struct typeset *t, PangoLayout *l, typeset_page_fn fn, void *arg, int *pages)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle log;
	int ret = 0;

	do {
		double h, base;

		pango_layout_iter_get_line_extents(it, NULL, &log);
		h = (double)log.height / PANGO_SCALE;
		base = (double)(pango_layout_iter_get_baseline(it) - log.y) / PANGO_SCALE;
		/* An empty page takes any line, even one taller than the page, so text always advances. */
		if (t->lines > 0 && t->y + h > t->text_h + 1e-9 &&
		    (ret = typeset_emit(t, fn, arg, pages)) < 0)
			break;
		typeset_draw_line(t, pango_layout_iter_get_line_readonly(it),
		                  TYPESET_MARGIN_X_MM + (double)log.x / PANGO_SCALE,
		                  TYPESET_MARGIN_Y_MM + t->y + base);
		t->y += h;
		t->lines++;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	return ret;
}

/*
 * The next piece of a page's text for Pango: whole lines up to TYPESET_CHUNK bytes, else a cut
 * at a space or character boundary. *used counts the line feed that ends the piece, which Pango
 * must not see (it would add an empty line).
 */
static size_t typeset_chunk(const char *p, size_t n, size_t *used)
{
	const char *nl;
	size_t cut, i;

	if (n <= TYPESET_CHUNK) {
		*used = n;
		return n > 0 && p[n - 1] == '\n' ? n - 1 : n;
	}
	nl = memrchr(p, '\n', TYPESET_CHUNK);
	if (nl != NULL) {
		*used = (size_t)(nl - p) + 1;
		return (size_t)(nl - p);
	}
	cut = TYPESET_CHUNK;
	for (i = cut; i > TYPESET_CHUNK - 256; i--) {
		if (p[i - 1] == ' ') {
			cut = i;
			break;
		}
	}
	while (cut > 1 && ((unsigned char)p[cut] & 0xC0) == 0x80)
		cut--;
	*used = cut;
	return cut;
}

static void typeset_set_text(PangoLayout *l, const char *p, size_t n)
{
	gchar *valid;

	if (g_utf8_validate(p, (gssize)n, NULL)) {
		pango_layout_set_text(l, p, (int)n);
		return;
	}
	valid = g_utf8_make_valid(p, (gssize)n);
	pango_layout_set_text(l, valid, -1);
	g_free(valid);
}

int typeset_text(struct typeset *t, const char *font, const char *text, size_t len, typeset_page_fn fn,
                 void *arg)
{
	PangoLayout *l = typeset_layout(t, font, TYPESET_DEFAULT_FONT, t->text_w);
	size_t pos = 0, used, n;
	int pages = 0, ret = 0, unknown = 0;

	typeset_clear(t);
	while (pos < len && ret == 0) {
		const char *ff = memchr(text + pos, '\f', len - pos);
		size_t end = ff != NULL ? (size_t)(ff - text) : len;

		while (pos < end && ret == 0) {
			n = typeset_chunk(text + pos, end - pos, &used);
			typeset_set_text(l, text + pos, n);
			unknown += pango_layout_get_unknown_glyphs_count(l);
			ret = typeset_flow(t, l, fn, arg, &pages);
			pos += used;
		}
		if (ff != NULL && ret == 0) {
			pos = end + 1;
			if (pos < len && text[pos] == '\n')
				pos++;
			if (t->lines > 0)
				ret = typeset_emit(t, fn, arg, &pages);
		}
	}
	if (ret == 0 && t->lines > 0)
		ret = typeset_emit(t, fn, arg, &pages);
	g_object_unref(l);
	if (unknown > 0)
		log_info("text: %d characters have no glyph in any installed font", unknown);
	return ret < 0 ? -1 : pages;
}

int typeset_unknown_glyphs(struct typeset *t, const char *font, const char *text)
{
	PangoLayout *l = typeset_layout(t, font, TYPESET_DEFAULT_FONT, t->text_w);
	int n;

	typeset_set_text(l, text, strlen(text));
	n = pango_layout_get_unknown_glyphs_count(l);
	g_object_unref(l);
	return n;
}

static PangoAlignment typeset_alignment(enum typeset_align a)
{
	switch (a) {
	case TYPESET_ALIGN_CENTER:
		return PANGO_ALIGN_CENTER;
	case TYPESET_ALIGN_RIGHT:
		return PANGO_ALIGN_RIGHT;
	default:
		return PANGO_ALIGN_LEFT;
	}
}

/*
 * Pango ellipsizes a paragraph cut by the height limit, but silently drops whole paragraphs
 * below it: then end the last shown line with an ellipsis. Returns whether anything was cut.
 */
static bool typeset_mark_cut(PangoLayout *l, const char *text)
{
	PangoLayoutLine *last;
	size_t end, len = strlen(text);
	struct buf b = BUF_INIT;

	if (pango_layout_is_ellipsized(l))
		return true;
	last = pango_layout_get_line_readonly(l, pango_layout_get_line_count(l) - 1);
	end = last != NULL ? (size_t)last->start_index + (size_t)last->length : len;
	if (end >= len || strspn(text + end, " \n") == len - end)
		return false;
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
		end--;
	buf_append(&b, text, end);
	buf_puts(&b, "\xE2\x80\xA6");
	pango_layout_set_text(l, buf_cstr(&b), (int)b.len);
	buf_free(&b);
	return true;
}

/* Left edge and width of cell i of a block, in mm from the left margin. */
static void typeset_cell_box(const struct typeset *t, const struct typeset_block *b, size_t i, double *x,
                             double *w)
{
	double x0 = i == 0 ? 0 : b->columns[i - 1];
	/* The last cell of a row runs to the right margin. */
	double x1 = i + 1 < b->ncells && i < b->ncolumns ? b->columns[i] - TYPESET_COLUMN_GAP_MM : t->text_w;

	x0 = fmin(fmax(x0, 0), t->text_w - 1);
	*x = x0;
	*w = fmax(x1 - x0, 1);
}

int typeset_page_block(struct typeset *t, const struct typeset_block *b, struct buf *err)
{
	PangoAttrList *attrs[TYPESET_MAX_COLUMNS + 1] = {NULL};
	char *texts[TYPESET_MAX_COLUMNS + 1] = {NULL};
	PangoLayout *l[TYPESET_MAX_COLUMNS + 1] = {NULL};
	double x[TYPESET_MAX_COLUMNS + 1], w, base = 0;
	PangoRectangle log;
	size_t i, n = b->ncells;
	double room = t->text_h - t->y, row_h = 0;
	int ret = 0;

	if (n > b->ncolumns + 1 || n > TYPESET_MAX_COLUMNS + 1) {
		buf_printf(err, "%zu cells for %zu columns", n, b->ncolumns);
		return -1;
	}
	for (i = 0; i < n; i++) {
		GError *gerr = NULL;

		if (!pango_parse_markup(b->cells[i], -1, 0, &attrs[i], &texts[i], NULL, &gerr)) {
			buf_printf(err, "%s", gerr ? gerr->message : "bad markup");
			if (gerr)
				g_error_free(gerr);
			ret = -1;
			goto out;
		}
	}
	if (room <= 0) {
		ret = n > 0;
		goto out;
	}
	/* Lay out every cell first: they share the first baseline even when fallback fonts differ. */
	for (i = 0; i < n; i++) {
		typeset_cell_box(t, b, i, &x[i], &w);
		l[i] = typeset_layout(t, b->font, TYPESET_BLOCK_FONT, w);
		pango_layout_set_alignment(l[i], typeset_alignment(b->align));
		/* Cells in columns keep the template's alignment; full rows follow their script. */
		pango_layout_set_auto_dir(l[i], n == 1);
		pango_layout_set_height(l[i], (int)(room * PANGO_SCALE));
		pango_layout_set_ellipsize(l[i], PANGO_ELLIPSIZE_END);
		pango_layout_set_text(l[i], texts[i], -1);
		pango_layout_set_attributes(l[i], attrs[i]);
		if (typeset_mark_cut(l[i], texts[i]))
			ret = 1;
		base = fmax(base, (double)pango_layout_get_baseline(l[i]) / PANGO_SCALE);
	}
	for (i = 0; i < n; i++) {
		double down = base - (double)pango_layout_get_baseline(l[i]) / PANGO_SCALE;

		pango_layout_get_extents(l[i], NULL, &log);
		typeset_draw_layout(t, l[i], TYPESET_MARGIN_X_MM + x[i], TYPESET_MARGIN_Y_MM + t->y + down);
		row_h = fmax(row_h, down + (double)(log.y + log.height) / PANGO_SCALE);
	}
	t->y += row_h;
out:
	for (i = 0; i < n; i++) {
		if (l[i])
			g_object_unref(l[i]);
		if (attrs[i])
			pango_attr_list_unref(attrs[i]);
		g_free(texts[i]);
	}
	return ret;
}

void typeset_page_rule(struct typeset *t, double band_mm, double thickness_mm)
{
	double row = 1 / t->geom.ydpmm, top;

	band_mm = fmin(fmax(band_mm, 0), 50);
	thickness_mm = fmin(fmax(thickness_mm, row), fmax(band_mm, row));
	top = typeset_snap(TYPESET_MARGIN_Y_MM + t->y + (band_mm - thickness_mm) / 2, t->geom.ydpmm);
	if (t->y + band_mm <= t->text_h) {
		cairo_rectangle(t->cr, TYPESET_MARGIN_X_MM, top, t->text_w,
		                fmax(typeset_snap(thickness_mm, t->geom.ydpmm), row));
		cairo_fill(t->cr);
	}
	t->y += band_mm;
}

void typeset_page_space(struct typeset *t, double mm)
{
	t->y += fmin(fmax(mm, 0), t->text_h);
}
