/*
 * bitmap.h - page images inside the rendering engine.
 *
 * A greymap is what a converter draws: 8 bits a pixel, 0 black, 255 white. A bitmap is a fax page:
 * 1 bit a pixel, most significant bit first, 1 = black (the fax convention, TIFF min-is-white).
 */
#ifndef FAXGATE_RENDER_BITMAP_H
#define FAXGATE_RENDER_BITMAP_H

#include <stddef.h>
#include <stdint.h>

struct greymap {
	int width, height;
	size_t stride; /* bytes per row */
	uint8_t *px;
};

struct bitmap {
	int width, height;
	size_t stride; /* bytes per row: (width + 7) / 8 */
	uint8_t *bits;
};

/* A growable list of pages. */
struct page_list {
	struct bitmap *pages;
	size_t count, cap;
};

void greymap_alloc(struct greymap *g, int width, int height); /* filled white */
void greymap_free(struct greymap *g);
void bitmap_alloc(struct bitmap *b, int width, int height); /* filled white (0) */
void bitmap_free(struct bitmap *b);
/* Take ownership of *b (b is left empty). */
void page_list_push(struct page_list *l, struct bitmap *b);
void page_list_free(struct page_list *l);

#endif
