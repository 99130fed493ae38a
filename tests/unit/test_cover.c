/*
 * test_cover.c - the cover page: values are escaped (markup in a subject is shown, not obeyed),
 * fields files are parsed and bounded (escapes, unknown keys, 64 lines, 4 KB values, a comment of
 * 2,000 characters then "…"), templates are parsed and their errors name the line, columns split
 * at tabs, an overlong comment is cut at the bottom margin, the installed default template
 * renders, and convert_cover through the real sink makes one page or an internal error.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <pango/pango.h>

#include "render/convert.h"
#include "render/cover.h"
#include "render/geometry.h"
#include "render/typeset.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

struct box {
	int x0, y0, x1, y1; /* inclusive; x0 > x1 when there is no ink */
};

static struct box ink_box(const struct greymap *g)
{
	struct box b = {g->width, g->height, -1, -1};

	for (int y = 0; y < g->height; y++) {
		const uint8_t *row = g->px + (size_t)y * g->stride;

		for (int x = 0; x < g->width; x++) {
			if (row[x] < 128) {
				b.x0 = x < b.x0 ? x : b.x0;
				b.x1 = x > b.x1 ? x : b.x1;
				b.y0 = y < b.y0 ? y : b.y0;
				b.y1 = y > b.y1 ? y : b.y1;
			}
		}
	}
	return b;
}

static struct typeset *make(enum fax_resolution res, enum fax_paper paper, struct fax_geometry *g)
{
	struct typeset *t;

	geometry_init(g, res, paper);
	t = typeset_new(g, 168);
	assert_non_null(t);
	return t;
}

static const enum fax_resolution resolutions[] = {FAX_RES_STANDARD, FAX_RES_FINE, FAX_RES_SUPERFINE};

static void conv_init(struct convert_ctx *c)
{
	memset(c, 0, sizeof(*c));
	geometry_init(&c->geom, FAX_RES_FINE, FAX_PAPER_A4);
	bilevel_opts_init(&c->bilevel, &c->geom, 168, 100, true, 10);
	c->drop_blank = true;
	c->max_pages = 100;
	c->memory_limit = 256u << 20;
	c->out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(c->out_fd >= 0);
	c->status = RENDER_OK;
}

static char *write_temp(const char *data, size_t len)
{
	char *path = xstrdup("/tmp/test_cover.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_cover_substitute(void **state)
{
	struct cover_fields f;
	struct buf out = BUF_INIT;
	static const char hostile[] = "<b>x</b> ${to_name} &amp;";
	char *text = NULL;
	const char *tmpl =
	    "<b>Subject:</b> ${subject} to ${to_name}${nope}, ${ bad} ${Subject} ${unterminated";

	(void)state;
	cover_fields_init(&f);
	assert_int_equal(cover_fields_set(&f, "subject", hostile, strlen(hostile)), 0);
	assert_int_equal(cover_fields_set(&f, "to_name", "Bob & Alice", 11), 0);
	assert_int_equal(cover_fields_set(&f, "no_such_key", "x", 1), -1);
	cover_substitute(tmpl, strlen(tmpl), &f, &out);
	assert_string_equal(buf_cstr(&out),
	                    "<b>Subject:</b> &lt;b&gt;x&lt;/b&gt; ${to_name} &amp;amp; to Bob &amp; Alice, "
	                    "${ bad} ${Subject} ${unterminated");
	/* What Pango shows is the subject exactly as the sender wrote it. */
	assert_true(pango_parse_markup(buf_cstr(&out), -1, 0, NULL, &text, NULL, NULL));
	assert_string_equal(
	    text, "Subject: <b>x</b> ${to_name} &amp; to Bob & Alice, ${ bad} ${Subject} ${unterminated");
	g_free(text);
	buf_free(&out);
	cover_fields_free(&f);
}

static void test_cover_fields(void **state)
{
	struct cover_fields f;
	struct buf in = BUF_INIT;
	const char *v;

	(void)state;
	cover_fields_init(&f);
	buf_puts(&in, "to_name=  Jane Doe \r\n"
	              "junk line without equals\n"
	              "=novalue\n"
	              "unknown=ignored\n"
	              "subject=tab\there\\nnewline \\\\ back\\slash\x01\n"
	              "comment=\\n\\nDear Jane,\\nbody\\n\\n\n"
	              "from_name=Bad \xFF byte\n"
	              "date=2024-06-03\n"
	              "date=2024-06-04\n");
	cover_fields_parse(&f, in.data, in.len);
	assert_string_equal(cover_fields_get(&f, "to_name"), "Jane Doe");
	assert_string_equal(cover_fields_get(&f, "subject"), "tab here newline \\ back\\slash");
	assert_string_equal(cover_fields_get(&f, "comment"), "Dear Jane,\nbody");
	assert_string_equal(cover_fields_get(&f, "from_name"), "Bad \xEF\xBF\xBD byte");
	assert_string_equal(cover_fields_get(&f, "date"), "2024-06-04");
	assert_null(cover_fields_get(&f, "to_fax"));
	assert_null(cover_fields_get(&f, "unknown"));
	cover_fields_free(&f);

	/* Only the first COVER_MAX_FIELDS lines count. */
	buf_reset(&in);
	for (int i = 0; i < COVER_MAX_FIELDS; i++)
		buf_puts(&in, "x=y\n");
	buf_puts(&in, "to_fax=123\n");
	cover_fields_parse(&f, in.data, in.len);
	assert_null(cover_fields_get(&f, "to_fax"));
	cover_fields_free(&f);

	/* Values are bounded; the comment shows 2,000 characters then an ellipsis. */
	buf_reset(&in);
	buf_puts(&in, "subject=");
	for (int i = 0; i < 3000; i++)
		buf_puts(&in, "\xC3\xA9"); /* é, two bytes */
	buf_puts(&in, "\ncomment=");
	for (int i = 0; i < 1500; i++)
		buf_puts(&in, "ab");
	buf_puts(&in, "\n");
	cover_fields_parse(&f, in.data, in.len);
	v = cover_fields_get(&f, "subject");
	assert_true(strlen(v) <= COVER_MAX_VALUE + 3);
	assert_true(g_utf8_validate(v, -1, NULL));
	assert_true(g_str_has_suffix(v, "é…"));
	v = cover_fields_get(&f, "comment");
	assert_int_equal(g_utf8_strlen(v, -1), COVER_MAX_COMMENT_CHARS + 1);
	assert_true(g_str_has_suffix(v, "ab…"));
	cover_fields_free(&f);
	buf_free(&in);
}

static const char test_template[] = "%% a test template\n"
                                    "%font DejaVu Sans Bold 30\n"
                                    "%align center\n"
                                    "FAX\n"
                                    "%align left\n"
                                    "%font DejaVu Sans 11\n"
                                    "%tabs 25 95 120\n"
                                    "<b>To:</b>\t${to_name}\t<b>From:</b>\t${from_name}\n"
                                    "<b>Subject:</b>\t${subject}\n"
                                    "%rule 0.5\n"
                                    "%space 5\n"
                                    "%tabs\n"
                                    "${comment}\n";

static void test_cover_template(void **state)
{
	struct cover_template t;
	struct buf err = BUF_INIT;
	static const struct {
		const char *text;
		const char *error; /* NULL: valid */
	} cases[] = {
	    {"ok\n<b>bold</b>\n<b>unclosed\n", "line 3: "},
	    {"%space 5\n%space five\n", "line 2: %space"},
	    {"%space 5000\n", "line 1: %space"},
	    {"%tabs 30 20\n", "line 1: %tabs positions must increase"},
	    {"%tabs 1 2 3 4 5 6 7 8 9\n", "line 1: %tabs"},
	    {"%bogus\n", "line 1: unknown directive %bogus"},
	    {"%align middle\n", "line 1: %align"},
	    {"%rule 9\n", "line 1: %rule"},
	    {"%tabs 30\n<b>a\t</b>\n", "line 2: "}, /* a tag cannot span columns */
	    {"a\n\xFF\n", "line 2: not valid UTF-8"},
	    {"<span foo=\"bar\">x</span>\n", "line 1: "},
	    {"%%only a comment\n\n%rule\n%space 0\n%font\n&#37;literal\n", NULL},
	    {"%tabs 30\n<b>a</b>\t<i>b</i>\r\n", NULL},
	};

	(void)state;
	assert_int_equal(cover_template_parse(&t, test_template, strlen(test_template), &err), 0);
	assert_int_equal(t.count, 12); /* the comment line is not an item */
	assert_int_equal(t.items[0].kind, COVER_FONT);
	assert_string_equal(t.items[0].text, "DejaVu Sans Bold 30");
	assert_int_equal(t.items[0].line, 2);
	assert_int_equal(t.items[1].kind, COVER_ALIGN);
	assert_int_equal(t.items[1].align, TYPESET_ALIGN_CENTER);
	assert_int_equal(t.items[2].kind, COVER_TEXT);
	assert_string_equal(t.items[2].text, "FAX");
	assert_int_equal(t.items[5].kind, COVER_TABS);
	assert_int_equal(t.items[5].ntabs, 3);
	assert_true(t.items[5].tabs[0] == 25 && t.items[5].tabs[1] == 95 && t.items[5].tabs[2] == 120);
	assert_int_equal(t.items[8].kind, COVER_RULE);
	assert_true(t.items[8].mm == 0.5);
	assert_int_equal(t.items[9].kind, COVER_SPACE);
	assert_true(t.items[9].mm == 5);
	assert_int_equal(t.items[10].kind, COVER_TABS);
	assert_int_equal(t.items[10].ntabs, 0);
	cover_template_free(&t);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		buf_reset(&err);
		rc = cover_template_parse(&t, cases[i].text, strlen(cases[i].text), &err);
		if (cases[i].error == NULL) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(buf_cstr(&err), cases[i].error));
		}
		cover_template_free(&t);
	}
	buf_free(&err);
}

static void test_cover_cells(void **state)
{
	char s[] = "a\tb\tc\td";
	char *cells[4];

	(void)state;
	/* Two columns: three cells, the rest of the line stays in the last one. */
	assert_int_equal(cover_split_cells(s, 2, cells), 3);
	assert_string_equal(cells[0], "a");
	assert_string_equal(cells[1], "b");
	assert_string_equal(cells[2], "c\td");
}

static void render_cover(const char *tmpl, size_t len, const char *fields, enum fax_resolution res,
                         struct box *ink)
{
	struct fax_geometry g;
	struct typeset *t = make(res, FAX_PAPER_A4, &g);
	struct cover_template ct;
	struct cover_fields f;
	struct buf err = BUF_INIT;
	const struct greymap *page;

	assert_int_equal(cover_template_parse(&ct, tmpl, len, &err), 0);
	cover_fields_init(&f);
	cover_fields_parse(&f, fields, strlen(fields));
	assert_int_equal(cover_render(t, &ct, &f, &page, &err), 0);
	*ink = ink_box(page);
	assert_true(ink->x0 >= (int)((TYPESET_MARGIN_X_MM - 0.5) * g.xdpmm));
	assert_true(ink->x1 <= (int)((215 - TYPESET_MARGIN_X_MM + 0.5) * g.xdpmm));
	assert_true(ink->y1 <= g.height - (int)((TYPESET_MARGIN_Y_MM - 1) * g.ydpmm));
	ink->y0 = (int)(ink->y0 / g.ydpmm);
	ink->y1 = (int)(ink->y1 / g.ydpmm);
	cover_fields_free(&f);
	cover_template_free(&ct);
	buf_free(&err);
	typeset_free(t);
}

static void test_cover_render(void **state)
{
	struct buf fields = BUF_INIT;
	struct box small, big;
	const char *src = getenv("FAXGATE_SRC");
	char *path;
	struct buf def = BUF_INIT;

	(void)state;
	buf_puts(&fields, "to_name=Иван Петрович Сидоров\nfrom_name=山田 太郎\n"
	                  "subject=<b>x</b> ${to_name} &amp;\ncomment=short\n");
	for (size_t r = 0; r < 3; r++)
		render_cover(test_template, strlen(test_template), buf_cstr(&fields), resolutions[r], &small);
	/* 2,000 one-character lines overflow the page: cut at the bottom margin, still one page. */
	buf_puts(&fields, "comment=");
	for (int i = 0; i < 1000; i++)
		buf_puts(&fields, "x\\n");
	buf_puts(&fields, "\n");
	render_cover(test_template, strlen(test_template), buf_cstr(&fields), FAX_RES_FINE, &big);
	assert_true(big.y1 > small.y1 + 150);
	assert_true(big.y1 >= 297 - TYPESET_MARGIN_Y_MM - 10);

	/* The installed default template parses and renders (run from the source tree). */
	path = xasprintf("%s/conf/cover.tmpl", src ? src : ".");
	if (buf_read_file(&def, path, COVER_MAX_TEMPLATE) == 0) {
		render_cover(def.data, def.len, buf_cstr(&fields), FAX_RES_STANDARD, &big);
		assert_true(big.y1 >= 297 - TYPESET_MARGIN_Y_MM - 10);
	} else {
		print_message("%s not found: set FAXGATE_SRC to check the default template\n", path);
	}
	free(path);
	buf_free(&def);
	buf_free(&fields);
}

static void test_convert_cover(void **state)
{
	static const char fields[] = "to_name=Jane\nsubject=<b>hi</b>\n";
	static const char bad[] = "FAX\n<b>${to_name}</i>\n";
	struct convert_ctx c;
	char *tmpl = write_temp(test_template, strlen(test_template));
	char *fpath = write_temp(fields, strlen(fields));
	char *bpath = write_temp(bad, strlen(bad));

	(void)state;
	conv_init(&c);
	assert_int_equal(convert_cover(&c, tmpl, fpath), 0);
	assert_int_equal(c.pages_sent, 1);
	close(c.out_fd);
	/* The admin's mistake: an internal error naming the template line. */
	conv_init(&c);
	assert_int_equal(convert_cover(&c, bpath, fpath), -1);
	assert_int_equal(c.status, RENDER_INTERNAL);
	assert_non_null(strstr(c.detail, "line 2:"));
	assert_int_equal(c.pages_sent, 0);
	close(c.out_fd);
	conv_init(&c);
	assert_int_equal(convert_cover(&c, "/nonexistent/cover.tmpl", fpath), -1);
	assert_int_equal(c.status, RENDER_INTERNAL);
	close(c.out_fd);
	unlink(tmpl);
	unlink(fpath);
	unlink(bpath);
	free(tmpl);
	free(fpath);
	free(bpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cover_substitute), cmocka_unit_test(test_cover_fields),
	    cmocka_unit_test(test_cover_template),   cmocka_unit_test(test_cover_cells),
	    cmocka_unit_test(test_cover_render),     cmocka_unit_test(test_convert_cover),
	};
	int failed;

	log_open("test_cover", LOG_TO_STDERR, NULL);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	return failed;
}
