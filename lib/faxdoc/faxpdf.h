/*
 * faxpdf.h - fax pages as a PDF: each page's MMR strip embedded as it is (a CCITTFaxDecode image,
 * K -1), on a page the size of the paper it was faxed on, so every viewer shows the fax as
 * received, pixel for pixel, at the right aspect ratio for standard, fine and superfine pages.
 */
#ifndef FAXGATE_FAXDOC_FAXPDF_H
#define FAXGATE_FAXDOC_FAXPDF_H

#include <stdint.h>

#include "render/geometry.h"
#include "render/mmr.h"
#include "util/buf.h"

/* Pages a PDF may hold (as many as a fax TIFF). */
#define FAXPDF_MAX_PAGES 65535

/* Optional metadata for the document information dictionary: NULL or 0 leaves an entry out. */
struct faxpdf_info {
	const char *title;  /* "Fax from +49 30 1234567" */
	const char *author; /* who sent it: the calling station */
	const char *subject;
	const char *creator; /* the program: "faxgate" */
	int64_t created;     /* Unix time */
};

/*
 * Write the pages, all of resolution res (enum fax_resolution), as a PDF into out (reset first).
 * Each page's bytes are copied into the PDF unchanged, never decoded: a damaged page is carried
 * as it is and shows as far as a viewer can read it. info may be NULL. Returns 0, or -1 with a
 * message in err (reset first; err may be NULL): no pages, too many, a page of an absurd size or
 * longer than mmr_max_len, an unknown resolution, or lack of memory.
 */
int faxpdf_write(const struct fax_page_list *pages, int res, const struct faxpdf_info *info, struct buf *out,
                 struct buf *err);

/*
 * faxpdf_write into the file at path, made with mode 0640 under a temporary name and renamed when
 * complete, so nobody ever reads half a PDF. Returns 0, or -1 with a message in err.
 */
int faxpdf_save(const char *path, const struct fax_page_list *pages, int res, const struct faxpdf_info *info,
                struct buf *err);

/* The size in points (1/72 inch) of a page width x height pixels at res: width / 204 inch across. */
void faxpdf_page_size(int width, int height, enum fax_resolution res, double *w_pt, double *h_pt);

#endif
