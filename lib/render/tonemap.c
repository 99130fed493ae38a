/*
 * tonemap.c - where a grey page is continuous tone, to be halftoned, and where it is text or line
 * art, to be thresholded: the decision bilevel.c draws by.
 *
 * The page is cut into blocks about 1 mm square (8 pixels across, 4/8/16 rows down at standard/
 * fine/superfine). Blocks that are mostly mid-tones are candidates; connected areas of candidates
 * become tone only when they show a photo's grain, are wide grey fills, or are tinted backgrounds
 * with text on them (see tonemap_classify). So the strokes of coloured or grey text, which are
 * solid mid-tones but thin and flat, are thresholded and stay crisp, while photos and grey fills
 * are halftoned. A tone area then grows over the shadows and highlights of its photo (see
 * tonemap_grow), so that a photo is halftoned as a whole: thresholded, a shadow just lighter than
 * black would be a hard black blob in it.
 *
 * Every page passes here: the pixel loop counts sixteen pixels at a time in GCC vector types, with
 * no divisions and no floating point, and skips paper white. Memory goes with the page's size, which
 * the caller bounds: at most some 32 bytes a block, 2 MB for an A4 fine page.
 */
#include "render/tonemap.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/u8x16.h"
#include "util/xalloc.h"

/* Mid-tones: neither ink nor paper. The upper bound keeps #e0e0e0 backgrounds out of the tone areas. */
#define MID_LO 25
#define MID_HI 224
/* Flat fills darker than this are left to the threshold (see tonemap_classify). */
#define DARK_FILL 100
/* Paper white: a block mostly this light is paper, never grown into (see tonemap_grow). */
#define PAPER 232
/* Greys between neighbouring blocks of a smooth shadow; a flat fill's edge is a larger step. */
#define FLAT_STEP 6
/* Tone cores: the share of candidates among the blocks within a radius (see tonemap_classify). */
#define PHOTO_RADIUS 2
#define PHOTO_PCT    80
#define FILL_RADIUS  3
#define FILL_PCT     90
/* Tone areas smaller than this many blocks (mm²) are left to the threshold. */
#define MIN_AREA 16

#define ONES UINT64_C(0x0101010101010101)

enum {
	BLOCK_CAND = 1,   /* mostly mid-tones */
	BLOCK_ROUGH = 2,  /* ...that vary from pixel to pixel */
	BLOCK_INKY = 4,   /* ...with some ink in it: text on a tinted background */
	BLOCK_BELOW = 8,  /* ...mostly darker than the text threshold */
	BLOCK_DARK = 16,  /* ...flat and mostly darker than DARK_FILL */
	BLOCK_CORE = 32,  /* where a tone area starts */
	BLOCK_TONE = 64,  /* in a tone area */
	BLOCK_GROWN = 128 /* grown into by a tone area (see tonemap_grow) */
};
/* Once the tone areas are flooded, tonemap_grow keeps only BLOCK_TONE and reuses the other bits. */
enum {
	GROW_EDGE = 1,  /* a fair share of mid-tones: halftoned beside a halftoned block */
	GROW_TEXT = 2,  /* may hold text */
	GROW_HOLE = 4,  /* neither paper nor text: halftoned when a tone area encloses it */
	GROW_FILL = 8,  /* ...nor light, nor of one grey: halftoned when a tone area reaches it */
	GROW_FLAT = 16, /* ...but of one grey: see grow_flat */
	GROW_DONE = 32  /* seen by a flood */
};

/*
 * For every block, how many blocks within radius r (a square) have flag set; with flag 0 it counts
 * the blocks on the page, for neighbourhoods cut by the page edge. Two separable sliding-window
 * passes, both walking rows so the grid is read in memory order.
 */
static void tonemap_box_count(const uint8_t *map, uint8_t flag, int nbx, int nby, int r, uint16_t *out)
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
 * The counts of sixteen pixels (two blocks) of a block row, lane by lane. A comparison gives -1 in
 * each true lane, so subtracting it counts; a lane counts at most 16 rows.
 */
struct block_lanes {
	u8x16 mid, rough, flat, below, dark, ink, grey, same;
};

/* Add the lanes of each half of acc to the counts of the two blocks. */
static void lanes_add(u8x16 acc, uint16_t *first, uint16_t *second)
{
	uint64_t h[2];

	memcpy(h, &acc, sizeof(h));
	*first += (uint16_t)((h[0] * ONES) >> 56);
	*second += (uint16_t)((h[1] * ONES) >> 56);
}

static void tonemap_count_tail(const uint8_t *row, const uint8_t *up, bool top, int x, struct block_count *c,
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
static void tonemap_count(const struct greymap *in, int bh, int nbx, int thr, struct block_count *cnt)
{
	const u8x16 lo = u8x16_splat(MID_LO), hi = u8x16_splat(MID_HI), below = u8x16_splat(thr),
	            dark = u8x16_splat(DARK_FILL), paper = u8x16_splat(PAPER);
	/* The first column of each block: no left neighbour in the block. */
	const u8x16 seam = {255, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0};
	int pairs = in->width / 16;
	struct block_lanes *lanes = xcalloc((size_t)pairs + 1, sizeof(*lanes));

	for (int y = 0; y < in->height; y++) {
		const uint8_t *row = in->px + (size_t)y * in->stride;
		const uint8_t *up = y > 0 ? row - in->stride : row;
		struct block_count *c = cnt + (size_t)(y / bh) * (size_t)nbx;
		const u8x16 top = u8x16_splat(y % bh == 0 ? 255 : 0);

		for (int i = 0; i < pairs; i++) {
			const uint8_t *p = row + (size_t)i * 16;
			uint64_t h[2];
			memcpy(h, p, sizeof(h));
			if ((h[0] & h[1]) == ~UINT64_C(0))
				continue;
			struct block_lanes *l = &lanes[i];
			u8x16 v = u8x16_load(p), left;
			if (i > 0) {
				left = u8x16_load(p - 1);
			} else {
				left = v;
				memcpy((uint8_t *)&left + 1, p, 15);
			}
			u8x16 ink = (u8x16)(v < lo), mid = (u8x16)(v < hi) & ~ink;
			u8x16 eql = (u8x16)(v == left), equ = (u8x16)(v == u8x16_load(up + (size_t)i * 16));
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
			tonemap_count_tail(row, up, y % bh == 0, x, &c[x / 8], thr);
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
static bool tonemap_flood(uint8_t *map, int nbx, int nby)
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
 * What a tone area may grow into (see tonemap_grow). Mostly the photo's shadows and highlights, too
 * dark or light to be candidates, or smooth shadows that look like flat dark fills: thresholded they
 * would stand out as hard black blobs or white holes. Text must stay thresholded, so never:
 *  - a block with pixels on both sides of the text threshold: it may hold the edge of a glyph, dark
 *    on light or light on dark (in a photo, a sharp edge: thresholding does it little harm);
 *  - a block mostly paper white: the faint fringes of text beside the photo, its caption.
 * Light blocks are halftoned only where a tone area encloses them, and blocks of one grey only with
 * care (see grow_flat): a flood through them could reach far, to text on the same background.
 */
static uint8_t tonemap_fillable(const struct block_count *c, int px)
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

/* The flood of the tone areas over the rest of their photos (see tonemap_grow). */
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
__attribute__((noinline)) static void tonemap_grow(const struct greymap *in, int bh, int nbx, int nby,
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
				s.g[(size_t)(by + 1) * s.w + (size_t)bx + 1] = tonemap_fillable(&cnt[i], px);
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
static void tonemap_classify(const struct greymap *in, int bh, int nbx, int nby, int thr, uint8_t *map)
{
	size_t n = (size_t)nbx * (size_t)nby;
	struct block_count *cnt = xcalloc(n, sizeof(*cnt));
	uint16_t *all = xmalloc(n * sizeof(*all)), *cand = xmalloc(n * sizeof(*cand));
	uint16_t *box = xmalloc(n * sizeof(*box));
	size_t ncand = 0;

	tonemap_count(in, bh, nbx, thr, cnt);
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
	tonemap_box_count(map, 0, nbx, nby, PHOTO_RADIUS, all);
	tonemap_box_count(map, BLOCK_CAND, nbx, nby, PHOTO_RADIUS, cand);
	tonemap_box_count(map, BLOCK_ROUGH, nbx, nby, PHOTO_RADIUS, box);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & BLOCK_CAND) && cand[i] * 100 >= all[i] * PHOTO_PCT && 2 * box[i] >= cand[i])
			map[i] |= BLOCK_CORE;
	tonemap_box_count(map, BLOCK_INKY, nbx, nby, PHOTO_RADIUS, box);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & (BLOCK_CAND | BLOCK_BELOW | BLOCK_DARK)) == (BLOCK_CAND | BLOCK_BELOW) &&
		    cand[i] * 100 >= all[i] * PHOTO_PCT && box[i] >= 2)
			map[i] |= BLOCK_CORE;
	tonemap_box_count(map, 0, nbx, nby, FILL_RADIUS, all);
	tonemap_box_count(map, BLOCK_CAND, nbx, nby, FILL_RADIUS, cand);
	for (size_t i = 0; i < n; i++)
		if ((map[i] & (BLOCK_CAND | BLOCK_DARK)) == BLOCK_CAND && cand[i] * 100 >= all[i] * FILL_PCT)
			map[i] |= BLOCK_CORE;

	if (tonemap_flood(map, nbx, nby))
		tonemap_grow(in, bh, nbx, nby, cnt, map);
	else
		memset(map, 0, n);
out:
	free(box);
	free(cand);
	free(all);
	free(cnt);
}

void tonemap_build(const struct greymap *in, const struct fax_geometry *g, int thr, struct tonemap *tm)
{
	int bh = (int)lround(8 * g->ydpmm / 7.7);

	/* At most 16 rows: the per-lane counters of tonemap_count hold 8 x 16 pixels a block. */
	tm->bh = bh < 2 ? 2 : bh > 16 ? 16 : bh;
	tm->nbx = 0;
	tm->nby = 0;
	tm->tone = NULL;
	if (in->width <= 0 || in->height <= 0)
		return;
	thr = thr < 0 ? 0 : thr > 255 ? 255 : thr;
	tm->nbx = (in->width + 7) / 8;
	tm->nby = (in->height + tm->bh - 1) / tm->bh;
	tm->tone = xmalloc((size_t)tm->nbx * (size_t)tm->nby);
	tonemap_classify(in, tm->bh, tm->nbx, tm->nby, thr, tm->tone);
}

void tonemap_free(struct tonemap *tm)
{
	free(tm->tone);
	tm->tone = NULL;
}
