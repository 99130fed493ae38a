/*
 * bilevel.h - grey pages to crisp fax pages.
 *
 * Text and line art are thresholded (never dithered, so text stays crisp); areas of continuous
 * tone (photos, grey fills) are found block by block and get a clustered-dot halftone, whose
 * regular dots keep a photo recognisable and compress far better in MMR than error diffusion.
 * Then blank space at the end of the page is chopped and blank pages are recognised.
 */
#ifndef FAXGATE_RENDER_BILEVEL_H
#define FAXGATE_RENDER_BILEVEL_H

#include <stdbool.h>

#include "render/bitmap.h"
#include "render/geometry.h"

struct bilevel_opts {
	int text_threshold;  /* grey below this is black in text areas (render_text_threshold) */
	int photo_gamma_pct; /* gamma for halftoned areas, percent */
	bool chop_blank_end; /* cut blank space at the bottom */
	int chop_min_rows;   /* ...only when at least this many rows are blank */
	int keep_rows;       /* blank rows kept below the last ink when chopping */
};

void bilevel_opts_init(struct bilevel_opts *o, const struct fax_geometry *g, int text_threshold,
                       int photo_gamma_pct, bool chop, int chop_min_mm);

/* Convert; out is allocated with the same size (before chopping). */
void bilevel_convert(const struct greymap *in, const struct bilevel_opts *o, const struct fax_geometry *g,
                     struct bitmap *out);
/* Cut blank rows at the end as o asks (no-op when chop_blank_end is false). */
void bilevel_chop(struct bitmap *b, const struct bilevel_opts *o);
/* A page with no more than a speck or two of ink. */
bool bilevel_is_blank(const struct bitmap *b);

#endif
