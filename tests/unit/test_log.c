/*
 * test_log.c - the logging API: levels filter, the context prefix, %m, and hostile text that
 * cannot forge extra log lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/log.h"

/* Run fn with stderr sent to a file; return what it wrote. */
static void capture(void (*fn)(void), struct buf *out)
{
	char path[] = "/tmp/fg-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	buf_reset(out);
	assert_int_equal(buf_read_file(out, path, 65536), 0);
	unlink(path);
}

static void emit_levels(void)
{
	log_set_level(LOG_LVL_NOTICE);
	log_error("e1");
	log_warning("w1");
	log_notice("n1");
	log_info("i1");
	log_debug("d1");
}

static void test_levels_filter(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	capture(emit_levels, &out);
	assert_non_null(strstr(out.data, "error: e1"));
	assert_non_null(strstr(out.data, "warning: w1"));
	assert_non_null(strstr(out.data, "notice: n1"));
	assert_null(strstr(out.data, "i1"));
	assert_null(strstr(out.data, "d1"));
	assert_true(log_enabled(LOG_LVL_NOTICE));
	assert_false(log_enabled(LOG_LVL_INFO));
	buf_free(&out);
}

static void emit_context(void)
{
	log_set_level(LOG_LVL_DEBUG);
	log_context_set("job=%d call=%d", 42, 7);
	errno = ENOENT;
	log_warning("open x: %m");
	log_context_clear();
	log_info("plain");
}

static void test_context_and_errno(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	capture(emit_context, &out);
	assert_non_null(strstr(out.data, "job=42 call=7 warning: open x: No such file or directory\n"));
	assert_non_null(strstr(out.data, "]: info: plain\n"));
	buf_free(&out);
}

static void emit_hostile(void)
{
	log_set_level(LOG_LVL_NOTICE);
	log_notice("subject %s", "hi\nfaxgate[1]: error: forged\r");
}

static void test_no_forged_lines(void **state)
{
	struct buf out = BUF_INIT;
	size_t lines = 0;

	(void)state;
	capture(emit_hostile, &out);
	for (size_t i = 0; i < out.len; i++)
		lines += out.data[i] == '\n';
	assert_int_equal(lines, 1);
	buf_free(&out);
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
	assert_int_equal(log_level_parse("loud"), -1);
	assert_string_equal(log_level_name(LOG_LVL_WARNING), "warning");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels_filter),
	    cmocka_unit_test(test_context_and_errno),
	    cmocka_unit_test(test_no_forged_lines),
	    cmocka_unit_test(test_level_names),
	};

	log_open("test_log", LOG_TO_STDERR, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
