/*
 * geometry.c - fax page sizes per resolution and paper, and fitting document pages onto them.
 *
 * Page sizes given by documents are hostile (zero, negative, NaN, kilometres): they are sanitised
 * here so that callers always get a drawn area of at least one pixel that lies on the page.
 */
#include "render/geometry.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	double ydpmm;
	int tiff_yres;
} geometry_resolutions[] = {
    [FAX_RES_STANDARD] = {"standard", 3.85, 98},
    [FAX_RES_FINE] = {"fine", 7.7, 196},
    [FAX_RES_SUPERFINE] = {"superfine", 15.4, 391},
};

static const struct {
	const char *name;
	double length_mm;
} geometry_papers[] = {
    [FAX_PAPER_A4] = {"a4", 297.0},
    [FAX_PAPER_LETTER] = {"letter", 279.4},
};

#define GEOMETRY_NRES   (sizeof(geometry_resolutions) / sizeof(geometry_resolutions[0]))
#define GEOMETRY_NPAPER (sizeof(geometry_papers) / sizeof(geometry_papers[0]))

void geometry_init(struct fax_geometry *g, enum fax_resolution res, enum fax_paper paper)
{
	if ((unsigned)res >= GEOMETRY_NRES)
		res = FAX_RES_FINE;
	if ((unsigned)paper >= GEOMETRY_NPAPER)
		paper = FAX_PAPER_A4;
	memset(g, 0, sizeof(*g));
	g->res = res;
	g->paper = paper;
	g->width = FAX_WIDTH;
	g->xdpmm = FAX_WIDTH / FAX_WIDTH_MM;
	g->ydpmm = geometry_resolutions[res].ydpmm;
	g->height = (int)lround(geometry_papers[paper].length_mm * g->ydpmm);
	g->tiff_yres = geometry_resolutions[res].tiff_yres;
}

const char *geometry_resolution_name(enum fax_resolution res)
{
	if ((unsigned)res >= GEOMETRY_NRES)
		return "unknown";
	return geometry_resolutions[res].name;
}

const char *geometry_paper_name(enum fax_paper paper)
{
	if ((unsigned)paper >= GEOMETRY_NPAPER)
		return "unknown";
	return geometry_papers[paper].name;
}

int geometry_resolution_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < GEOMETRY_NRES; i++)
		if (strcasecmp(s, geometry_resolutions[i].name) == 0)
			return (int)i;
	return -1;
}

int geometry_paper_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < GEOMETRY_NPAPER; i++)
		if (strcasecmp(s, geometry_papers[i].name) == 0)
			return (int)i;
	return -1;
}

static int geometry_clamp_px(double v, int max)
{
	long n = lround(v);

	if (n < 1)
		return 1;
	if (n > max)
		return max;
	return (int)n;
}

/* The scale that fits w x h mm into the page, capped at 1 unless upscaling is allowed. */
static double geometry_fit(double page_w, double page_h, double w_mm, double h_mm, bool upscale)
{
	double scale = fmin(page_w / w_mm, page_h / h_mm);

	return !upscale && scale > 1.0 ? 1.0 : scale;
}

void geometry_place(const struct fax_geometry *g, double w_mm, double h_mm, bool upscale, struct placement *p)
{
	double page_w = g->width / g->xdpmm;
	double page_h = g->height / g->ydpmm;
	double ew, eh, scale;

	/* A page without a usable size is drawn as if it were exactly the fax page. */
	if (!isfinite(w_mm) || !isfinite(h_mm) || w_mm <= 0 || h_mm <= 0) {
		w_mm = page_w;
		h_mm = page_h;
	}
	memset(p, 0, sizeof(*p));
	/*
	 * A landscape page is turned only when that lets it be drawn larger: a small landscape image
	 * that fits upright at its own size stays upright, so nobody has to turn the sheet for it.
	 */
	double upright = geometry_fit(page_w, page_h, w_mm, h_mm, upscale);
	double turned = geometry_fit(page_w, page_h, h_mm, w_mm, upscale);
	p->rotate = w_mm > h_mm && turned > upright * 1.0001;
	ew = p->rotate ? h_mm : w_mm;
	eh = p->rotate ? w_mm : h_mm;
	scale = p->rotate ? turned : upright;
	p->scale = scale;
	p->out_w = geometry_clamp_px(ew * scale * g->xdpmm, g->width);
	p->out_h = geometry_clamp_px(eh * scale * g->ydpmm, g->height);
	p->ox = (g->width - p->out_w) / 2;
	p->oy = 0;
}
