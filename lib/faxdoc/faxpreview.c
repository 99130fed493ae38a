/*
 * faxpreview.c - a fax page reduced to a small greyscale PNG by area averaging.
 *
 * Each preview pixel is the share of black in the part of the page it covers, weighed exactly
 * where a page pixel straddles two preview pixels; picking every n-th pixel instead would make
 * thin strokes vanish or flicker. Fax pixels are not square (204 dpi across, 98 to 391 down), so
 * the two directions are scaled apart and the picture has the paper's shape.
 *
 * Hostile input: the page comes from a remote fax machine; mmr_decode refuses absurd sizes and
 * damaged data, and the preview's size is bounded whatever the page's shape.
 */
#include "faxdoc/faxpreview.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faxdoc/faxdoc.h"
#include "util/xalloc.h"

/* Where each page column goes: preview column col gets weight w, col + 1 the rest of 1 / scale. */
struct faxpreview_col {
	int col;
	float w, rest;
};

static int faxpreview_clamp(long v)
{
	return v < 1 ? 1 : v > FAXPREVIEW_MAX_SIDE ? FAXPREVIEW_MAX_SIDE : (int)v;
}

void faxpreview_size(int width, int height, enum fax_resolution res, int max_width, int *w, int *h)
{
	struct fax_geometry g;
	double aspect, ow;

	geometry_init(&g, res, FAX_PAPER_A4);
	width = width < 1 ? 1 : width;
	height = height < 1 ? 1 : height;
	/* Height over width of the paper, in inches: columns at 204 dpi, rows at the resolution's. */
	aspect = ((double)height / g.tiff_yres) / ((double)width / 204.0);
	ow = max_width < width ? max_width : width;
	if (ow < 1)
		ow = 1;
	if (ow * aspect > FAXPREVIEW_MAX_SIDE)
		ow = FAXPREVIEW_MAX_SIDE / aspect;
	*w = faxpreview_clamp(lround(ow));
	*h = faxpreview_clamp(lround(ow * aspect));
}

/* Page column x covers preview columns [x / scale, (x + 1) / scale): at most two, as scale >= 1. */
static struct faxpreview_col *faxpreview_columns(int width, int out_w)
{
	struct faxpreview_col *cols = xcalloc((size_t)width, sizeof(*cols));
	double s = (double)width / out_w;

	for (int x = 0; x < width; x++) {
		double left = x / s, right = (x + 1) / s;
		int c = (int)left;

		if (c >= out_w)
			c = out_w - 1;
		cols[x].col = c;
		if (c + 1 < out_w && right > c + 1) {
			cols[x].w = (float)(c + 1 - left);
			cols[x].rest = (float)(right - (c + 1));
		} else {
			cols[x].w = (float)(right - left);
		}
	}
	return cols;
}

/* Add the black of one page row, weighed by wy (its share of the preview row's height), to acc. */
static void faxpreview_add_row(const struct bitmap *b, int y, const struct faxpreview_col *cols, float wy,
                               float *acc)
{
	const uint8_t *row = b->bits + (size_t)y * b->stride;

	for (size_t i = 0; i < b->stride; i++) {
		if (row[i] == 0)
			continue; /* most of a fax page is white: skip it a byte at a time */
		for (int bit = 0; bit < 8; bit++) {
			int x = (int)i * 8 + bit;
			if (x >= b->width || !(row[i] & (0x80 >> bit)))
				continue;
			acc[cols[x].col] += cols[x].w * wy;
			if (cols[x].rest > 0)
				acc[cols[x].col + 1] += cols[x].rest * wy;
		}
	}
}

/* The preview in an A8 surface's rows (the value is the grey: 255 white). */
static void faxpreview_scale(const struct bitmap *b, unsigned char *px, int stride, int out_w, int out_h)
{
	struct faxpreview_col *cols = faxpreview_columns(b->width, out_w);
	float *acc = xcalloc((size_t)out_w, sizeof(*acc));
	double sy = (double)b->height / out_h;

	for (int oy = 0; oy < out_h; oy++) {
		double top = oy * sy, bottom = (oy + 1) * sy;
		int y1 = (int)ceil(bottom);

		memset(acc, 0, (size_t)out_w * sizeof(*acc));
		/* Rows straddling the preview row's edges count for the part inside it. */
		for (int y = (int)top; y < y1 && y < b->height; y++) {
			double in = fmin(y + 1, bottom) - fmax(y, top);
			if (in > 0)
				faxpreview_add_row(b, y, cols, (float)(in / sy), acc);
		}
		for (int ox = 0; ox < out_w; ox++) {
			long grey = 255 - lround(255.0 * acc[ox]);
			px[(size_t)oy * stride + ox] = (unsigned char)(grey < 0     ? 0
			                                               : grey > 255 ? 255
			                                                            : grey);
		}
	}
	free(acc);
	free(cols);
}

static cairo_status_t faxpreview_write(void *closure, const unsigned char *data, unsigned int len)
{
	buf_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

int faxpreview_png(const struct fax_page *page, int res, int max_width, struct buf *out, struct buf *err)
{
	cairo_surface_t *s;
	cairo_status_t st;
	struct bitmap b;
	int w, h;

	if (res < FAX_RES_STANDARD || res > FAX_RES_SUPERFINE) {
		faxdoc_error(err, "unknown resolution %d", res);
		return -1;
	}
	if (max_width < 1) {
		faxdoc_error(err, "a preview %d pixels wide", max_width);
		return -1;
	}
	if (mmr_decode(page, &b) < 0) {
		faxdoc_error(err, "cannot decode the page (%dx%d, %zu bytes)", page->width, page->height,
		             page->len);
		return -1;
	}
	faxpreview_size(b.width, b.height, (enum fax_resolution)res, max_width, &w, &h);
	/* A8 is written as an 8-bit grey PNG: the smallest kind of file for this picture. */
	s = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
	st = cairo_surface_status(s);
	if (st == CAIRO_STATUS_SUCCESS) {
		cairo_surface_flush(s);
		faxpreview_scale(&b, cairo_image_surface_get_data(s), cairo_image_surface_get_stride(s), w,
		                 h);
		cairo_surface_mark_dirty(s);
		buf_reset(out);
		st = cairo_surface_write_to_png_stream(s, faxpreview_write, out);
	}
	cairo_surface_destroy(s);
	bitmap_free(&b);
	if (st != CAIRO_STATUS_SUCCESS) {
		faxdoc_error(err, "cannot write the preview: %s", cairo_status_to_string(st));
		return -1;
	}
	return 0;
}
