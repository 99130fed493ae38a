/*
 * faxpdf.c - fax pages wrapped into a PDF with mupdf's object API, without touching the pixels.
 *
 * A PDF image with /Filter /CCITTFaxDecode and /K -1 is exactly an MMR strip, so a page goes in
 * byte for byte: nothing is decoded or encoded again, the PDF is as lossless as the fax and only
 * a few hundred bytes larger. The images are added with pdf_add_stream (compressed: the bytes are
 * the filtered stream) rather than pdf_add_image, which decodes every image to look for
 * duplicates; no page data is ever decoded here, whatever a remote station sent.
 *
 * Polarity: the filter's output gives black as 0 unless /BlackIs1 is true, and 0 is black in
 * DeviceGray, so the default (BlackIs1 false, no /Decode) shows black ink as black. This is what
 * TIFF's min-is-white means for the same strip; the unit test renders a page back to prove it.
 *
 * Hostile input: the page sizes and lengths come from the queue (a remote fax machine's data);
 * they are checked against mmr_max_len before mupdf sees them, and mupdf allocates through a
 * counting allocator whose limit follows the size of the pages, so an error ends in a message,
 * never in an abort or a runaway process.
 */
#include "faxdoc/faxpdf.h"

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "faxdoc/faxdoc.h"
#include "util/log.h"

/* Room for mupdf's own objects besides twice the page data (the document and its output). */
#define FAXPDF_OVERHEAD (16u << 20)
/* Metadata strings are cut here: they name a fax, they are not documents. */
#define FAXPDF_MAX_TEXT 512

/* The smallest page side in points that PDF readers accept. */
#define FAXPDF_MIN_SIDE 3.0

#define FAXPDF_HDR alignof(max_align_t)

struct faxpdf_mem {
	size_t used, limit;
};

/* Each block carries its size in front so that the total stays exact. */
static void *faxpdf_malloc(void *user, size_t size)
{
	struct faxpdf_mem *m = user;
	unsigned char *p;

	if (size > m->limit - m->used || (p = malloc(size + FAXPDF_HDR)) == NULL)
		return NULL;
	*(size_t *)p = size;
	m->used += size;
	return p + FAXPDF_HDR;
}

static void faxpdf_free(void *user, void *ptr)
{
	struct faxpdf_mem *m = user;

	if (ptr) {
		unsigned char *p = (unsigned char *)ptr - FAXPDF_HDR;
		m->used -= *(size_t *)p;
		free(p);
	}
}

static void *faxpdf_realloc(void *user, void *ptr, size_t size)
{
	struct faxpdf_mem *m = user;
	unsigned char *p, *q;
	size_t old;

	if (ptr == NULL)
		return faxpdf_malloc(user, size);
	if (size == 0) {
		faxpdf_free(user, ptr);
		return NULL;
	}
	p = (unsigned char *)ptr - FAXPDF_HDR;
	old = *(size_t *)p;
	if (size > old && size - old > m->limit - m->used)
		return NULL;
	if ((q = realloc(p, size + FAXPDF_HDR)) == NULL)
		return NULL;
	*(size_t *)q = size;
	m->used = m->used - old + size;
	return q + FAXPDF_HDR;
}

/* mupdf would print to stderr; what matters reaches the caller through err. */
static void faxpdf_on_message(void *user, const char *message)
{
	log_debug("mupdf %s: %s", (const char *)user, message);
}

void faxpdf_page_size(int width, int height, enum fax_resolution res, double *w_pt, double *h_pt)
{
	struct fax_geometry g;

	geometry_init(&g, res, FAX_PAPER_A4);
	*w_pt = width / 204.0 * 72.0;
	*h_pt = (double)height / g.tiff_yres * 72.0;
}

/*
 * A size in points as mupdf writes it (a float), a little below the exact value: a reader drawing
 * the page at the fax's own resolution then finds exactly width x height pixels, where a value a
 * hair above makes it add a row (poppler rounds up) and stretch the image over it, duplicating
 * a row. Two float steps down stay below even when the decimal written rounds up.
 */
static float faxpdf_below(double v)
{
	return nextafterf(nextafterf((float)v, 0), 0);
}

/* The image XObject of one page: its MMR bytes as the stream, unchanged. May throw. */
static pdf_obj *faxpdf_add_image(fz_context *ctx, pdf_document *doc, const struct fax_page *p)
{
	pdf_obj *dict = NULL, *ref = NULL, *parms;
	fz_buffer *data = NULL;

	fz_var(dict);
	fz_var(data);
	fz_var(ref);
	fz_try(ctx)
	{
		dict = pdf_new_dict(ctx, doc, 8);
		pdf_dict_put(ctx, dict, PDF_NAME(Subtype), PDF_NAME(Image)); /* Type is optional */
		pdf_dict_put_int(ctx, dict, PDF_NAME(Width), p->width);
		pdf_dict_put_int(ctx, dict, PDF_NAME(Height), p->height);
		pdf_dict_put(ctx, dict, PDF_NAME(ColorSpace), PDF_NAME(DeviceGray));
		pdf_dict_put_int(ctx, dict, PDF_NAME(BitsPerComponent), 1);
		pdf_dict_put(ctx, dict, PDF_NAME(Filter), PDF_NAME(CCITTFaxDecode));
		parms = pdf_dict_put_dict(ctx, dict, PDF_NAME(DecodeParms), 4);
		pdf_dict_put_int(ctx, parms, PDF_NAME(K), -1);
		if (p->width != 1728) /* the default */
			pdf_dict_put_int(ctx, parms, PDF_NAME(Columns), p->width);
		pdf_dict_put_int(ctx, parms, PDF_NAME(Rows), p->height);
		/* EndOfBlock is left to its default, true: the strip ends with an EOFB. */
		data = fz_new_buffer_from_shared_data(ctx, p->data, p->len);
		ref = pdf_add_stream(ctx, doc, data, dict, 1);
	}
	fz_always(ctx)
	{
		fz_drop_buffer(ctx, data);
		pdf_drop_obj(ctx, dict);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
	return ref;
}

/*
 * The content stream that draws Im0 over a page of this size: made once and shared by every page
 * of the same size (most faxes: all of them), since every byte of a page's frame counts against
 * the size of the TIFF the PDF replaces.
 */
struct faxpdf_contents {
	float fw, fh, mh;
	pdf_obj *ref; /* NULL until the first page */
};

static pdf_obj *faxpdf_contents(fz_context *ctx, pdf_document *doc, struct faxpdf_contents *c, float fw,
                                float fh, float mh)
{
	fz_buffer *buf = NULL;

	if (c->ref && c->fw == fw && c->fh == fh && c->mh == mh)
		return c->ref;
	fz_var(buf);
	fz_try(ctx)
	{
		buf = fz_new_buffer(ctx, 64);
		/* mupdf's %g is its own: never a locale's decimal comma. */
		fz_append_printf(ctx, buf, "q %g 0 0 %g 0 %g cm /Im0 Do Q\n", fw, fh, mh - fh);
		pdf_drop_obj(ctx, c->ref);
		c->ref = NULL;
		c->ref = pdf_add_stream(ctx, doc, buf, NULL, 0);
		c->fw = fw;
		c->fh = fh;
		c->mh = mh;
	}
	fz_always(ctx)
	{
		fz_drop_buffer(ctx, buf);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
	return c->ref;
}

/* One page showing the image over the whole media box. May throw. */
static void faxpdf_add_page(fz_context *ctx, pdf_document *doc, const struct fax_page *p,
                            enum fax_resolution res, struct faxpdf_contents *contents)
{
	pdf_obj *image = NULL, *page = NULL, *resources;
	double w, h;
	float fw, fh, mw, mh;

	faxpdf_page_size(p->width, p->height, res, &w, &h);
	fw = faxpdf_below(w);
	fh = faxpdf_below(h);
	/* Readers refuse pages under 3 points (a call cut after a few rows): the image then sits at the top.
	 */
	mw = fw < FAXPDF_MIN_SIDE ? FAXPDF_MIN_SIDE : fw;
	mh = fh < FAXPDF_MIN_SIDE ? FAXPDF_MIN_SIDE : fh;
	fz_var(image);
	fz_var(page);
	fz_try(ctx)
	{
		image = faxpdf_add_image(ctx, doc, p);
		/* The page dictionary as the PDF wants it, and no more (no Rotate 0, resources inside). */
		page = pdf_add_new_dict(ctx, doc, 5);
		pdf_dict_put(ctx, page, PDF_NAME(Type), PDF_NAME(Page));
		pdf_dict_put_rect(ctx, page, PDF_NAME(MediaBox), fz_make_rect(0, 0, mw, mh));
		pdf_dict_put(ctx, page, PDF_NAME(Contents), faxpdf_contents(ctx, doc, contents, fw, fh, mh));
		resources = pdf_dict_put_dict(ctx, page, PDF_NAME(Resources), 1);
		pdf_dict_puts(ctx, pdf_dict_put_dict(ctx, resources, PDF_NAME(XObject), 1), "Im0", image);
		pdf_insert_page(ctx, doc, -1, page);
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, page);
		pdf_drop_obj(ctx, image);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

static void faxpdf_put_text(fz_context *ctx, pdf_obj *dict, pdf_obj *key, const char *s)
{
	char cut[FAXPDF_MAX_TEXT + 1];
	size_t n;

	if (s == NULL || *s == '\0')
		return;
	n = strnlen(s, FAXPDF_MAX_TEXT);
	/* Never end inside a UTF-8 sequence: back off continuation bytes. */
	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	memcpy(cut, s, n);
	cut[n] = '\0';
	/* A station id may carry terminal escapes: tools such as pdfinfo print the metadata raw. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)cut[i] < 0x20 || cut[i] == 0x7f)
			cut[i] = '?';
	/* mupdf picks PDFDocEncoding or UTF-16 and turns invalid UTF-8 into replacement characters. */
	pdf_dict_put_text_string(ctx, dict, key, cut);
}

/* The document information dictionary. May throw. */
static void faxpdf_add_info(fz_context *ctx, pdf_document *doc, const struct faxpdf_info *info)
{
	pdf_obj *dict = pdf_add_new_dict(ctx, doc, 6);

	fz_try(ctx)
	{
		faxpdf_put_text(ctx, dict, PDF_NAME(Title), info->title);
		faxpdf_put_text(ctx, dict, PDF_NAME(Author), info->author);
		faxpdf_put_text(ctx, dict, PDF_NAME(Subject), info->subject);
		faxpdf_put_text(ctx, dict, PDF_NAME(Creator), info->creator);
		if (info->created > 0)
			pdf_dict_put_date(ctx, dict, PDF_NAME(CreationDate), info->created);
		pdf_dict_put(ctx, pdf_trailer(ctx, doc), PDF_NAME(Info), dict);
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, dict);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

/* Build the document and write it into out. May throw. */
static void faxpdf_build(fz_context *ctx, const struct fax_page_list *pages, enum fax_resolution res,
                         const struct faxpdf_info *info, struct buf *out)
{
	pdf_document *doc = NULL;
	fz_buffer *pdf = NULL;
	fz_output *o = NULL;
	pdf_write_options opts;
	struct faxpdf_contents contents = {0};

	/* Defaults but nothing recompressed or expanded: streams are written as they are held. */
	opts = pdf_default_write_options;
	opts.do_compress = opts.do_compress_images = opts.do_decompress = 0;
	opts.do_garbage = 0;
	fz_var(doc);
	fz_var(pdf);
	fz_var(o);
	fz_try(ctx)
	{
		doc = pdf_create_document(ctx);
		for (size_t i = 0; i < pages->count; i++)
			faxpdf_add_page(ctx, doc, &pages->pages[i], res, &contents);
		if (info)
			faxpdf_add_info(ctx, doc, info);
		pdf = fz_new_buffer(ctx, 4096);
		o = fz_new_output_with_buffer(ctx, pdf);
		pdf_write_document(ctx, doc, o, &opts);
		fz_close_output(ctx, o);

		unsigned char *data;
		size_t len = fz_buffer_storage(ctx, pdf, &data);
		buf_reset(out);
		buf_append(out, data, len);
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, contents.ref);
		fz_drop_output(ctx, o);
		fz_drop_buffer(ctx, pdf);
		pdf_drop_document(ctx, doc);
	}
	fz_catch(ctx)
	{
		fz_rethrow(ctx);
	}
}

int faxpdf_write(const struct fax_page_list *pages, int res, const struct faxpdf_info *info, struct buf *out,
                 struct buf *err)
{
	struct faxpdf_mem mem = {0, FAXPDF_OVERHEAD};
	fz_alloc_context ac = {&mem, faxpdf_malloc, faxpdf_realloc, faxpdf_free};
	fz_context *ctx;
	int ret = 0;

	if (res < FAX_RES_STANDARD || res > FAX_RES_SUPERFINE) {
		faxdoc_error(err, "unknown resolution %d", res);
		return -1;
	}
	if (pages->count == 0 || pages->count > FAXPDF_MAX_PAGES) {
		faxdoc_error(err, "cannot write a PDF of %zu pages", pages->count);
		return -1;
	}
	for (size_t i = 0; i < pages->count; i++) {
		const struct fax_page *p = &pages->pages[i];
		size_t max = mmr_max_len(p->width, p->height);

		if (max == 0 || p->len == 0 || p->data == NULL || p->len > max) {
			faxdoc_error(err, "page %zu is %dx%d in %zu bytes, not a fax page", i + 1, p->width,
			             p->height, p->len);
			return -1;
		}
		/* The limit cannot overflow: each page is below mmr_max_len, a few hundred MB at most. */
		if (mem.limit > SIZE_MAX / 4 - 2 * p->len) {
			faxdoc_error(err, "the pages are too large for a PDF");
			return -1;
		}
		mem.limit += 2 * p->len;
	}

	/* Nothing is decoded, so nothing worth caching: a small store. */
	ctx = fz_new_context(&ac, NULL, 1u << 20);
	if (ctx == NULL) {
		faxdoc_error(err, "mupdf: cannot create a context");
		return -1;
	}
	fz_set_error_callback(ctx, faxpdf_on_message, "error");
	fz_set_warning_callback(ctx, faxpdf_on_message, "warning");
	fz_var(ret);
	fz_try(ctx)
	{
		faxpdf_build(ctx, pages, (enum fax_resolution)res, info, out);
	}
	fz_catch(ctx)
	{
		faxdoc_error(err, "cannot write the PDF: %s", fz_caught_message(ctx));
		ret = -1;
	}
	fz_drop_context(ctx);
	if (mem.used != 0)
		log_warning("faxpdf: mupdf left %zu bytes allocated", mem.used);
	return ret;
}
