/*
 * bitmap.c - allocation of greymaps, bitmaps and page lists.
 *
 * Sizes come from converters that read hostile documents; they are bounded by the callers, but a
 * negative or absurd size here is a programming error and aborts rather than wrapping around.
 */
#include "render/bitmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

/* Keeps width * height well inside size_t and int arithmetic everywhere downstream. */
#define BITMAP_MAX_SIDE 65536

static void bitmap_check_size(int width, int height)
{
	if (width < 0 || height < 0 || width > BITMAP_MAX_SIDE || height > BITMAP_MAX_SIDE)
		log_fatal("bad image size %dx%d", width, height);
}

void greymap_alloc(struct greymap *g, int width, int height)
{
	bitmap_check_size(width, height);
	g->width = width;
	g->height = height;
	g->stride = (size_t)width;
	g->px = xmalloc(g->stride * (size_t)height);
	memset(g->px, 0xff, g->stride * (size_t)height);
}

void greymap_free(struct greymap *g)
{
	free(g->px);
	memset(g, 0, sizeof(*g));
}

void bitmap_alloc(struct bitmap *b, int width, int height)
{
	bitmap_check_size(width, height);
	b->width = width;
	b->height = height;
	b->stride = ((size_t)width + 7) / 8;
	b->bits = xcalloc(b->stride * (size_t)height + 1, 1);
}

void bitmap_free(struct bitmap *b)
{
	free(b->bits);
	memset(b, 0, sizeof(*b));
}

void page_list_push(struct page_list *l, struct bitmap *b)
{
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->pages = xreallocarray(l->pages, l->cap, sizeof(*l->pages));
	}
	l->pages[l->count++] = *b;
	memset(b, 0, sizeof(*b));
}

void page_list_free(struct page_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		bitmap_free(&l->pages[i]);
	free(l->pages);
	memset(l, 0, sizeof(*l));
}
