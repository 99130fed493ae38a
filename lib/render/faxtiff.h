/*
 * faxtiff.h - fax TIFF files: multi-page, bilevel, 1728 wide, MMR (T.6) compressed (TIFF Class F
 * style tags), and reading TIFF pages back as bitmaps.
 */
#ifndef FAXGATE_RENDER_FAXTIFF_H
#define FAXGATE_RENDER_FAXTIFF_H

#include <stdbool.h>

#include "render/bitmap.h"
#include "render/geometry.h"
#include "render/mmr.h"

/*
 * Write all pages to path, each page's MMR bytes as its one strip, unchanged; returns 0, or -1 with
 * a message in err (err may be NULL).
 */
int faxtiff_write(const char *path, const struct fax_page_list *pages, const struct fax_geometry *g,
                  const char *software, char *err, size_t errlen);

/*
 * Read every page of a bilevel TIFF into pages (1 = black whatever the photometric); *yres gets the
 * vertical resolution of the first page in dots an inch. Returns 0, or -1 with a message.
 */
int faxtiff_read(const char *path, struct page_list *pages, int *yres, char *err, size_t errlen);
/*
 * Read the pages of a fax TIFF as they are stored, each page's one MMR strip unchanged, appended to
 * pages; *res gets the fax resolution (enum fax_resolution) of the first page's vertical
 * resolution. Returns 0, or -1 with a message (a page that is not one MMR strip of a sane size, a
 * damaged file), pages then as it was. Opened like faxtiff_read: bounded memory, libtiff's errors kept.
 */
int faxtiff_read_mmr(const char *path, struct fax_page_list *pages, int *res, char *err, size_t errlen);
/* True when every page of the TIFF at path is bilevel, 1728 wide, 204 dpi across and yres down. */
bool faxtiff_is_fax_compatible(const char *path, int yres);

/* Route libtiff's errors and warnings into the log (process-wide, idempotent). */
void faxtiff_route_logs(void);

#endif
