/*
 * convert.c - the sink every converter hands its pages to, inside the faxrender helper.
 *
 * Grey pages are made bilevel and chopped here so that every converter gets the same text
 * threshold and halftone; finished fax pages (lossless TIFF pass-through) are only counted.
 * Blank pages are dropped, but counted, so that a document made only of blank pages can be
 * refused at the end instead of becoming an empty fax. The page limit counts pages actually sent:
 * a hostile document with a million pages stops at max_pages + 1 pages with ink, or at
 * 4 * max_pages + 16 pages in all when they are blank. Pages leave encoded (mmr.h): the
 * parent gets a twentieth of the bytes and has nothing left to compute per page.
 */
#include "render/convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* Blank test and encoding of a finished bitmap, which stays owned by the caller. */
static int convert_finish(struct convert_ctx *c, const struct bitmap *b, struct convert_page *p)
{
	memset(p, 0, sizeof(*p));
	if (c->drop_blank && bilevel_is_blank(b)) {
		p->blank = true;
		return 0;
	}
	if (mmr_encode(b, &p->fax) < 0)
		return convert_fail(c, RENDER_INTERNAL, "cannot encode a page of %dx%d", b->width, b->height);
	if (p->fax.len > mmr_max_len(p->fax.width, p->fax.height)) {
		/* Beyond what any pattern needs: the stream would be refused, so say why here. */
		convert_fail(c, RENDER_INTERNAL, "a page of %dx%d encodes to %zu bytes", b->width, b->height,
		             p->fax.len);
		fax_page_free(&p->fax);
		return -1;
	}
	return 0;
}

int convert_make_page(struct convert_ctx *c, const struct greymap *g, struct convert_page *p)
{
	struct bitmap b;
	int ret;

	memset(p, 0, sizeof(*p));
	if (c->status != RENDER_OK)
		return -1;
	bilevel_convert(g, &c->bilevel, &c->geom, &b);
	bilevel_chop(&b, &c->bilevel);
	ret = convert_finish(c, &b, p);
	bitmap_free(&b);
	return ret;
}

/* Drop, count and send one finished page, in document order. */
int convert_emit_page(struct convert_ctx *c, struct convert_page *p)
{
	int ret = 0;

	if (c->status != RENDER_OK) {
		ret = -1;
	} else if (p->blank && c->pages_blank + c->pages_sent >= 4 * c->max_pages + 16) {
		/* Blank pages cost drawing time too: a million of them must not eat the time limit. */
		ret = convert_fail(c, RENDER_TOO_MANY_PAGES, "more than %zu pages, most of them blank",
		                   4 * c->max_pages + 16);
	} else if (p->blank) {
		c->pages_blank++;
		log_debug("page dropped: blank");
	} else if (c->pages_sent >= c->max_pages) {
		ret = convert_fail(c, RENDER_TOO_MANY_PAGES, "more than %zu pages", c->max_pages);
	} else if (pagestream_put_page(c->out_fd, &p->fax) < 0) {
		ret = convert_fail(c, RENDER_INTERNAL, "cannot write the page stream: %m");
	} else {
		c->pages_sent++;
		log_debug("page %zu sent: %dx%d, %zu bytes", c->pages_sent, p->fax.width, p->fax.height,
		          p->fax.len);
	}
	fax_page_free(&p->fax);
	p->blank = false;
	return ret;
}

int convert_put_grey(struct convert_ctx *c, const struct greymap *g)
{
	struct convert_page p;

	if (convert_make_page(c, g, &p) < 0)
		return -1;
	return convert_emit_page(c, &p);
}

int convert_put_bitmap(struct convert_ctx *c, struct bitmap *b)
{
	struct convert_page p;
	int ret = -1;

	if (c->status == RENDER_OK && convert_finish(c, b, &p) == 0)
		ret = convert_emit_page(c, &p);
	bitmap_free(b);
	return ret;
}
