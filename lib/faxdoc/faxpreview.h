/*
 * faxpreview.h - a small greyscale picture of a fax page (a mail's preview, a transmission report's
 * reduced first page), drawn at the page's true aspect ratio whatever its resolution.
 */
#ifndef FAXGATE_FAXDOC_FAXPREVIEW_H
#define FAXGATE_FAXDOC_FAXPREVIEW_H

#include "render/geometry.h"
#include "render/mmr.h"
#include "util/buf.h"

/* No side of a preview is longer: a preview larger than this is no longer small. */
#define FAXPREVIEW_MAX_SIDE 4096

/*
 * The preview's size for a page width x height pixels at res (enum fax_resolution): max_width
 * wide (never wider than the page), as high as the paper's shape asks; both sides within
 * 1..FAXPREVIEW_MAX_SIDE (a page of absurd shape is shrunk further).
 */
void faxpreview_size(int width, int height, enum fax_resolution res, int max_width, int *w, int *h);

/*
 * Decode the page and write its preview as an 8-bit greyscale PNG into out (reset first): each
 * pixel the share of white in the area of the page it covers, so thin lines stay visible as grey.
 * Returns 0, or -1 with a message in err (reset first; err may be NULL): an unknown resolution,
 * max_width < 1, a damaged page (mmr_decode), or cairo failing to write the PNG.
 */
int faxpreview_png(const struct fax_page *page, int res, int max_width, struct buf *out, struct buf *err);

#endif
