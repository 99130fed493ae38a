/*
 * sandbox.c - run converters in limited child processes (see sandbox.h).
 *
 * Hostile documents are opened only in these children. The limits are the kernel's (rlimits,
 * namespaces), so a converter that loops, balloons or writes without end is stopped whatever it
 * does; the parent's wall-clock deadline catches a child that sleeps or waits on something.
 *
 * In AddressSanitizer builds RLIMIT_AS cannot be used on our own sanitized programs (the shadow
 * memory reserves terabytes of address space); there the converters' allocator limit must do.
 */
#include "util/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fdio.h"
#include "util/log.h"

#define SANDBOX_EXIT_ISOLATE 125
#define SANDBOX_EXIT_EXEC    127
#define SANDBOX_STDERR_MAX   65536

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

bool sandbox_can_limit_memory(void)
{
#ifdef SANDBOX_ASAN
	return false;
#else
	return true;
#endif
}

static void sandbox_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {soft, hard};

	(void)setrlimit(resource, &rl);
}

static int sandbox_isolate_network(void)
{
	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	/* Unprivileged: a user namespace gives the right to make a network namespace. */
	return unshare(CLONE_NEWUSER | CLONE_NEWNET);
}

static long sandbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Child side, between fork and exec: only async-signal-safe calls. */
static void sandbox_child(const struct sandbox_limits *lim, char *const argv[], char *const env[], int in_fd,
                          int out_fd, int err_fd, pid_t parent)
{
	int devnull;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(SANDBOX_EXIT_EXEC);
	if (lim->isolate_network && sandbox_isolate_network() < 0)
		_exit(SANDBOX_EXIT_ISOLATE);
	if (lim->cpu_seconds)
		sandbox_limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 2);
	if (lim->memory_bytes && sandbox_can_limit_memory())
		sandbox_limit(RLIMIT_AS, lim->memory_bytes, lim->memory_bytes);
	if (lim->file_bytes)
		sandbox_limit(RLIMIT_FSIZE, lim->file_bytes, lim->file_bytes);
	sandbox_limit(RLIMIT_CORE, 0, 0);
	sandbox_limit(RLIMIT_NOFILE, 256, 256);

	devnull = open("/dev/null", O_RDWR);
	if (in_fd < 0)
		in_fd = devnull;
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(SANDBOX_EXIT_EXEC);
	close_range(3, ~0U, 0);
	execve(argv[0], argv, env);
	_exit(SANDBOX_EXIT_EXEC);
}

static void sandbox_log_stderr(struct buf *err, bool flush)
{
	char *start = err->data, *nl;

	if (!start)
		return;
	while ((nl = memchr(start, '\n', err->len - (size_t)(start - err->data))) != NULL) {
		*nl = '\0';
		log_debug("converter: %s", start);
		start = nl + 1;
	}
	size_t rest = err->len - (size_t)(start - err->data);
	if (flush && rest) {
		log_debug("converter: %.*s", (int)rest, start);
		rest = 0;
	}
	memmove(err->data, start, rest);
	err->len = rest;
	err->data[rest] = '\0';
}

int sandbox_run(const struct sandbox_limits *lim, char *const argv[], char *const env[], int stdin_fd,
                sandbox_reader reader, void *reader_arg, struct sandbox_result *res)
{
	int out[2], err[2], status = 0;
	long deadline = lim->wall_seconds ? sandbox_now_ms() + lim->wall_seconds * 1000L : 0;
	struct buf errtext = BUF_INIT;
	bool killed = false;
	pid_t pid, parent = getpid();

	res->end = SANDBOX_FAILED;
	res->code = 0;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		errno = e;
		return -1;
	}
	if (pid == 0)
		sandbox_child(lim, argv, env, stdin_fd, out[1], err[1], parent);
	setpgid(pid, pid); /* also from here, so the group exists before any kill */
	close(out[1]);
	close(err[1]);

	struct pollfd pfd[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
	int open_fds = 2;
	while (open_fds > 0) {
		int timeout = -1;
		if (deadline) {
			long left = deadline - sandbox_now_ms();
			if (left <= 0) {
				res->end = SANDBOX_TIMEOUT;
				killed = true;
				break;
			}
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		int n = poll(pfd, 2, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < 2; i++) {
			char chunk[65536];
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t got = fdio_read(pfd[i].fd, chunk, sizeof(chunk));
			if (got <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0 && reader(reader_arg, chunk, (size_t)got) < 0) {
				res->end = SANDBOX_ABORTED;
				killed = true;
				break;
			}
			if (i == 1 && errtext.len < SANDBOX_STDERR_MAX) {
				buf_append(&errtext, chunk, (size_t)got);
				sandbox_log_stderr(&errtext, false);
			}
		}
		if (killed)
			break;
	}
	if (killed)
		kill(-pid, SIGKILL);
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);

	/* Output closed: give the child until the deadline to exit, then kill it. */
	for (;;) {
		pid_t w = waitpid(pid, &status, killed ? 0 : WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (w == 0) {
			if (deadline && sandbox_now_ms() >= deadline) {
				res->end = SANDBOX_TIMEOUT;
				killed = true;
				kill(-pid, SIGKILL);
				continue;
			}
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	/* Whatever the converter started (LibreOffice's helpers) goes with it. */
	kill(-pid, SIGKILL);
	sandbox_log_stderr(&errtext, true);
	buf_free(&errtext);

	if (killed)
		return 0;
	if (WIFEXITED(status)) {
		res->code = WEXITSTATUS(status);
		res->end = res->code == SANDBOX_EXIT_ISOLATE ? SANDBOX_FAILED : SANDBOX_EXITED;
		if (res->end == SANDBOX_FAILED)
			log_error("cannot isolate a converter from the network (set render_isolate_network "
			          "= no only if the host has no network)");
	} else if (WIFSIGNALED(status)) {
		res->code = WTERMSIG(status);
		res->end = res->code == SIGXCPU   ? SANDBOX_CPU
		           : res->code == SIGXFSZ ? SANDBOX_FSIZE
		                                  : SANDBOX_SIGNALED;
	}
	return 0;
}

int sandbox_exec_wait(char *const argv[], char *const env[], size_t memory_bytes, size_t file_bytes,
                      int out_fd)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (memory_bytes)
			sandbox_limit(RLIMIT_AS, memory_bytes, memory_bytes);
		if (file_bytes)
			sandbox_limit(RLIMIT_FSIZE, file_bytes, file_bytes);
		if (out_fd < 0)
			out_fd = devnull;
		if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
			_exit(SANDBOX_EXIT_EXEC);
		close_range(3, ~0U, 0);
		execve(argv[0], argv, env);
		_exit(SANDBOX_EXIT_EXEC);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
