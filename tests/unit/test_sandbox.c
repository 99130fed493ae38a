/*
 * test_sandbox.c - converters' children: output, exit codes, wall-clock, CPU and file size limits,
 * no network, and that everything the child started dies with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/sandbox.h"

static char *const env[] = {"PATH=/usr/bin:/bin", NULL};

static int collect(void *arg, const void *data, size_t len)
{
	buf_append(arg, data, len);
	return 0;
}

static int refuse(void *arg, const void *data, size_t len)
{
	(void)arg, (void)data, (void)len;
	return -1;
}

static struct sandbox_result run_sh(const char *script, const struct sandbox_limits *lim, struct buf *out)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct sandbox_result r;

	assert_int_equal(sandbox_run(lim, argv, env, -1, collect, out, &r), 0);
	return r;
}

static void test_output_and_exit_code(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 10};
	struct buf out = BUF_INIT;

	(void)state;
	struct sandbox_result r = run_sh("echo hello; echo to-stderr >&2; exit 3", &lim, &out);
	assert_int_equal(r.end, SANDBOX_EXITED);
	assert_int_equal(r.code, 3);
	assert_string_equal(buf_cstr(&out), "hello\n");
	buf_free(&out);
}

static void test_wall_clock_limit(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 1};
	struct buf out = BUF_INIT;
	time_t start = time(NULL);

	(void)state;
	struct sandbox_result r = run_sh("sleep 30", &lim, &out);
	assert_int_equal(r.end, SANDBOX_TIMEOUT);
	assert_true(time(NULL) - start < 10);
	buf_free(&out);
}

static void test_cpu_limit(void **state)
{
	struct sandbox_limits lim = {.cpu_seconds = 1, .wall_seconds = 30};
	struct buf out = BUF_INIT;

	(void)state;
	struct sandbox_result r = run_sh("while :; do :; done", &lim, &out);
	assert_int_equal(r.end, SANDBOX_CPU);
	buf_free(&out);
}

static void test_file_size_limit(void **state)
{
	char dir[] = "/tmp/fg-sandbox-XXXXXX", script[256];
	struct sandbox_limits lim = {.file_bytes = 65536, .wall_seconds = 30};
	struct buf out = BUF_INIT;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "exec head -c 1000000 /dev/zero > %s/big", dir);
	struct sandbox_result r = run_sh(script, &lim, &out);
	assert_int_equal(r.end, SANDBOX_FSIZE);
	snprintf(script, sizeof(script), "rm -rf %s", dir);
	assert_int_equal(system(script), 0);
	buf_free(&out);
}

static void test_no_network(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 10, .isolate_network = true};
	struct buf out = BUF_INIT;

	(void)state;
	/* /proc/net follows the process's network namespace: only an unconfigured loopback is left. */
	struct sandbox_result r = run_sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", &lim, &out);
	assert_int_equal(r.end, SANDBOX_EXITED);
	assert_string_equal(buf_cstr(&out), "lo\n");
	buf_free(&out);
}

static int process_gone(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "State:", 6) == 0 && strchr(line, 'Z')) {
			fclose(f);
			return 1;
		}
	fclose(f);
	return 0;
}

static void test_children_die_with_it(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 10};
	struct buf out = BUF_INIT;

	(void)state;
	/* The grandchild keeps no descriptor to us and would outlive its parent if not killed. */
	struct sandbox_result r = run_sh("sleep 60 >/dev/null 2>&1 & echo $!", &lim, &out);
	assert_int_equal(r.end, SANDBOX_EXITED);
	pid_t pid = (pid_t)atoi(buf_cstr(&out));
	assert_true(pid > 1);
	for (int i = 0; i < 100 && !process_gone(pid); i++)
		usleep(20000);
	assert_true(process_gone(pid));
	buf_free(&out);
}

static void test_reader_can_stop_child(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 20};
	char *argv[] = {"/bin/sh", "-c", "while :; do echo x; done", NULL};
	struct sandbox_result r;

	(void)state;
	assert_int_equal(sandbox_run(&lim, argv, env, -1, refuse, NULL, &r), 0);
	assert_int_equal(r.end, SANDBOX_ABORTED);
}

static void test_exec_wait_memory_limit(void **state)
{
	char *big[] = {"/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}", NULL};
	char *small[] = {"/bin/sh", "-c", "x=$(head -c 1000 /dev/zero | tr '\\0' a); test ${#x} = 1000",
	                 NULL};

	(void)state;
	int st = sandbox_exec_wait(big, env, 64L * 1024 * 1024, 0, -1);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = sandbox_exec_wait(small, env, 64L * 1024 * 1024, 0, -1);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_missing_program(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 5};
	char *argv[] = {"/nonexistent/faxrender", NULL};
	struct sandbox_result r;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(sandbox_run(&lim, argv, env, -1, collect, &out, &r), 0);
	assert_int_equal(r.end, SANDBOX_EXITED);
	assert_int_equal(r.code, 127);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_output_and_exit_code),
	    cmocka_unit_test(test_wall_clock_limit),
	    cmocka_unit_test(test_cpu_limit),
	    cmocka_unit_test(test_file_size_limit),
	    cmocka_unit_test(test_no_network),
	    cmocka_unit_test(test_children_die_with_it),
	    cmocka_unit_test(test_reader_can_stop_child),
	    cmocka_unit_test(test_exec_wait_memory_limit),
	    cmocka_unit_test(test_missing_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
