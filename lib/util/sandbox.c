/*
 * sandbox.c - run converters in limited child processes (see sandbox.h).
 *
 * Hostile documents are opened only in these children. The limits are the kernel's (rlimits,
 * namespaces, credentials), so a converter that loops, balloons or writes without end is stopped
 * whatever it does; the parent's wall-clock deadline catches a child that sleeps or waits on
 * something. A converter tricked into reading local files (an office document's links to pictures
 * by path, PostScript file operators) finds the private places of the host empty: they are
 * covered by small private tmpfs mounts, and only its own scratch folder is bound back. It runs
 * with no new privileges and, when started by root, as an unprivileged user.
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
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fdio.h"
#include "util/log.h"

#define SANDBOX_EXIT_ISOLATE 125
#define SANDBOX_EXIT_EXEC    127
#define SANDBOX_STDERR_MAX   65536
#define SANDBOX_MAX_HIDE     32
#define SANDBOX_MAX_BIND     16

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/* Where a host keeps what a converter has no business reading: users' files, mail, state, secrets. */
static const char *const sandbox_private_dirs[] = {
    "/home",        "/root", "/tmp", "/var/tmp", "/var/lib", "/var/spool", "/var/mail",    "/var/log",
    "/var/backups", "/srv",  "/mnt", "/media",   "/opt",     "/run",       "/etc/faxgate", NULL,
};

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

struct sandbox_bind {
	char *path; /* where, at its real path; the child writes into it to make the components */
	int tree;   /* the child's detached copy of its mount */
	bool readonly;
};

/* Everything the child needs, made ready by the parent. */
struct sandbox_prep {
	int prog_fd; /* O_PATH descriptor of the program: it may live in a hidden folder */
	int status_fd;
	bool switch_user, own_user_ns_ok;
	char uid_map[64], gid_map[64];
	char *hide[SANDBOX_MAX_HIDE];
	size_t nhide;
	struct sandbox_bind bind[SANDBOX_MAX_BIND];
	size_t nbind;
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

/* Whether path is dir or inside it. */
static bool sandbox_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void sandbox_add_hide(struct sandbox_prep *p, const char *dir)
{
	char real[PATH_MAX];
	struct stat sb;

	if (!realpath(dir, real) || stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode) || strcmp(real, "/") == 0)
		return;
	for (size_t i = 0; i < p->nhide; i++)
		if (sandbox_under(real, p->hide[i]))
			return;
	/* A new folder holding ones already listed replaces them: one mount hides them all. */
	for (size_t i = 0; i < p->nhide;) {
		if (sandbox_under(p->hide[i], real)) {
			free(p->hide[i]);
			p->hide[i] = p->hide[--p->nhide];
		} else {
			i++;
		}
	}
	if (p->nhide < SANDBOX_MAX_HIDE)
		p->hide[p->nhide++] = strdup(real);
	if (p->nhide && !p->hide[p->nhide - 1])
		p->nhide--;
}

static int sandbox_add_bind(struct sandbox_prep *p, const char *path, bool readonly)
{
	struct stat sb;

	if (p->nbind >= SANDBOX_MAX_BIND || stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return -1;
	p->bind[p->nbind].path = strdup(path);
	if (!p->bind[p->nbind].path)
		return -1;
	p->bind[p->nbind++].readonly = readonly;
	return 0;
}

/* A path that must stay visible: the folder directly inside the hidden one holding it is bound back. */
static void sandbox_add_keep(struct sandbox_prep *p, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return;
	for (size_t i = 0; i < p->nhide; i++) {
		size_t n = strlen(p->hide[i]);
		if (!sandbox_under(real, p->hide[i]) || real[n] == '\0')
			continue;
		char *end = strchr(real + n + 1, '/');
		if (end)
			*end = '\0';
		for (size_t j = 0; j < p->nbind; j++)
			if (strcmp(p->bind[j].path, real) == 0)
				return;
		(void)sandbox_add_bind(p, real, true);
		return;
	}
}

static void sandbox_prep_free(struct sandbox_prep *p)
{
	for (size_t i = 0; i < p->nhide; i++)
		free(p->hide[i]);
	for (size_t i = 0; i < p->nbind; i++)
		free(p->bind[i].path);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->status_fd >= 0)
		close(p->status_fd);
}

static int sandbox_prepare(const struct sandbox_limits *lim, const char *prog, struct sandbox_prep *p)
{
	char real[PATH_MAX];

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
	if (!lim->workdir || !realpath(lim->workdir, real)) {
		log_error("sandbox: no work folder to keep visible (%s)",
		          lim->workdir ? lim->workdir : "none");
		return -1;
	}
	for (size_t i = 0; sandbox_private_dirs[i]; i++)
		sandbox_add_hide(p, sandbox_private_dirs[i]);
	for (size_t i = 0; lim->hide && lim->hide[i]; i++)
		sandbox_add_hide(p, lim->hide[i]);
	if (sandbox_add_bind(p, real, false) < 0) {
		log_error("sandbox: cannot open the work folder %s: %m", real);
		return -1;
	}
	for (size_t i = 0; lim->keep && lim->keep[i]; i++)
		sandbox_add_keep(p, lim->keep[i]);
	return 0;
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
	if (unshare(CLONE_NEWUSER | flags) < 0)
		sandbox_child_fail(p, STEP_NAMESPACES, 0);
	if ((sandbox_write_file("/proc/self/setgroups", "deny") < 0 ||
	     sandbox_write_file("/proc/self/uid_map", p->uid_map) < 0 ||
	     sandbox_write_file("/proc/self/gid_map", p->gid_map) < 0) &&
	    need_map)
		sandbox_child_fail(p, STEP_IDMAP, 0);
}

/* Make the folders leading to path (inside a hiding tmpfs they are missing); path is restored. */
static void sandbox_child_mkdirs(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(path, 0755);
		*s = '/';
	}
	(void)mkdir(path, 0755);
}

static void sandbox_child_files(struct sandbox_prep *p)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		sandbox_child_fail(p, STEP_PROPAGATION, 0);
	/*
	 * The folders are about to be hidden: take detached copies of their mounts first (open_tree;
	 * a descriptor from the parent would not do, the kernel binds only mounts of this namespace)
	 * and attach them where they were afterwards.
	 */
	for (size_t i = 0; i < p->nbind; i++) {
		struct sandbox_bind *b = &p->bind[i];
		b->tree = open_tree(AT_FDCWD, b->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (b->tree < 0)
			sandbox_child_fail(p, STEP_BIND, (int)i);
	}
	for (size_t i = 0; i < p->nhide; i++)
		if (mount("tmpfs", p->hide[i], "tmpfs", MS_NOSUID | MS_NODEV,
		          "size=1m,nr_inodes=1024,mode=1777") < 0)
			sandbox_child_fail(p, STEP_HIDE, (int)i);
	for (size_t i = 0; i < p->nbind; i++) {
		struct sandbox_bind *b = &p->bind[i];
		sandbox_child_mkdirs(b->path);
		if (move_mount(b->tree, "", AT_FDCWD, b->path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			sandbox_child_fail(p, STEP_BIND, (int)i);
		/* Best effort: the converter's user cannot write there anyway. */
		if (b->readonly)
			(void)mount(NULL, b->path, NULL,
			            MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	}
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
	if (rep.step == STEP_HIDE && rep.index >= 0 && (size_t)rep.index < p->nhide)
		what = p->hide[rep.index];
	else if (rep.step == STEP_BIND && rep.index >= 0 && (size_t)rep.index < p->nbind)
		what = p->bind[rep.index].path;
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
