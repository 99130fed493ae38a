/*
 * tonemap.h - which parts of a grey page are continuous tone (photos, grey fills, tinted
 * backgrounds), to be halftoned, and which are text and line art, to be thresholded. The map is
 * kept per block of about 1 mm square; bilevel.c draws the page by it. Internal to lib/render.
 */
#ifndef FAXGATE_RENDER_TONEMAP_H
#define FAXGATE_RENDER_TONEMAP_H

#include <stdint.h>

#include "render/bitmap.h"
#include "render/geometry.h"

/* Blocks are 8 pixels across (one byte of a bitmap row) and bh rows down; the last ones may be cut. */
struct tonemap {
	int bh;        /* rows in a block: 4, 8 or 16 at standard, fine, superfine */
	int nbx, nby;  /* blocks across and down; 0 for an empty page */
	uint8_t *tone; /* nbx * nby, row by row: 1 for halftone, 0 for threshold; NULL for an empty page */
};

/* Map in, for pages of g, where thr (0..255) is the text threshold. Free with tonemap_free. */
void tonemap_build(const struct greymap *in, const struct fax_geometry *g, int thr, struct tonemap *tm);
void tonemap_free(struct tonemap *tm);

#endif
