/*
 * conv_tiff.c - TIFF documents: fax TIFFs pass through untouched, everything else goes to mupdf.
 *
 * A TIFF that already is a fax (bilevel, 1728 wide, 204 dpi across, the job's rows an inch) is
 * sent as it is: re-rendering would only blur it. One at a lower fax resolution is made to fit by
 * repeating rows, which loses nothing either. Colour, grey and other sizes are drawn by mupdf.
 *
 * Hostile input: every directory of the file is looked at with libtiff before anything is decoded,
 * so that a page claiming billions of pixels (mupdf only checks the first) or a file with
 * thousands of pages fails cleanly instead of exhausting memory.
 */
#include "render/convert.h"

#include <stdint.h>
#include <string.h>
#include <tiffio.h>

#include "render/faxtiff.h"
#include "util/log.h"

/*
 * Pages up to this much longer than the paper pass through when the excess is blank (an A4 fax on
 * a Letter job); others longer than the paper are scaled by mupdf (the parent takes no longer pages).
 */
#define TIFF_MAX_LENGTH_PCT 110
/* Hard bound on the directories looked at, whatever max_pages says (blank pages cost too). */
#define TIFF_MAX_DIRS 10000

static const int tiff_fax_yres[] = {98, 196, 391};

/* How many rows each source row becomes when a fax TIFF at a lower resolution fits; 0 when none does. */
static int tiff_fax_factor(const char *path, int job_yres)
{
	int job = -1;

	for (int i = 0; i < 3; i++)
		if (tiff_fax_yres[i] == job_yres)
			job = i;
	for (int i = job; i >= 0; i--)
		if (faxtiff_is_fax_compatible(path, tiff_fax_yres[i]))
			return 1 << (job - i);
	return 0;
}

/* Count pages and check every page's size before any decoder allocates for it. */
static int tiff_survey(struct convert_ctx *c, const char *path, int factor, bool *fits)
{
	TIFF *t = TIFFOpen(path, "rm");
	long max_rows = (long)c->geom.height * TIFF_MAX_LENGTH_PCT / 100;
	unsigned long long bilevel_bytes = 0; /* all pages as bitmaps, as the pass-through holds them */
	int ndirs = 0;

	*fits = true;
	if (t == NULL)
		return convert_fail(c, RENDER_CORRUPT, "TIFF: cannot read it");
	do {
		uint32_t w = 0, h = 0;

		if (++ndirs > TIFF_MAX_DIRS || (!c->drop_blank && (size_t)ndirs > c->max_pages)) {
			TIFFClose(t);
			return convert_fail(c, RENDER_TOO_MANY_PAGES, "TIFF: more than %d pages", ndirs - 1);
		}
		if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h) ||
		    w == 0 || h == 0) {
			TIFFClose(t);
			return convert_fail(c, RENDER_CORRUPT, "TIFF: page %d has no size", ndirs);
		}
		if ((long long)w * h > c->max_image_pixels) {
			TIFFClose(t);
			return convert_fail(c, RENDER_TOO_BIG_IMAGE,
			                    "TIFF: page %d is %ux%u pixels (at most %ld allowed)", ndirs,
			                    (unsigned)w, (unsigned)h, c->max_image_pixels);
		}
		if ((long long)h * factor > max_rows)
			*fits = false; /* mupdf must shrink it */
		bilevel_bytes += ((unsigned long long)w + 7) / 8 * h * factor;
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
	/* mupdf draws one page at a time under its own limit; the pass-through reads them all at once. */
	if (bilevel_bytes > c->memory_limit / 2)
		*fits = false;
	log_debug("TIFF: %d pages", ndirs);
	return 0;
}

/* Repeat every row factor times: a standard-resolution fax becomes a fine one without loss. */
static void tiff_stretch(struct bitmap *b, int factor)
{
	struct bitmap out;

	bitmap_alloc(&out, b->width, b->height * factor);
	for (int y = 0; y < b->height; y++)
		for (int k = 0; k < factor; k++)
			memcpy(out.bits + ((size_t)y * factor + k) * out.stride,
			       b->bits + (size_t)y * b->stride, b->stride);
	bitmap_free(b);
	*b = out;
}

/* Cut a page longer than the paper to the paper's length if only white is lost. */
static bool tiff_trim(struct bitmap *b, int height)
{
	if (b->height <= height)
		return true;
	for (int y = height; y < b->height; y++) {
		const uint8_t *row = b->bits + (size_t)y * b->stride;

		for (size_t i = 0; i < b->stride; i++)
			if (row[i])
				return false;
	}
	b->height = height;
	return true;
}

/* Returns 1 when the pages cannot pass through after all (ink beyond the paper's end). */
static int tiff_pass_through(struct convert_ctx *c, const char *path, int factor)
{
	struct page_list pages = {0};
	char err[256];
	int yres = 0, ret = 0;

	if (faxtiff_read(path, &pages, &yres, err, sizeof(err)) < 0) {
		page_list_free(&pages);
		return convert_fail(c, RENDER_CORRUPT, "TIFF: %s", err);
	}
	for (size_t i = 0; i < pages.count && ret == 0; i++) {
		if (factor > 1)
			tiff_stretch(&pages.pages[i], factor);
		if (pages.pages[i].width != c->geom.width || !tiff_trim(&pages.pages[i], c->geom.height))
			ret = 1;
	}
	if (ret == 0)
		log_debug("TIFF: %zu fax pages at %d dpi pass through, rows repeated %d times", pages.count,
		          yres, factor);
	for (size_t i = 0; i < pages.count && ret == 0; i++)
		ret = convert_put_bitmap(c, &pages.pages[i]);
	page_list_free(&pages);
	return ret;
}

int convert_tiff(struct convert_ctx *c, const char *path)
{
	int factor = tiff_fax_factor(path, c->geom.tiff_yres);
	bool fits;

	if (tiff_survey(c, path, factor ? factor : 1, &fits) < 0)
		return -1;
	if (factor && fits) {
		int ret = tiff_pass_through(c, path, factor);

		if (ret <= 0)
			return ret;
	}
	if (factor)
		log_debug("TIFF: fax pages longer than the paper, drawn to fit");
	return convert_mupdf(c, path, true);
}
