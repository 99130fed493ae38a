/*
 * sandbox.c - run converters in limited child processes (see sandbox.h).
 *
 * Hostile documents are opened only in these children. The limits are the kernel's (rlimits,
 * namespaces, credentials), so a converter that loops, balloons or writes without end is stopped
 * whatever it does; the parent's wall-clock deadline catches a child that sleeps or waits on
 * something. A converter tricked into reading local files (an office document's links to pictures
 * by path, PostScript file operators) finds the private places of the host empty: they are
 * covered by small private tmpfs mounts, and only its own scratch folder is bound back
 * (sandbox_fs.c). It runs with no new privileges and, when started by root, as an unprivileged user.
 *
 * Everything the child needs is prepared in the parent (paths resolved, descriptors opened,
 * strings formatted): between fork and exec the child makes only async-signal-safe system calls.
 * A step that fails there is reported to the parent through a close-on-exec pipe, so a setup
 * failure cannot be mistaken for the program's own exit status.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fdio.h"
#include "util/log.h"
#include "util/sandbox_fs.h"

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

/* Setup steps of the child, as reported through the status pipe. */
enum sandbox_step {
	STEP_NAMESPACES,
	STEP_IDMAP,
	STEP_PROPAGATION,
	STEP_HIDE,
	STEP_BIND,
	STEP_NO_NEW_PRIVS,
	STEP_USER,
};

static const char *const sandbox_step_names[] = {
    "cannot make private namespaces",
    "cannot map the user in its namespace",
    "cannot make the mounts private",
    "cannot hide",
    "cannot bind back",
    "cannot set no_new_privs",
    "cannot switch to the converters' user",
};

struct sandbox_report {
	int step, index, err;
};

/* Everything the child needs, made ready by the parent. */
struct sandbox_prep {
	int prog_fd; /* O_PATH descriptor of the program: it may live in a hidden folder */
	int status_fd;
	bool switch_user, own_user_ns_ok;
	char uid_map[64], gid_map[64];
	struct sandbox_fs fs;
	struct rlimit as;
};

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

static void sandbox_prep_free(struct sandbox_prep *p)
{
	sandbox_fs_free(&p->fs);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->status_fd >= 0)
		close(p->status_fd);
}

static int sandbox_prepare(const struct sandbox_limits *lim, const char *prog, struct sandbox_prep *p)
{
	memset(p, 0, sizeof(*p));
	p->status_fd = -1;
	p->prog_fd = open(prog, O_PATH | O_CLOEXEC);
	p->switch_user = lim->set_user && geteuid() == 0;
	snprintf(p->uid_map, sizeof(p->uid_map), "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
	snprintf(p->gid_map, sizeof(p->gid_map), "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
	getrlimit(RLIMIT_AS, &p->as);
	if (lim->memory_bytes && sandbox_can_limit_memory()) {
		size_t hard = lim->memory_hard > lim->memory_bytes ? lim->memory_hard : lim->memory_bytes;
		p->as.rlim_cur = lim->memory_bytes;
		p->as.rlim_max = hard;
	}
	if (!lim->isolate_files)
		return 0;
	return sandbox_fs_prepare(&p->fs, lim);
}

static long sandbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Child side: report the failed step to the parent and end. */
static void sandbox_child_fail(const struct sandbox_prep *p, int step, int index)
{
	struct sandbox_report rep = {step, index, errno};

	(void)!write(p->status_fd, &rep, sizeof(rep));
	_exit(SANDBOX_EXIT_ISOLATE);
}

static int sandbox_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * New namespaces for flags. Root has the right to make them; anyone else first makes a user
 * namespace, mapping their own ids into it (files can be made in a tmpfs only by a mapped user).
 */
static void sandbox_child_namespaces(const struct sandbox_prep *p, int flags, bool need_map)
{
	if (unshare(flags) == 0)
		return;
	/*
	 * A service that left root is not dumpable, which makes its /proc/self/uid_map root's: the
	 * child (about to exec a converter, which is dumpable anyway) must be able to write its own.
	 */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (unshare(CLONE_NEWUSER | flags) < 0)
		sandbox_child_fail(p, STEP_NAMESPACES, 0);
	if ((sandbox_write_file("/proc/self/setgroups", "deny") < 0 ||
	     sandbox_write_file("/proc/self/uid_map", p->uid_map) < 0 ||
	     sandbox_write_file("/proc/self/gid_map", p->gid_map) < 0) &&
	    need_map)
		sandbox_child_fail(p, STEP_IDMAP, 0);
}

/* Child side: the private view of the file system; a failure is reported with its step. */
static void sandbox_child_files(struct sandbox_prep *p)
{
	static const int steps[] = {
	    [SANDBOX_FS_PROPAGATION] = STEP_PROPAGATION,
	    [SANDBOX_FS_HIDE] = STEP_HIDE,
	    [SANDBOX_FS_BIND] = STEP_BIND,
	};
	int index;
	enum sandbox_fs_fail fail = sandbox_fs_child_isolate(&p->fs, &index);

	if (fail != SANDBOX_FS_OK)
		sandbox_child_fail(p, steps[fail], index);
}

/* Child side, between fork and exec: only async-signal-safe calls. */
static void sandbox_child(const struct sandbox_limits *lim, struct sandbox_prep *p, char *const argv[],
                          char *const env[], int in_fd, int out_fd, int err_fd, pid_t parent)
{
	int devnull,
	    flags = (lim->isolate_network ? CLONE_NEWNET : 0) | (lim->isolate_files ? CLONE_NEWNS : 0);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(SANDBOX_EXIT_EXEC);
	if (flags)
		sandbox_child_namespaces(p, flags, lim->isolate_files);
	if (lim->isolate_files)
		sandbox_child_files(p);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		sandbox_child_fail(p, STEP_NO_NEW_PRIVS, 0);
	if (p->switch_user) {
		/* Raw system calls: the libc wrappers may try to reach threads that did not survive fork. */
		if (syscall(SYS_setgroups, 0, NULL) < 0 ||
		    syscall(SYS_setresgid, lim->gid, lim->gid, lim->gid) < 0 ||
		    syscall(SYS_setresuid, lim->uid, lim->uid, lim->uid) < 0)
			sandbox_child_fail(p, STEP_USER, 0);
		/* A change of credentials clears the parent-death signal. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(SANDBOX_EXIT_EXEC);
	}
	/* The caller's folder may be hidden now (and is none of the converter's business). */
	if (chdir(lim->workdir ? lim->workdir : "/") < 0 && chdir("/") < 0)
		_exit(SANDBOX_EXIT_EXEC);
	if (lim->cpu_seconds)
		sandbox_limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 2);
	if (lim->memory_bytes && sandbox_can_limit_memory())
		(void)setrlimit(RLIMIT_AS, &p->as);
	if (lim->file_bytes)
		sandbox_limit(RLIMIT_FSIZE, lim->file_bytes, lim->file_bytes);
	sandbox_limit(RLIMIT_CORE, 0, 0);
	sandbox_limit(RLIMIT_NOFILE, 256, 256);

	devnull = open("/dev/null", O_RDWR);
	if (in_fd < 0)
		in_fd = devnull;
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(SANDBOX_EXIT_EXEC);
	/* Close the rest at exec: the program's descriptor is still needed for it. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (p->prog_fd >= 0)
		execveat(p->prog_fd, "", argv, env, AT_EMPTY_PATH);
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

/*
 * Parent side: wait for the child to exec (the status pipe closes) or to report a failed step.
 * On failure the child is reaped, the step logged, and true returned. prep is released.
 */
static bool sandbox_setup_failed(pid_t pid, int status_rd, struct sandbox_prep *p)
{
	struct sandbox_report rep;
	size_t got = 0;
	const char *what = "";

	close(p->status_fd);
	p->status_fd = -1;
	while (got < sizeof(rep)) {
		ssize_t n = read(status_rd, (char *)&rep + got, sizeof(rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(status_rd);
	if (got != sizeof(rep)) {
		sandbox_prep_free(p);
		return false;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (rep.step == STEP_HIDE)
		what = sandbox_fs_path(&p->fs, SANDBOX_FS_HIDE, rep.index);
	else if (rep.step == STEP_BIND)
		what = sandbox_fs_path(&p->fs, SANDBOX_FS_BIND, rep.index);
	if (rep.step < 0 || rep.step > STEP_USER)
		rep.step = STEP_NAMESPACES;
	log_error("cannot isolate a converter: %s %s: %s (render_isolate_network and render_isolate_files "
	          "= no turn isolation off, only for hosts whose kernel forbids it)",
	          sandbox_step_names[rep.step], what, strerror(rep.err));
	sandbox_prep_free(p);
	return true;
}

int sandbox_run(const struct sandbox_limits *lim, char *const argv[], char *const env[], int stdin_fd,
                sandbox_reader reader, void *reader_arg, struct sandbox_result *res)
{
	int out[2], err[2] = {-1, -1}, st[2], status = 0;
	struct sandbox_prep prep;
	long deadline = lim->wall_seconds ? sandbox_now_ms() + lim->wall_seconds * 1000L : 0;
	struct buf errtext = BUF_INIT;
	bool killed = false;
	pid_t pid, parent = getpid();

	res->end = SANDBOX_FAILED;
	res->code = 0;
	if (sandbox_prepare(lim, argv[0], &prep) < 0) {
		sandbox_prep_free(&prep);
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		sandbox_prep_free(&prep);
		return -1;
	}
	if (pipe2(err, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]), close(out[1]);
		if (err[0] >= 0)
			close(err[0]), close(err[1]);
		sandbox_prep_free(&prep);
		errno = e;
		return -1;
	}
	prep.status_fd = st[1];
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(st[0]);
		sandbox_prep_free(&prep);
		errno = e;
		return -1;
	}
	if (pid == 0)
		sandbox_child(lim, &prep, argv, env, stdin_fd, out[1], err[1], parent);
	setpgid(pid, pid); /* also from here, so the group exists before any kill */
	close(out[1]);
	close(err[1]);
	if (sandbox_setup_failed(pid, st[0], &prep)) {
		close(out[0]);
		close(err[0]);
		return 0;
	}

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
		res->end = SANDBOX_EXITED;
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
	struct rlimit as;
	pid_t pid;

	/*
	 * sandbox_run left a soft limit fit for our own decoders and a hard one for LibreOffice:
	 * raising the soft limit up to the hard one needs no privilege.
	 */
	if (getrlimit(RLIMIT_AS, &as) < 0)
		as.rlim_max = RLIM_INFINITY;
	if (memory_bytes && as.rlim_max != RLIM_INFINITY && memory_bytes > as.rlim_max)
		memory_bytes = as.rlim_max;
	pid = fork();
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
