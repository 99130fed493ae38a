/*
 * mmr.c - encoding bitmaps as MMR (T.6) fax pages and back, with libtiff on memory buffers.
 *
 * libtiff's CCITT codec is the one that writes our fax TIFFs, so using it here (on a TIFF that
 * lives in memory and is thrown away) gives pages whose bytes are exactly what a TIFF strip holds.
 * Pages to decode may come from a database or a peer process: their sizes are checked before any
 * memory is asked for, and data that libtiff finds damaged in any way is refused, not patched up.
 */
#include "render/mmr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "render/faxtiff.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Pages wider or longer than any fax (A4 superfine is 1728 x 4600 or so) are not pages. */
#define MMR_MAX_SIDE 16384

/* A TIFF file in memory. */
struct mmr_file {
	uint8_t *data;
	size_t len, cap, pos;
	bool read_only;
};

/* What went wrong inside libtiff, for the caller's log line. */
struct mmr_errors {
	char msg[256];
	bool seen;
};

static tmsize_t mmr_file_read(thandle_t h, void *buf, tmsize_t n)
{
	struct mmr_file *f = h;
	size_t want = n < 0 ? 0 : (size_t)n;

	if (f->pos >= f->len)
		return 0;
	if (want > f->len - f->pos)
		want = f->len - f->pos;
	memcpy(buf, f->data + f->pos, want);
	f->pos += want;
	return (tmsize_t)want;
}

static tmsize_t mmr_file_write(thandle_t h, void *buf, tmsize_t n)
{
	struct mmr_file *f = h;
	size_t len = n < 0 ? 0 : (size_t)n;

	if (f->read_only || len > SIZE_MAX / 2 - f->pos)
		return -1;
	if (f->pos + len > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		while (cap < f->pos + len)
			cap *= 2;
		f->data = xrealloc(f->data, cap);
		f->cap = cap;
	}
	/* A seek past the end leaves a hole: zeros, as in a file. */
	if (f->pos > f->len)
		memset(f->data + f->len, 0, f->pos - f->len);
	memcpy(f->data + f->pos, buf, len);
	f->pos += len;
	if (f->pos > f->len)
		f->len = f->pos;
	return (tmsize_t)len;
}

static toff_t mmr_file_seek(thandle_t h, toff_t off, int whence)
{
	struct mmr_file *f = h;
	uint64_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? f->len : 0;

	/* Offsets arrive unsigned; a negative relative seek wraps around, which the sum undoes. */
	uint64_t to = base + off;
	if (to > SIZE_MAX / 2)
		return (toff_t)-1;
	f->pos = (size_t)to;
	return to;
}

static int mmr_file_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t mmr_file_size(thandle_t h)
{
	return ((struct mmr_file *)h)->len;
}

static int mmr_file_map(thandle_t h, void **base, toff_t *size)
{
	struct mmr_file *f = h;

	/* Only a finished file may be read in place: a growing one moves. */
	if (!f->read_only)
		return 0;
	*base = f->data;
	*size = f->len;
	return 1;
}

static void mmr_file_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h, (void)base, (void)size;
}

static int mmr_tiff_message(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct mmr_errors *e = user;

	(void)tif;
	if (!e->seen) {
		int n = snprintf(e->msg, sizeof(e->msg), "%s: ", module ? module : "libtiff");
		if (n > 0 && (size_t)n < sizeof(e->msg))
			vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
	}
	e->seen = true;
	return 1; /* handled: libtiff's process-wide handler stays quiet */
}

static TIFF *mmr_open(struct mmr_file *f, const char *mode, struct mmr_errors *e)
{
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	TIFF *tif;

	if (opts == NULL)
		log_fatal("out of memory for libtiff options");
	/* The largest page is 2 MB as a bitmap: nothing libtiff does for it needs more than this. */
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)64 << 20);
	TIFFOpenOptionsSetErrorHandlerExtR(opts, mmr_tiff_message, e);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, mmr_tiff_message, e);
	tif = TIFFClientOpenExt("mmr", mode, f, mmr_file_read, mmr_file_write, mmr_file_seek, mmr_file_close,
	                        mmr_file_size, mmr_file_map, mmr_file_unmap, opts);
	TIFFOpenOptionsFree(opts);
	return tif;
}

/* The tags of a one-strip fax page; the codec reads them, so they must be set before any data. */
void mmr_tiff_tags(TIFF *tif, int width, int height)
{
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)width);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)height);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(tif, TIFFTAG_GROUP4OPTIONS, 0);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)height);
}

static bool mmr_size_ok(int width, int height)
{
	return width >= 1 && width <= MMR_MAX_SIDE && height >= 1 && height <= MMR_MAX_SIDE;
}

size_t mmr_max_len(int width, int height)
{
	if (!mmr_size_ok(width, height))
		return 0;
	/* A byte a pixel is above what any T.6 mode spends on a pixel; plus a row start and the end. */
	return (size_t)width * (size_t)height + (size_t)height * 4 + 1024;
}

int mmr_encode(const struct bitmap *b, struct fax_page *out)
{
	struct mmr_file f = {NULL, 0, 0, 0, false};
	struct mmr_errors e = {"", false};
	size_t raw = b->stride * (size_t)b->height;
	uint64_t *offsets = NULL, *counts = NULL;
	TIFF *tif;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!mmr_size_ok(b->width, b->height) || b->stride != ((size_t)b->width + 7) / 8) {
		log_warning("mmr: cannot encode a page of %dx%d", b->width, b->height);
		return -1;
	}
	faxtiff_route_logs();
	/* Text pages shrink some twentyfold; start there and let the buffer grow for halftones. */
	f.cap = raw / 16 + 4096;
	f.data = xmalloc(f.cap);
	tif = mmr_open(&f, "w", &e);
	if (tif == NULL)
		goto out;
	mmr_tiff_tags(tif, b->width, b->height);
	/* libtiff wants a mutable buffer but leaves uncompressed bilevel rows as they are. */
	if (TIFFWriteEncodedStrip(tif, 0, b->bits, (tmsize_t)raw) < 0 ||
	    !TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offsets) ||
	    !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) || offsets == NULL || counts == NULL ||
	    counts[0] == 0 || offsets[0] > f.len || counts[0] > f.len - offsets[0]) {
		TIFFClose(tif);
		goto out;
	}
	out->width = b->width;
	out->height = b->height;
	out->len = (size_t)counts[0];
	out->data = xmalloc(out->len);
	memcpy(out->data, f.data + offsets[0], out->len);
	/* Closing writes a directory nobody reads; cheaper than keeping libtiff from doing it. */
	TIFFClose(tif);
	rc = 0;
out:
	if (rc < 0)
		log_warning("mmr: cannot encode a page of %dx%d: %s", b->width, b->height,
		            e.seen ? e.msg : "libtiff failed");
	free(f.data);
	return rc;
}

int mmr_decode(const struct fax_page *p, struct bitmap *out)
{
	struct mmr_file f = {NULL, 0, 0, 0, false};
	struct mmr_errors e = {"", false};
	TIFF *tif;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!mmr_size_ok(p->width, p->height) || p->len == 0 || p->data == NULL ||
	    p->len > mmr_max_len(p->width, p->height)) {
		log_debug("mmr: refusing a page of %dx%d in %zu bytes", p->width, p->height, p->len);
		return -1;
	}
	faxtiff_route_logs();
	/* Wrap the strip in a TIFF of its own, then let the same codec read it back. */
	tif = mmr_open(&f, "w", &e);
	if (tif == NULL)
		goto out;
	mmr_tiff_tags(tif, p->width, p->height);
	if (TIFFWriteRawStrip(tif, 0, p->data, (tmsize_t)p->len) < 0 || !TIFFWriteDirectory(tif)) {
		TIFFClose(tif);
		goto out;
	}
	TIFFClose(tif);

	f.read_only = true;
	f.pos = 0;
	tif = mmr_open(&f, "r", &e);
	if (tif == NULL)
		goto out;
	bitmap_alloc(out, p->width, p->height);
	tmsize_t want = (tmsize_t)(out->stride * (size_t)out->height);
	tmsize_t got = TIFFReadEncodedStrip(tif, 0, out->bits, want);
	TIFFClose(tif);
	if (got != want || e.seen) {
		bitmap_free(out);
		goto out;
	}
	/* Bits past the width are padding, never ink, whatever the data said. */
	if (out->width % 8) {
		uint8_t pad = (uint8_t)(0xff << (8 - out->width % 8));
		for (int y = 0; y < out->height; y++)
			out->bits[(size_t)y * out->stride + out->stride - 1] &= pad;
	}
	rc = 0;
out:
	if (rc < 0)
		log_debug("mmr: cannot decode a page of %dx%d: %s", p->width, p->height,
		          e.seen ? e.msg : "libtiff failed");
	free(f.data);
	return rc;
}

void fax_page_free(struct fax_page *p)
{
	free(p->data);
	memset(p, 0, sizeof(*p));
}

void fax_page_list_push(struct fax_page_list *l, struct fax_page *p)
{
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->pages = xreallocarray(l->pages, l->cap, sizeof(*l->pages));
	}
	l->pages[l->count++] = *p;
	memset(p, 0, sizeof(*p));
}

void fax_page_list_free(struct fax_page_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		fax_page_free(&l->pages[i]);
	free(l->pages);
	memset(l, 0, sizeof(*l));
}
