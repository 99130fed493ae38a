/*
 * faxtiff.c - writing fax TIFFs (multi-page, MMR, Class F style tags) and reading bilevel TIFFs.
 *
 * Files read here come from senders and are hostile: every size is checked before memory is
 * asked for (page width, height and count, and the total decoded size), libtiff's own allocations
 * are capped, directory chains are walked with a count limit, and padding bits past the width are
 * cleared so they never count as ink. libtiff's messages go to the log, and the first error of an
 * operation becomes its error text. Pages written here are encoded already (in the faxrender
 * helper, see mmr.c), so writing a fax costs no more than copying its bytes.
 */
#include "render/faxtiff.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define READ_MAX_WIDTH  10000
#define READ_MAX_HEIGHT 40000
#define READ_MAX_PAGES  10000
/* Decoded pages held at once: 1000 pages of A4 superfine. */
#define READ_MAX_BYTES ((uint64_t)1 << 30)
/* Largest single allocation libtiff may make for one file. */
#define TIFF_MAX_ALLOC ((tmsize_t)256 << 20)

/* What one open TIFF reports its errors to. */
struct faxtiff_errors {
	char *err;
	size_t errlen;
	bool seen;
};

static void faxtiff_log_error(const char *module, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warning("libtiff: %s: %s", module ? module : "-", msg);
}

static void faxtiff_log_warning(const char *module, const char *fmt, va_list ap)
{
	char msg[512];

	/* Warnings are about unknown tags and the like in other programs' files: detail only. */
	if (!log_enabled(LOG_LVL_DEBUG))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_debug("libtiff: %s: %s", module ? module : "-", msg);
}

static void faxtiff_handlers_install(void)
{
	TIFFSetErrorHandler(faxtiff_log_error);
	TIFFSetWarningHandler(faxtiff_log_warning);
}

/* libtiff's handlers are process-wide; install ours once, whoever calls first. */
void faxtiff_route_logs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, faxtiff_handlers_install);
}

static int faxtiff_error_ext(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
	struct faxtiff_errors *e = user_data;
	char msg[512];

	(void)tif;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warning("libtiff: %s: %s", module ? module : "-", msg);
	if (e && !e->seen && e->err && e->errlen)
		snprintf(e->err, e->errlen, "%s", msg);
	if (e)
		e->seen = true;
	return 1;
}

static void faxtiff_seterr(struct faxtiff_errors *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void faxtiff_seterr(struct faxtiff_errors *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->seen && e->err && e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err, e->errlen, fmt, ap);
		va_end(ap);
	}
	e->seen = true;
}

static TIFFOpenOptions *faxtiff_options(struct faxtiff_errors *e)
{
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();

	if (opts == NULL)
		log_fatal("out of memory for libtiff options");
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, TIFF_MAX_ALLOC);
	TIFFOpenOptionsSetErrorHandlerExtR(opts, faxtiff_error_ext, e);
	return opts;
}

static int faxtiff_write_page(TIFF *tif, const struct fax_page *b, const struct fax_geometry *g, int n,
                              int total, const char *software)
{
	TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	mmr_tiff_tags(tif, b->width, b->height);
	TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, 204.0f);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)g->tiff_yres);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)n, (uint16_t)total);
	if (software && *software)
		TIFFSetField(tif, TIFFTAG_SOFTWARE, software);
	/* One strip: the page is that strip already. */
	if (TIFFWriteRawStrip(tif, 0, b->data, (tmsize_t)b->len) < 0)
		return -1;
	return TIFFWriteDirectory(tif) ? 0 : -1;
}

int faxtiff_write(const char *path, const struct fax_page_list *pages, const struct fax_geometry *g,
                  const char *software, char *err, size_t errlen)
{
	struct faxtiff_errors e = {err, errlen, false};
	char *tmp;
	int fd, rc = -1;

	faxtiff_route_logs();
	if (pages->count == 0 || pages->count > 65535) {
		faxtiff_seterr(&e, "cannot write a fax of %zu pages", pages->count);
		return -1;
	}
	for (size_t i = 0; i < pages->count; i++) {
		const struct fax_page *b = &pages->pages[i];
		if (b->width != FAX_WIDTH || b->height < 1 || b->len < 1 ||
		    b->len > mmr_max_len(b->width, b->height)) {
			faxtiff_seterr(&e, "page %zu is %dx%d, not a fax page", i + 1, b->width, b->height);
			return -1;
		}
	}

	/* Readers never see a half-written file: it appears under its name only when complete. */
	/* A unique name made with O_EXCL: nobody can plant a link for us to write through. */
	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0640) < 0) {
		close(fd);
		unlink(tmp);
		fd = -1;
	}
	if (fd < 0) {
		faxtiff_seterr(&e, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	TIFFOpenOptions *opts = faxtiff_options(&e);
	TIFF *tif = TIFFFdOpenExt(fd, tmp, "w", opts);
	TIFFOpenOptionsFree(opts);
	if (tif == NULL) {
		faxtiff_seterr(&e, "cannot start TIFF %s", tmp);
		close(fd);
		goto out;
	}
	for (size_t i = 0; i < pages->count; i++) {
		if (faxtiff_write_page(tif, &pages->pages[i], g, (int)i, (int)pages->count, software) < 0) {
			faxtiff_seterr(&e, "cannot write page %zu of %s", i + 1, tmp);
			TIFFClose(tif);
			goto out;
		}
	}
	if (!TIFFFlush(tif)) {
		faxtiff_seterr(&e, "cannot write %s: %s", tmp, strerror(errno));
		TIFFClose(tif);
		goto out;
	}
	TIFFClose(tif); /* closes fd */
	if (rename(tmp, path) < 0) {
		faxtiff_seterr(&e, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Resolution in dots an inch, or 0 when absent or absurd. */
static double faxtiff_dpi(TIFF *tif, ttag_t tag)
{
	float res = 0;
	uint16_t unit = RESUNIT_INCH;

	if (!TIFFGetField(tif, tag, &res) || !isfinite(res) || res <= 0)
		return 0;
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		res *= 2.54f;
	else if (unit != RESUNIT_INCH)
		return 0;
	return res > 100000 ? 0 : res;
}

/* The shape of the current directory; -1 with a message when it is no bilevel page. */
static int faxtiff_page_shape(TIFF *tif, struct faxtiff_errors *e, int n, uint32_t *w, uint32_t *h,
                              bool *invert)
{
	uint16_t bps = 1, spp = 1, photo = PHOTOMETRIC_MINISWHITE;

	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, h)) {
		faxtiff_seterr(e, "page %d has no size", n);
		return -1;
	}
	if (bps != 1 || spp != 1) {
		faxtiff_seterr(e, "page %d is not bilevel (%u bits, %u samples)", n, bps, spp);
		return -1;
	}
	/* Without the tag, a bilevel page is taken as a fax page: min-is-white. */
	TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo);
	if (photo != PHOTOMETRIC_MINISWHITE && photo != PHOTOMETRIC_MINISBLACK) {
		faxtiff_seterr(e, "page %d has unsupported photometric %u", n, photo);
		return -1;
	}
	if (*w < 1 || *w > READ_MAX_WIDTH || *h < 1 || *h > READ_MAX_HEIGHT) {
		faxtiff_seterr(e, "page %d is %ux%u pixels, beyond the limit of %dx%d", n, *w, *h,
		               READ_MAX_WIDTH, READ_MAX_HEIGHT);
		return -1;
	}
	*invert = photo == PHOTOMETRIC_MINISBLACK;
	return 0;
}

static int faxtiff_read_tiled(TIFF *tif, struct bitmap *b)
{
	uint32_t tw = 0, th = 0;

	if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th) ||
	    tw == 0 || th == 0 || tw % 8 != 0 || tw > READ_MAX_WIDTH || th > READ_MAX_HEIGHT)
		return -1;
	size_t trow = tw / 8;
	tmsize_t tsize = TIFFTileSize(tif);
	if (tsize <= 0 || (uint64_t)tsize < (uint64_t)trow * th)
		return -1;
	uint8_t *tile = xmalloc((size_t)tsize);
	for (uint32_t y0 = 0; y0 < (uint32_t)b->height; y0 += th) {
		for (uint32_t x0 = 0; x0 < (uint32_t)b->width; x0 += tw) {
			if (TIFFReadTile(tif, tile, x0, y0, 0, 0) < 0) {
				free(tile);
				return -1;
			}
			size_t bytes = trow;
			if (x0 / 8 + bytes > b->stride)
				bytes = b->stride - x0 / 8;
			for (uint32_t y = 0; y < th && y0 + y < (uint32_t)b->height; y++)
				memcpy(b->bits + (size_t)(y0 + y) * b->stride + x0 / 8,
				       tile + (size_t)y * trow, bytes);
		}
	}
	free(tile);
	return 0;
}

static int faxtiff_read_page(TIFF *tif, struct bitmap *b, bool invert)
{
	if (TIFFIsTiled(tif)) {
		if (faxtiff_read_tiled(tif, b) < 0)
			return -1;
	} else {
		tmsize_t sl = TIFFScanlineSize(tif);
		if (sl <= 0 || (size_t)sl < b->stride)
			return -1;
		uint8_t *line = xmalloc((size_t)sl);
		for (int y = 0; y < b->height; y++) {
			if (TIFFReadScanline(tif, line, (uint32_t)y, 0) < 0) {
				free(line);
				return -1;
			}
			memcpy(b->bits + (size_t)y * b->stride, line, b->stride);
		}
		free(line);
	}
	uint8_t pad = (uint8_t)(0xff << ((8 - b->width % 8) % 8));
	for (int y = 0; y < b->height; y++) {
		uint8_t *row = b->bits + (size_t)y * b->stride;
		if (invert)
			for (size_t i = 0; i < b->stride; i++)
				row[i] = (uint8_t)~row[i];
		row[b->stride - 1] &= pad;
	}
	return 0;
}

static TIFF *faxtiff_open_read(const char *path, struct faxtiff_errors *e)
{
	TIFFOpenOptions *opts;
	TIFF *tif;

	faxtiff_route_logs();
	opts = faxtiff_options(e);
	tif = TIFFOpenExt(path, "r", opts);
	TIFFOpenOptionsFree(opts);
	if (tif == NULL)
		faxtiff_seterr(e, "cannot open %s as TIFF", path);
	return tif;
}

int faxtiff_read(const char *path, struct page_list *pages, int *yres, char *err, size_t errlen)
{
	struct faxtiff_errors e = {err, errlen, false};
	struct page_list got = {NULL, 0, 0};
	uint64_t bytes = 0;
	TIFF *tif;
	int n = 0;

	*yres = 0;
	tif = faxtiff_open_read(path, &e);
	if (tif == NULL)
		return -1;
	do {
		uint32_t w, h;
		bool invert;
		struct bitmap b;

		if (++n > READ_MAX_PAGES) {
			faxtiff_seterr(&e, "more than %d pages", READ_MAX_PAGES);
			goto fail;
		}
		if (faxtiff_page_shape(tif, &e, n, &w, &h, &invert) < 0)
			goto fail;
		bytes += (uint64_t)((w + 7) / 8) * h;
		if (bytes > READ_MAX_BYTES) {
			faxtiff_seterr(&e, "pages too large in total (more than %llu MB)",
			               (unsigned long long)(READ_MAX_BYTES >> 20));
			goto fail;
		}
		if (n == 1) {
			/* Without a usable YResolution, square pixels are the likeliest guess. */
			double y = faxtiff_dpi(tif, TIFFTAG_YRESOLUTION);
			if (y == 0)
				y = faxtiff_dpi(tif, TIFFTAG_XRESOLUTION);
			*yres = (int)lround(y);
		}
		bitmap_alloc(&b, (int)w, (int)h);
		if (faxtiff_read_page(tif, &b, invert) < 0) {
			faxtiff_seterr(&e, "cannot decode page %d", n);
			bitmap_free(&b);
			goto fail;
		}
		page_list_push(&got, &b);
	} while (TIFFReadDirectory(tif));
	/* The directory chain ends on an error as well as at the end: a damaged file is refused whole. */
	if (e.seen)
		goto fail;
	TIFFClose(tif);
	for (size_t i = 0; i < got.count; i++)
		page_list_push(pages, &got.pages[i]);
	free(got.pages);
	return 0;
fail:
	TIFFClose(tif);
	page_list_free(&got);
	return -1;
}

bool faxtiff_is_fax_compatible(const char *path, int yres)
{
	struct faxtiff_errors e = {NULL, 0, false};
	TIFF *tif = faxtiff_open_read(path, &e);
	bool ok = true;
	int n = 0;

	if (tif == NULL || yres <= 0) {
		if (tif)
			TIFFClose(tif);
		return false;
	}
	do {
		uint32_t w, h;
		bool invert;

		if (++n > READ_MAX_PAGES || faxtiff_page_shape(tif, &e, n, &w, &h, &invert) < 0 ||
		    w != FAX_WIDTH) {
			ok = false;
			break;
		}
		double x = faxtiff_dpi(tif, TIFFTAG_XRESOLUTION), y = faxtiff_dpi(tif, TIFFTAG_YRESOLUTION);
		if (x < 195 || x > 210 || fabs(y - yres) > 0.05 * yres) {
			ok = false;
			break;
		}
	} while (TIFFReadDirectory(tif));
	TIFFClose(tif);
	return ok;
}

int faxtiff_read_mmr(const char *path, struct fax_page_list *pages, int *res, char *err, size_t errlen)
{
	struct faxtiff_errors e = {err, errlen, false};
	size_t first = pages->count;
	double yres = 0;
	TIFF *tif = faxtiff_open_read(path, &e);

	if (tif == NULL)
		return -1;
	do {
		uint32_t w = 0, h = 0;
		uint16_t comp = 0;
		tmsize_t len;

		TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
		TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
		if (pages->count == first)
			yres = faxtiff_dpi(tif, TIFFTAG_YRESOLUTION);
		len = TIFFNumberOfStrips(tif) == 1 ? TIFFRawStripSize(tif, 0) : -1;
		if (comp != COMPRESSION_CCITTFAX4 || len <= 0 || w == 0 || w > 100000 || h == 0 || h > 100000 ||
		    (size_t)len > mmr_max_len((int)w, (int)h)) {
			faxtiff_seterr(&e, "page %zu is not one MMR strip of a sane size", pages->count - first + 1);
			goto fail;
		}
		struct fax_page p = {.width = (int)w, .height = (int)h, .len = (size_t)len};
		p.data = xmalloc(p.len);
		if (TIFFReadRawStrip(tif, 0, p.data, len) != len) {
			faxtiff_seterr(&e, "page %zu cannot be read", pages->count - first + 1);
			free(p.data);
			goto fail;
		}
		fax_page_list_push(pages, &p);
	} while (TIFFReadDirectory(tif));
	/* The directory chain ends on an error as well as at the end: a damaged file is refused whole. */
	if (e.seen)
		goto fail;
	TIFFClose(tif);
	*res = yres < 150 ? FAX_RES_STANDARD : yres < 300 ? FAX_RES_FINE : FAX_RES_SUPERFINE;
	return 0;
fail:
	TIFFClose(tif);
	while (pages->count > first)
		fax_page_free(&pages->pages[--pages->count]);
	return -1;
}
