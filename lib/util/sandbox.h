/*
 * sandbox.h - run a converter in a child process with limits.
 *
 * The child gets its own process group (so everything it starts can be killed at once), CPU time,
 * address space, file size and open-file limits, a private network namespace with no interfaces
 * and a private view of the file system that hides the places where private data lives (when
 * asked; unprivileged processes use a user namespace for them), no new privileges, another user
 * (when started by root), no inherited descriptors but the ones named, and dies with its parent.
 * The parent reads the child's output with a wall-clock deadline and kills the whole group when it
 * passes.
 */
#ifndef FAXGATE_UTIL_SANDBOX_H
#define FAXGATE_UTIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sandbox_limits {
	unsigned cpu_seconds;  /* RLIMIT_CPU; 0: none */
	size_t memory_bytes;   /* soft RLIMIT_AS; 0: none (ignored in sanitizer builds, see sandbox.c) */
	size_t memory_hard;    /* hard RLIMIT_AS, up to which sandbox_exec_wait may raise; 0: = soft */
	size_t file_bytes;     /* RLIMIT_FSIZE; 0: none */
	unsigned wall_seconds; /* parent-side deadline; 0: none */
	bool isolate_network;
	/*
	 * Hide /home, /root, /tmp, /var/lib and the like (and the folders in hide) behind empty
	 * tmpfs mounts; only workdir (required then) stays visible, read-write, at its own path. A
	 * folder holding one of the paths in keep is left visible (a converter installed in /opt).
	 */
	bool isolate_files;
	const char *workdir;
	const char *const *hide; /* NULL-terminated, may be NULL */
	const char *const *keep; /* NULL-terminated, may be NULL */
	/* Started by root: become this user (groups dropped). Ignored when not root. */
	bool set_user;
	uid_t uid;
	gid_t gid;
};

enum sandbox_end {
	SANDBOX_EXITED,   /* exit code in code */
	SANDBOX_SIGNALED, /* signal in code */
	SANDBOX_TIMEOUT,  /* wall-clock limit: killed */
	SANDBOX_CPU,      /* CPU limit (SIGXCPU/SIGKILL after the soft limit) */
	SANDBOX_FSIZE,    /* file size limit (SIGXFSZ) */
	SANDBOX_ABORTED,  /* the reader asked to stop: killed */
	SANDBOX_FAILED,   /* could not start, or could not isolate */
};

struct sandbox_result {
	enum sandbox_end end;
	int code;
};

/* Called with each chunk the child writes to its stdout; return -1 to kill the child. */
typedef int (*sandbox_reader)(void *arg, const void *data, size_t len);

/*
 * Run argv (argv[0] an absolute path) with limits, stdin from stdin_fd (-1: /dev/null), stdout to
 * the reader, stderr to the log at debug level. env is the complete environment. Returns 0 when the
 * child ran (see res for how it ended), -1 when it could not be started.
 */
int sandbox_run(const struct sandbox_limits *lim, char *const argv[], char *const env[], int stdin_fd,
                sandbox_reader reader, void *reader_arg, struct sandbox_result *res);

/*
 * For use inside an already limited child: run argv to completion with an address-space limit
 * (raised from the soft limit sandbox_run set, up to its hard limit) and file size limit applied
 * just before exec, stdout and stderr to /dev/null (or to out_fd).
 * Returns the exit status as from waitpid, or -1.
 */
int sandbox_exec_wait(char *const argv[], char *const env[], size_t memory_bytes, size_t file_bytes,
                      int out_fd);

/* Whether this build can apply RLIMIT_AS to itself (not under AddressSanitizer). */
bool sandbox_can_limit_memory(void);

#endif
