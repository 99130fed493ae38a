/*
 * conv_mupdf.c - PDF and image documents drawn onto fax pages with mupdf.
 *
 * Hostile input: a PDF or image from anyone. mupdf allocates through a counting allocator that
 * refuses beyond the memory limit, so a decompression bomb ends as a clean RENDER_MEMORY instead
 * of the kernel's OOM killer; image dimensions are checked before anything is decoded (from the
 * image header for image files, from each page's display list for PDFs), so a 100000 x 100000
 * pixel PNG of a few kilobytes is refused as RENDER_TOO_BIG_IMAGE. The type is chosen from the
 * content (never the name), JavaScript is never run, and every mupdf call sits inside fz_try.
 *
 * Pages are drawn in grey at the fax resolution with anti-aliasing off for text and line art, so
 * glyphs come out as solid black that the sink thresholds crisply; photos stay grey and are
 * halftoned by the sink. A document of several pages is drawn by page workers forked once it is
 * open (convert_workers.c); so that the copies of the document never share a file offset, mupdf
 * reads the file from a private read-only mapping instead of a stdio stream.
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <mupdf/fitz.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define MM_PER_PT (25.4 / 72.0)

/* The allocator's header keeps the size of each block, aligned for any type. */
#define MUPDF_HDR ((sizeof(size_t) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

struct mupdf_alloc {
	size_t used, limit, peak;
	bool pending; /* the last request was refused and nothing succeeded since */
	bool failed;  /* a refusal ended in an error: something was not drawn */
	size_t refused;
};

struct mupdf_run {
	struct convert_ctx *c;
	struct mupdf_alloc alloc;
	fz_context *ctx;
	fz_document *doc;
	void *map; /* the PDF file, mapped */
	size_t maplen;
	bool is_image;
	long big_w, big_h; /* an image beyond max_image_pixels, when seen */
};

/* Looks at images only: they are not decoded, their declared size is enough. */
struct mupdf_check_dev {
	fz_device super;
	struct mupdf_run *run;
};

static void *mupdf_malloc(void *user, size_t size)
{
	struct mupdf_alloc *a = user;
	unsigned char *p;

	if (size > a->limit - a->used || size > SIZE_MAX - MUPDF_HDR) {
		a->pending = true;
		if (size > a->refused)
			a->refused = size;
		return NULL;
	}
	p = malloc(size + MUPDF_HDR);
	if (p == NULL) {
		a->pending = true;
		return NULL;
	}
	memcpy(p, &size, sizeof(size));
	a->used += size;
	if (a->used > a->peak)
		a->peak = a->used;
	a->pending = false;
	return p + MUPDF_HDR;
}

static void mupdf_free(void *user, void *ptr)
{
	struct mupdf_alloc *a = user;
	unsigned char *p = ptr;
	size_t size;

	if (p == NULL)
		return;
	p -= MUPDF_HDR;
	memcpy(&size, p, sizeof(size));
	a->used -= size;
	free(p);
}

static void *mupdf_realloc(void *user, void *ptr, size_t size)
{
	struct mupdf_alloc *a = user;
	unsigned char *p = ptr, *q;
	size_t old;

	if (p == NULL)
		return mupdf_malloc(user, size);
	if (size == 0) {
		mupdf_free(user, ptr);
		return NULL;
	}
	p -= MUPDF_HDR;
	memcpy(&old, p, sizeof(old));
	if (size > SIZE_MAX - MUPDF_HDR || (size > old && size - old > a->limit - a->used)) {
		a->pending = true;
		if (size > a->refused)
			a->refused = size;
		return NULL;
	}
	q = realloc(p, size + MUPDF_HDR);
	if (q == NULL) {
		a->pending = true;
		return NULL;
	}
	memcpy(q, &size, sizeof(size));
	a->used = a->used - old + size;
	if (a->used > a->peak)
		a->peak = a->used;
	a->pending = false;
	return q + MUPDF_HDR;
}

static void mupdf_on_error(void *user, const char *message)
{
	struct mupdf_alloc *a = user;

	/* mupdf reports every exception here, also those it catches and ignores (an image left out). */
	if (a->pending)
		a->failed = true;
	log_debug("mupdf error: %s", message);
}

static void mupdf_on_warning(void *user, const char *message)
{
	(void)user;
	log_debug("mupdf warning: %s", message);
}

static void mupdf_check_image(struct mupdf_run *r, const fz_image *img)
{
	long long px = (long long)img->w * img->h;

	if (px > r->c->max_image_pixels && r->big_w == 0) {
		r->big_w = img->w;
		r->big_h = img->h;
	}
}

static void mupdf_check_fill_image(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm, float alpha,
                                   fz_color_params cp)
{
	(void)ctx, (void)ctm, (void)alpha, (void)cp;
	mupdf_check_image(((struct mupdf_check_dev *)dev)->run, img);
}

static void mupdf_check_fill_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm,
                                        fz_colorspace *cs, const float *color, float alpha,
                                        fz_color_params cp)
{
	(void)ctx, (void)ctm, (void)cs, (void)color, (void)alpha, (void)cp;
	mupdf_check_image(((struct mupdf_check_dev *)dev)->run, img);
}

static void mupdf_check_clip_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix ctm,
                                        fz_rect scissor)
{
	(void)ctx, (void)ctm, (void)scissor;
	mupdf_check_image(((struct mupdf_check_dev *)dev)->run, img);
}

/* Run the page's display list through a device that only notes image sizes. May throw. */
static void mupdf_check_images(struct mupdf_run *r, fz_display_list *list)
{
	fz_context *ctx = r->ctx;
	struct mupdf_check_dev *dev = fz_new_derived_device(ctx, struct mupdf_check_dev);

	dev->run = r;
	dev->super.fill_image = mupdf_check_fill_image;
	dev->super.fill_image_mask = mupdf_check_fill_image_mask;
	dev->super.clip_image_mask = mupdf_check_clip_image_mask;
	fz_try(ctx)
	{
		fz_run_display_list(ctx, list, &dev->super, fz_identity, fz_infinite_rect, NULL);
		fz_close_device(ctx, &dev->super);
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, &dev->super);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

/*
 * Page space (points, y down, origin at the bound's corner) to fax pixels: scaled per axis since fax
 * pixels are not square, turned a quarter counter-clockwise for landscape pages (the right edge
 * becomes the top), then moved to the placement's origin.
 */
static fz_matrix mupdf_page_matrix(const struct fax_geometry *g, const struct placement *p, fz_rect b)
{
	double kx = p->scale * MM_PER_PT * g->xdpmm;
	double ky = p->scale * MM_PER_PT * g->ydpmm;
	fz_matrix m;

	if (!p->rotate) {
		m.a = (float)kx, m.b = 0, m.c = 0, m.d = (float)ky;
		m.e = (float)(p->ox - b.x0 * kx);
		m.f = (float)(p->oy - b.y0 * ky);
	} else {
		m.a = 0, m.b = (float)-ky, m.c = (float)kx, m.d = 0;
		m.e = (float)(p->ox - b.y0 * kx);
		m.f = (float)(p->oy + b.x1 * ky);
	}
	return m;
}

/* The status for an exception just caught: what the allocator or the image check saw wins. */
static int mupdf_fail(struct mupdf_run *r, const char *what, const char *msg)
{
	struct convert_ctx *c = r->c;

	if (r->big_w)
		return convert_fail(c, RENDER_TOO_BIG_IMAGE,
		                    "%s: image of %ldx%ld pixels (at most %ld allowed)", what, r->big_w,
		                    r->big_h, c->max_image_pixels);
	if (r->alloc.failed || r->alloc.pending)
		return convert_fail(
		    c, RENDER_MEMORY, "%s: needs more than %zu bytes (request of %zu refused): %s", what,
		    r->alloc.limit, r->alloc.refused, msg ? msg : "some content was left out");
	return convert_fail(c, RENDER_CORRUPT, "%s: %s", what, msg);
}

static double mupdf_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Draw one page into g (convert_draw_fn; also runs in page workers). */
static int mupdf_draw(void *arg, int number, struct greymap *g)
{
	struct mupdf_run *r = arg;
	struct convert_ctx *c = r->c;
	fz_context *ctx = r->ctx;
	fz_page *page = NULL;
	fz_display_list *list = NULL;
	fz_pixmap *pix = NULL;
	fz_device *dev = NULL;
	struct placement pl;
	struct timespec t0;
	char what[32];
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(what, sizeof(what), "page %d", number + 1);
	greymap_alloc(g, c->geom.width, c->geom.height);
	fz_var(page);
	fz_var(list);
	fz_var(pix);
	fz_var(dev);
	fz_var(ret);
	fz_try(ctx)
	{
		fz_rect b;

		page = fz_load_page(ctx, r->doc, number);
		b = fz_bound_page(ctx, page);
		list = fz_new_display_list_from_page(ctx, page);
		mupdf_check_images(r, list);
		/* A page with a too big image is refused below, outside fz_try. */
		if (!r->big_w) {
			geometry_place(&c->geom, (b.x1 - b.x0) * MM_PER_PT, (b.y1 - b.y0) * MM_PER_PT,
			               !r->is_image, &pl);
			pix = fz_new_pixmap_with_data(ctx, fz_device_gray(ctx), g->width, g->height, NULL, 0,
			                              (int)g->stride, g->px);
			dev = fz_new_draw_device(ctx, fz_identity, pix);
			fz_run_display_list(ctx, list, dev, mupdf_page_matrix(&c->geom, &pl, b),
			                    fz_infinite_rect, NULL);
			fz_close_device(ctx, dev);
		}
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, dev);
		fz_drop_pixmap(ctx, pix);
		fz_drop_display_list(ctx, list);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx)
	{
		ret = mupdf_fail(r, what, fz_caught_message(ctx));
	}
	/* Also when mupdf went on without the part it could not allocate, or stopped at a big image. */
	if (ret == 0 && (r->alloc.failed || r->big_w))
		ret = mupdf_fail(r, what, NULL);
	if (ret == 0)
		log_debug("%s: drawn in %.1f ms, mupdf memory peak %zu KiB", what, mupdf_ms_since(&t0),
		          r->alloc.peak / 1024);
	return ret;
}

static uint32_t mupdf_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The size a PNG, GIF or JPEG header declares. mupdf refuses some absurd sizes itself, but as
 * "corrupt"; the sender should hear that the image is too large. Returns false when not found.
 */
static bool mupdf_header_size(const unsigned char *d, size_t len, long *w, long *h)
{
	if (len >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
		*w = mupdf_be32(d + 16);
		*h = mupdf_be32(d + 20);
		return true;
	}
	if (len >= 10 && memcmp(d, "GIF8", 4) == 0) {
		*w = d[6] | d[7] << 8;
		*h = d[8] | d[9] << 8;
		return true;
	}
	if (len >= 4 && d[0] == 0xff && d[1] == 0xd8) {
		/* Walk the markers to the first start of frame. */
		for (size_t i = 2; i + 9 < len && d[i] == 0xff;) {
			unsigned m = d[i + 1];
			size_t seg = (size_t)d[i + 2] << 8 | d[i + 3];

			if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
				*h = d[i + 5] << 8 | d[i + 6];
				*w = d[i + 7] << 8 | d[i + 8];
				return true;
			}
			if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
				i += 2;
				continue;
			}
			i += 2 + seg;
		}
	}
	return false;
}

/* mupdf's image document picks the decoder from the content; the magic only selects that handler. */
static const char *mupdf_image_magic(fz_context *ctx, fz_buffer *buf)
{
	unsigned char head[8] = {0};
	unsigned char *data;
	size_t len = fz_buffer_storage(ctx, buf, &data);

	memcpy(head, data, len < sizeof(head) ? len : sizeof(head));
	switch (fz_recognize_image_format(ctx, head)) {
	case FZ_IMAGE_PNG:
		return "image/png";
	case FZ_IMAGE_JPEG:
		return "image/jpeg";
	case FZ_IMAGE_GIF:
		return "image/gif";
	case FZ_IMAGE_BMP:
		return "image/bmp";
	case FZ_IMAGE_PNM:
		return "image/x-portable-anymap";
	case FZ_IMAGE_TIFF:
		return "image/tiff";
	default:
		return NULL;
	}
}

static void mupdf_check_header(struct mupdf_run *r, fz_buffer *buf)
{
	unsigned char *data;
	size_t len = fz_buffer_storage(r->ctx, buf, &data);
	long w, h;

	if (mupdf_header_size(data, len, &w, &h) && (long long)w * h > r->c->max_image_pixels) {
		r->big_w = w;
		r->big_h = h;
	}
}

/*
 * Map the file for mupdf to read. A private mapping is the same bytes in every page worker, each
 * worker reading at its own position, where a stdio stream would share one file offset between
 * them. May throw.
 */
static void mupdf_map(struct mupdf_run *r, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fz_throw(r->ctx, FZ_ERROR_GENERIC, "cannot open file: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		fz_throw(r->ctx, FZ_ERROR_GENERIC, "not a regular file");
	}
	/* An empty file maps to nothing: mupdf finds no document in an empty buffer. */
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			close(fd);
			fz_throw(r->ctx, FZ_ERROR_GENERIC, "cannot map file: %s", strerror(e));
		}
		r->map = p;
		r->maplen = (size_t)st.st_size;
	}
	close(fd);
}

/* Open the document; for images check the declared size before anything is decoded. May throw. */
static void mupdf_open(struct mupdf_run *r, const char *path)
{
	fz_context *ctx = r->ctx;
	fz_buffer *buf = NULL;
	fz_stream *stm = NULL;
	fz_image *img = NULL;

	fz_var(buf);
	fz_var(stm);
	fz_var(img);
	fz_try(ctx)
	{
		const char *magic = "application/pdf";

		if (r->is_image) {
			buf = fz_read_file(ctx, path);
			magic = mupdf_image_magic(ctx, buf);
			if (magic == NULL)
				fz_throw(ctx, FZ_ERROR_GENERIC, "not an image format mupdf reads");
			mupdf_check_header(r, buf);
			if (r->big_w)
				fz_throw(ctx, FZ_ERROR_GENERIC, "image too large");
			img = fz_new_image_from_buffer(ctx, buf);
			mupdf_check_image(r, img);
			if (r->big_w)
				fz_throw(ctx, FZ_ERROR_GENERIC, "image too large");
			stm = fz_open_buffer(ctx, buf);
		} else {
			mupdf_map(r, path);
			buf = fz_new_buffer_from_shared_data(ctx, r->map ? r->map : (const void *)"",
			                                     r->maplen);
			stm = fz_open_buffer(ctx, buf);
		}
		r->doc = fz_open_document_with_stream(ctx, magic, stm);
	}
	fz_always(ctx)
	{
		fz_drop_image(ctx, img);
		fz_drop_stream(ctx, stm);
		fz_drop_buffer(ctx, buf);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

static int mupdf_document(struct mupdf_run *r, const char *path)
{
	struct convert_ctx *c = r->c;
	fz_context *ctx = r->ctx;
	int n = 0, locked = 0;

	fz_var(n);
	fz_var(locked);
	fz_try(ctx)
	{
		fz_register_document_handlers(ctx);
		mupdf_open(r, path);
		locked = fz_needs_password(ctx, r->doc);
		if (!locked)
			n = fz_count_pages(ctx, r->doc);
	}
	fz_catch(ctx)
	{
		return mupdf_fail(r, "cannot open", fz_caught_message(ctx));
	}
	if (locked)
		return convert_fail(c, RENDER_ENCRYPTED, "the document needs a password");
	if (n <= 0)
		return convert_fail(c, RENDER_CORRUPT, "the document has no pages");
	/* Without dropping, every page counts: no need to draw a thousand pages to learn that. */
	if (!c->drop_blank && (size_t)n > c->max_pages)
		return convert_fail(c, RENDER_TOO_MANY_PAGES, "%d pages (at most %zu allowed)", n,
		                    c->max_pages);
	log_debug("mupdf: %d pages", n);
	return convert_pages(c, n, mupdf_draw, r);
}

int convert_mupdf(struct convert_ctx *c, const char *path, bool is_image)
{
	struct mupdf_run r;
	fz_alloc_context ac;
	int ret;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.is_image = is_image;
	/* Leave a quarter of the process's limit to the page buffers, the libraries and fragmentation. */
	r.alloc.limit = c->memory_limit ? c->memory_limit - c->memory_limit / 4 : SIZE_MAX / 2;
	ac.user = &r.alloc;
	ac.malloc = mupdf_malloc;
	ac.realloc = mupdf_realloc;
	ac.free = mupdf_free;
	r.ctx = fz_new_context(&ac, NULL,
	                       r.alloc.limit / 4 < FZ_STORE_DEFAULT ? r.alloc.limit / 4 : FZ_STORE_DEFAULT);
	if (r.ctx == NULL)
		return convert_fail(c, RENDER_MEMORY, "mupdf: cannot create a context");
	fz_set_error_callback(r.ctx, mupdf_on_error, &r.alloc);
	fz_set_warning_callback(r.ctx, mupdf_on_warning, NULL);
	fz_set_text_aa_level(r.ctx, 0);
	fz_set_graphics_aa_level(r.ctx, 0);
	fz_set_graphics_min_line_width(r.ctx, 1.0f);

	ret = mupdf_document(&r, path);

	fz_drop_document(r.ctx, r.doc);
	fz_drop_context(r.ctx);
	if (r.map)
		munmap(r.map, r.maplen);
	if (r.alloc.used != 0)
		log_warning("mupdf: %zu bytes not freed", r.alloc.used);
	return ret;
}
