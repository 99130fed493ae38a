/*
 * pagecmp.c - compare two multi-page bilevel TIFFs, or describe one; used by the rendering tests.
 *
 *   pagecmp [--tolerance PERMILLE] A.tif B.tif
 *	Same page count, sizes and vertical resolution are required; each page may differ in at most
 *	PERMILLE thousandths of its pixels (default 2, 0 = identical). Prints the differing pixels of
 *	every page and where they lie. Exit 0 when alike, 1 when not (or unreadable), 2 on usage.
 *   pagecmp --info X.tif
 *	Prints "pages N", then one line a page with width, height, xres, yres, compression and the
 *	fraction of black pixels, in a fixed "key value" form the shell tests pick apart with awk.
 *
 * The TIFFs are outputs of the code under test: see tiffpages.h for how they are read defensively.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiffpages.h"

static int pagecmp_usage(void)
{
	fprintf(stderr, "usage: pagecmp [--tolerance PERMILLE] A.tif B.tif\n"
	                "       pagecmp --info X.tif\n");
	return 2;
}

static int pagecmp_info(const char *path)
{
	char err[300];
	struct tp_doc d;

	if (tp_read(path, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagecmp: %s\n", err);
		return 1;
	}
	printf("pages %d\n", d.count);
	for (int i = 0; i < d.count; i++) {
		const struct tp_page *p = &d.pages[i];
		double frac = (double)tp_black(p) / ((double)p->width * p->height);

		printf("page %d width %d height %d xres %ld yres %ld compression %d black %.6f\n", i + 1,
		       p->width, p->height, lround(p->xres), lround(p->yres), p->compression, frac);
	}
	tp_free(&d);
	return 0;
}

/* Where the differences of one page lie, to tell a shifted page from a local change. */
static void pagecmp_bbox(const struct tp_page *a, const struct tp_page *b, int box[4])
{
	box[0] = a->width;
	box[1] = a->height;
	box[2] = -1;
	box[3] = -1;
	for (int y = 0; y < a->height; y++) {
		const uint8_t *ra = a->bits + (size_t)y * a->stride, *rb = b->bits + (size_t)y * b->stride;

		for (size_t i = 0; i < a->stride; i++) {
			uint8_t x = ra[i] ^ rb[i];

			if (x == 0)
				continue;
			int first = (int)i * 8 + __builtin_clz((unsigned)x << 24);
			int last = (int)i * 8 + 7 - __builtin_ctz(x);

			if (first < box[0])
				box[0] = first;
			if (last > box[2])
				box[2] = last;
			if (y < box[1])
				box[1] = y;
			box[3] = y;
		}
	}
}

static int pagecmp_compare(const char *pa, const char *pb, double permille)
{
	char err[300];
	struct tp_doc a, b;
	int bad = 0;

	if (tp_read(pa, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagecmp: %s\n", err);
		return 1;
	}
	if (tp_read(pb, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagecmp: %s\n", err);
		tp_free(&a);
		return 1;
	}
	if (a.count != b.count) {
		printf("page count differs: %d in %s, %d in %s\n", a.count, pa, b.count, pb);
		bad = 1;
	}
	for (int i = 0; i < a.count && i < b.count; i++) {
		const struct tp_page *x = &a.pages[i], *y = &b.pages[i];
		double total = (double)x->width * x->height;
		uint64_t n;
		int box[4];

		if (x->width != y->width || x->height != y->height) {
			printf("page %d: size differs: %dx%d vs %dx%d\n", i + 1, x->width, x->height,
			       y->width, y->height);
			bad = 1;
			continue;
		}
		if (lround(x->yres) != lround(y->yres)) {
			printf("page %d: vertical resolution differs: %ld vs %ld\n", i + 1, lround(x->yres),
			       lround(y->yres));
			bad = 1;
		}
		n = tp_diff(x, y);
		if (n == 0) {
			printf("page %d: identical\n", i + 1);
			continue;
		}
		pagecmp_bbox(x, y, box);
		printf("page %d: %llu of %.0f pixels differ (%.3f permille), in x %d-%d y %d-%d\n", i + 1,
		       (unsigned long long)n, total, 1000.0 * (double)n / total, box[0], box[2], box[1],
		       box[3]);
		if ((double)n > permille / 1000.0 * total) {
			printf("page %d: beyond the tolerance of %g permille\n", i + 1, permille);
			bad = 1;
		}
	}
	tp_free(&a);
	tp_free(&b);
	return bad;
}

int main(int argc, char **argv)
{
	double permille = 2.0;
	int i = 1;

	if (argc == 3 && strcmp(argv[1], "--info") == 0)
		return pagecmp_info(argv[2]);
	if (i + 1 < argc && strcmp(argv[i], "--tolerance") == 0) {
		char *end;

		errno = 0;
		permille = strtod(argv[i + 1], &end);
		if (errno || *end || end == argv[i + 1] || !(permille >= 0 && permille <= 1000))
			return pagecmp_usage();
		i += 2;
	}
	if (argc - i != 2)
		return pagecmp_usage();
	return pagecmp_compare(argv[i], argv[i + 1], permille);
}
