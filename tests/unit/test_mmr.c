/*
 * test_mmr.c - MMR pages: pixel-identical round trips of realistic and extreme pages (text strokes,
 * clustered-dot halftone, all white, all black, a single row, widths that are not whole bytes,
 * the patterns T.6 codes worst), bytes identical to what libtiff stores in a fax TIFF, and
 * refusal of absurd or damaged pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/faxtiff.h"
#include "render/mmr.h"
#include "testdir.h"
#include "util/log.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	log_open("test_mmr", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	return testdir_make(dir, sizeof(dir), "test_mmr");
}

static int teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

static uint32_t rng_state = 4242;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

static void setpx(struct bitmap *b, int x, int y)
{
	if (x >= 0 && y >= 0 && x < b->width && y < b->height)
		b->bits[(size_t)y * b->stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

enum pattern { TEXT, HALFTONE, WHITE, BLACK, NOISE, WORST_ROWS, CHECKER };

/* Text-like lines of glyph strokes: vertical stems, bars, dots, with word and line gaps. */
static void draw_text(struct bitmap *b)
{
	for (int line = 0; line * 50 + 40 < b->height; line++) {
		int top = 30 + line * 50;
		for (int x = 80; x < b->width - 100;) {
			int glyph = (int)(rnd() % 6), w = 10 + (int)(rnd() % 8);
			for (int y = top; y < top + 24; y++)
				for (int dx = 0; dx < w; dx++) {
					bool on = (glyph == 0 && (dx < 3 || y < top + 3)) ||
					          (glyph == 1 && dx > w - 4) ||
					          (glyph == 2 && (y - top) % 11 < 3) ||
					          (glyph == 3 && abs(dx - (y - top) / 2) < 2) ||
					          (glyph == 4 && (dx < 2 || dx > w - 3)) ||
					          (glyph == 5 && y > top + 18 && dx < 4);
					if (on)
						setpx(b, x + dx, y);
				}
			x += w + 3 + (rnd() % 9 == 0 ? 18 : 0);
		}
	}
}

/* Clustered dots growing across the page, as the halftone of a grey ramp. */
static void draw_halftone(struct bitmap *b)
{
	for (int y = 0; y < b->height; y++)
		for (int x = 0; x < b->width; x++) {
			int cx = x % 8 - 4, cy = y % 8 - 4, r = 1 + x * 5 / b->width;
			if (cx * cx + cy * cy < r * r)
				setpx(b, x, y);
		}
}

static void make(struct bitmap *b, int w, int h, enum pattern p)
{
	bitmap_alloc(b, w, h);
	switch (p) {
	case TEXT:
		draw_text(b);
		break;
	case HALFTONE:
		draw_halftone(b);
		break;
	case WHITE:
		break;
	case BLACK:
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				setpx(b, x, y);
		break;
	case NOISE:
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				if (rnd() % 2)
					setpx(b, x, y);
		break;
	case WORST_ROWS: /* isolated pixels on every other row: some 4 bits a pixel */
		for (int y = 1; y < h; y += 2)
			for (int x = 1; x < w; x += 2)
				setpx(b, x, y);
		break;
	case CHECKER:
		for (int y = 0; y < h; y++)
			for (int x = (y & 1); x < w; x += 2)
				setpx(b, x, y);
		break;
	}
}

/* Encode, check the bound, decode, compare every pixel; returns the encoded length. */
static size_t roundtrip(const struct bitmap *b)
{
	struct fax_page p;
	struct bitmap back;

	assert_int_equal(mmr_encode(b, &p), 0);
	assert_int_equal(p.width, b->width);
	assert_int_equal(p.height, b->height);
	assert_true(p.len > 0);
	assert_true(p.len <= mmr_max_len(b->width, b->height));
	assert_int_equal(mmr_decode(&p, &back), 0);
	assert_int_equal(back.width, b->width);
	assert_int_equal(back.height, b->height);
	assert_int_equal(back.stride, b->stride);
	assert_memory_equal(back.bits, b->bits, b->stride * (size_t)b->height);
	bitmap_free(&back);
	size_t len = p.len;
	fax_page_free(&p);
	return len;
}

static void test_roundtrip_pages(void **state)
{
	static const enum pattern all[] = {TEXT, HALFTONE, WHITE, BLACK, NOISE, WORST_ROWS, CHECKER};
	struct bitmap b;

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		make(&b, 1728, 2339, all[i]);
		size_t len = roundtrip(&b);
		/* MMR is why pages travel encoded: text and blank pages shrink a lot. */
		if (all[i] == TEXT)
			assert_true(len < b.stride * (size_t)b.height / 8);
		if (all[i] == WHITE || all[i] == BLACK)
			assert_true(len < 2000);
		bitmap_free(&b);
	}
}

static void test_roundtrip_shapes(void **state)
{
	static const int shapes[][2] = {{1728, 1}, {1728, 2}, {1, 1}, {1723, 40}, {100, 33}, {2048, 9}};
	struct bitmap b;

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		for (int p = TEXT; p <= CHECKER; p++) {
			make(&b, shapes[i][0], shapes[i][1], (enum pattern)p);
			roundtrip(&b);
			bitmap_free(&b);
		}
	}
}

/* A page written to a fax TIFF the classic way: libtiff encoding the bitmap itself. */
static void write_classic(const char *path, const struct bitmap *b)
{
	TIFF *tif = TIFFOpen(path, "w");

	assert_non_null(tif);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)b->width);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)b->height);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(tif, TIFFTAG_GROUP4OPTIONS, 0);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, 204.0f);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, 196.0f);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)b->height);
	assert_true(TIFFWriteEncodedStrip(tif, 0, b->bits, (tmsize_t)(b->stride * (size_t)b->height)) >= 0);
	TIFFClose(tif);
}

static void raw_strip(const char *path, int n, uint8_t **data, size_t *len)
{
	TIFF *tif = TIFFOpen(path, "r");
	uint64_t *counts = NULL;

	assert_non_null(tif);
	assert_int_equal(TIFFSetDirectory(tif, (tdir_t)n), 1);
	assert_int_equal(TIFFNumberOfStrips(tif), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts), 1);
	*len = (size_t)counts[0];
	*data = malloc(*len);
	assert_non_null(*data);
	assert_int_equal(TIFFReadRawStrip(tif, 0, *data, (tmsize_t)*len), (tmsize_t)*len);
	TIFFClose(tif);
}

static void test_same_bytes_as_tiff(void **state)
{
	static const enum pattern all[] = {TEXT, HALFTONE, WHITE, BLACK, WORST_ROWS};
	struct fax_page_list pages = {NULL, 0, 0};
	struct fax_geometry g;
	char classic[128], fax[128], err[256] = "";
	struct bitmap b;

	(void)state;
	snprintf(classic, sizeof(classic), "%s/classic.tif", dir);
	snprintf(fax, sizeof(fax), "%s/fax.tif", dir);
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct fax_page p;
		uint8_t *data;
		size_t len;

		make(&b, 1728, i == 2 ? 1 : 1100, all[i]);
		assert_int_equal(mmr_encode(&b, &p), 0);
		write_classic(classic, &b);
		raw_strip(classic, 0, &data, &len);
		assert_int_equal(len, p.len);
		assert_memory_equal(data, p.data, len);
		free(data);
		fax_page_list_push(&pages, &p);
		bitmap_free(&b);
	}
	/* And a fax TIFF holds exactly those bytes, page after page. */
	assert_int_equal(faxtiff_write(fax, &pages, &g, NULL, err, sizeof(err)), 0);
	for (size_t i = 0; i < pages.count; i++) {
		uint8_t *data;
		size_t len;
		raw_strip(fax, (int)i, &data, &len);
		assert_int_equal(len, pages.pages[i].len);
		assert_memory_equal(data, pages.pages[i].data, len);
		free(data);
	}
	fax_page_list_free(&pages);
}

static void test_decode_refuses(void **state)
{
	struct bitmap b, out;
	struct fax_page p, bad;

	(void)state;
	make(&b, 1728, 300, TEXT);
	assert_int_equal(mmr_encode(&b, &p), 0);

	/* Sizes out of range, no data, more data than the bound: refused before decoding. */
	static const int sizes[][2] = {{0, 300},   {1728, 0},     {-5, 300},
	                               {1728, -1}, {100000, 300}, {1728, 70000}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bad = p;
		bad.width = sizes[i][0];
		bad.height = sizes[i][1];
		assert_int_equal(mmr_decode(&bad, &out), -1);
		assert_null(out.bits);
	}
	bad = p;
	bad.len = 0;
	assert_int_equal(mmr_decode(&bad, &out), -1);
	bad.len = mmr_max_len(1728, 300) + 1;
	assert_int_equal(mmr_decode(&bad, &out), -1);
	assert_int_equal(mmr_max_len(0, 10), 0);

	/* Cut short: the rows are not all there. */
	bad = p;
	bad.len = p.len / 2;
	assert_int_equal(mmr_decode(&bad, &out), -1);
	assert_null(out.bits);
	/* Claiming more rows than the data holds. */
	bad = p;
	bad.height = 600;
	assert_int_equal(mmr_decode(&bad, &out), -1);

	/* Garbage: refused or decoded, never a crash. */
	uint8_t junk[4096];
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd();
		struct fax_page g = {1728, 1 + (int)(rnd() % 200), sizeof(junk), junk};
		if (mmr_decode(&g, &out) == 0)
			bitmap_free(&out);
	}
	/* Intact, it still decodes. */
	assert_int_equal(mmr_decode(&p, &out), 0);
	assert_memory_equal(out.bits, b.bits, b.stride * (size_t)b.height);
	bitmap_free(&out);
	fax_page_free(&p);
	bitmap_free(&b);
}

static void test_encode_refuses(void **state)
{
	struct bitmap b;
	struct fax_page p;

	(void)state;
	bitmap_alloc(&b, 1728, 10);
	b.stride = 200; /* not the stride of its width */
	assert_int_equal(mmr_encode(&b, &p), -1);
	assert_null(p.data);
	b.stride = 216;
	bitmap_free(&b);
	bitmap_alloc(&b, 1728, 0);
	assert_int_equal(mmr_encode(&b, &p), -1);
	bitmap_free(&b);
}

static void test_list(void **state)
{
	struct fax_page_list l = {NULL, 0, 0};
	struct bitmap b;

	(void)state;
	for (int i = 0; i < 20; i++) {
		struct fax_page p;
		make(&b, 1728, 5 + i, TEXT);
		assert_int_equal(mmr_encode(&b, &p), 0);
		fax_page_list_push(&l, &p);
		assert_null(p.data);
		bitmap_free(&b);
	}
	assert_int_equal(l.count, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(l.pages[i].height, 5 + i);
	fax_page_list_free(&l);
	assert_int_equal(l.count, 0);
	assert_null(l.pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_pages),    cmocka_unit_test(test_roundtrip_shapes),
	    cmocka_unit_test(test_same_bytes_as_tiff), cmocka_unit_test(test_decode_refuses),
	    cmocka_unit_test(test_encode_refuses),     cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
