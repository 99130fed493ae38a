/*
 * test_faxpdf.c - fax pages as PDF and as preview: the PDF read back with mupdf has the pages, their
 * sizes in points for standard, fine and superfine, image streams byte for byte the MMR strips, the
 * metadata, and renders back to the original bitmap pixel for pixel (polarity and orientation);
 * refusals of what is not a fax page. The preview PNG is grey, of the paper's shape, and dark
 * exactly where the page is.
 */
#include <cairo.h>
#include <math.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faxdoc/faxpdf.h"
#include "faxdoc/faxpreview.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "util/log.h"

static int setup(void **state)
{
	(void)state;
	log_open("test_faxpdf", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

static unsigned int seed = 777;

/* Every caller stays on the page. */
static void setpx(struct bitmap *b, int x, int y)
{
	b->bits[(size_t)y * b->stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

static bool getpx(const struct bitmap *b, int x, int y)
{
	return b->bits[(size_t)y * b->stride + (size_t)x / 8] & (0x80 >> (x % 8));
}

/*
 * A page that shows its orientation: a solid block near the top left, a thin vertical bar near the
 * right edge, a one-row line near the bottom, and a patch of noise (the pixels any re-encoding or
 * scaling would change) in the middle. variant moves the block so that pages differ.
 */
static void make(struct bitmap *b, int width, int height, int variant)
{
	bitmap_alloc(b, width, height);
	for (int y = height / 10; y < height / 5; y++)
		for (int x = 100 + variant * 50; x < 400 + variant * 50; x++)
			setpx(b, x, y);
	for (int y = 0; y < height; y++)
		for (int x = width - 228; x < width - 218; x++)
			setpx(b, x, y);
	for (int x = 0; x < width; x++)
		setpx(b, x, height - height / 20);
	for (int y = height / 2; y < height / 2 + height / 10; y++)
		for (int x = width / 3; x < width / 3 + 300; x++)
			if (rand_r(&seed) % 3 == 0)
				setpx(b, x, y);
}

static void make_page(struct fax_page *p, struct bitmap *b, int width, int height, int variant)
{
	make(b, width, height, variant);
	assert_int_equal(mmr_encode(b, p), 0);
}

/* What mupdf reads back from a page of the PDF. */
struct seen {
	float w, h;         /* page size in points */
	unsigned char *raw; /* the image's stream, still encoded */
	size_t rawlen;
	char filter[32];
	int k, columns, rows, width, height, bpc;
	bool black_is_1;
	int pw, ph; /* the page drawn at 204 x yres dpi, grey */
	unsigned char *px;
	size_t stride;
};

static void seen_free(struct seen *s)
{
	free(s->raw);
	free(s->px);
}

/* Read page n of the PDF; returns the page count, or -1 with the message printed. */
static int inspect(const struct buf *pdf, int n, int yres, struct seen *out, char *title, size_t titlelen)
{
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	fz_stream *stm = NULL;
	fz_document *doc = NULL;
	fz_page *page = NULL;
	fz_pixmap *pix = NULL;
	fz_buffer *raw = NULL;
	int count = -1;

	memset(out, 0, sizeof(*out));
	fz_register_document_handlers(ctx);
	fz_set_graphics_aa_level(ctx, 0);
	fz_var(stm);
	fz_var(doc);
	fz_var(page);
	fz_var(pix);
	fz_var(raw);
	fz_var(count);
	fz_try(ctx)
	{
		stm = fz_open_memory(ctx, (const unsigned char *)pdf->data, pdf->len);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		count = fz_count_pages(ctx, doc);
		if (title)
			fz_lookup_metadata(ctx, doc, "info:Title", title, (int)titlelen);
		page = fz_load_page(ctx, doc, n);
		fz_rect r = fz_bound_page(ctx, page);
		out->w = r.x1 - r.x0;
		out->h = r.y1 - r.y0;

		pdf_obj *po = pdf_lookup_page_obj(ctx, pdf_specifics(ctx, doc), n);
		pdf_obj *im = pdf_dict_getp(ctx, po, "Resources/XObject/Im0");
		pdf_obj *dp = pdf_dict_get(ctx, im, PDF_NAME(DecodeParms));
		snprintf(out->filter, sizeof(out->filter), "%s",
		         pdf_to_name(ctx, pdf_dict_get(ctx, im, PDF_NAME(Filter))));
		out->k = pdf_dict_get_int(ctx, dp, PDF_NAME(K));
		/* Columns absent is its default, 1728 (the PDF reference) */
		out->columns = pdf_dict_get(ctx, dp, PDF_NAME(Columns))
		                   ? pdf_dict_get_int(ctx, dp, PDF_NAME(Columns))
		                   : 1728;
		out->rows = pdf_dict_get_int(ctx, dp, PDF_NAME(Rows));
		out->black_is_1 = pdf_dict_get_bool(ctx, dp, PDF_NAME(BlackIs1));
		out->width = pdf_dict_get_int(ctx, im, PDF_NAME(Width));
		out->height = pdf_dict_get_int(ctx, im, PDF_NAME(Height));
		out->bpc = pdf_dict_get_int(ctx, im, PDF_NAME(BitsPerComponent));
		raw = pdf_load_raw_stream(ctx, im);
		unsigned char *d;
		out->rawlen = fz_buffer_storage(ctx, raw, &d);
		out->raw = malloc(out->rawlen + 1);
		memcpy(out->raw, d, out->rawlen);

		/* One device pixel a fax pixel: the image lands on the grid, nothing is resampled. */
		pix = fz_new_pixmap_from_page(ctx, page, fz_scale(204.0f / 72, (float)yres / 72),
		                              fz_device_gray(ctx), 0);
		out->pw = fz_pixmap_width(ctx, pix);
		out->ph = fz_pixmap_height(ctx, pix);
		out->stride = (size_t)fz_pixmap_stride(ctx, pix);
		out->px = malloc(out->stride * out->ph);
		memcpy(out->px, fz_pixmap_samples(ctx, pix), out->stride * out->ph);
	}
	fz_always(ctx)
	{
		fz_drop_buffer(ctx, raw);
		fz_drop_pixmap(ctx, pix);
		fz_drop_page(ctx, page);
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		print_error("mupdf: %s\n", fz_caught_message(ctx));
		count = -1;
	}
	fz_drop_context(ctx);
	return count;
}

/* Pixels where the drawing and the bitmap disagree (drawn black is grey below 128). */
static long differences(const struct seen *s, const struct bitmap *b)
{
	long diff = 0;

	for (int y = 0; y < b->height; y++)
		for (int x = 0; x < b->width; x++)
			if ((s->px[(size_t)y * s->stride + x] < 128) != getpx(b, x, y))
				diff++;
	return diff;
}

static long black_count(const struct bitmap *b)
{
	long n = 0;

	for (int y = 0; y < b->height; y++)
		for (int x = 0; x < b->width; x++)
			n += getpx(b, x, y);
	return n;
}

static void test_pdf_resolutions(void **state)
{
	(void)state;
	for (int res = FAX_RES_STANDARD; res <= FAX_RES_SUPERFINE; res++) {
		struct fax_page_list pages = {0};
		struct bitmap bm[2];
		struct buf pdf = BUF_INIT, err = BUF_INIT;
		struct fax_geometry g;

		geometry_init(&g, res, FAX_PAPER_A4);
		for (int i = 0; i < 2; i++) {
			struct fax_page p;
			make_page(&p, &bm[i], g.width, g.height, i);
			fax_page_list_push(&pages, &p);
		}
		assert_int_equal(faxpdf_write(&pages, res, NULL, &pdf, &err), 0);
		assert_memory_equal(pdf.data, "%PDF-", 5);

		for (int i = 0; i < 2; i++) {
			struct seen s;
			assert_int_equal(inspect(&pdf, i, g.tiff_yres, &s, NULL, 0), 2);
			/* The paper: 215 mm across, 297 mm down, whatever the resolution. */
			assert_true(fabs(s.w - g.width / 204.0 * 72) < 0.01);
			assert_true(fabs(s.h - (double)g.height / g.tiff_yres * 72) < 0.01);
			assert_true(fabs(s.w / 72 - 8.47) < 0.01);
			assert_true(fabs(s.h / 72 - 11.69) < 0.03);

			/* Lossless: the stream is the strip, byte for byte. */
			assert_string_equal(s.filter, "CCITTFaxDecode");
			assert_int_equal(s.k, -1);
			assert_int_equal(s.columns, g.width);
			assert_int_equal(s.rows, g.height);
			assert_int_equal(s.width, g.width);
			assert_int_equal(s.height, g.height);
			assert_int_equal(s.bpc, 1);
			assert_false(s.black_is_1);
			assert_int_equal(s.rawlen, pages.pages[i].len);
			assert_memory_equal(s.raw, pages.pages[i].data, s.rawlen);

			/* Drawn back: black where the page is black, the right way up. */
			assert_int_equal(s.pw, g.width);
			assert_int_equal(s.ph, g.height);
			assert_true(black_count(&bm[i]) > 10000);
			assert_int_equal(differences(&s, &bm[i]), 0);
			seen_free(&s);
		}
		bitmap_free(&bm[0]);
		bitmap_free(&bm[1]);
		fax_page_list_free(&pages);
		buf_free(&pdf);
		buf_free(&err);
	}
}

/* Pages of other widths (B4) and lengths keep their own size; all bytes still go through. */
static void test_pdf_sizes(void **state)
{
	static const int sizes[][2] = {{2048, 1400}, {1728, 1}, {1728, 3000}, {13, 7}};
	struct fax_page_list pages = {0};
	struct buf pdf = BUF_INIT, err = BUF_INIT;
	struct bitmap bm[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct fax_page p;
		bitmap_alloc(&bm[i], sizes[i][0], sizes[i][1]);
		for (int y = 0; y < bm[i].height; y++)
			for (int x = 0; x < bm[i].width; x++)
				if ((x / 3 + y) % 5 == 0)
					setpx(&bm[i], x, y);
		assert_int_equal(mmr_encode(&bm[i], &p), 0);
		fax_page_list_push(&pages, &p);
	}
	assert_int_equal(faxpdf_write(&pages, FAX_RES_FINE, NULL, &pdf, &err), 0);
	for (int i = 0; i < 4; i++) {
		struct seen s;
		double w, h;

		assert_int_equal(inspect(&pdf, i, 196, &s, NULL, 0), 4);
		faxpdf_page_size(sizes[i][0], sizes[i][1], FAX_RES_FINE, &w, &h);
		assert_true(fabs(w - sizes[i][0] * 72 / 204.0) < 1e-9);
		assert_true(fabs(h - sizes[i][1] * 72 / 196.0) < 1e-9);
		/* The page is never under 3 points a side; the image keeps its size at the top. */
		assert_true(fabs(s.w - fmax(w, 3)) < 0.01 && fabs(s.h - fmax(h, 3)) < 0.01);
		assert_int_equal(s.rawlen, pages.pages[i].len);
		assert_memory_equal(s.raw, pages.pages[i].data, s.rawlen);
		assert_int_equal(differences(&s, &bm[i]), 0);
		seen_free(&s);
		bitmap_free(&bm[i]);
	}
	fax_page_list_free(&pages);
	buf_free(&pdf);
	buf_free(&err);
}

static void test_pdf_info(void **state)
{
	struct fax_page_list pages = {0};
	struct buf pdf = BUF_INIT, err = BUF_INIT;
	struct fax_page p;
	struct bitmap b;
	struct seen s;
	char title[2048], longtitle[1500];
	struct faxpdf_info info = {"Fax von Müller ☎ +49 30 123", "REMOTE \x1b[2J", "3 pages", "faxgate",
	                           1700000000};

	(void)state;
	make_page(&p, &b, 1728, 1143, 0);
	fax_page_list_push(&pages, &p);
	assert_int_equal(faxpdf_write(&pages, FAX_RES_STANDARD, &info, &pdf, &err), 0);
	assert_int_equal(inspect(&pdf, 0, 98, &s, title, sizeof(title)), 1);
	assert_string_equal(title, info.title);
	seen_free(&s);
	assert_non_null(memmem(pdf.data, pdf.len, "/CreationDate", 13));
	assert_non_null(memmem(pdf.data, pdf.len, "faxgate", 7));

	/* A long title is cut on a character's boundary; invalid UTF-8 goes through as something. */
	for (size_t i = 0; i + 2 < sizeof(longtitle); i += 2)
		memcpy(longtitle + i, "\xc3\xa4", 2);
	longtitle[sizeof(longtitle) - 2] = '\0';
	info.title = longtitle;
	info.author = "\xff\xfe broken \xc3";
	assert_int_equal(faxpdf_write(&pages, FAX_RES_STANDARD, &info, &pdf, &err), 0);
	assert_int_equal(inspect(&pdf, 0, 98, &s, title, sizeof(title)), 1);
	assert_true(strlen(title) > 0 && strlen(title) <= 512);
	assert_int_equal(strlen(title) % 2, 0);
	for (size_t i = 0; title[i]; i += 2)
		assert_memory_equal(title + i, "\xc3\xa4", 2);
	seen_free(&s);

	/* Control characters (a station id's terminal escapes) never reach the metadata. */
	info.title = "A\x1b[2J\nB\x7f";
	assert_int_equal(faxpdf_write(&pages, FAX_RES_STANDARD, &info, &pdf, &err), 0);
	assert_int_equal(inspect(&pdf, 0, 98, &s, title, sizeof(title)), 1);
	assert_string_equal(title, "A?[2J?B?");
	seen_free(&s);

	bitmap_free(&b);
	fax_page_list_free(&pages);
	buf_free(&pdf);
	buf_free(&err);
}

static void test_pdf_refuses(void **state)
{
	struct fax_page_list pages = {0};
	struct buf pdf = BUF_INIT, err = BUF_INIT;
	struct fax_page p;
	struct bitmap b;
	uint8_t junk[64];

	(void)state;
	assert_int_equal(faxpdf_write(&pages, FAX_RES_FINE, NULL, &pdf, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "0 pages"));
	make_page(&p, &b, 1728, 100, 0);
	fax_page_list_push(&pages, &p);
	assert_int_equal(faxpdf_write(&pages, 7, NULL, &pdf, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "resolution"));
	assert_int_equal(faxpdf_write(&pages, -1, NULL, &pdf, NULL), -1);

	struct fax_page good = pages.pages[0];
	static const struct fax_page bad[] = {
	    {0, 100, 10, (uint8_t *)"x"},   {1728, 0, 10, (uint8_t *)"x"},     {1728, 100, 0, (uint8_t *)"x"},
	    {1728, 100, 10, NULL},          {100000, 100, 10, (uint8_t *)"x"}, {1728, -5, 10, (uint8_t *)"x"},
	    {8, 8, 100000, (uint8_t *)"x"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pages.pages[0] = bad[i];
		buf_reset(&pdf);
		assert_int_equal(faxpdf_write(&pages, FAX_RES_FINE, NULL, &pdf, &err), -1);
		assert_non_null(strstr(buf_cstr(&err), "not a fax page"));
		assert_int_equal(pdf.len, 0);
	}

	/* Damaged data of a sane size is wrapped as it is: the PDF never decodes it. */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand_r(&seed);
	pages.pages[0] = (struct fax_page){1728, 2000, sizeof(junk), junk};
	assert_int_equal(faxpdf_write(&pages, FAX_RES_FINE, NULL, &pdf, &err), 0);
	assert_non_null(memmem(pdf.data, pdf.len, junk, sizeof(junk)));

	pages.pages[0] = good;
	bitmap_free(&b);
	fax_page_list_free(&pages);
	buf_free(&pdf);
	buf_free(&err);
}

struct png_read {
	const struct buf *b;
	size_t pos;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_read *r = closure;

	if (len > r->b->len - r->pos)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->b->data + r->pos, len);
	r->pos += len;
	return CAIRO_STATUS_SUCCESS;
}

/* The grey of preview pixel (x, y) of a decoded PNG (cairo reads grey PNGs as RGB24). */
static int grey_at(cairo_surface_t *s, int x, int y)
{
	const unsigned char *d = cairo_image_surface_get_data(s);
	uint32_t v = *(const uint32_t *)(d + (size_t)y * cairo_image_surface_get_stride(s) + (size_t)x * 4);

	return v & 0xff;
}

/* The grey preview pixel (x, y) must have, from the page by a slow exact area sum. */
static int expected_grey(const struct bitmap *b, int w, int h, int x, int y)
{
	double sx = (double)b->width / w, sy = (double)b->height / h, ink = 0;
	double x0 = x * sx, x1 = (x + 1) * sx, y0 = y * sy, y1 = (y + 1) * sy;

	for (int py = (int)y0; py < y1 && py < b->height; py++)
		for (int px = (int)x0; px < x1 && px < b->width; px++)
			if (getpx(b, px, py))
				ink += (fmin(px + 1, x1) - fmax(px, x0)) * (fmin(py + 1, y1) - fmax(py, y0));
	return (int)lround(255 - 255 * ink / (sx * sy));
}

/* Decode a PNG preview; fails the test when cairo cannot. */
static cairo_surface_t *png_open(const struct buf *png)
{
	struct png_read r = {png, 0};
	cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);

	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	cairo_surface_flush(s);
	return s;
}

static void test_preview(void **state)
{
	(void)state;
	for (int res = FAX_RES_STANDARD; res <= FAX_RES_SUPERFINE; res++) {
		struct buf png = BUF_INIT, err = BUF_INIT;
		struct fax_geometry g;
		struct fax_page p;
		struct bitmap b;
		int w, h;

		geometry_init(&g, res, FAX_PAPER_A4);
		make_page(&p, &b, g.width, g.height, 0);
		faxpreview_size(g.width, g.height, res, 400, &w, &h);
		assert_int_equal(w, 400);
		/* A4's shape: 297 / 215 as high as wide. */
		assert_true(fabs(h - 400 * 297.0 / 215) < 3);

		assert_int_equal(faxpreview_png(&p, res, 400, &png, &err), 0);
		assert_memory_equal(png.data, "\x89PNG\r\n\x1a\n", 8);
		assert_int_equal((unsigned char)png.data[24], 8); /* bit depth */
		assert_int_equal((unsigned char)png.data[25], 0); /* colour type: grey */

		cairo_surface_t *s = png_open(&png);
		assert_int_equal(cairo_image_surface_get_width(s), w);
		assert_int_equal(cairo_image_surface_get_height(s), h);
		double sx = (double)w / g.width, sy = (double)h / g.height;
		/* The block at the top left (x 100..399, rows 1/10..1/5) is black inside. */
		assert_int_equal(grey_at(s, (int)(250 * sx), (int)(g.height * 0.15 * sy)), 0);
		/* Paper is white. */
		assert_int_equal(grey_at(s, (int)(800 * sx), (int)(g.height * 0.15 * sy)), 255);
		assert_int_equal(grey_at(s, 2, 2), 255);
		/* The 10 pixel bar on the right is 2.3 preview pixels: some column there is dark. */
		int darkest = 255;
		for (int x = (int)((g.width - 240) * sx); x < (int)((g.width - 200) * sx); x++)
			if (grey_at(s, x, h / 3) < darkest)
				darkest = grey_at(s, x, h / 3);
		assert_true(darkest < 80);
		/* Everywhere (every 7th pixel each way), the grey is the page's share of white. */
		for (int y = 0; y < h; y += 7)
			for (int x = 0; x < w; x += 7)
				if (abs(grey_at(s, x, y) - expected_grey(&b, w, h, x, y)) > 1)
					fail_msg("preview %d,%d is %d, not %d", x, y, grey_at(s, x, y),
					         expected_grey(&b, w, h, x, y));
		cairo_surface_destroy(s);

		bitmap_free(&b);
		fax_page_free(&p);
		buf_free(&png);
		buf_free(&err);
	}
}

/*
 * Area averaging is exact: alternate black and white columns are an even grey at a whole ratio
 * (4 page columns a preview column), and at any ratio each preview row holds the page row's ink.
 */
static void test_preview_average(void **state)
{
	struct buf png = BUF_INIT, err = BUF_INIT;
	struct fax_page p;
	struct bitmap b;
	cairo_surface_t *s;

	(void)state;
	bitmap_alloc(&b, 1728, 2287);
	for (int y = 0; y < b.height; y++)
		for (int x = 0; x < b.width; x += 2)
			setpx(&b, x, y);
	assert_int_equal(mmr_encode(&b, &p), 0);
	assert_int_equal(faxpreview_png(&p, FAX_RES_FINE, 432, &png, &err), 0);
	s = png_open(&png);
	assert_int_equal(cairo_image_surface_get_width(s), 432);
	for (int y = 0; y < cairo_image_surface_get_height(s); y++)
		for (int x = 0; x < cairo_image_surface_get_width(s); x++) {
			int v = grey_at(s, x, y);
			if (v != 127 && v != 128)
				fail_msg("pixel %d,%d is %d, not mid grey", x, y, v);
		}
	cairo_surface_destroy(s);

	assert_int_equal(faxpreview_png(&p, FAX_RES_FINE, 333, &png, &err), 0);
	s = png_open(&png);
	assert_int_equal(cairo_image_surface_get_width(s), 333);
	for (int y = 0; y < cairo_image_surface_get_height(s); y++) {
		double ink = 0;
		for (int x = 0; x < 333; x++)
			ink += (255 - grey_at(s, x, y)) / 255.0;
		/* In page pixels: 864 of the 1728 are black. */
		ink *= 1728.0 / 333;
		if (fabs(ink - 864) > 3)
			fail_msg("preview row %d holds %.1f black pixels, not 864", y, ink);
	}
	cairo_surface_destroy(s);

	/* A preview is never wider than the page; an absurd shape stays bounded. */
	int w, h;
	faxpreview_size(1728, 2287, FAX_RES_FINE, 5000, &w, &h);
	assert_int_equal(w, 1728);
	faxpreview_size(1, 16384, FAX_RES_STANDARD, 400, &w, &h);
	assert_true(w >= 1 && h <= FAXPREVIEW_MAX_SIDE);

	/* Refusals: damaged page, bad width or resolution. */
	assert_int_equal(faxpreview_png(&p, FAX_RES_FINE, 0, &png, &err), -1);
	assert_int_equal(faxpreview_png(&p, 9, 100, &png, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "resolution"));
	struct fax_page junk = {1728, 100, 20,
	                        (uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
	                                   "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14"};
	assert_int_equal(faxpreview_png(&junk, FAX_RES_FINE, 100, &png, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "decode"));

	bitmap_free(&b);
	fax_page_free(&p);
	buf_free(&png);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pdf_resolutions), cmocka_unit_test(test_pdf_sizes),
	    cmocka_unit_test(test_pdf_info),        cmocka_unit_test(test_pdf_refuses),
	    cmocka_unit_test(test_preview),         cmocka_unit_test(test_preview_average),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
