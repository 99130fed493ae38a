/*
 * test_geometry.c - fax page sizes per resolution and paper, and placing document pages on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <math.h>

#include <cmocka.h>

#include "render/geometry.h"

static void test_page_sizes(void **state)
{
	static const struct {
		enum fax_resolution res;
		enum fax_paper paper;
		int height, yres;
		double ydpmm;
	} cases[] = {
	    {FAX_RES_STANDARD, FAX_PAPER_A4, 1143, 98, 3.85},
	    {FAX_RES_FINE, FAX_PAPER_A4, 2287, 196, 7.7},
	    {FAX_RES_SUPERFINE, FAX_PAPER_A4, 4574, 391, 15.4},
	    {FAX_RES_STANDARD, FAX_PAPER_LETTER, 1076, 98, 3.85},
	    {FAX_RES_FINE, FAX_PAPER_LETTER, 2151, 196, 7.7},
	    {FAX_RES_SUPERFINE, FAX_PAPER_LETTER, 4303, 391, 15.4},
	};
	struct fax_geometry g;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		geometry_init(&g, cases[i].res, cases[i].paper);
		assert_int_equal(g.res, cases[i].res);
		assert_int_equal(g.paper, cases[i].paper);
		assert_int_equal(g.width, 1728);
		assert_int_equal(g.height, cases[i].height);
		assert_int_equal(g.tiff_yres, cases[i].yres);
		assert_true(fabs(g.ydpmm - cases[i].ydpmm) < 1e-9);
		assert_true(fabs(g.xdpmm - 1728.0 / 215.0) < 1e-9);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(geometry_resolution_parse("standard"), FAX_RES_STANDARD);
	assert_int_equal(geometry_resolution_parse("fine"), FAX_RES_FINE);
	assert_int_equal(geometry_resolution_parse("superfine"), FAX_RES_SUPERFINE);
	assert_int_equal(geometry_resolution_parse("Fine"), FAX_RES_FINE);
	assert_int_equal(geometry_resolution_parse("ultra"), -1);
	assert_int_equal(geometry_resolution_parse(""), -1);
	assert_int_equal(geometry_resolution_parse(NULL), -1);
	assert_int_equal(geometry_paper_parse("a4"), FAX_PAPER_A4);
	assert_int_equal(geometry_paper_parse("letter"), FAX_PAPER_LETTER);
	assert_int_equal(geometry_paper_parse("legal"), -1);
	assert_string_equal(geometry_resolution_name(FAX_RES_STANDARD), "standard");
	assert_string_equal(geometry_resolution_name(FAX_RES_FINE), "fine");
	assert_string_equal(geometry_resolution_name(FAX_RES_SUPERFINE), "superfine");
	assert_string_equal(geometry_paper_name(FAX_PAPER_A4), "a4");
	assert_string_equal(geometry_paper_name(FAX_PAPER_LETTER), "letter");
	/* Names and parsing agree for every value. */
	for (int r = FAX_RES_STANDARD; r <= FAX_RES_SUPERFINE; r++)
		assert_int_equal(geometry_resolution_parse(geometry_resolution_name(r)), r);
	for (int p = FAX_PAPER_A4; p <= FAX_PAPER_LETTER; p++)
		assert_int_equal(geometry_paper_parse(geometry_paper_name(p)), p);
}

static void test_place_a4_portrait(void **state)
{
	struct fax_geometry g;
	struct placement p;

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	geometry_place(&g, 210, 297, true, &p);
	/* The page is as long as the paper: full size, centred, 210 mm of the 215 mm across. */
	assert_false(p.rotate);
	assert_true(fabs(p.scale - 1.0) < 0.001);
	assert_int_equal(p.out_h, 2287);
	assert_int_equal(p.out_w, 1688);
	assert_int_equal(p.ox, (1728 - 1688) / 2);
	assert_int_equal(p.oy, 0);
}

static void test_place_a4_landscape(void **state)
{
	struct fax_geometry g;
	struct placement p;

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	geometry_place(&g, 297, 210, true, &p);
	assert_true(p.rotate);
	assert_true(fabs(p.scale - 1.0) < 0.001);
	assert_int_equal(p.out_w, 1688);
	assert_int_equal(p.out_h, 2287);
	assert_int_equal(p.ox, 20);
	assert_int_equal(p.oy, 0);
}

static void test_place_letter_on_a4(void **state)
{
	struct fax_geometry g;
	struct placement p;

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	geometry_place(&g, 215.9, 279.4, true, &p);
	/* Letter is 0.9 mm wider than the fax line: it is shrunk to fit across. */
	assert_false(p.rotate);
	assert_true(fabs(p.scale - 215.0 / 215.9) < 1e-6);
	assert_int_equal(p.out_w, 1728);
	assert_int_equal(p.ox, 0);
	assert_int_equal(p.out_h, (int)lround(279.4 * 215.0 / 215.9 * 7.7));
	assert_true(p.out_h < g.height);

	/* And A4 on Letter paper: limited by the length. */
	geometry_init(&g, FAX_RES_STANDARD, FAX_PAPER_LETTER);
	geometry_place(&g, 210, 297, true, &p);
	assert_true(p.scale < 0.95);
	assert_int_equal(p.out_h, g.height);
	assert_true(p.out_w < 1728 && p.ox > 0);
	assert_int_equal(p.ox, (1728 - p.out_w) / 2);
}

static void test_place_small_image(void **state)
{
	struct fax_geometry g;
	struct placement p;

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	/* A 50 x 30 mm image fits upright at its own size: not turned, never blown up. */
	geometry_place(&g, 50, 30, false, &p);
	assert_false(p.rotate);
	assert_true(fabs(p.scale - 1.0) < 1e-9);
	assert_int_equal(p.out_w, (int)lround(50 * 1728.0 / 215.0));
	assert_int_equal(p.out_h, (int)lround(30 * 7.7));
	assert_int_equal(p.ox, (1728 - p.out_w) / 2);
	assert_int_equal(p.oy, 0);
	/* A 280 x 200 mm landscape image would shrink upright but fits turned: turned, full size. */
	geometry_place(&g, 280, 200, false, &p);
	assert_true(p.rotate);
	assert_true(fabs(p.scale - 1.0) < 1e-9);
	assert_int_equal(p.out_h, (int)lround(280 * 7.7));
	/* Allowed to grow, it fills the paper's length. */
	geometry_place(&g, 50, 30, true, &p);
	assert_true(p.rotate);
	assert_true(p.scale > 4);
	assert_true(p.out_h == g.height || p.out_w == g.width);

	/* Superfine: same physical size, twice the rows. */
	geometry_init(&g, FAX_RES_SUPERFINE, FAX_PAPER_A4);
	geometry_place(&g, 30, 50, false, &p);
	assert_false(p.rotate);
	assert_int_equal(p.out_h, 770);
}

static void test_place_hostile_sizes(void **state)
{
	struct fax_geometry g;
	struct placement p;
	const double bad[][2] = {{0, 0}, {-5, 100}, {NAN, 10}, {INFINITY, 10}, {1e300, 1e-300}, {1e-9, 1e-9}};

	(void)state;
	geometry_init(&g, FAX_RES_FINE, FAX_PAPER_A4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		geometry_place(&g, bad[i][0], bad[i][1], true, &p);
		assert_true(p.out_w >= 1 && p.out_w <= g.width);
		assert_true(p.out_h >= 1 && p.out_h <= g.height);
		assert_true(p.ox >= 0 && p.ox + p.out_w <= g.width);
		assert_true(isfinite(p.scale) && p.scale > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_sizes),          cmocka_unit_test(test_names),
	    cmocka_unit_test(test_place_a4_portrait),   cmocka_unit_test(test_place_a4_landscape),
	    cmocka_unit_test(test_place_letter_on_a4),  cmocka_unit_test(test_place_small_image),
	    cmocka_unit_test(test_place_hostile_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
