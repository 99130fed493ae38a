/*
 * rerender.c - a job's pages again, in a format a remote machine that refused them takes: fewer
 * rows (fine or superfine to standard) or at most an A4 page's length.
 *
 * The documents themselves are long gone (only their pages are queued), so the pages are scaled
 * down vertically: each new row is the OR of the rows it replaces, which keeps thin horizontal
 * lines and small text strokes that skipping rows would lose.
 */
#include <string.h>

#include "faxd.h"
#include "render/bitmap.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "util/log.h"

static int rerender_rows(int res)
{
	return res == FAX_RES_SUPERFINE ? 4 : res == FAX_RES_FINE ? 2 : 1;
}

static int rerender_page(const struct fax_page *in, int num, int den, int max_height, struct fax_page *out)
{
	struct bitmap src, dst;
	long nh;

	if (mmr_decode(in, &src) < 0)
		return -1;
	nh = ((long)src.height * num + den - 1) / den;
	if (max_height > 0 && nh > max_height)
		nh = max_height;
	if (nh < 1)
		nh = 1;
	bitmap_alloc(&dst, src.width, (int)nh);
	for (int y = 0; y < src.height; y++) {
		uint8_t *d = dst.bits + (size_t)((long)y * nh / src.height) * dst.stride;
		const uint8_t *s = src.bits + (size_t)y * src.stride;
		for (size_t x = 0; x < dst.stride; x++)
			d[x] |= s[x];
	}
	int rc = mmr_encode(&dst, out);
	bitmap_free(&src);
	bitmap_free(&dst);
	return rc;
}

int rerender_pages(const struct fax_page_list *in, int from_res, int to_res, int max_height,
                   struct fax_page_list *out)
{
	int num = rerender_rows(to_res), den = rerender_rows(from_res);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->count; i++) {
		struct fax_page p = {0};
		if (rerender_page(&in->pages[i], num, den, max_height, &p) < 0) {
			log_error("page %zu cannot be decoded for re-rendering", i + 1);
			fax_page_list_free(out);
			return -1;
		}
		fax_page_list_push(out, &p);
	}
	return 0;
}
