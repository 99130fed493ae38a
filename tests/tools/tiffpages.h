/*
 * tiffpages.h - a small bilevel TIFF reader shared by the test tools (pagecmp, fax_b2b).
 *
 * It reads pages with libtiff directly, independently of the engine's faxtiff.c, so that a bug in
 * the engine's writer cannot be hidden by the same bug in its reader. The files come from the code
 * under test and may be broken: sizes are bounded before allocating, and every page must be 1 bit
 * a sample, 1 sample a pixel, stored in strips. Bits are normalised to 1 = black whatever the
 * photometric interpretation.
 *
 * Header-only because the build makes one program of every C file in tests/tools.
 */
#ifndef FAXGATE_TESTS_TIFFPAGES_H
#define FAXGATE_TESTS_TIFFPAGES_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "util/xalloc.h"

/* Far beyond any fax page (3456 x 9000 is B4 at 408 x 391), small enough to never exhaust memory. */
#define TP_MAX_WIDTH  20000
#define TP_MAX_HEIGHT 100000
#define TP_MAX_PAGES  10000

struct tp_page {
	int width, height;
	double xres, yres; /* dots an inch; 0 when the file does not say */
	int compression;   /* TIFFTAG_COMPRESSION value: 3 = T.4, 4 = T.6 */
	size_t stride;     /* (width + 7) / 8 */
	uint8_t *bits;     /* 1 = black, most significant bit first */
};

struct tp_doc {
	struct tp_page *pages;
	int count;
};

static inline void tp_silence(const char *module, const char *fmt, va_list ap)
{
	(void)module;
	(void)fmt;
	(void)ap;
}

static inline double tp_dpi(TIFF *tif, ttag_t tag)
{
	float v = 0;
	uint16_t unit = RESUNIT_INCH;

	if (!TIFFGetField(tif, tag, &v))
		return 0;
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		return v * 2.54;
	return v;
}

static inline int tp_read_page(TIFF *tif, struct tp_page *p, char *err, size_t errlen)
{
	uint32_t w = 0, h = 0;
	uint16_t bps = 1, spp = 1, photo = PHOTOMETRIC_MINISWHITE, comp = COMPRESSION_NONE;

	memset(p, 0, sizeof(*p));
	if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h)) {
		snprintf(err, errlen, "no image size");
		return -1;
	}
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo))
		photo = PHOTOMETRIC_MINISWHITE;
	if (w == 0 || h == 0 || w > TP_MAX_WIDTH || h > TP_MAX_HEIGHT) {
		snprintf(err, errlen, "page size %ux%u out of range", w, h);
		return -1;
	}
	if (bps != 1 || spp != 1 || TIFFIsTiled(tif)) {
		snprintf(err, errlen, "not a bilevel strip image (%u bits x %u samples%s)", bps, spp,
		         TIFFIsTiled(tif) ? ", tiled" : "");
		return -1;
	}
	if (photo != PHOTOMETRIC_MINISWHITE && photo != PHOTOMETRIC_MINISBLACK) {
		snprintf(err, errlen, "photometric %u is not bilevel", photo);
		return -1;
	}
	p->width = (int)w;
	p->height = (int)h;
	p->compression = comp;
	p->xres = tp_dpi(tif, TIFFTAG_XRESOLUTION);
	p->yres = tp_dpi(tif, TIFFTAG_YRESOLUTION);
	p->stride = ((size_t)w + 7) / 8;
	if ((size_t)TIFFScanlineSize(tif) > p->stride) {
		snprintf(err, errlen, "scanline of %ld bytes for %u pixels", (long)TIFFScanlineSize(tif), w);
		return -1;
	}
	p->bits = xcalloc(h, p->stride);
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *row = p->bits + y * p->stride;

		if (TIFFReadScanline(tif, row, y, 0) < 0) {
			snprintf(err, errlen, "cannot decode row %u", y);
			free(p->bits);
			p->bits = NULL;
			return -1;
		}
		if (photo == PHOTOMETRIC_MINISBLACK)
			for (size_t i = 0; i < p->stride; i++)
				row[i] = (uint8_t)~row[i];
		/* padding bits beyond the width must not count as ink or as differences */
		if (w % 8)
			row[p->stride - 1] &= (uint8_t)(0xff << (8 - w % 8));
	}
	return 0;
}

static inline void tp_free(struct tp_doc *d)
{
	for (int i = 0; i < d->count; i++)
		free(d->pages[i].bits);
	free(d->pages);
	d->pages = NULL;
	d->count = 0;
}

/* Read every page of path into d; returns 0, or -1 with a message in err. */
static inline int tp_read(const char *path, struct tp_doc *d, char *err, size_t errlen)
{
	char why[200];
	TIFF *tif;
	int cap = 0;

	memset(d, 0, sizeof(*d));
	TIFFSetWarningHandler(tp_silence);
	TIFFSetErrorHandler(tp_silence);
	tif = TIFFOpen(path, "r");
	if (tif == NULL) {
		snprintf(err, errlen, "%s: not a readable TIFF", path);
		return -1;
	}
	do {
		if (d->count == TP_MAX_PAGES) {
			snprintf(err, errlen, "%s: more than %d pages", path, TP_MAX_PAGES);
			goto fail;
		}
		if (d->count == cap) {
			cap = cap ? cap * 2 : 8;
			d->pages = xreallocarray(d->pages, (size_t)cap, sizeof(*d->pages));
		}
		if (tp_read_page(tif, &d->pages[d->count], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: page %d: %s", path, d->count + 1, why);
			goto fail;
		}
		d->count++;
	} while (TIFFReadDirectory(tif));
	TIFFClose(tif);
	return 0;
fail:
	TIFFClose(tif);
	tp_free(d);
	return -1;
}

/* Black pixels of a page (padding is already cleared). */
static inline uint64_t tp_black(const struct tp_page *p)
{
	uint64_t n = 0;
	size_t len = p->stride * (size_t)p->height;

	for (size_t i = 0; i < len; i++)
		n += (uint64_t)__builtin_popcount(p->bits[i]);
	return n;
}

/* Pixels that differ between two pages of the same size. */
static inline uint64_t tp_diff(const struct tp_page *a, const struct tp_page *b)
{
	uint64_t n = 0;
	size_t len = a->stride * (size_t)a->height;

	for (size_t i = 0; i < len; i++)
		n += (uint64_t)__builtin_popcount(a->bits[i] ^ b->bits[i]);
	return n;
}

#endif
