/*
 * mmr.h - fax pages kept as they are faxed and filed: MMR (ITU-T T.6) encoded.
 *
 * A fax page is one T.6 strip, min-is-white (1 = black), most significant bit first, with the
 * end-of-facsimile-block at the end: exactly what a TIFF with Compression=4 and one strip a page
 * stores, so a page goes into a fax TIFF (or a database) without being touched again. A text page
 * is some 30 KB instead of the 494 KB of its bitmap.
 */
#ifndef FAXGATE_RENDER_MMR_H
#define FAXGATE_RENDER_MMR_H

#include <stddef.h>
#include <stdint.h>

#include "render/bitmap.h"

struct fax_page {
	int width, height;
	size_t len;
	uint8_t *data;
};

/* A growable list of fax pages. */
struct fax_page_list {
	struct fax_page *pages;
	size_t count, cap;
};

/* Encode a bitmap; returns 0, or -1 (logged) when libtiff fails, which only lack of memory explains. */
int mmr_encode(const struct bitmap *b, struct fax_page *out);
/*
 * Decode a page into a new bitmap; returns 0, or -1 when the page's size is absurd or its data is
 * damaged (anything libtiff complains about, even what it would only warn about).
 */
int mmr_decode(const struct fax_page *p, struct bitmap *out);
/*
 * The most bytes a page of this size may take; readers refuse more. T.6 can need several bits a
 * pixel for adversarial patterns (isolated pixels on alternate rows), so this is far above the raw
 * bitmap's size, but it stays a fixed bound known before any of the data arrives.
 */
size_t mmr_max_len(int width, int height);

void fax_page_free(struct fax_page *p);
/* Take ownership of *p (p is left empty). */
void fax_page_list_push(struct fax_page_list *l, struct fax_page *p);
void fax_page_list_free(struct fax_page_list *l);

/* Set the TIFF tags of a one-strip MMR page (the codec needs them before any data). */
struct tiff;
void mmr_tiff_tags(struct tiff *tif, int width, int height);

#endif
