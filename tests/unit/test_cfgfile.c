/*
 * test_cfgfile.c - the table-driven configuration parser: values, ranges, errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "util/cfgfile.h"

struct tconf {
	char *name;
	char *dir;
	long count;
	bool flag;
	int mode;
	long wait;
	long size;
};

#define T(n, t, d, lo, hi, ch)                                                                               \
	{                                                                                                    \
#n, t, offsetof(struct tconf, n), d, lo, hi, ch, "test key"                                  \
	}
static const struct cfg_key tkeys[] = {
    T(name, CFG_STRING, "x", 0, 0, NULL),
    T(dir, CFG_PATH, "/tmp", 0, 0, NULL),
    T(count, CFG_INT, "5", 1, 10, NULL),
    T(flag, CFG_BOOL, "no", 0, 0, NULL),
    T(mode, CFG_ENUM, "fine", 0, 0, "standard|fine|superfine"),
    T(wait, CFG_DURATION, "1m", 0, 86400, NULL),
    T(size, CFG_SIZE, "1k", 0, 1L << 40, NULL),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static int parse(struct tconf *c, const char *text, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(cfg_defaults(tkeys, c, err), 0);
	return cfg_parse(tkeys, c, "t.conf", text, strlen(text), err);
}

static void test_defaults_and_values(void **state)
{
	struct tconf c;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(parse(&c, "", &err), 0);
	assert_string_equal(c.name, "x");
	assert_int_equal(c.count, 5);
	assert_int_equal(c.mode, 1);
	assert_int_equal(c.wait, 60);
	assert_int_equal(c.size, 1024);
	cfg_free(tkeys, &c);

	assert_int_equal(parse(&c,
	                       "# comment\n\n name = hello world \ncount=10\nflag = yes\nmode = superfine\n"
	                       "wait = 2h\nsize = 3M\ndir = \"/a b#c\"\n",
	                       &err),
	                 0);
	assert_string_equal(c.name, "hello world");
	assert_string_equal(c.dir, "/a b#c");
	assert_int_equal(c.count, 10);
	assert_true(c.flag);
	assert_int_equal(c.mode, 2);
	assert_int_equal(c.wait, 7200);
	assert_int_equal(c.size, 3L * 1024 * 1024);
	cfg_free(tkeys, &c);
	buf_free(&err);
}

static void test_continuation(void **state)
{
	struct tconf c;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(parse(&c, "name = a \\\n b\ncount = 3\n", &err), 0);
	assert_string_equal(c.name, "a  b");
	assert_int_equal(c.count, 3);
	cfg_free(tkeys, &c);
	buf_free(&err);
}

static void expect_error(const char *text, const char *needle)
{
	struct tconf c;
	struct buf err = BUF_INIT;

	assert_int_equal(parse(&c, text, &err), -1);
	if (!strstr(buf_cstr(&err), needle))
		fail_msg("error '%s' lacks '%s'", buf_cstr(&err), needle);
	cfg_free(tkeys, &c);
	buf_free(&err);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("name = a\n\nbogus = 1\n", "t.conf:3: unknown key 'bogus'");
	expect_error("count = 11\n", "t.conf:1: count: 11 is out of range 1..10");
	expect_error("count = 0\n", "out of range");
	expect_error("count = 5x\n", "not a valid integer");
	expect_error("count = 99999999999999999999999\n", "not a valid integer");
	expect_error("flag = maybe\n", "t.conf:1: flag: 'maybe' is not yes or no");
	expect_error("mode = ultra\n", "is not one of standard|fine|superfine");
	expect_error("wait = 3w\n", "not a valid duration");
	expect_error("wait = 2d\n", "out of range");
	expect_error("dir = relative/path\n", "not an absolute path");
	expect_error("name = a\nname = b\n", "t.conf:2: key 'name' is set twice");
	expect_error("just words\n", "t.conf:1: expected 'key = value'");
}

static void test_nul_and_long_line(void **state)
{
	struct tconf c;
	struct buf err = BUF_INIT;
	const char text[] = "name = a\0b\n";
	char *big = malloc(20000);

	(void)state;
	memset(&c, 0, sizeof(c));
	cfg_defaults(tkeys, &c, &err);
	assert_int_equal(cfg_parse(tkeys, &c, "t.conf", text, sizeof(text) - 1, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "t.conf:1: NUL byte"));
	buf_reset(&err);
	memset(big, 'a', 19999);
	memcpy(big, "name = ", 7);
	big[19999] = '\0';
	assert_int_equal(cfg_parse(tkeys, &c, "t.conf", big, strlen(big), &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "line too long"));
	free(big);
	cfg_free(tkeys, &c);
	buf_free(&err);
}

static void test_dump_round_trip(void **state)
{
	struct tconf c, d;
	struct buf err = BUF_INIT, out = BUF_INIT;

	(void)state;
	assert_int_equal(parse(&c, "name = #x\nmode = standard\nwait = 90\nflag = on\n", &err), 0);
	cfg_dump(tkeys, &c, &out);
	assert_int_equal(parse(&d, buf_cstr(&out), &err), 0);
	assert_string_equal(d.name, "#x");
	assert_int_equal(d.mode, 0);
	assert_int_equal(d.wait, 90);
	assert_true(d.flag);
	cfg_free(tkeys, &c);
	cfg_free(tkeys, &d);
	buf_free(&out);
	buf_free(&err);
}

static void test_faxgate_table_defaults_valid(void **state)
{
	struct conf c;
	struct buf err = BUF_INIT;

	(void)state;
	/* Every default in the real table must parse and be in range. */
	assert_int_equal(conf_load(&c, NULL, &err), 0);
	assert_int_equal(c.render_max_pages, 100);
	conf_free(&c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_values),
	    cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_errors_name_file_and_line),
	    cmocka_unit_test(test_nul_and_long_line),
	    cmocka_unit_test(test_dump_round_trip),
	    cmocka_unit_test(test_faxgate_table_defaults_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
