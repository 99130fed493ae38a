/*
 * test_sandbox.c - converters' children: output, exit codes, wall-clock, CPU, file size and memory
 * limits, no network, a file system view without the host's private places, no new privileges,
 * another user when started by root, no inherited descriptors, and that everything the child
 * started dies with it.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
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

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A file with a secret in a new folder under parent; the folder's path is left in dir. */
static void plant(char *dir, size_t size, const char *parent)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(dir, size, "%s/fg-secret-XXXXXX", parent);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
}

static void test_isolated_files_and_user(void **state)
{
	char work[] = "/tmp/fg-work-XXXXXX", lib_secret[PATH_MAX], own_secret[PATH_MAX], cwd[PATH_MAX];
	char script[4 * PATH_MAX], expect[256];
	const char *hide[] = {own_secret, NULL};
	bool root = geteuid() == 0;
	struct sandbox_limits lim = {
	    .wall_seconds = 20,
	    .isolate_network = true,
	    .isolate_files = true,
	    .workdir = work,
	    .hide = hide,
	    .set_user = true,
	    .uid = 65534,
	    .gid = 65534,
	};
	struct buf out = BUF_INIT;
	int leak;

	(void)state;
	assert_non_null(mkdtemp(work));
	if (root)
		assert_int_equal(chown(work, 65534, 65534), 0);
	/* A masked place of the built-in list, and one only the caller names. */
	plant(lib_secret, sizeof(lib_secret), root ? "/var/lib" : "/tmp");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	plant(own_secret, sizeof(own_secret), cwd);
	/* A descriptor without close-on-exec, at a number nothing else uses. */
	leak = dup2(open("/dev/null", O_RDONLY), 57);
	assert_int_equal(leak, 57);

	snprintf(script, sizeof(script),
	         "id -u; grep '^NoNewPrivs:' /proc/self/status | tr -d ' \\t'; "
	         "cat %s/secret 2>/dev/null || echo hidden; cat %s/secret 2>/dev/null || echo hidden; "
	         "echo written > %s/f && cat %s/f; "
	         "ls /proc/self/fd | grep -qx 57 && echo leaked || echo closed; pwd",
	         lib_secret, own_secret, work, work);
	struct sandbox_result r = run_sh(script, &lim, &out);
	close(leak);
	assert_int_equal(r.end, SANDBOX_EXITED);
	assert_int_equal(r.code, 0);
	/* ...and it starts in its own folder, not in the caller's (which it cannot see). */
	snprintf(expect, sizeof(expect), "%u\nNoNewPrivs:1\nhidden\nhidden\nwritten\nclosed\n%s\n",
	         root ? 65534u : (unsigned)getuid(), work);
	assert_string_equal(buf_cstr(&out), expect);

	/* The folder the child wrote to is the real one. */
	char path[PATH_MAX + 8];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/f", work);
	assert_int_equal(stat(path, &sb), 0);
	if (root)
		assert_int_equal(sb.st_uid, 65534);
	rm_rf(work);
	rm_rf(lib_secret);
	rm_rf(own_secret);
	buf_free(&out);
}

static void test_isolation_failure(void **state)
{
	struct sandbox_limits lim = {.wall_seconds = 5, .isolate_files = true, .workdir = "/nonexistent/fg"};
	struct buf out = BUF_INIT;

	(void)state;
	struct sandbox_result r = run_sh("echo ran", &lim, &out);
	assert_int_equal(r.end, SANDBOX_FAILED);
	assert_string_equal(buf_cstr(&out), "");
	buf_free(&out);
}

static void test_memory_soft_and_hard(void **state)
{
	struct sandbox_limits lim = {
	    .wall_seconds = 10, .memory_bytes = 300L * 1024 * 1024, .memory_hard = 600L * 1024 * 1024};
	struct buf out = BUF_INIT;

	(void)state;
	if (!sandbox_can_limit_memory())
		skip();
	struct sandbox_result r =
	    run_sh("grep '^Max address space' /proc/self/limits | tr -s ' ' | cut -d' ' -f4,5", &lim, &out);
	assert_int_equal(r.end, SANDBOX_EXITED);
	assert_string_equal(buf_cstr(&out), "314572800 629145600\n");
	buf_free(&out);
}

/* sandbox_exec_wait raises the soft limit it finds, but never beyond the hard one. */
static void test_exec_wait_raises_to_hard(void **state)
{
	char file[] = "/tmp/fg-limits-XXXXXX";
	int fd, st;
	pid_t pid;

	(void)state;
	if (!sandbox_can_limit_memory())
		skip();
	fd = mkstemp(file);
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {200L * 1024 * 1024, 400L * 1024 * 1024};
		char *argv[] = {"/bin/sh", "-c",
		                "grep '^Max address space' /proc/self/limits | tr -s ' ' | cut -d' ' -f4,5",
		                NULL};
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(90);
		st = sandbox_exec_wait(argv, env, 4096L * 1024 * 1024, 0, fd);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 91);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	char got[64] = "";
	assert_true(pread(fd, got, sizeof(got) - 1, 0) > 0);
	assert_string_equal(got, "419430400 419430400\n");
	close(fd);
	unlink(file);
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
	    cmocka_unit_test(test_isolated_files_and_user),
	    cmocka_unit_test(test_isolation_failure),
	    cmocka_unit_test(test_memory_soft_and_hard),
	    cmocka_unit_test(test_exec_wait_raises_to_hard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
