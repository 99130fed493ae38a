/*
 * bilevel.c - grey pages to fax pages: thresholded text, halftoned photos, chopped page ends,
 * blank pages.
 *
 * Which blocks of the page are continuous tone is for tonemap.c to say. Here every pixel is made
 * black or white by that map: text and line art against the text threshold, so it stays crisp;
 * tone areas against a clustered-dot halftone screen, whose regular dots keep a photo recognisable
 * and compress far better in MMR than error diffusion.
 *
 * Speed matters (every page of every document passes here): the inner loop takes sixteen pixels at
 * a time in GCC vector types, with no divisions and no floating point; the tone curve is folded
 * into the halftone thresholds, so halftoning and thresholding are the same comparison. An A4 fine
 * page takes 1 to 4 ms on one x86-64 core, the most for a page that is all photo.
 */
#include "render/bilevel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/tonemap.h"
#include "render/u8x16.h"
#include "util/xalloc.h"

/* Tone curve for photos: darker than this is black, lighter is white. */
#define CURVE_BLACK 16
#define CURVE_WHITE 224
/* Halftone tile across, in pixels; it holds two dots of a 45 degree screen, 8.5 pixels apart. */
#define SCREEN_TILE 12
/* Blank space kept under the last ink when chopping. */
#define KEEP_MM 5.0
/* Blank pages (see bilevel_is_blank). */
#define SPECK_TILE  16
#define SPECK_MAX   24
#define BLANK_RATIO 20000

#define HIGHS UINT64_C(0x8080808080808080)

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bilevel.c packs pixels assuming a little-endian machine"
#endif

void bilevel_opts_init(struct bilevel_opts *o, const struct fax_geometry *g, int text_threshold,
                       int photo_gamma_pct, bool chop, int chop_min_mm)
{
	memset(o, 0, sizeof(*o));
	o->text_threshold = text_threshold;
	o->photo_gamma_pct = photo_gamma_pct;
	o->chop_blank_end = chop;
	o->chop_min_rows = (int)lround(chop_min_mm * g->ydpmm);
	o->keep_rows = (int)lround(KEEP_MM * g->ydpmm);
	if (o->chop_min_rows < 1)
		o->chop_min_rows = 1;
	if (o->keep_rows < 1)
		o->keep_rows = 1;
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Gather the high bits of the eight bytes into one byte, first byte in the most significant bit. */
static uint8_t swar_pack(uint64_t highs)
{
	return (uint8_t)(((highs >> 7) * UINT64_C(0x8040201008040201)) >> 56);
}

/*
 * The halftone screen as per-pixel grey thresholds: black where grey < row[x]. The threshold of
 * each pixel comes from its rank under a cosine spot function (dots grow from the centres until
 * they meet in a checkerboard at 50 %), then is pulled back through the tone curve so the curve
 * costs nothing per pixel. Rows are tiled out to the page width once, so no modulo per pixel.
 */
struct screen {
	int th;        /* rows in the tile */
	size_t rowlen; /* bytes in one tiled row */
	uint8_t *rows;
};

struct screen_cell {
	double spot;
	int idx;
};

static int screen_cell_cmp(const void *a, const void *b)
{
	const struct screen_cell *x = a, *y = b;

	if (x->spot != y->spot)
		return x->spot < y->spot ? 1 : -1;
	return x->idx - y->idx;
}

static void screen_init(struct screen *s, const struct fax_geometry *g, int gamma_pct, size_t rowlen)
{
	const int tw = SCREEN_TILE;
	int th = (int)lround(SCREEN_TILE * g->ydpmm / g->xdpmm);
	uint8_t curve[256], inv[256], tile[SCREEN_TILE * 32];
	struct screen_cell cells[SCREEN_TILE * 32];
	double gamma;

	/* The tile keeps the dots physically round at every resolution. */
	th = clamp(th, 2, 32);
	gamma = clamp(gamma_pct, 20, 300) / 100.0;
	for (int v = 0; v < 256; v++) {
		if (v < CURVE_BLACK)
			curve[v] = 0;
		else if (v > CURVE_WHITE)
			curve[v] = 255;
		else
			curve[v] = (uint8_t)lround(
			    255.0 * pow((double)(v - CURVE_BLACK) / (CURVE_WHITE - CURVE_BLACK), gamma));
	}
	/* inv[t]: the least grey whose curved value reaches t; curve(v) < t iff v < inv[t]. */
	for (int t = 0, v = 0; t < 256; t++) {
		while (v < 255 && curve[v] < t)
			v++;
		inv[t] = (uint8_t)v;
	}

	int n = tw * th;
	for (int y = 0; y < th; y++) {
		for (int x = 0; x < tw; x++) {
			double fx = (x + 0.5) / tw, fy = (y + 0.5) / th;
			cells[y * tw + x].spot = cos(2 * M_PI * fx) * cos(2 * M_PI * fy);
			cells[y * tw + x].idx = y * tw + x;
		}
	}
	qsort(cells, (size_t)n, sizeof(cells[0]), screen_cell_cmp);
	for (int r = 0; r < n; r++) {
		/* Rank r is black for curved grey below t: t spreads evenly over 1..255. */
		int t = 1 + (int)((254L * (2 * (n - r) - 1) + n) / (2L * n));
		tile[cells[r].idx] = inv[t];
	}

	s->th = th;
	s->rowlen = rowlen;
	s->rows = xmalloc(rowlen * (size_t)th);
	for (int y = 0; y < th; y++) {
		uint8_t *row = s->rows + (size_t)y * rowlen;
		for (size_t x = 0, tx = 0; x < rowlen; x++) {
			row[x] = tile[y * tw + (int)tx];
			if (++tx == (size_t)tw)
				tx = 0;
		}
	}
}

void bilevel_convert(const struct greymap *in, const struct bilevel_opts *o, const struct fax_geometry *g,
                     struct bitmap *out)
{
	int thr = clamp(o->text_threshold, 0, 255);
	struct tonemap map;
	struct screen scr;
	uint8_t *text_row;

	bitmap_alloc(out, in->width, in->height);
	if (in->width <= 0 || in->height <= 0)
		return;
	tonemap_build(in, g, thr, &map);

	/* Screen rows cover whole blocks, so the last few pixels of a row need no bounds check. */
	size_t rowlen = (size_t)map.nbx * 8;
	screen_init(&scr, g, o->photo_gamma_pct, rowlen);
	text_row = xmalloc(rowlen);
	memset(text_row, thr, rowlen);

	/* Which half of sixteen pixels is tone: picks thresholds without branches. */
	static const u8x16 halves[4] = {
	    {0},
	    {255, 255, 255, 255, 255, 255, 255, 255},
	    {0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255},
	    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
	};
	const u8x16 textv = u8x16_splat(thr);
	/* In locals: stores to the bitmap may alias map's fields; read from map, a page took 1 % longer. */
	const uint8_t *tone_map = map.tone;
	const int nbx = map.nbx, bh = map.bh;
	int pairs = in->width / 16, sy = 0;
	for (int y = 0, by = 0, yb = 0; y < in->height; y++) {
		const uint8_t *row = in->px + (size_t)y * in->stride;
		const uint8_t *m = tone_map + (size_t)by * (size_t)nbx;
		const uint8_t *tone = scr.rows + (size_t)sy * rowlen;
		uint8_t *q = out->bits + (size_t)y * out->stride;

		for (int i = 0; i < pairs; i++) {
			const uint8_t *p = row + (size_t)i * 16;
			uint64_t h[2];
			memcpy(h, p, sizeof(h));
			/* Paper white is white under any threshold. */
			if ((h[0] & h[1]) == ~UINT64_C(0))
				continue;
			const u8x16 sel = halves[(m[2 * i] != 0) | (m[2 * i + 1] != 0) << 1];
			u8x16 t = (u8x16_load(tone + (size_t)i * 16) & sel) | (textv & ~sel);
			u8x16 black = (u8x16)(u8x16_load(p) < t);
			memcpy(h, &black, sizeof(h));
			q[2 * i] = swar_pack(h[0] & HIGHS);
			q[2 * i + 1] = swar_pack(h[1] & HIGHS);
		}
		for (int x = pairs * 16; x < in->width; x++) {
			const uint8_t *t = m[x / 8] ? tone : text_row;
			if (row[x] < t[x])
				q[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
		}
		if (++sy == scr.th)
			sy = 0;
		if (++yb == bh) {
			yb = 0;
			by++;
		}
	}
	free(text_row);
	free(scr.rows);
	tonemap_free(&map);
}

static bool bilevel_row_blank(const uint8_t *row, size_t stride)
{
	for (size_t i = 0; i < stride; i++)
		if (row[i])
			return false;
	return true;
}

void bilevel_chop(struct bitmap *b, const struct bilevel_opts *o)
{
	int last = b->height - 1;

	if (!o->chop_blank_end || b->height <= 0)
		return;
	while (last >= 0 && bilevel_row_blank(b->bits + (size_t)last * b->stride, b->stride))
		last--;
	if (b->height - 1 - last < o->chop_min_rows)
		return;
	int keep = o->keep_rows > 0 ? o->keep_rows : 1;
	int h = last + 1 + keep;
	if (h >= b->height)
		return;
	b->height = h;
	b->bits = xrealloc(b->bits, b->stride * (size_t)h + 1);
}

/*
 * Blank: fewer black pixels than 1 in BLANK_RATIO (197 on an A4 fine page), and no window of 32 x 32
 * pixels (4 mm across) holding SPECK_MAX or more. Dust and scanner specks pass; a lone page number,
 * about 100 pixels in one place even at standard resolution, does not.
 */
bool bilevel_is_blank(const struct bitmap *b)
{
	int ntx = (b->width + SPECK_TILE - 1) / SPECK_TILE, nty = (b->height + SPECK_TILE - 1) / SPECK_TILE;
	uint64_t total = 0;
	bool blank = true;

	if (b->width <= 0 || b->height <= 0)
		return true;
	uint32_t *tiles = xcalloc((size_t)ntx * (size_t)nty, sizeof(*tiles));
	uint8_t last_mask = (uint8_t)(0xff << ((8 - b->width % 8) % 8));
	for (int y = 0; y < b->height; y++) {
		const uint8_t *row = b->bits + (size_t)y * b->stride;
		uint32_t *t = tiles + (size_t)(y / SPECK_TILE) * (size_t)ntx;
		for (size_t i = 0; i < b->stride; i++) {
			uint8_t v = i == b->stride - 1 ? row[i] & last_mask : row[i];
			if (v) {
				int n = __builtin_popcount(v);
				t[i * 8 / SPECK_TILE] += (uint32_t)n;
				total += (uint64_t)n;
			}
		}
	}
	/* A chopped page counts as at least square, so a few specks on a short page stay specks. */
	uint64_t area = (uint64_t)b->width * (uint64_t)(b->height > b->width ? b->height : b->width);
	if (total * BLANK_RATIO >= area)
		blank = false;
	/* Overlapping 2x2-tile windows: any blob up to a tile across lies wholly inside one of them. */
	for (int ty = 0; blank && ty < nty; ty++)
		for (int tx = 0; blank && tx < ntx; tx++) {
			uint32_t n = tiles[ty * ntx + tx];
			if (tx + 1 < ntx)
				n += tiles[ty * ntx + tx + 1];
			if (ty + 1 < nty)
				n += tiles[(ty + 1) * ntx + tx];
			if (tx + 1 < ntx && ty + 1 < nty)
				n += tiles[(ty + 1) * ntx + tx + 1];
			if (n >= SPECK_MAX)
				blank = false;
		}
	free(tiles);
	return blank;
}
