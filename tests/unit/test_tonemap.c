/*
 * test_tonemap.c - the tone map's contract with bilevel.c: a grid of 8-pixel blocks, 4/8/16 rows
 * high at standard/fine/superfine, that covers the whole page (cut blocks included), holds only 0
 * and 1, marks a grainy photo as tone block for block and leaves text and paper alone.
 * How the tone areas look once drawn is tested in test_bilevel.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "render/tonemap.h"

#define THR 168

static uint32_t rng_state = 4711;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

static void fill(struct greymap *g, int x, int y, int w, int h, int v)
{
	for (int yy = y; yy < y + h && yy < g->height; yy++)
		for (int xx = x; xx < x + w && xx < g->width; xx++)
			g->px[(size_t)yy * g->stride + (size_t)xx] = (uint8_t)v;
}

static const int block_rows[] = {[FAX_RES_STANDARD] = 4, [FAX_RES_FINE] = 8, [FAX_RES_SUPERFINE] = 16};

static void test_grid(void **state)
{
	static const int sizes[][2] = {{1, 1}, {17, 9}, {8, 33}, {1728, 0}};

	(void)state;
	for (int res = FAX_RES_STANDARD; res <= FAX_RES_SUPERFINE; res++) {
		struct fax_geometry geo;
		geometry_init(&geo, (enum fax_resolution)res, FAX_PAPER_A4);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			int w = sizes[s][0], h = sizes[s][1] ? sizes[s][1] : geo.height;
			struct greymap g;
			struct tonemap tm;
			greymap_alloc(&g, w, h);
			tonemap_build(&g, &geo, THR, &tm);
			assert_int_equal(tm.bh, block_rows[res]);
			assert_int_equal(tm.nbx, (w + 7) / 8);
			assert_int_equal(tm.nby, (h + tm.bh - 1) / tm.bh);
			assert_non_null(tm.tone);
			/* White paper is never tone. */
			for (size_t i = 0; i < (size_t)tm.nbx * (size_t)tm.nby; i++)
				assert_int_equal(tm.tone[i], 0);
			tonemap_free(&tm);
			assert_null(tm.tone);
			greymap_free(&g);
		}
	}
}

static void test_empty_page(void **state)
{
	struct fax_geometry geo;
	struct greymap g = {0};
	struct tonemap tm;

	(void)state;
	geometry_init(&geo, FAX_RES_FINE, FAX_PAPER_A4);
	tonemap_build(&g, &geo, THR, &tm);
	assert_int_equal(tm.nbx, 0);
	assert_int_equal(tm.nby, 0);
	assert_null(tm.tone);
	tonemap_free(&tm);
	tonemap_free(&tm);
}

/*
 * Black text at the top, a grainy mid-grey photo aligned to blocks at every resolution below: the
 * photo's blocks are exactly the tone, the text's and the paper's are not.
 */
static void test_photo_and_text(void **state)
{
	const int px0 = 400, px1 = 800, py0 = 192, py1 = 512;

	(void)state;
	for (int res = FAX_RES_STANDARD; res <= FAX_RES_SUPERFINE; res++) {
		struct fax_geometry geo;
		struct greymap g;
		struct tonemap tm;

		geometry_init(&geo, (enum fax_resolution)res, FAX_PAPER_A4);
		greymap_alloc(&g, 1728, 700);
		for (int l = 0; l < 3; l++)
			for (int c = 0; c < 100; c++)
				if (rnd() % 5)
					fill(&g, 60 + c * 14, 20 + l * 40, 2 + (int)(rnd() % 9), 22, 0);
		for (int y = py0; y < py1; y++)
			for (int x = px0; x < px1; x++)
				g.px[(size_t)y * g.stride + (size_t)x] = (uint8_t)(60 + rnd() % 140);
		tonemap_build(&g, &geo, THR, &tm);
		for (int by = 0; by < tm.nby; by++) {
			for (int bx = 0; bx < tm.nbx; bx++) {
				int y = by * tm.bh, x = bx * 8;
				int want = x >= px0 && x < px1 && y >= py0 && y < py1;
				int got = tm.tone[(size_t)by * (size_t)tm.nbx + (size_t)bx];
				if (got != want)
					fail_msg("res %d block (%d, %d): %d, want %d", res, bx, by, got,
					         want);
			}
		}
		tonemap_free(&tm);
		greymap_free(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grid),
	    cmocka_unit_test(test_empty_page),
	    cmocka_unit_test(test_photo_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
