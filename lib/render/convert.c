/*
 * convert.c - the sink every converter hands its pages to, inside the faxrender helper.
 *
 * Grey pages are made bilevel and chopped here so that every converter gets the same text
 * threshold and halftone; finished fax pages (lossless TIFF pass-through) are only counted.
 * Blank pages are dropped, but counted, so that a document made only of blank pages can be
 * refused at the end instead of becoming an empty fax. The page limit counts pages actually sent:
 * a hostile document with a million pages stops at max_pages + 1.
 */
#include "render/convert.h"

#include <stdarg.h>
#include <stdio.h>

#include "render/pagestream.h"
#include "util/log.h"

int convert_fail(struct convert_ctx *c, enum render_status st, const char *fmt, ...)
{
	va_list ap;

	/* The first failure is the cause; what follows is usually its consequence. */
	if (c->status != RENDER_OK)
		return -1;
	c->status = st == RENDER_OK ? RENDER_INTERNAL : st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	log_info("conversion failed: %s: %s", render_status_info(c->status)->name, c->detail);
	return -1;
}

/* Drop, count and send one finished page; b stays owned by the caller. */
static int convert_send(struct convert_ctx *c, const struct bitmap *b)
{
	if (c->status != RENDER_OK)
		return -1;
	if (c->drop_blank && bilevel_is_blank(b)) {
		c->pages_blank++;
		log_debug("page dropped: blank");
		return 0;
	}
	if (c->pages_sent >= c->max_pages)
		return convert_fail(c, RENDER_TOO_MANY_PAGES, "more than %zu pages", c->max_pages);
	if (pagestream_put_page(c->out_fd, b) < 0)
		return convert_fail(c, RENDER_INTERNAL, "cannot write the page stream: %m");
	c->pages_sent++;
	log_debug("page %zu sent: %dx%d", c->pages_sent, b->width, b->height);
	return 0;
}

int convert_put_grey(struct convert_ctx *c, const struct greymap *g)
{
	struct bitmap b;
	int ret;

	if (c->status != RENDER_OK)
		return -1;
	bilevel_convert(g, &c->bilevel, &c->geom, &b);
	bilevel_chop(&b, &c->bilevel);
	ret = convert_send(c, &b);
	bitmap_free(&b);
	return ret;
}

int convert_put_bitmap(struct convert_ctx *c, struct bitmap *b)
{
	int ret = convert_send(c, b);

	bitmap_free(b);
	return ret;
}
