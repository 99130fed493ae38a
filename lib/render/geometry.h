/*
 * geometry.h - the shape of a fax page and how a document page is placed on it.
 *
 * A fax row is 1728 pixels across 215 mm (T.4), i.e. 8.04 pixels a mm. Rows are 3.85, 7.7 or 15.4
 * a mm (standard, fine, superfine). Pages are A4 (297 mm) or US Letter (279.4 mm) long.
 * A document page is scaled to fit the fax page without distortion, landscape pages are turned
 * a quarter counter-clockwise when that lets them be drawn larger, and the result is centred
 * horizontally and put at the top.
 */
#ifndef FAXGATE_RENDER_GEOMETRY_H
#define FAXGATE_RENDER_GEOMETRY_H

#include <stdbool.h>

enum fax_resolution { FAX_RES_STANDARD, FAX_RES_FINE, FAX_RES_SUPERFINE };
enum fax_paper { FAX_PAPER_A4, FAX_PAPER_LETTER };

#define FAX_WIDTH    1728
#define FAX_WIDTH_MM 215.0

struct fax_geometry {
	enum fax_resolution res;
	enum fax_paper paper;
	int width;     /* pixels a row: 1728 */
	int height;    /* rows of a full page */
	double xdpmm;  /* pixels a mm across */
	double ydpmm;  /* rows a mm down */
	int tiff_yres; /* YResolution tag in dots an inch: 98, 196 or 391 */
};

void geometry_init(struct fax_geometry *g, enum fax_resolution res, enum fax_paper paper);
const char *geometry_resolution_name(enum fax_resolution res);
const char *geometry_paper_name(enum fax_paper paper);
/* Parse "standard|fine|superfine" and "a4|letter"; -1 when unknown. */
int geometry_resolution_parse(const char *s);
int geometry_paper_parse(const char *s);

/*
 * Placement of a source page of w x h millimetres: the fax pixel (x, y) shows source point
 * (sx, sy) in mm where, unrotated, x = ox + sx * scale * xdpmm, y = oy + sy * scale * ydpmm; when
 * rotated the source is first turned a quarter counter-clockwise. upscale false keeps scale <= 1
 * (images are never blown up beyond their physical size).
 */
struct placement {
	bool rotate;  /* landscape source turned onto a portrait page */
	double scale; /* physical scale factor, <= 1 when the page is larger than the paper */
	int out_w;    /* size of the drawn area in fax pixels */
	int out_h;
	int ox, oy; /* where the drawn area starts on the fax page */
};

void geometry_place(const struct fax_geometry *g, double w_mm, double h_mm, bool upscale,
                    struct placement *p);

#endif
