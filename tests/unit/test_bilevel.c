/*
 * test_bilevel.c - grey pages to fax pages: text stays crisp (thresholded exactly), photos and grey
 * fills are halftoned with the right amount of black, page ends are chopped, blank pages found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "render/bilevel.h"

#define THR 168

static uint32_t rng_state = 12345;

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

static int bit(const struct bitmap *b, int x, int y)
{
	return (b->bits[(size_t)y * b->stride + (size_t)x / 8] >> (7 - x % 8)) & 1;
}

static void set_bit(struct bitmap *b, int x, int y)
{
	b->bits[(size_t)y * b->stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

/* Lines of fake glyphs: 2 px strokes in a 14 x 22 px cell, like 10 pt text at fine resolution. */
static void draw_text(struct greymap *g, int x0, int y0, int lines, int chars, int colour)
{
	for (int l = 0; l < lines; l++) {
		for (int c = 0; c < chars; c++) {
			int x = x0 + c * 14, y = y0 + l * 34;
			uint32_t r = rnd();
			if (r % 7 == 0)
				continue; /* a space */
			if (r & 2)
				fill(g, x + 1, y, 2, 22, colour);
			if (r & 4)
				fill(g, x + 9, y + 6, 2, 16, colour);
			if (r & 8)
				fill(g, x + 1, y + 6, 10, 2, colour);
			if (r & 16)
				fill(g, x + 1, y + 20, 10, 2, colour);
			if (r & 32)
				fill(g, x + 1, y + 13, 10, 2, colour);
		}
	}
}

static void setup_fine(struct fax_geometry *geo, struct bilevel_opts *o, int gamma)
{
	geometry_init(geo, FAX_RES_FINE, FAX_PAPER_A4);
	bilevel_opts_init(o, geo, THR, gamma, true, 20);
}

/* Every pixel of out is exactly the threshold of in. */
static long threshold_mismatches(const struct greymap *in, const struct bitmap *out)
{
	long bad = 0;

	for (int y = 0; y < in->height; y++)
		for (int x = 0; x < in->width; x++)
			bad += bit(out, x, y) != (in->px[(size_t)y * in->stride + (size_t)x] < THR);
	return bad;
}

static void test_text_thresholded(void **state)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;

	(void)state;
	setup_fine(&geo, &o, 80);
	greymap_alloc(&g, 1728, 2287);
	/* Body text in black, blue, red and grey, as rendered without anti-aliasing. */
	draw_text(&g, 60, 100, 8, 110, 0);
	draw_text(&g, 60, 400, 4, 110, 29);
	draw_text(&g, 60, 560, 4, 110, 76);
	draw_text(&g, 60, 720, 6, 110, 128);
	/* A heading in big bold grey and blue: strokes 20 px thick, as at 48 pt. */
	for (int c = 0; c < 12; c++) {
		fill(&g, 60 + c * 110, 1000, 20, 110, 128);
		fill(&g, 60 + c * 110, 1000, 80, 20, 128);
		fill(&g, 60 + c * 110, 1045, 70, 20, 128);
		fill(&g, 60 + c * 110, 1200, 20, 110, 29);
		fill(&g, 60 + c * 110, 1290, 80, 20, 29);
	}
	/* Rules and a light box holding black text. */
	fill(&g, 60, 1400, 1600, 2, 128);
	fill(&g, 60, 1450, 1600, 300, 0xe0);
	draw_text(&g, 80, 1470, 7, 100, 0);
	fill(&g, 60, 1800, 1600, 300, 0xf2);
	draw_text(&g, 80, 1820, 7, 100, 29);

	bilevel_convert(&g, &o, &geo, &b);
	assert_int_equal(b.width, 1728);
	assert_int_equal(b.height, 2287);
	assert_int_equal(threshold_mismatches(&g, &b), 0);
	/* The light box came out white, the text in it black. */
	assert_int_equal(bit(&b, 61, 1451), 0);
	assert_int_equal(bit(&b, 1650, 1740), 0);
	bitmap_free(&b);
	greymap_free(&g);
}

/* Black share of the w x h area at (x, y). */
static double black_share(const struct bitmap *b, int x, int y, int w, int h)
{
	long n = 0;

	for (int yy = y; yy < y + h; yy++)
		for (int xx = x; xx < x + w; xx++)
			n += bit(b, xx, yy);
	return (double)n / ((double)w * h);
}

/* Expected black share of grey v with gamma 1: the tone curve clips at 16 and 224. */
static double expected_black(int v)
{
	double t = v < 16 ? 0 : v > 224 ? 1 : (v - 16) / 208.0;
	return 1 - t;
}

/* The same with a gamma, in percent. */
static double expected_black_gamma(int v, int gamma_pct)
{
	return 1 - pow(1 - expected_black(v), gamma_pct / 100.0);
}

/*
 * A photo-like area 80 mm high, grey rising across in 26 bands from lo to 210, with grain or
 * smooth; each band must hold as much black as its grey asks for.
 */
static void check_halftone(enum fax_resolution res, bool noise, int lo)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;
	int top, h, bw = 48;

	geometry_init(&geo, res, FAX_PAPER_A4);
	bilevel_opts_init(&o, &geo, THR, 100, true, 20);
	greymap_alloc(&g, 1728, geo.height);
	draw_text(&g, 60, 20, 2, 100, 0);
	top = (int)(30 * geo.ydpmm);
	h = (int)(80 * geo.ydpmm);
	for (int y = top; y < top + h; y++)
		for (int x = 96; x < 96 + 26 * bw; x++) {
			int v = lo + (x - 96) / bw * (210 - lo) / 25;
			if (noise)
				v += (int)(rnd() % 9) - 4;
			g.px[(size_t)y * g.stride + (size_t)x] = (uint8_t)v;
		}
	bilevel_convert(&g, &o, &geo, &b);
	for (int band = 0; band < 26; band++) {
		int v = lo + band * (210 - lo) / 25;
		/* Measure inside the area, away from its edges, over whole screen cells. */
		double got = black_share(&b, 96 + band * bw, top + h / 4, bw, h / 2);
		double want = expected_black(v);
		if (fabs(got - want) > 0.06)
			fail_msg("res %d band %d (grey %d): black %.3f, want %.3f", res, band, v, got, want);
		/* A halftone, not a threshold: both colours in every band of mid grey. */
		assert_true(got > 0.02 && got < 0.98);
	}
	/* The text above stays thresholded. */
	for (int y = 20; y < 20 + 2 * 34; y++)
		for (int x = 60; x < 60 + 100 * 14; x++)
			assert_int_equal(bit(&b, x, y), g.px[(size_t)y * g.stride + (size_t)x] < THR);
	bitmap_free(&b);
	greymap_free(&g);
}

static void test_photo_halftoned(void **state)
{
	(void)state;
	check_halftone(FAX_RES_FINE, true, 30);
	check_halftone(FAX_RES_STANDARD, true, 30);
	check_halftone(FAX_RES_SUPERFINE, true, 30);
}

/* Flat grey fills are halftoned too, except dark ones (see test_dark_fill_thresholded). */
static void test_smooth_fills_halftoned(void **state)
{
	(void)state;
	check_halftone(FAX_RES_FINE, false, 100);
	check_halftone(FAX_RES_STANDARD, false, 100);
	check_halftone(FAX_RES_SUPERFINE, false, 100);
}

/* A dark banner with white text on it is thresholded, so the text stays crisp. */
static void test_dark_fill_thresholded(void **state)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;

	(void)state;
	setup_fine(&geo, &o, 80);
	greymap_alloc(&g, 1728, 2287);
	fill(&g, 100, 100, 1500, 200, 70);
	draw_text(&g, 120, 130, 4, 100, 255);
	fill(&g, 100, 400, 1500, 50, 40);
	draw_text(&g, 120, 414, 1, 100, 255);
	bilevel_convert(&g, &o, &geo, &b);
	assert_int_equal(threshold_mismatches(&g, &b), 0);
	bitmap_free(&b);
	greymap_free(&g);
}

static void test_grey_fill_with_text(void **state)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;

	(void)state;
	setup_fine(&geo, &o, 100);
	greymap_alloc(&g, 1728, 2287);
	/* A big 50 % box, and a table row 6 mm high shaded darker than the threshold with text. */
	fill(&g, 100, 100, 600, 400, 120);
	fill(&g, 100, 700, 1500, 46, 150);
	draw_text(&g, 110, 712, 1, 100, 0);
	bilevel_convert(&g, &o, &geo, &b);
	double box = black_share(&b, 200, 200, 384, 198);
	assert_true(fabs(box - expected_black(120)) < 0.05);
	/* Thresholding would make the row solid black and lose the text: it is halftoned, all along. */
	double row = black_share(&b, 1300, 704, 288, 36);
	assert_true(row > 0.2 && row < 0.6);
	row = black_share(&b, 110, 704, 288, 36);
	assert_true(row > 0.2 && row < 0.8);
	bitmap_free(&b);
	greymap_free(&g);
}

/*
 * A synthetic photo: smooth noise over the whole grey range, clipped to black and white in places,
 * scaled up 2x like a small picture put on the page. Its smooth shadows are flat block by block, as
 * dark fills are, and darker than the mid-tones in places, as text is.
 */
#define PH_X     64
#define PH_Y     96
#define PH_W     1600
#define PH_H_MAX 4800 /* a superfine page is 4574 rows */
#define PH_CELL  64   /* lattice of the noise, in source pixels (twice as many on the page) */

static double smoothstep(double t)
{
	return t * t * (3 - 2 * t);
}

static void draw_photo(struct greymap *g, int h, uint32_t seed)
{
	enum { LW = PH_W / 2 / PH_CELL + 2, LH = PH_H_MAX / 2 / PH_CELL + 2 };
	double lat[LH][LW];

	rng_state = seed;
	for (int j = 0; j < LH; j++)
		for (int i = 0; i < LW; i++)
			lat[j][i] = -20 + (double)(rnd() % 296);
	for (int sy = 0; sy < h / 2; sy++) {
		for (int sx = 0; sx < PH_W / 2; sx++) {
			int i = sx / PH_CELL, j = sy / PH_CELL;
			double fx = smoothstep((double)(sx % PH_CELL) / PH_CELL);
			double fy = smoothstep((double)(sy % PH_CELL) / PH_CELL);
			double top = lat[j][i] + (lat[j][i + 1] - lat[j][i]) * fx;
			double bot = lat[j + 1][i] + (lat[j + 1][i + 1] - lat[j + 1][i]) * fx;
			int v = (int)lround(top + (bot - top) * fy);
			fill(g, PH_X + 2 * sx, PH_Y + 2 * sy, 2, 2, v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

/* Mean grey of the source over w x h at (x, y). */
static double source_mean(const struct greymap *g, int x, int y, int w, int h)
{
	long sum = 0;

	for (int yy = y; yy < y + h; yy++)
		for (int xx = x; xx < x + w; xx++)
			sum += g->px[(size_t)yy * g->stride + (size_t)xx];
	return (double)sum / ((double)w * h);
}

/* The photo is measured in windows of two screen tiles across and down: tone without beating. */
#define WIN_W 24
#define WIN_X ((PH_W - 32) / WIN_W)
#define WIN_Y (PH_H_MAX / 12)

/*
 * A photo is halftoned as a whole: no solid black blobs where it is dark but not black, no jumps in
 * its tone where it is smooth, and text printed right under it stays thresholded.
 */
static void check_photo(enum fax_resolution res, uint32_t seed)
{
	static double mean[WIN_Y][WIN_X], black[WIN_Y][WIN_X];
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;
	int dark = 0, light = 0, solid = 0;

	geometry_init(&geo, res, FAX_PAPER_A4);
	bilevel_opts_init(&o, &geo, THR, 80, true, 20);
	int ph_h = (geo.height - PH_Y - 200) & ~1, win_h = 2 * (int)lround(12 * geo.ydpmm / geo.xdpmm);
	int nwy = (ph_h - 32) / win_h;
	assert_true(ph_h <= PH_H_MAX && nwy <= WIN_Y);
	greymap_alloc(&g, 1728, geo.height);
	draw_photo(&g, ph_h, seed);
	/* A caption a block and a half under the photo. */
	int cap = PH_Y + ph_h + (int)lround(1.5 * geo.ydpmm);
	draw_text(&g, PH_X, cap, 2, 100, 0);
	bilevel_convert(&g, &o, &geo, &b);

	for (int j = 0; j < nwy; j++) {
		for (int i = 0; i < WIN_X; i++) {
			int x = PH_X + 16 + i * WIN_W, y = PH_Y + 16 + j * win_h;
			double want = 0, m = source_mean(&g, x, y, WIN_W, win_h),
			       k = black_share(&b, x, y, WIN_W, win_h);
			for (int yy = y; yy < y + win_h; yy++)
				for (int xx = x; xx < x + WIN_W; xx++)
					want += expected_black_gamma(g.px[(size_t)yy * g.stride + (size_t)xx],
					                             80);
			want /= WIN_W * win_h;
			mean[j][i] = m;
			black[j][i] = k;
			dark += m >= 16 && m < 25;
			light += m > 224;
			solid += k == 1;
			/* Solid black only where the source is within a few greys of the clip at 16. */
			if (k == 1 && m >= 24)
				fail_msg("res %d seed %u: solid black at (%d, %d), grey %.1f", res, seed, x,
				         y, m);
			/* The tone follows the curve everywhere, shadows and highlights included. */
			if (fabs(k - want) > 0.08)
				fail_msg("res %d seed %u: at (%d, %d), grey %.1f: black %.3f, want %.3f", res,
				         seed, x, y, m, k, want);
		}
	}
	/* The photo holds what this test is about: shadows just above the clip, highlights, black. */
	assert_true(dark > 10 && light > 10 && solid > 10);
	/* Smooth: neighbours of about the same grey have about the same black. */
	for (int j = 0; j < nwy; j++) {
		for (int i = 0; i < WIN_X; i++) {
			for (int k = 0; k < 2; k++) {
				int nj = j + k, ni = i + 1 - k;
				if (nj >= nwy || ni >= WIN_X || fabs(mean[j][i] - mean[nj][ni]) >= 10)
					continue;
				if (fabs(black[j][i] - black[nj][ni]) > 0.25)
					fail_msg("res %d seed %u: jump at window (%d, %d): black %.3f / %.3f",
					         res, seed, i, j, black[j][i], black[nj][ni]);
			}
		}
	}
	/* The caption is thresholded, from two blocks under the photo on. */
	for (int y = PH_Y + ph_h + (int)lround(2 * geo.ydpmm) + 1; y < cap + 2 * 34; y++)
		for (int x = 0; x < 1728; x++)
			assert_int_equal(bit(&b, x, y), g.px[(size_t)y * g.stride + (size_t)x] < THR);
	bitmap_free(&b);
	greymap_free(&g);
}

static void test_photo_shadows_halftoned(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 2; seed++) {
		check_photo(FAX_RES_FINE, seed);
		check_photo(FAX_RES_STANDARD, seed);
		check_photo(FAX_RES_SUPERFINE, seed);
	}
}

/*
 * Dark banners with white text beside tone: a table header over shaded rows, a title bar over a
 * photo, a bar beside it. The photo's flood must not reach into them: they are thresholded as
 * before, but for the blocks right at the tone's edge. At any offset to the blocks.
 */
static void check_banners(int grey, int off)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;
	const struct {
		const char *what;
		int x, y, w, h;
	} keep[] = {
	    {"header", 100 + off, 100 + off, 1500, 60 - 16},
	    {"title", 100 + off, 400 + off, 1500, 60 - 16},
	    {"bar", 100 + off, 1000, 60 - 16, 400},
	};

	setup_fine(&geo, &o, 80);
	greymap_alloc(&g, 1728, 2287);
	fill(&g, 100 + off, 100 + off, 1500, 60, grey);
	draw_text(&g, 120 + off, 118 + off, 1, 100, 255);
	fill(&g, 100 + off, 160 + off, 1500, 46, 150);
	draw_text(&g, 110 + off, 172 + off, 1, 100, 0);
	fill(&g, 100 + off, 206 + off, 1500, 46, 190);
	draw_text(&g, 110 + off, 218 + off, 1, 100, 0);
	fill(&g, 100 + off, 400 + off, 1500, 60, grey);
	draw_text(&g, 120 + off, 418 + off, 1, 100, 255);
	fill(&g, 100 + off, 1000, 60, 400, grey);
	for (int y = 460 + off; y < 1400; y++)
		for (int x = 160 + off; x < 1600; x++)
			g.px[(size_t)y * g.stride + (size_t)x] =
			    (uint8_t)(grey + 20 + (x + y) / 40 % 100 + (int)(rnd() % 9));
	bilevel_convert(&g, &o, &geo, &b);
	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
		for (int y = keep[k].y; y < keep[k].y + keep[k].h; y++)
			for (int x = keep[k].x; x < keep[k].x + keep[k].w; x++)
				if (bit(&b, x, y) != (g.px[(size_t)y * g.stride + (size_t)x] < THR))
					fail_msg("%s in grey %d at offset %d: (%d, %d) not thresholded",
					         keep[k].what, grey, off, x, y);
	bitmap_free(&b);
	greymap_free(&g);
}

static void test_banner_beside_tone(void **state)
{
	static const int greys[] = {0, 10, 20, 40, 70};

	(void)state;
	for (size_t k = 0; k < sizeof(greys) / sizeof(greys[0]); k++)
		for (int off = 0; off < 8; off += 3)
			check_banners(greys[k], off);
}

static void test_odd_sizes(void **state)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct greymap g;
	struct bitmap b;

	(void)state;
	setup_fine(&geo, &o, 80);
	/* Widths that are not whole bytes or blocks; every tail pixel counts. */
	for (int w = 1; w < 40; w += 3) {
		greymap_alloc(&g, w, 37);
		for (int y = 0; y < 37; y++)
			for (int x = 0; x < w; x++)
				g.px[(size_t)y * g.stride + (size_t)x] =
				    (uint8_t)((x * 7 + y * 13) % 2 ? 0 : 255);
		bilevel_convert(&g, &o, &geo, &b);
		assert_int_equal(b.width, w);
		assert_int_equal(b.height, 37);
		assert_int_equal(threshold_mismatches(&g, &b), 0);
		bitmap_free(&b);
		greymap_free(&g);
	}
	greymap_alloc(&g, 0, 0);
	bilevel_convert(&g, &o, &geo, &b);
	assert_int_equal(b.height, 0);
	bitmap_free(&b);
	greymap_free(&g);
}

static void test_chop(void **state)
{
	struct fax_geometry geo;
	struct bilevel_opts o;
	struct bitmap b;

	(void)state;
	setup_fine(&geo, &o, 80);
	assert_int_equal(o.chop_min_rows, (int)lround(20 * 7.7));
	assert_true(o.keep_rows >= 30 && o.keep_rows <= 50); /* about 5 mm */

	/* Ink down to row 500: cut to 500 + keep_rows. */
	bitmap_alloc(&b, 1728, 2287);
	for (int x = 100; x < 200; x++)
		set_bit(&b, x, 500);
	set_bit(&b, 3, 20);
	bilevel_chop(&b, &o);
	assert_int_equal(b.height, 501 + o.keep_rows);
	assert_int_equal(bit(&b, 150, 500), 1);
	bitmap_free(&b);

	/* Blank space shorter than chop_min_rows stays. */
	bitmap_alloc(&b, 1728, 2287);
	set_bit(&b, 864, 2287 - o.chop_min_rows + 1);
	bilevel_chop(&b, &o);
	assert_int_equal(b.height, 2287);
	bitmap_free(&b);

	/* Exactly chop_min_rows blank rows are cut. */
	bitmap_alloc(&b, 1728, 2287);
	set_bit(&b, 1727, 2287 - o.chop_min_rows - 1);
	bilevel_chop(&b, &o);
	assert_int_equal(b.height, 2287 - o.chop_min_rows + o.keep_rows);
	bitmap_free(&b);

	/* Not asked to chop. */
	o.chop_blank_end = false;
	bitmap_alloc(&b, 1728, 2287);
	set_bit(&b, 5, 5);
	bilevel_chop(&b, &o);
	assert_int_equal(b.height, 2287);
	bitmap_free(&b);
}

/* A "3" as at 10 pt fine: 12 x 19 px, strokes 2 px. */
static void draw_three(struct bitmap *b, int x0, int y0)
{
	for (int y = 0; y < 19; y++)
		for (int x = 0; x < 12; x++) {
			bool on = (y < 2 || (y >= 8 && y < 10) || y >= 17) || (x >= 10);
			if (on && !(x < 2 && y >= 2 && y < 17))
				set_bit(b, x0 + x, y0 + y);
		}
}

static void test_blank(void **state)
{
	struct bitmap b;

	(void)state;
	bitmap_alloc(&b, 1728, 2287);
	assert_true(bilevel_is_blank(&b));
	/* A few specks of dust. */
	for (int i = 0; i < 12; i++) {
		int x = (int)(rnd() % 1700), y = (int)(rnd() % 2280);
		set_bit(&b, x, y);
		set_bit(&b, x + 1, y);
		set_bit(&b, x, y + 1);
	}
	assert_true(bilevel_is_blank(&b));
	/* A page holding only its page number is not blank. */
	draw_three(&b, 860, 2200);
	assert_false(bilevel_is_blank(&b));
	bitmap_free(&b);

	/* The number alone, on a chopped page, at standard resolution (half the rows: 10 px high). */
	bitmap_alloc(&b, 1728, 300);
	for (int y = 0; y < 10; y++)
		for (int x = 0; x < 12; x++)
			if (y < 1 || y == 5 || y >= 9 || x >= 10)
				set_bit(&b, 860 + x, 100 + y);
	assert_false(bilevel_is_blank(&b));
	bitmap_free(&b);

	/* Specks on a page chopped short are still specks. */
	bitmap_alloc(&b, 1728, 80);
	for (int i = 0; i < 10; i++)
		set_bit(&b, 100 + i * 150, 10 + i * 5);
	assert_true(bilevel_is_blank(&b));
	bitmap_free(&b);

	/* Noise spread thinly all over: more than 1 in 20,000 pixels black. */
	bitmap_alloc(&b, 1728, 2287);
	for (int i = 0; i < 400; i++)
		set_bit(&b, (int)(rnd() % 1728), (int)(rnd() % 2287));
	assert_false(bilevel_is_blank(&b));
	bitmap_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_thresholded),
	    cmocka_unit_test(test_photo_halftoned),
	    cmocka_unit_test(test_smooth_fills_halftoned),
	    cmocka_unit_test(test_dark_fill_thresholded),
	    cmocka_unit_test(test_grey_fill_with_text),
	    cmocka_unit_test(test_photo_shadows_halftoned),
	    cmocka_unit_test(test_banner_beside_tone),
	    cmocka_unit_test(test_odd_sizes),
	    cmocka_unit_test(test_chop),
	    cmocka_unit_test(test_blank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
