/*
 * conv_exec.c - running Ghostscript and LibreOffice from inside the faxrender helper.
 *
 * The helper is already limited by its parent (CPU, wall clock, no network); here each external
 * converter gets its own address-space and file-size limits, a clean environment whose HOME and
 * TMPDIR are the private work folder (so nothing is read from or written to a real home), no
 * descriptors but stdout/stderr to a log file, and its way of ending is mapped to a render status.
 */
#include "render/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/sandbox.h"
#include "util/xalloc.h"

/* What of a converter's chatter goes to the log. */
#define EXEC_LOG_TAIL 4096

/* Show the end of the converter's output and tell whether it says it ran out of memory. */
static bool exec_read_log(const char *what, const char *path)
{
	struct buf b = BUF_INIT;
	const char *tail;
	bool oom;

	if (buf_read_file(&b, path, 1024 * 1024) < 0) {
		buf_free(&b);
		return false;
	}
	tail = b.len > EXEC_LOG_TAIL ? b.data + b.len - EXEC_LOG_TAIL : buf_cstr(&b);
	if (b.len > 0)
		log_debug("%s said: %s", what, tail);
	oom = strstr(buf_cstr(&b), "VMerror") != NULL || strstr(buf_cstr(&b), "bad_alloc") != NULL ||
	      strstr(buf_cstr(&b), "Cannot allocate memory") != NULL;
	buf_free(&b);
	return oom;
}

bool convert_disk_full(const struct convert_ctx *c)
{
	struct statvfs sv;

	/* Under a megabyte left: the document is not to blame for what failed. */
	return statvfs(c->workdir, &sv) == 0 && (unsigned long long)sv.f_bavail * sv.f_frsize < 1024 * 1024;
}

int convert_exec(struct convert_ctx *c, const char *what, char *const argv[], size_t memory_bytes,
                 enum render_status on_exit_error)
{
	char *home = xasprintf("HOME=%s", c->workdir);
	char *tmp = xasprintf("TMPDIR=%s", c->workdir);
	char *logpath = xasprintf("%s/%s.log", c->workdir, what);
	char *env[] = {home, tmp, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "SAL_USE_VCLPLUGIN=svp", NULL};
	int fd, st, ret = 0;
	bool oom;

	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = convert_fail(c, RENDER_INTERNAL, "%s: cannot create %s: %m", what, logpath);
		goto out;
	}
	st = sandbox_exec_wait(argv, env, memory_bytes, c->max_output, fd);
	close(fd);
	oom = exec_read_log(what, logpath);
	if (st < 0)
		ret = convert_fail(c, RENDER_INTERNAL, "%s: cannot run %s: %m", what, argv[0]);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		ret = 0;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		ret = convert_fail(c, RENDER_INTERNAL, "%s: cannot start %s", what, argv[0]);
	else if (oom)
		ret = convert_fail(c, RENDER_MEMORY, "%s: ran out of memory (limit %zu bytes)", what,
		                   memory_bytes);
	else if (WIFEXITED(st) && convert_disk_full(c))
		ret =
		    convert_fail(c, RENDER_INTERNAL, "%s failed with exit code %d: the scratch disk is full",
		                 what, WEXITSTATUS(st));
	else if (WIFEXITED(st))
		ret = convert_fail(c, on_exit_error, "%s failed with exit code %d", what, WEXITSTATUS(st));
	else if (WTERMSIG(st) == SIGXFSZ)
		ret =
		    convert_fail(c, RENDER_TOO_BIG_INPUT, "%s: output beyond %zu bytes", what, c->max_output);
	else if (WTERMSIG(st) == SIGXCPU)
		ret = convert_fail(c, RENDER_TIMEOUT, "%s: CPU time limit", what);
	else
		ret = convert_fail(c, RENDER_CONVERT_FAILED, "%s killed by signal %d (%s)", what,
		                   WTERMSIG(st), strsignal(WTERMSIG(st)));
out:
	free(home);
	free(tmp);
	free(logpath);
	return ret;
}
