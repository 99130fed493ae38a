/*
 * convert.h - the converters that run inside the faxrender helper (never in a daemon).
 *
 * A converter reads one hostile document and hands pages to the sink, either as greymaps (turned
 * into bilevel pages by the sink with the configured threshold and halftone) or as finished
 * bitmaps (lossless pass-through of fax TIFFs). The sink sends them MMR encoded. On failure it
 * calls convert_fail() with the status and technical detail and returns -1. Memory beyond
 * conv->memory_limit must fail cleanly.
 */
#ifndef FAXGATE_RENDER_CONVERT_H
#define FAXGATE_RENDER_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "render/bilevel.h"
#include "render/bitmap.h"
#include "render/geometry.h"
#include "render/mmr.h"
#include "render/status.h"

struct convert_ctx {
	struct fax_geometry geom;
	struct bilevel_opts bilevel;
	bool drop_blank;
	size_t max_pages;     /* non-blank pages allowed */
	size_t memory_limit;  /* bytes, for in-process decoders (mupdf allocator) */
	size_t office_memory; /* bytes, RLIMIT_AS for LibreOffice */
	size_t max_output;    /* bytes, RLIMIT_FSIZE for exec'd converters */
	long max_image_pixels;
	size_t max_unpacked; /* zip-based office documents */
	const char *text_font;
	const char *ghostscript;
	const char *soffice;
	const char *workdir; /* private scratch folder, also HOME */
	int workers;         /* processes drawing one document's pages (render_workers) */
	int out_fd;          /* page stream */
	/* state */
	size_t pages_sent;
	size_t pages_blank; /* blank pages dropped: only blank pages means RENDER_NO_CONTENT */
	enum render_status status;
	char detail[512];
};

/* Sinks: convert/chop/drop/count and send a page. Return -1 (status set) when over max_pages. */
int convert_put_grey(struct convert_ctx *c, const struct greymap *g);
int convert_put_bitmap(struct convert_ctx *c, struct bitmap *b);

/* A page ready for the stream: blank (to be left out), or encoded. */
struct convert_page {
	bool blank;
	struct fax_page fax;
};

/*
 * convert_put_grey in two halves, so that page workers can do the expensive first half in parallel
 * while the second runs in document order in one process: make the page (bilevel, chop, blank
 * test, encoding; -1 with the status set when the encoding fails), then emit it (drop or count and
 * send; p is released either way).
 */
int convert_make_page(struct convert_ctx *c, const struct greymap *g, struct convert_page *p);
int convert_emit_page(struct convert_ctx *c, struct convert_page *p);

/*
 * Draw page number (0-based) of a document into g (allocated by the callee, released by the
 * caller also on failure); -1 with the status set on failure.
 */
typedef int (*convert_draw_fn)(void *arg, int number, struct greymap *g);
/*
 * Draw, make and emit pages 0 to npages - 1 in order. With c->workers > 1 and more than one page,
 * worker processes forked from this one draw and make every workers-th page (so draw must work in
 * a copy of the caller made by fork: single-threaded, no descriptor whose offset it shares with the
 * original), while this process draws the rest and emits all of them in order. Returns 0, or -1
 * with the status set (also for a worker that failed or died); no worker outlives the call.
 */
int convert_pages(struct convert_ctx *c, int npages, convert_draw_fn draw, void *arg);
/* Record a failure; always returns -1 so converters can `return convert_fail(...)`. */
int convert_fail(struct convert_ctx *c, enum render_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Run an external converter (argv[0] absolute) to completion with the address-space limit
 * memory_bytes and the file size limit max_output, HOME and TMPDIR in the work folder, its output
 * logged at debug level. Returns 0 when it exited with 0, else -1 with the status set (a non-zero
 * exit code gives on_exit_error). what names it in messages ("ghostscript").
 */
/* Whether the scratch folder's disk is (nearly) full: then a failure is ours, not the document's. */
bool convert_disk_full(const struct convert_ctx *c);
int convert_exec(struct convert_ctx *c, const char *what, char *const argv[], size_t memory_bytes,
                 enum render_status on_exit_error);

/* Document types, detected by content. */
enum doc_type {
	DOC_UNKNOWN,
	DOC_EMPTY,
	DOC_PDF,
	DOC_POSTSCRIPT,
	DOC_TIFF,
	DOC_IMAGE, /* PNG, JPEG, GIF, BMP, PNM */
	DOC_TEXT,
	DOC_HTML,
	DOC_OFFICE_ZIP, /* DOCX, XLSX, PPTX, ODT, ODS, ODP */
	DOC_OFFICE_OLE, /* DOC, XLS, PPT */
	DOC_RTF,
};

struct doc_info {
	enum doc_type type;
	char mime[128];        /* as libmagic says */
	char description[256]; /* for logs */
};

/* Detect by content with libmagic; never by name. Returns 0, or -1 (status set) on failure. */
int detect_type(struct convert_ctx *c, const char *path, struct doc_info *info);

/* The converters; path is the document, already known to be of the type. */
int convert_mupdf(struct convert_ctx *c, const char *path, bool is_image); /* PDF, images, TIFF */
int convert_postscript(struct convert_ctx *c, const char *path);           /* gs -> PDF -> mupdf */
/* soffice -> PDF -> mupdf; info is what detect_type found */
int convert_office(struct convert_ctx *c, const char *path, const struct doc_info *info);
int convert_tiff(struct convert_ctx *c, const char *path); /* pass-through or mupdf */
int convert_text(struct convert_ctx *c, const char *path); /* charset -> pango */
int convert_cover(struct convert_ctx *c, const char *template_path, const char *fields_path);
/* Check a zip container before LibreOffice opens it: total unpacked size and ratio. */
int zipcheck(struct convert_ctx *c, const char *path);

#endif
