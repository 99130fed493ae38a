/*
 * bilevel.c - grey pages to fax pages: thresholded text, halftoned photos, chopped page ends.
 *
 * The page is cut into blocks about 1 mm square (8 pixels across, 4/8/16 rows down at standard/
 * fine/superfine). Blocks that are mostly mid-tones are candidates; connected areas of candidates
 * become tone only when they show a photo's grain, are wide grey fills, or are tinted backgrounds
 * with text on them (see bilevel_classify). So the strokes of coloured or grey text, which are
 * solid mid-tones but thin and flat, are thresholded and stay crisp, while photos and grey fills
 * get a clustered-dot halftone. A tone area then grows over the shadows and highlights of its photo
 * (see bilevel_grow), so that a photo is halftoned as a whole: thresholded, a shadow just lighter
 * than black would be a hard black blob in it.
 *
 * Speed matters (every page of every document passes here): the inner loops take sixteen pixels at
 * a time in GCC vector types, with no divisions and no floating point; the tone curve is folded
 * into the halftone thresholds, so halftoning and thresholding are the same comparison. An A4 fine
 * page takes 1 to 4 ms on one x86-64 core, the most for a page that is all photo.
 */
#include "render/bilevel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Mid-tones: neither ink nor paper. The upper bound keeps #e0e0e0 backgrounds out of the tone areas. */
#define MID_LO 25
#define MID_HI 224
/* Flat fills darker than this are left to the threshold (see bilevel_classify). */
#define DARK_FILL 100
/* Paper white: a block mostly this light is paper, never grown into (see bilevel_grow). */
#define PAPER 232
/* Greys between neighbouring blocks of a smooth shadow; a flat fill's edge is a larger step. */
#define FLAT_STEP 6
/* Tone curve for photos: darker than this is black, lighter is white. */
#define CURVE_BLACK 16
#define CURVE_WHITE 224
/* Halftone tile across, in pixels; it holds two dots of a 45 degree screen, 8.5 pixels apart. */
#define SCREEN_TILE 12
/* Tone cores: the share of candidates among the blocks within a radius (see bilevel_classify). */
#define PHOTO_RADIUS 2
#define PHOTO_PCT    80
#define FILL_RADIUS  3
#define FILL_PCT     90
/* Tone areas smaller than this many blocks (mm²) are left to the threshold. */
#define MIN_AREA 16
/* Blank space kept under the last ink when chopping. */
#define KEEP_MM 5.0
/* Blank pages (see bilevel_is_blank). */
#define SPECK_TILE  16
#define SPECK_MAX   24
#define BLANK_RATIO 20000

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bilevel.c packs pixels assuming a little-endian machine"
#endif

enum {
	BLOCK_CAND = 1,   /* mostly mid-tones */
	BLOCK_ROUGH = 2,  /* ...that vary from pixel to pixel */
	BLOCK_INKY = 4,   /* ...with some ink in it: text on a tinted background */
	BLOCK_BELOW = 8,  /* ...mostly darker than the text threshold */
	BLOCK_DARK = 16,  /* ...flat and mostly darker than DARK_FILL */
	BLOCK_CORE = 32,  /* where a tone area starts */
	BLOCK_TONE = 64,  /* in a tone area */
	BLOCK_GROWN = 128 /* grown into by a tone area (see bilevel_grow) */
};
/* Once the tone areas are flooded, bilevel_grow keeps only BLOCK_TONE and reuses the other bits. */
enum {
	GROW_EDGE = 1,  /* a fair share of mid-tones: halftoned beside a halftoned block */
	GROW_TEXT = 2,  /* may hold text */
	GROW_HOLE = 4,  /* neither paper nor text: halftoned when a tone area encloses it */
	GROW_FILL = 8,  /* ...nor light, nor of one grey: halftoned when a tone area reaches it */
	GROW_FLAT = 16, /* ...but of one grey: see grow_flat */
	GROW_DONE = 32  /* seen by a flood */
};

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

/*
 * For every block, how many blocks within radius r (a square) have flag set; with flag 0 it counts
 * the blocks on the page, for neighbourhoods cut by the page edge. Two separable sliding-window
 * passes, both walking rows so the grid is read in memory order.
 */
static void bilevel_box_count(const uint8_t *map, uint8_t flag, int nbx, int nby, int r, uint16_t *out)
{
	if (!flag) {
		/* Just the size of the neighbourhood, where the page edge cuts it. */
		for (int by = 0; by < nby; by++) {
			int h = (by + r < nby ? by + r : nby - 1) - (by - r > 0 ? by - r : 0) + 1;
			for (int bx = 0; bx < nbx; bx++)
				out[(size_t)by * (size_t)nbx + (size_t)bx] =
				    (uint16_t)(h * ((bx + r < nbx ? bx + r : nbx - 1) -
				                    (bx - r > 0 ? bx - r : 0) + 1));
		}
		return;
	}

	uint16_t *hsum = xmalloc((size_t)nbx * (size_t)nby * sizeof(*hsum));
	uint16_t *col = xcalloc((size_t)nbx, sizeof(*col));

	for (int by = 0; by < nby; by++) {
		const uint8_t *m = map + (size_t)by * (size_t)nbx;
		uint16_t *o = hsum + (size_t)by * (size_t)nbx;
		int n = 0;
		for (int x = 0; x < r && x < nbx; x++)
			n += (m[x] & flag) != 0;
		for (int bx = 0; bx < nbx; bx++) {
			if (bx + r < nbx)
				n += (m[bx + r] & flag) != 0;
			if (bx - r - 1 >= 0)
				n -= (m[bx - r - 1] & flag) != 0;
			o[bx] = (uint16_t)n;
		}
	}
	for (int y = 0; y < r && y < nby; y++)
		for (int bx = 0; bx < nbx; bx++)
			col[bx] += hsum[(size_t)y * (size_t)nbx + (size_t)bx];
	for (int by = 0; by < nby; by++) {
		const uint16_t *add = by + r < nby ? hsum + (size_t)(by + r) * (size_t)nbx : NULL;
		const uint16_t *sub = by - r - 1 >= 0 ? hsum + (size_t)(by - r - 1) * (size_t)nbx : NULL;
		uint16_t *o = out + (size_t)by * (size_t)nbx;
		for (int bx = 0; bx < nbx; bx++) {
			if (add)
				col[bx] += add[bx];
			if (sub)
				col[bx] -= sub[bx];
			o[bx] = col[bx];
		}
	}
	free(col);
	free(hsum);
}

/* Pixel counts of one block. */
struct block_count {
	uint16_t mid;   /* mid-tones */
	uint16_t rough; /* ...that differ from both their left and upper neighbours */
	uint16_t flat;  /* ...that equal both */
	uint16_t below; /* ...darker than the text threshold */
	uint16_t dark;  /* ...darker than DARK_FILL */
	uint16_t ink;   /* darker than the mid-tones */
	uint16_t grey;  /* any pixel darker than paper white */
	uint16_t same;  /* any pixel equal to its left and upper neighbours in the block, if it has them */
};

/*
 * Sixteen pixels (two blocks) at a time, in GCC vector types (SSE2 on x86-64, NEON on ARM). A
 * comparison gives -1 in each true lane, so subtracting it counts; a lane counts at most 16 rows.
 */
typedef uint8_t u8x16 __attribute__((vector_size(16)));

struct block_lanes {
	u8x16 mid, rough, flat, below, dark, ink, grey, same;
};

static u8x16 load16(const uint8_t *p)
{
	u8x16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u8x16 splat16(int v)
{
	u8x16 r;

	memset(&r, v, sizeof(r));
	return r;
}

/* Add the lanes of each half of acc to the counts of the two blocks. */
static void lanes_add(u8x16 acc, uint16_t *first, uint16_t *second)
{
	uint64_t h[2];

	memcpy(h, &acc, sizeof(h));
	*first += (uint16_t)((h[0] * ONES) >> 56);
	*second += (uint16_t)((h[1] * ONES) >> 56);
}

static void bilevel_count_tail(const uint8_t *row, const uint8_t *up, bool top, int x, struct block_count *c,
                               int thr)
{
	uint8_t v = row[x];

	c->ink += v < MID_LO;
	c->grey += v < PAPER;
	c->same += (top || v == up[x]) && (x % 8 == 0 || v == row[x - 1]);
	if (v >= MID_LO && v < MID_HI) {
		c->mid++;
		c->rough += v != up[x] && x > 0 && v != row[x - 1];
		c->flat += v == up[x] && (x == 0 || v == row[x - 1]);
		c->below += v < thr;
		c->dark += v < DARK_FILL;
	}
}

/*
 * Count pixels per block. Vector fills and text strokes are flat (an anti-aliased edge only adds a
 * thin line of rough pixels); the grain and detail of a photo make most of its pixels rough.
 */
static void bilevel_count(const struct greymap *in, int bh, int nbx, int thr, struct block_count *cnt)
{
	const u8x16 lo = splat16(MID_LO), hi = splat16(MID_HI), below = splat16(thr),
	            dark = splat16(DARK_FILL), paper = splat16(PAPER);
	/* The first column of each block: no left neighbour in the block. */
	const u8x16 seam = {255, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0};
	int pairs = in->width / 16;
	struct block_lanes *lanes = xcalloc((size_t)pairs + 1, sizeof(*lanes));

	for (int y = 0; y < in->height; y++) {
		const uint8_t *row = in->px + (size_t)y * in->stride;
		const uint8_t *up = y > 0 ? row - in->stride : row;
		struct block_count *c = cnt + (size_t)(y / bh) * (size_t)nbx;
		const u8x16 top = splat16(y % bh == 0 ? 255 : 0);

		for (int i = 0; i < pairs; i++) {
			const uint8_t *p = row + (size_t)i * 16;
			uint64_t h[2];
			memcpy(h, p, sizeof(h));
			if ((h[0] & h[1]) == ~UINT64_C(0))
				continue;
			struct block_lanes *l = &lanes[i];
			u8x16 v = load16(p), left;
			if (i > 0) {
				left = load16(p - 1);
			} else {
				left = v;
				memcpy((uint8_t *)&left + 1, p, 15);
			}
			u8x16 ink = (u8x16)(v < lo), mid = (u8x16)(v < hi) & ~ink;
			u8x16 eql = (u8x16)(v == left), equ = (u8x16)(v == load16(up + (size_t)i * 16));
			l->ink -= ink;
			l->mid -= mid;
			l->rough -= mid & ~(eql | equ);
			l->flat -= mid & eql & equ;
			l->below -= mid & (u8x16)(v < below);
			l->dark -= mid & (u8x16)(v < dark);
			l->grey -= (u8x16)(v < paper);
			l->same -= (eql | seam) & (equ | top);
		}
		for (int x = pairs * 16; x < in->width; x++)
			bilevel_count_tail(row, up, y % bh == 0, x, &c[x / 8], thr);
		if ((y + 1) % bh != 0 && y + 1 < in->height)
			continue;
		for (int i = 0; i < pairs; i++) {
			struct block_lanes *l = &lanes[i];
			struct block_count *a = &c[2 * i], *b = &c[2 * i + 1];
			uint64_t h[2];
			/* Paper white only, as most of a page is: every count stays 0 that matters. */
			memcpy(h, &l->grey, sizeof(h));
			if (!(h[0] | h[1]))
				continue;
			lanes_add(l->mid, &a->mid, &b->mid);
			lanes_add(l->rough, &a->rough, &b->rough);
			lanes_add(l->flat, &a->flat, &b->flat);
			lanes_add(l->below, &a->below, &b->below);
			lanes_add(l->dark, &a->dark, &b->dark);
			lanes_add(l->ink, &a->ink, &b->ink);
			lanes_add(l->grey, &a->grey, &b->grey);
			lanes_add(l->same, &a->same, &b->same);
		}
		memset(lanes, 0, (size_t)pairs * sizeof(*lanes));
	}
	free(lanes);
}

/*
 * Tone areas: every connected area of candidates holding a core, so a shaded table row is halftoned
 * all along, not only around the text in it that made it a core. Areas of a few blocks are noise
 * (the tinted rule firing beside a dark fill) and are left to the threshold.
 */
static bool bilevel_flood(uint8_t *map, int nbx, int nby)
{
	size_t n = (size_t)nbx * (size_t)nby;
	size_t *queue = xmalloc(n * sizeof(*queue));
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		size_t head = 0, tail = 0;

		if (!(map[i] & BLOCK_CORE) || (map[i] & BLOCK_TONE))
			continue;
		map[i] |= BLOCK_TONE;
		queue[tail++] = i;
		/* Each block is queued at most once, so the queue never holds more than n. */
		while (head < tail) {
			size_t j = queue[head++], nb[4];
			int k = 0, bx = (int)(j % (size_t)nbx);
			if (bx > 0)
				nb[k++] = j - 1;
			if (bx < nbx - 1)
				nb[k++] = j + 1;
			if (j >= (size_t)nbx)
				nb[k++] = j - (size_t)nbx;
			if (j + (size_t)nbx < n)
				nb[k++] = j + (size_t)nbx;
			while (k-- > 0) {
				if ((map[nb[k]] & (BLOCK_CAND | BLOCK_TONE | BLOCK_DARK)) == BLOCK_CAND) {
					map[nb[k]] |= BLOCK_TONE;
					queue[tail++] = nb[k];
				}
			}
		}
		/* Clearing the cores too keeps the area from being flooded again. */
		if (tail < MIN_AREA)
			for (size_t j = 0; j < tail; j++)
				map[queue[j]] &= (uint8_t) ~(BLOCK_CORE | BLOCK_TONE);
		else
			any = true;
	}
	free(queue);
	return any;
}

/*
 * What a tone area may grow into (see bilevel_grow). Mostly the photo's shadows and highlights, too
 * dark or light to be candidates, or smooth shadows that look like flat dark fills: thresholded they
 * would stand out as hard black blobs or white holes. Text must stay thresholded, so never:
 *  - a block with pixels on both sides of the text threshold: it may hold the edge of a glyph, dark
 *    on light or light on dark (in a photo, a sharp edge: thresholding does it little harm);
 *  - a block mostly paper white: the faint fringes of text beside the photo, its caption.
 * Light blocks are halftoned only where a tone area encloses them, and blocks of one grey only with
 * care (see grow_flat): a flood through them could reach far, to text on the same background.
 */
static uint8_t bilevel_fillable(const struct block_count *c, int px)
{
	int dark = c->ink + c->below;
	bool paper = 2 * (px - c->grey) > px, text = !paper && 32 * dark >= px && 32 * (px - dark) >= px;
	bool light = 2 * (px - c->ink - c->mid) > px;
	/* One grey all over: a block boundary is no step in it, a ramp's step is. */
	bool flat = 32 * (px - c->same) < px;
	bool hole = !paper && !text;

	/* No branches: in a photo, which way they go is a toss-up. */
	return (uint8_t)((8 * c->mid >= px ? GROW_EDGE : 0) | (text ? GROW_TEXT : 0) |
	                 (hole ? GROW_HOLE : 0) | (hole && !light && !flat ? GROW_FILL : 0) |
	                 (hole && !light && flat ? GROW_FLAT : 0));
}

/* The flood of the tone areas over the rest of their photos (see bilevel_grow). */
struct grow {
	const struct greymap *in;
	int bh;
	size_t w;      /* row length of g */
	uint8_t *g;    /* flags of the blocks, framed by a row and a column of empty blocks */
	size_t *queue; /* blocks to flood on from; each joins once, when marked GROW_DONE */
	size_t tail;
};

/*
 * Is block k of one grey within FLAT_STEP of all four corners of block j? Then there is no step from
 * j to k, neither at their boundary nor inside j.
 */
static bool grow_smooth(const struct grow *s, size_t j, size_t k)
{
	const struct greymap *in = s->in;
	int x0 = (int)(j % s->w - 1) * 8, y0 = (int)(j / s->w - 1) * s->bh;
	int x1 = x0 + 7 < in->width ? x0 + 7 : in->width - 1;
	int y1 = y0 + s->bh - 1 < in->height ? y0 + s->bh - 1 : in->height - 1;
	int v = in->px[(k / s->w - 1) * (size_t)s->bh * in->stride + (k % s->w - 1) * 8];
	const uint8_t *r0 = in->px + (size_t)y0 * in->stride, *r1 = in->px + (size_t)y1 * in->stride;

	return abs(r0[x0] - v) <= FLAT_STEP && abs(r0[x1] - v) <= FLAT_STEP && abs(r1[x0] - v) <= FLAT_STEP &&
	       abs(r1[x1] - v) <= FLAT_STEP;
}

/*
 * A flood reached block k of one grey without a step: take the whole smooth stretch of such blocks
 * it is in, unless text touches it. A photo's smooth shadow can be one grey block by block, and is
 * halftoned; a banner with white text is thresholded, even where it meets a photo of its grey, so
 * that its text stays crisp on solid ground. The stretch is gathered past the end of the queue, which
 * has room: none of it has been queued. Either way it is seen only once.
 */
static void grow_flat(struct grow *s, size_t k)
{
	size_t end = s->tail;
	bool text = false;

	s->g[k] |= GROW_DONE;
	s->queue[end++] = k;
	for (size_t h = s->tail; h < end; h++) {
		size_t j = s->queue[h];
		const size_t nb[4] = {j - 1, j + 1, j - s->w, j + s->w};
		for (int i = 0; i < 4; i++) {
			uint8_t f = s->g[nb[i]];
			text |= (f & GROW_TEXT) != 0;
			if ((f & (GROW_FLAT | GROW_DONE | BLOCK_TONE)) == GROW_FLAT &&
			    grow_smooth(s, j, nb[i])) {
				s->g[nb[i]] |= GROW_DONE;
				s->queue[end++] = nb[i];
			}
		}
	}
	for (size_t h = s->tail; h < end; h++)
		s->g[s->queue[h]] = text ? s->g[s->queue[h]] & (uint8_t) ~(GROW_FLAT | GROW_DONE)
		                         : s->g[s->queue[h]] | BLOCK_GROWN;
	if (!text)
		s->tail = end;
}

/* Block k is beside halftoned block j: halftone it if it may be. */
static void grow_visit(struct grow *s, size_t j, size_t k)
{
	uint8_t f = s->g[k];

	if (f & (BLOCK_TONE | GROW_DONE))
		return;
	if (f & GROW_FILL) {
		s->g[k] |= BLOCK_GROWN | GROW_DONE;
		s->queue[s->tail++] = k;
		return;
	}
	if ((f & GROW_FLAT) && grow_smooth(s, j, k)) {
		grow_flat(s, k);
		if (s->g[k] & BLOCK_GROWN)
			return;
	}
	if (f & GROW_EDGE)
		s->g[k] |= BLOCK_GROWN;
}

/*
 * Fill the hole in the tone areas that block i of g is in, if it is one: a connected group of
 * GROW_HOLE blocks that touches only halftoned blocks, not the page edge (the frame), paper or text.
 */
static void grow_hole(struct grow *s, size_t i)
{
	const uint8_t ht = BLOCK_TONE | BLOCK_GROWN;
	uint8_t *g = s->g;
	size_t head = 0, tail = 0;
	bool shut = true;

	g[i] |= GROW_DONE;
	s->queue[tail++] = i;
	while (head < tail) {
		size_t j = s->queue[head++];
		const size_t nb[4] = {j - 1, j + 1, j - s->w, j + s->w};
		for (int k = 0; k < 4; k++) {
			uint8_t f = g[nb[k]];
			if ((f & (GROW_HOLE | GROW_DONE | ht)) == GROW_HOLE) {
				g[nb[k]] |= GROW_DONE;
				s->queue[tail++] = nb[k];
			} else if (!(f & (GROW_HOLE | ht))) {
				shut = false;
			}
		}
	}
	if (shut)
		for (size_t j = 0; j < tail; j++)
			g[s->queue[j]] |= BLOCK_GROWN;
}

/*
 * Grow the tone areas, once they are decided, over the whole of the photos they stand in: flood the
 * fillable blocks they touch, however deep a shadow goes, then fill their holes. A photo's edge
 * rarely falls on a block boundary: a block beside a halftoned block with a fair share of mid-tones
 * is the rest of the photo, so it is halftoned too instead of leaving a jagged seam. map ends up 1
 * where the page is halftoned, 0 elsewhere. Kept out of line: inlined, it costs the counting loop
 * registers, and every page 10 % more time.
 */
__attribute__((noinline)) static void bilevel_grow(const struct greymap *in, int bh, int nbx, int nby,
                                                   const struct block_count *cnt, uint8_t *map)
{
	struct grow s = {.in = in, .bh = bh, .w = (size_t)nbx + 2};
	size_t end = s.w * ((size_t)nby + 1) - 1;

	s.g = xcalloc(s.w * ((size_t)nby + 2), 1);
	s.queue = xmalloc((size_t)nbx * (size_t)nby * sizeof(*s.queue));
	for (int by = 0; by < nby; by++) {
		int rows = by == nby - 1 ? in->height - by * bh : bh;
		for (int bx = 0; bx < nbx; bx++) {
			int px = rows * (bx == nbx - 1 ? in->width - bx * 8 : 8);
			size_t i = (size_t)by * (size_t)nbx + (size_t)bx;
			/* Paper white, the most of most pages, is all zeros. */
			if (map[i] & BLOCK_TONE)
				s.g[(size_t)(by + 1) * s.w + (size_t)bx + 1] = BLOCK_TONE;
			else if (cnt[i].grey)
				s.g[(size_t)(by + 1) * s.w + (size_t)bx + 1] = bilevel_fillable(&cnt[i], px);
		}
	}
	for (size_t i = s.w + 1; i < end; i++) {
		if (!(s.g[i] & (GROW_EDGE | GROW_FILL | GROW_FLAT)))
			continue;
		const size_t nb[4] = {i - 1, i + 1, i - s.w, i + s.w};
		for (int k = 0; k < 4; k++)
			if (s.g[nb[k]] & BLOCK_TONE)
				grow_visit(&s, nb[k], i);
	}
	for (size_t head = 0; head < s.tail; head++) {
		size_t j = s.queue[head];
		grow_visit(&s, j, j - 1);
		grow_visit(&s, j, j + 1);
		grow_visit(&s, j, j - s.w);
		grow_visit(&s, j, j + s.w);
	}
	/* A hole is found at its first block in page order, so blocks already copied back do not change. */
	for (int by = 0; by < nby; by++) {
		for (int bx = 0; bx < nbx; bx++) {
			size_t gi = (size_t)(by + 1) * s.w + (size_t)bx + 1;
			if ((s.g[gi] & (GROW_HOLE | GROW_DONE | BLOCK_TONE | BLOCK_GROWN)) == GROW_HOLE)
				grow_hole(&s, gi);
			map[(size_t)by * (size_t)nbx + (size_t)bx] =
			    (s.g[gi] & (BLOCK_TONE | BLOCK_GROWN)) != 0;
		}
	}
	free(s.queue);
	free(s.g);
}

/*
 * Decide which blocks are tone. Candidates are blocks that are mostly mid-tones; tone areas are the
 * connected areas of candidates that hold a core. Three kinds of cores:
 *  - photo: a 5x5 neighbourhood of 80 % candidates, half of them rough. Text strokes fill far
 *    less, and are flat;
 *  - fill: a 7x7 neighbourhood of 90 % candidates: a grey box or a smooth part of a photo. The
 *    strokes of bold text as large as 72 pt are thinner, so coloured headings stay crisp;
 *  - tinted: a 5x5 neighbourhood of 80 % candidates with ink in at least two blocks, where the
 *    tint is darker than the text threshold: black text on a grey table row, which thresholding
 *    would drown in black.
 * Flat fills darker than DARK_FILL are never cores and stop the flooding: thresholded they are
 * black, as they nearly are halftoned, and white text on them stays crisp. Those that are a smooth
 * shadow of a photo are halftoned with it all the same (see grow_flat).
 */
static void bilevel_classify(const struct greymap *in, int bh, int nbx, int nby, int thr, uint8_t *map)
{
	size_t n = (size_t)nbx * (size_t)nby;
	struct block_count *cnt = xcalloc(n, sizeof(*cnt));
	uint16_t *all = xmalloc(n * sizeof(*all)), *cand = xmalloc(n * sizeof(*cand));
	uint16_t *box = xmalloc(n * sizeof(*box));
	size_t ncand = 0;

	bilevel_count(in, bh, nbx, thr, cnt);
	for (int by = 0; by < nby; by++) {
		int rows = by == nby - 1 ? in->height - by * bh : bh;
		for (int bx = 0; bx < nbx; bx++) {
			int px = rows * (bx == nbx - 1 ? in->width - bx * 8 : 8);
			size_t i = (size_t)by * (size_t)nbx + (size_t)bx;
			const struct block_count *c = &cnt[i];
			map[i] = 0;
			if (2 * c->mid <= px)
				continue;
			map[i] = BLOCK_CAND;
			ncand++;
			if (3 * c->rough > c->mid)
				map[i] |= BLOCK_ROUGH;
			if (16 * c->ink >= px)
				map[i] |= BLOCK_INKY;
			if (2 * c->below > c->mid)
				map[i] |= BLOCK_BELOW;
			if (2 * c->dark > c->mid && 2 * c->flat > c->mid)
				map[i] |= BLOCK_DARK;
		}
	}

	/* Most pages are text: nothing more to decide. */
	if (ncand == 0)
		goto out;
	bilevel_box_count(map, 0, nbx, nby, PHOTO_RADIUS, all);
	bilevel_box_count(map, BLOCK_CAND, nbx, nby, PHOTO_RADIUS, cand);
	bilevel_box_count(map, BLOCK_ROUGH, nbx, nby, PHOTO_RADIUS, box);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & BLOCK_CAND) && cand[i] * 100 >= all[i] * PHOTO_PCT && 2 * box[i] >= cand[i])
			map[i] |= BLOCK_CORE;
	bilevel_box_count(map, BLOCK_INKY, nbx, nby, PHOTO_RADIUS, box);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & (BLOCK_CAND | BLOCK_BELOW | BLOCK_DARK)) == (BLOCK_CAND | BLOCK_BELOW) &&
		    cand[i] * 100 >= all[i] * PHOTO_PCT && box[i] >= 2)
			map[i] |= BLOCK_CORE;
	bilevel_box_count(map, 0, nbx, nby, FILL_RADIUS, all);
	bilevel_box_count(map, BLOCK_CAND, nbx, nby, FILL_RADIUS, cand);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & (BLOCK_CAND | BLOCK_DARK)) == BLOCK_CAND && cand[i] * 100 >= all[i] * FILL_PCT)
			map[i] |= BLOCK_CORE;

	if (bilevel_flood(map, nbx, nby))
		bilevel_grow(in, bh, nbx, nby, cnt, map);
	else
		memset(map, 0, n);
out:
	free(box);
	free(cand);
	free(all);
	free(cnt);
}

void bilevel_convert(const struct greymap *in, const struct bilevel_opts *o, const struct fax_geometry *g,
                     struct bitmap *out)
{
	const int bw = 8;
	int bh = (int)lround(8 * g->ydpmm / 7.7);
	int thr = o->text_threshold;
	struct screen scr;
	uint8_t *map, *text_row;

	bitmap_alloc(out, in->width, in->height);
	if (in->width <= 0 || in->height <= 0)
		return;
	/* At most 16 rows: the per-lane counters of bilevel_count hold 8 x 16 pixels a block. */
	bh = clamp(bh, 2, 16);
	thr = clamp(thr, 0, 255);

	int nbx = (in->width + bw - 1) / bw, nby = (in->height + bh - 1) / bh;
	size_t rowlen = (size_t)nbx * 8;
	map = xmalloc((size_t)nbx * (size_t)nby);
	bilevel_classify(in, bh, nbx, nby, thr, map);
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
	const u8x16 textv = splat16(thr);
	int pairs = in->width / 16, sy = 0;
	for (int y = 0, by = 0, yb = 0; y < in->height; y++) {
		const uint8_t *row = in->px + (size_t)y * in->stride;
		const uint8_t *m = map + (size_t)by * (size_t)nbx;
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
			u8x16 t = (load16(tone + (size_t)i * 16) & sel) | (textv & ~sel);
			u8x16 black = (u8x16)(load16(p) < t);
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
	free(map);
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
