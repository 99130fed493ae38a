/*
 * test_typeset.c - text on fax pages: ink stays inside the margins, pages hold the number of lines
 * the font's physical size allows at every resolution, form feeds break pages, a letter 'O' has
 * the same physical shape at standard, fine and superfine and letters advance by their physical
 * width, every script has glyphs (no tofu), right-to-left paragraphs are aligned right, a full
 * page is fast; and convert_text through the real sink, page limit included. The cover page is
 * tested in test_cover.c.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/convert.h"
#include "render/geometry.h"
#include "render/typeset.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_PAGES 16
#define INK       128

static const enum fax_resolution resolutions[] = {FAX_RES_STANDARD, FAX_RES_FINE, FAX_RES_SUPERFINE};

/* Pages handed over by typeset_text, copied; stop_after > 0 makes the callback refuse a page. */
struct pages {
	struct greymap p[MAX_PAGES];
	int count;
	int stop_after;
};

static int collect(void *arg, const struct greymap *g)
{
	struct pages *pg = arg;

	if (pg->stop_after > 0 && pg->count >= pg->stop_after)
		return -1;
	assert_true(pg->count < MAX_PAGES);
	greymap_alloc(&pg->p[pg->count], g->width, g->height);
	for (int y = 0; y < g->height; y++)
		memcpy(pg->p[pg->count].px + (size_t)y * pg->p[pg->count].stride,
		       g->px + (size_t)y * g->stride, (size_t)g->width);
	pg->count++;
	return 0;
}

static void pages_free(struct pages *pg)
{
	for (int i = 0; i < pg->count; i++)
		greymap_free(&pg->p[i]);
	memset(pg, 0, sizeof(*pg));
}

struct box {
	int x0, y0, x1, y1; /* inclusive; x0 > x1 when there is no ink */
};

static struct box ink_box(const struct greymap *g)
{
	struct box b = {g->width, g->height, -1, -1};

	for (int y = 0; y < g->height; y++) {
		const uint8_t *row = g->px + (size_t)y * g->stride;

		for (int x = 0; x < g->width; x++) {
			/* Thresholded pages are pure black and white. */
			assert_true(row[x] == 0 || row[x] == 255);
			if (row[x] < INK) {
				b.x0 = x < b.x0 ? x : b.x0;
				b.x1 = x > b.x1 ? x : b.x1;
				b.y0 = y < b.y0 ? y : b.y0;
				b.y1 = y > b.y1 ? y : b.y1;
			}
		}
	}
	return b;
}

/* Runs of rows with ink: one per line of text without descenders. */
static int ink_bands(const struct greymap *g)
{
	int bands = 0;
	bool prev = false;

	for (int y = 0; y < g->height; y++) {
		const uint8_t *row = g->px + (size_t)y * g->stride;
		bool ink = memchr(row, 0, (size_t)g->width) != NULL;

		bands += ink && !prev;
		prev = ink;
	}
	return bands;
}

static struct typeset *make(enum fax_resolution res, enum fax_paper paper, struct fax_geometry *g)
{
	struct typeset *t;

	geometry_init(g, res, paper);
	t = typeset_new(g, 168);
	assert_non_null(t);
	return t;
}

static int run_text(struct typeset *t, const char *font, const char *text, struct pages *pg)
{
	return typeset_text(t, font, text, strlen(text), collect, pg);
}

static void test_margins(void **state)
{
	struct buf text = BUF_INIT;

	(void)state;
	buf_puts(&text,
	         "A line long enough to be wrapped at a word boundary because it does not fit in the "
	         "width of the page between the margins, and then some more words to be sure.\n"
	         "Averyveryverylongwordwithoutanyspacesthatcannotbebrokenatawordboundaryandmustbebrokenbet"
	         "weencharactersinsteadbecauseitiswiderthanthepage\n"
	         "Кириллица, Ελληνικά, 日本語のテキスト, עברית, العربية\n");
	for (int i = 0; i < 150; i++)
		buf_printf(&text, "line %d: the quick brown fox jumps over the lazy dog {[(|)]} gjpqy\n", i);
	for (size_t r = 0; r < 3; r++) {
		struct fax_geometry g;
		struct typeset *t = make(resolutions[r], FAX_PAPER_A4, &g);
		struct pages pg = {0};

		assert_int_equal(run_text(t, NULL, buf_cstr(&text), &pg), 3);
		assert_int_equal(pg.count, 3);
		for (int i = 0; i < pg.count; i++) {
			struct box b = ink_box(&pg.p[i]);

			assert_int_equal(pg.p[i].width, g.width);
			assert_int_equal(pg.p[i].height, g.height);
			assert_true(b.x0 >= (int)((TYPESET_MARGIN_X_MM - 0.5) * g.xdpmm));
			assert_true(b.x1 <= (int)((215 - TYPESET_MARGIN_X_MM + 0.5) * g.xdpmm));
			assert_true(b.y0 >= (int)((TYPESET_MARGIN_Y_MM - 0.5) * g.ydpmm));
			assert_true(b.y1 <= g.height - (int)((TYPESET_MARGIN_Y_MM - 0.5) * g.ydpmm));
			/* Text starts at the top margin and, on full pages, fills down to the bottom one. */
			assert_true(b.y0 <= (int)((TYPESET_MARGIN_Y_MM + 2) * g.ydpmm));
			if (i < pg.count - 1)
				assert_true(b.y1 >= g.height - (int)((TYPESET_MARGIN_Y_MM + 8) * g.ydpmm));
		}
		/* The long lines wrap close to the right margin. */
		assert_true(ink_box(&pg.p[0]).x1 >= (int)((215 - TYPESET_MARGIN_X_MM - 5) * g.xdpmm));
		pages_free(&pg);
		typeset_free(t);
	}
	buf_free(&text);
}

/*
 * DejaVu Sans Mono's line pitch is its ascender plus descender, 1901 + 483 units of 2048 a em: at
 * 10 pt that is 4.107 mm, so 66 lines on A4 (273 mm between margins) and 62 on Letter, whatever
 * the resolution.
 */
static int expected_lines(double paper_mm)
{
	double pitch = 10 * 25.4 / 72 * (1901.0 + 483.0) / 2048.0;

	return (int)((paper_mm - 2 * TYPESET_MARGIN_Y_MM) / pitch);
}

static void check_pagination(enum fax_resolution res, enum fax_paper paper, int lpp)
{
	struct fax_geometry g;
	struct typeset *t = make(res, paper, &g);
	struct buf text = BUF_INIT;
	struct pages pg = {0};

	/* Capitals and digits have no descenders: each line is one band of ink. */
	for (int i = 1; i <= 2 * lpp; i++)
		buf_printf(&text, "LINE %03d OF THE TEST\n", i);
	assert_int_equal(run_text(t, "DejaVu Sans Mono 10", buf_cstr(&text), &pg), 2);
	assert_int_equal(ink_bands(&pg.p[0]), lpp);
	assert_int_equal(ink_bands(&pg.p[1]), lpp);
	pages_free(&pg);
	buf_puts(&text, "ONE MORE\n");
	assert_int_equal(run_text(t, "DejaVu Sans Mono 10", buf_cstr(&text), &pg), 3);
	assert_int_equal(ink_bands(&pg.p[2]), 1);
	pages_free(&pg);
	buf_free(&text);
	typeset_free(t);
}

static void test_pagination(void **state)
{
	(void)state;
	assert_int_equal(expected_lines(297), 66);
	assert_int_equal(expected_lines(279.4), 62);
	for (size_t r = 0; r < 3; r++) {
		check_pagination(resolutions[r], FAX_PAPER_A4, expected_lines(297));
		check_pagination(resolutions[r], FAX_PAPER_LETTER, expected_lines(279.4));
	}
}

static void test_form_feed(void **state)
{
	struct fax_geometry g;
	struct typeset *t = make(FAX_RES_FINE, FAX_PAPER_A4, &g);
	struct pages pg = {0};
	int top = (int)((TYPESET_MARGIN_Y_MM + 1.5) * g.ydpmm);

	(void)state;
	assert_int_equal(run_text(t, NULL, "PAGE ONE\fPAGE TWO", &pg), 2);
	assert_int_equal(ink_bands(&pg.p[0]), 1);
	assert_int_equal(ink_bands(&pg.p[1]), 1);
	pages_free(&pg);
	/* A form feed on a line of its own does not put a blank line at the top of the next page. */
	assert_int_equal(run_text(t, NULL, "PAGE ONE\n\f\nPAGE TWO\n", &pg), 2);
	assert_true(ink_box(&pg.p[1]).y0 < top);
	pages_free(&pg);
	/* Leading, repeated and trailing form feeds make no empty pages. */
	assert_int_equal(run_text(t, NULL, "\f\fPAGE ONE\f\f\fPAGE TWO\f", &pg), 2);
	pages_free(&pg);
	assert_int_equal(run_text(t, NULL, "", &pg), 0);
	assert_int_equal(run_text(t, NULL, "\f\f", &pg), 0);
	/* Blank lines are lines: a page without ink, which the sink drops. */
	assert_int_equal(run_text(t, NULL, "   \n\n   \n", &pg), 1);
	assert_true(ink_box(&pg.p[0]).x1 < 0);
	pages_free(&pg);
	typeset_free(t);
}

static void test_stop(void **state)
{
	struct fax_geometry g;
	struct typeset *t = make(FAX_RES_STANDARD, FAX_PAPER_A4, &g);
	struct pages pg = {0};
	struct buf text = BUF_INIT;

	(void)state;
	for (int i = 0; i < 1000; i++)
		buf_printf(&text, "line %d\n", i);
	pg.stop_after = 2;
	assert_int_equal(run_text(t, NULL, buf_cstr(&text), &pg), -1);
	assert_int_equal(pg.count, 2);
	pages_free(&pg);
	/* One enormous line is laid out in bounded pieces and still stops at the page limit. */
	buf_reset(&text);
	for (int i = 0; i < 200000; i++)
		buf_puts(&text, "word ");
	pg.stop_after = 3;
	assert_int_equal(run_text(t, NULL, buf_cstr(&text), &pg), -1);
	assert_int_equal(pg.count, 3);
	pages_free(&pg);
	buf_free(&text);
	typeset_free(t);
}

/* The physical width / height of a letter O's ink. */
static double o_aspect(enum fax_resolution res, const char *font, double *height_mm)
{
	struct fax_geometry g;
	struct typeset *t = make(res, FAX_PAPER_A4, &g);
	struct pages pg = {0};
	struct box b;
	double w, h;

	assert_int_equal(run_text(t, font, "O", &pg), 1);
	b = ink_box(&pg.p[0]);
	w = (b.x1 - b.x0 + 1) / g.xdpmm;
	h = (b.y1 - b.y0 + 1) / g.ydpmm;
	pages_free(&pg);
	typeset_free(t);
	*height_mm = h;
	return w / h;
}

static void test_o_is_round(void **state)
{
	double ref10, ref40, a, h;

	(void)state;
	/* DejaVu Sans 'O' is 0.71 em wide and 0.76 em tall (cap height plus overshoot). */
	ref40 = o_aspect(FAX_RES_SUPERFINE, "DejaVu Sans 40", &h);
	print_message("O at 40 pt superfine: aspect %.3f, height %.2f mm\n", ref40, h);
	assert_true(ref40 > 0.85 && ref40 < 1.0);
	assert_true(h > 10.0 && h < 11.2); /* 0.76 em of 14.1 mm */
	ref10 = o_aspect(FAX_RES_SUPERFINE, "DejaVu Sans 10", &h);
	assert_true(h > 2.4 && h < 2.9);
	for (size_t r = 0; r < 2; r++) {
		a = o_aspect(resolutions[r], "DejaVu Sans 40", &h);
		print_message("O at 40 pt %s: aspect %.3f\n", geometry_resolution_name(resolutions[r]), a);
		assert_true(a / ref40 > 0.95 && a / ref40 < 1.05);
		assert_true(h > 10.0 && h < 11.2);
		/* At 10 pt one row is 10% of the letter at standard: allow for rounding. */
		a = o_aspect(resolutions[r], "DejaVu Sans 10", &h);
		print_message("O at 10 pt %s: aspect %.3f\n", geometry_resolution_name(resolutions[r]), a);
		assert_true(a / ref10 > 0.85 && a / ref10 < 1.15);
	}
}

/*
 * Horizontal metrics are physical too: DejaVu Sans Mono advances 1233/2048 em, so from the first
 * to the last of two bars nine cells apart there are 9 * 2.124 mm (plus one stroke).
 */
static void test_advances(void **state)
{
	(void)state;
	for (size_t r = 0; r < 3; r++) {
		struct fax_geometry g;
		struct typeset *t = make(resolutions[r], FAX_PAPER_A4, &g);
		struct pages pg = {0};
		struct box b;
		double mm;

		assert_int_equal(run_text(t, "DejaVu Sans Mono 10", "|        |", &pg), 1);
		b = ink_box(&pg.p[0]);
		mm = (b.x1 - b.x0 + 1) / g.xdpmm;
		print_message("nine cells at %s: %.2f mm\n", geometry_resolution_name(g.res), mm);
		assert_true(mm > 9 * 2.124 - 0.2 && mm < 9 * 2.124 + 0.6);
		pages_free(&pg);
		typeset_free(t);
	}
}

static void test_scripts(void **state)
{
	static const char *const samples[] = {
	    "Latin: Grüße aus München, àéîõü ñç ß œ € “quoted”",
	    "Cyrillic: Съешь же ещё этих мягких французских булок",
	    "Greek: Ξεσκεπάζω τὴν ψυχοφθόρα βδελυγμία",
	    "Japanese: 日本語のテキスト、漢字とかな。カタカナ",
	    "Chinese: 中文简体字测试。繁體中文測試",
	    "Korean: 한국어 텍스트입니다",
	    "Hebrew: שלום עולם, זהו טקסט בעברית",
	    "Arabic: مرحبا بالعالم، هذا نص باللغة العربية",
	};
	struct fax_geometry g;
	struct typeset *t = make(FAX_RES_FINE, FAX_PAPER_A4, &g);
	struct pages pg = {0};
	struct box b;

	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		assert_int_equal(typeset_unknown_glyphs(t, NULL, samples[i]), 0);
		assert_int_equal(typeset_unknown_glyphs(t, "DejaVu Sans 11", samples[i]), 0);
	}
	/* The check can fail: nothing has a glyph for a private-use character of plane 16. */
	assert_true(typeset_unknown_glyphs(t, NULL, "x \xF4\x8F\xBF\xBD y") > 0);

	/* A right-to-left paragraph is aligned right, a left-to-right one left. */
	assert_int_equal(run_text(t, NULL, "שלום עולם\n", &pg), 1);
	b = ink_box(&pg.p[0]);
	assert_true(b.x1 > (int)((215 - TYPESET_MARGIN_X_MM - 1) * g.xdpmm));
	assert_true(b.x0 > (int)(150 * g.xdpmm));
	pages_free(&pg);
	assert_int_equal(run_text(t, NULL, "hello\n", &pg), 1);
	b = ink_box(&pg.p[0]);
	assert_true(b.x0 < (int)((TYPESET_MARGIN_X_MM + 1) * g.xdpmm));
	assert_true(b.x1 < (int)(50 * g.xdpmm));
	pages_free(&pg);
	typeset_free(t);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_speed(void **state)
{
	struct buf text = BUF_INIT;

	(void)state;
	for (int i = 0; i < 66; i++)
		buf_printf(
		    &text,
		    "%02d The quick brown fox jumps over the lazy dog; Pack my box with five dozen jugs.\n",
		    i);
	for (size_t r = 0; r < 3; r++) {
		struct fax_geometry g;
		struct typeset *t = make(resolutions[r], FAX_PAPER_A4, &g);
		struct pages pg = {0};
		double t0, ms;

		assert_int_equal(run_text(t, NULL, buf_cstr(&text), &pg), 1); /* fonts loaded and cached */
		pages_free(&pg);
		t0 = now_ms();
		assert_int_equal(run_text(t, NULL, buf_cstr(&text), &pg), 1);
		ms = now_ms() - t0;
		pages_free(&pg);
		print_message("full page of text at %s: %.1f ms\n", geometry_resolution_name(g.res), ms);
		/* Generous: sanitizer builds are several times slower than the 5-10 ms of -O2. */
		assert_true(ms < 250);
		typeset_free(t);
	}
	buf_free(&text);
}

/* ---- the converters, through the real sink (pages go to /dev/null) ---- */

static void conv_init(struct convert_ctx *c, size_t max_pages)
{
	memset(c, 0, sizeof(*c));
	geometry_init(&c->geom, FAX_RES_FINE, FAX_PAPER_A4);
	bilevel_opts_init(&c->bilevel, &c->geom, 168, 100, true, 10);
	c->drop_blank = true;
	c->max_pages = max_pages;
	c->memory_limit = 256u << 20;
	c->text_font = "DejaVu Sans Mono 10";
	c->out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(c->out_fd >= 0);
	c->status = RENDER_OK;
}

static char *write_temp(const char *data, size_t len)
{
	char *path = xstrdup("/tmp/test_typeset.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_convert_text(void **state)
{
	struct convert_ctx c;
	struct buf text = BUF_INIT;
	char *path;

	(void)state;
	/* Latin-1 text of 500 lines: 66 lines a page make 8 pages. */
	for (int i = 0; i < 500; i++)
		buf_printf(&text, "Zeile %d: Gr\374\337e aus M\374nchen\n", i);
	path = write_temp(text.data, text.len);
	conv_init(&c, 100);
	assert_int_equal(convert_text(&c, path), 0);
	assert_int_equal(c.status, RENDER_OK);
	assert_int_equal(c.pages_sent, 8);
	close(c.out_fd);
	/* The page limit stops the typesetter. */
	conv_init(&c, 3);
	assert_int_equal(convert_text(&c, path), -1);
	assert_int_equal(c.status, RENDER_TOO_MANY_PAGES);
	assert_int_equal(c.pages_sent, 3);
	close(c.out_fd);
	/* Only blanks: pages without ink, which the sink drops. */
	unlink(path);
	free(path);
	path = write_temp("  \n\t\n\n", 5);
	conv_init(&c, 100);
	assert_int_equal(convert_text(&c, path), 0);
	assert_int_equal(c.pages_sent, 0);
	assert_int_equal(c.pages_blank, 1);
	close(c.out_fd);
	unlink(path);
	free(path);
	buf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_margins),      cmocka_unit_test(test_pagination),
	    cmocka_unit_test(test_form_feed),    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_o_is_round),   cmocka_unit_test(test_advances),
	    cmocka_unit_test(test_scripts),      cmocka_unit_test(test_speed),
	    cmocka_unit_test(test_convert_text),
	};

	int failed;

	log_open("test_typeset", LOG_TO_STDERR, NULL);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	return failed;
}
