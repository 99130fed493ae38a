/*
 * test_faxtiff.c - fax TIFFs: multi-page MMR round trips at every resolution (pages encoded by
 * mmr.c, stored unchanged as the strips), the tags a fax TIFF needs, reading other bilevel TIFFs
 * (min-is-black, LSB fill order, other compressions), telling fax-ready files from others, and
 * refusing damaged or oversized files and pages cleanly.
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
#include "testdir.h"
#include "util/log.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	log_open("test_faxtiff", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	return testdir_make(dir, sizeof(dir), "test_faxtiff");
}

static int teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

static char *tpath(const char *name)
{
	static char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static uint32_t rng_state = 777;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

/* A page with text-like runs and some noise, so the coder sees varied rows. */
static void make_page(struct bitmap *b, int height)
{
	bitmap_alloc(b, 1728, height);
	for (int y = 0; y < height; y++) {
		uint8_t *row = b->bits + (size_t)y * b->stride;
		if (y % 40 < 25)
			for (size_t i = 10; i < b->stride - 10; i++)
				row[i] = (uint8_t)(rnd() % 3 == 0 ? rnd() : 0);
		if (y % 97 == 0)
			memset(row, 0xff, b->stride);
	}
}

/* Encode b and append it to l. */
static void push_encoded(struct fax_page_list *l, const struct bitmap *b)
{
	struct fax_page p;

	assert_int_equal(mmr_encode(b, &p), 0);
	fax_page_list_push(l, &p);
}

/* Page n's strip as stored, unchanged. */
static void read_raw_strip(const char *path, int n, uint8_t **data, size_t *len)
{
	TIFF *tif = TIFFOpen(path, "r");
	uint64_t *counts = NULL;

	assert_non_null(tif);
	assert_int_equal(TIFFSetDirectory(tif, (tdir_t)n), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts), 1);
	*len = (size_t)counts[0];
	*data = malloc(*len);
	assert_non_null(*data);
	assert_int_equal(TIFFReadRawStrip(tif, 0, *data, (tmsize_t)*len), (tmsize_t)*len);
	TIFFClose(tif);
}

static void read_tags(const char *path, int dirn, uint16_t *comp, uint32_t *w, uint32_t *h, float *xres,
                      float *yres)
{
	TIFF *tif = TIFFOpen(path, "r");
	uint16_t photo = 0, fill = 0, unit = 0, pn = 0, pt = 0, bps = 0;
	uint32_t rps = 0, sft = 99;

	assert_non_null(tif);
	assert_int_equal(TIFFSetDirectory(tif, (tdir_t)dirn), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_COMPRESSION, comp), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, w), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_IMAGELENGTH, h), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_XRESOLUTION, xres), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_YRESOLUTION, yres), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bps), 1);
	assert_int_equal(bps, 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo), 1);
	assert_int_equal(photo, PHOTOMETRIC_MINISWHITE);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_FILLORDER, &fill), 1);
	assert_int_equal(fill, FILLORDER_MSB2LSB);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit), 1);
	assert_int_equal(unit, RESUNIT_INCH);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rps), 1);
	assert_int_equal(rps, *h);
	assert_int_equal(TIFFNumberOfStrips(tif), 1);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_SUBFILETYPE, &sft), 1);
	assert_int_equal(sft, FILETYPE_PAGE);
	assert_int_equal(TIFFGetField(tif, TIFFTAG_PAGENUMBER, &pn, &pt), 1);
	assert_int_equal(pn, dirn);
	assert_int_equal(pt, TIFFNumberOfDirectories(tif));
	TIFFClose(tif);
}

static void roundtrip(enum fax_resolution res)
{
	struct fax_geometry g;
	struct page_list in = {NULL, 0, 0}, out = {NULL, 0, 0};
	struct fax_page_list enc = {NULL, 0, 0};
	char err[256] = "";
	int heights[4], yres = -1;
	char path[160], tmp[170];

	snprintf(path, sizeof(path), "%s", tpath("rt.tif"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	geometry_init(&g, res, FAX_PAPER_A4);
	heights[0] = g.height;
	heights[1] = g.height / 3;
	heights[2] = 1;
	heights[3] = g.height + 17; /* longer than the paper: still one page */
	for (int i = 0; i < 4; i++) {
		struct bitmap b;
		make_page(&b, heights[i]);
		push_encoded(&enc, &b);
		page_list_push(&in, &b);
	}
	assert_int_equal(faxtiff_write(path, &enc, &g, "faxgate test", err, sizeof(err)), 0);
	assert_int_equal(access(tmp, F_OK), -1);

	for (int i = 0; i < 4; i++) {
		uint16_t comp;
		uint32_t w, h;
		float xres, yr;
		uint8_t *strip;
		size_t len;
		read_raw_strip(path, i, &strip, &len);
		assert_int_equal(len, enc.pages[i].len);
		assert_memory_equal(strip, enc.pages[i].data, len);
		free(strip);
		read_tags(path, i, &comp, &w, &h, &xres, &yr);
		assert_int_equal(comp, COMPRESSION_CCITTFAX4);
		assert_int_equal(w, 1728);
		assert_int_equal(h, heights[i]);
		assert_true(xres > 203.9f && xres < 204.1f);
		assert_true(yr > g.tiff_yres - 0.1f && yr < g.tiff_yres + 0.1f);
	}

	assert_int_equal(faxtiff_read(path, &out, &yres, err, sizeof(err)), 0);
	assert_int_equal(yres, g.tiff_yres);
	assert_int_equal(out.count, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(out.pages[i].width, 1728);
		assert_int_equal(out.pages[i].height, heights[i]);
		assert_int_equal(out.pages[i].stride, 216);
		assert_memory_equal(out.pages[i].bits, in.pages[i].bits, 216 * (size_t)heights[i]);
	}
	assert_true(faxtiff_is_fax_compatible(path, g.tiff_yres));
	assert_false(faxtiff_is_fax_compatible(path, g.tiff_yres == 196 ? 98 : 196));
	page_list_free(&in);
	page_list_free(&out);
	fax_page_list_free(&enc);
}

static void test_roundtrip_standard(void **state)
{
	(void)state;
	roundtrip(FAX_RES_STANDARD);
}

static void test_roundtrip_fine(void **state)
{
	(void)state;
	roundtrip(FAX_RES_FINE);
}

static void test_roundtrip_superfine(void **state)
{
	(void)state;
	roundtrip(FAX_RES_SUPERFINE);
}

/* Write a one-page bilevel (or grey) TIFF with libtiff directly: what other programs send. */
static void write_plain(const char *path, uint32_t w, uint32_t h, uint16_t bps, uint16_t photo, uint16_t comp,
                        uint16_t fill, float xres, float yres, uint16_t unit, const uint8_t *rows)
{
	TIFF *tif = TIFFOpen(path, "w");
	tmsize_t stride = bps == 1 ? (tmsize_t)(w + 7) / 8 : (tmsize_t)w;
	uint8_t *line = calloc(1, (size_t)stride);

	assert_non_null(tif);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bps);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photo);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, comp);
	TIFFSetField(tif, TIFFTAG_FILLORDER, fill);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, xres);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, yres);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, unit);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
	for (uint32_t y = 0; y < h; y++) {
		if (rows)
			memcpy(line, rows + (size_t)y * (size_t)stride, (size_t)stride);
		assert_int_equal(TIFFWriteScanline(tif, line, y, 0), 1);
	}
	TIFFClose(tif);
	free(line);
}

static void test_compatible(void **state)
{
	const char *p = tpath("c.tif");

	(void)state;
	write_plain(p, 1728, 100, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX3, FILLORDER_MSB2LSB, 204,
	            196, RESUNIT_INCH, NULL);
	assert_true(faxtiff_is_fax_compatible(p, 196));
	assert_false(faxtiff_is_fax_compatible(p, 98));
	assert_false(faxtiff_is_fax_compatible(p, 391));
	/* The same in dots a centimetre. */
	write_plain(p, 1728, 100, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, FILLORDER_MSB2LSB, 80.3f,
	            38.5f, RESUNIT_CENTIMETER, NULL);
	assert_true(faxtiff_is_fax_compatible(p, 98));
	/* 1700 wide. */
	write_plain(p, 1700, 100, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, FILLORDER_MSB2LSB, 204,
	            196, RESUNIT_INCH, NULL);
	assert_false(faxtiff_is_fax_compatible(p, 196));
	/* 300 dpi across. */
	write_plain(p, 1728, 100, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, FILLORDER_MSB2LSB, 300,
	            196, RESUNIT_INCH, NULL);
	assert_false(faxtiff_is_fax_compatible(p, 196));
	/* Grey. */
	write_plain(p, 1728, 100, 8, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, FILLORDER_MSB2LSB, 204, 196,
	            RESUNIT_INCH, NULL);
	assert_false(faxtiff_is_fax_compatible(p, 196));
	assert_false(faxtiff_is_fax_compatible(tpath("missing.tif"), 196));
}

static void test_read_other_bilevel(void **state)
{
	const char *p = tpath("o.tif");
	uint32_t w = 100, h = 40;
	size_t stride = (w + 7) / 8;
	uint8_t *rows = calloc(stride, h), *inv = calloc(stride, h);
	struct page_list out = {NULL, 0, 0};
	char err[256];
	int yres;

	(void)state;
	for (size_t i = 0; i < stride * h; i++) {
		rows[i] = (uint8_t)rnd();
		if (i % stride == stride - 1)
			rows[i] &= 0xf0; /* 100 = 12 * 8 + 4: padding bits are zero */
		inv[i] = (uint8_t)~rows[i];
	}
	static const uint16_t comps[] = {COMPRESSION_NONE, COMPRESSION_PACKBITS, COMPRESSION_CCITTFAX3,
	                                 COMPRESSION_CCITTRLE, COMPRESSION_LZW};
	for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
		/* Min-is-black stores ink as 0: the reader must turn it round. */
		write_plain(p, w, h, 1, PHOTOMETRIC_MINISBLACK, comps[c], FILLORDER_LSB2MSB, 200, 100,
		            RESUNIT_INCH, inv);
		assert_int_equal(faxtiff_read(p, &out, &yres, err, sizeof(err)), 0);
		assert_int_equal(out.count, 1);
		assert_int_equal(yres, 100);
		assert_int_equal(out.pages[0].width, 100);
		assert_memory_equal(out.pages[0].bits, rows, stride * h);
		page_list_free(&out);
		assert_false(faxtiff_is_fax_compatible(p, 98));
	}
	/* Resolution in centimetres comes back in inches. */
	write_plain(p, w, h, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_NONE, FILLORDER_MSB2LSB, 80, 77.2f,
	            RESUNIT_CENTIMETER, rows);
	assert_int_equal(faxtiff_read(p, &out, &yres, err, sizeof(err)), 0);
	assert_int_equal(yres, 196);
	assert_memory_equal(out.pages[0].bits, rows, stride * h);
	page_list_free(&out);
	free(rows);
	free(inv);
}

static void test_read_refuses(void **state)
{
	const char *p = tpath("r.tif");
	struct page_list out = {NULL, 0, 0};
	char err[256];
	int yres;
	FILE *f;

	(void)state;
	/* Grey is not bilevel. */
	write_plain(p, 64, 64, 8, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, FILLORDER_MSB2LSB, 72, 72,
	            RESUNIT_INCH, NULL);
	err[0] = '\0';
	assert_int_equal(faxtiff_read(p, &out, &yres, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bilevel"));
	assert_int_equal(out.count, 0);
	/* Too wide. */
	write_plain(p, 10001, 2, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, FILLORDER_MSB2LSB, 204,
	            196, RESUNIT_INCH, NULL);
	err[0] = '\0';
	assert_int_equal(faxtiff_read(p, &out, &yres, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
	/* Not a TIFF at all. */
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("II*\0garbage that is no TIFF directory", f);
	fclose(f);
	err[0] = '\0';
	assert_int_equal(faxtiff_read(p, &out, &yres, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_int_equal(faxtiff_read(tpath("missing.tif"), &out, &yres, NULL, 0), -1);
	assert_int_equal(out.count, 0);
}

static void test_read_truncated(void **state)
{
	struct fax_geometry g;
	struct fax_page_list in = {NULL, 0, 0};
	struct page_list out = {NULL, 0, 0};
	const char *p = tpath("t.tif");
	char err[256];
	int yres;
	struct bitmap b;

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	for (int i = 0; i < 3; i++) {
		make_page(&b, 800);
		push_encoded(&in, &b);
		bitmap_free(&b);
	}
	assert_int_equal(faxtiff_write(p, &in, &g, NULL, err, sizeof(err)), 0);
	/* Cut the file at several places: the reader fails or reads what is there, never crashes. */
	long size;
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	for (long cut = 8; cut < size; cut += size / 7) {
		assert_int_equal(truncate(p, cut), 0);
		int rc = faxtiff_read(p, &out, &yres, err, sizeof(err));
		assert_true(rc == -1 || out.count <= 3);
		page_list_free(&out);
	}
	fax_page_list_free(&in);
}

static void test_write_refuses(void **state)
{
	struct fax_geometry g;
	struct fax_page_list l = {NULL, 0, 0};
	struct bitmap b;
	char err[256];

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	err[0] = '\0';
	assert_int_equal(faxtiff_write(tpath("w.tif"), &l, &g, NULL, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	bitmap_alloc(&b, 1700, 10);
	push_encoded(&l, &b);
	bitmap_free(&b);
	err[0] = '\0';
	assert_int_equal(faxtiff_write(tpath("w.tif"), &l, &g, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1700"));
	fax_page_list_free(&l);
	/* A page without data, and one longer than any page of its size can be. */
	bitmap_alloc(&b, 1728, 10);
	push_encoded(&l, &b);
	bitmap_free(&b);
	size_t len = l.pages[0].len;
	l.pages[0].len = 0;
	assert_int_equal(faxtiff_write(tpath("w.tif"), &l, &g, NULL, err, sizeof(err)), -1);
	l.pages[0].len = mmr_max_len(1728, 10) + 1;
	assert_int_equal(faxtiff_write(tpath("w.tif"), &l, &g, NULL, err, sizeof(err)), -1);
	assert_int_equal(access(tpath("w.tif"), F_OK), -1);
	l.pages[0].len = len;
	err[0] = '\0';
	assert_int_equal(faxtiff_write("/nonexistent/dir/w.tif", &l, &g, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/dir"));
	assert_int_equal(access(tpath("w.tif"), F_OK), -1);
	fax_page_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_standard),  cmocka_unit_test(test_roundtrip_fine),
	    cmocka_unit_test(test_roundtrip_superfine), cmocka_unit_test(test_compatible),
	    cmocka_unit_test(test_read_other_bilevel),  cmocka_unit_test(test_read_refuses),
	    cmocka_unit_test(test_read_truncated),      cmocka_unit_test(test_write_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
