/*
 * faxsim - a simulated telephone network for faxgate's tests, demo and benchmarks.
 *
 * SYNOPSIS
 *	faxsim [-c CONF] [-v]
 *
 * DESCRIPTION
 *	Listens on sim_socket. faxd's sim line driver connects as a trunk of line_count lines and
 *	dials numbers; the numbering plan (sim_plan) says what each does: a spandsp fax machine that
 *	receives into a folder, busy, no answer, a voice, unassigned, congestion. `faxctl sim call`
 *	makes a simulated fax machine call faxd. The audio is G.711 (sim_law) in 20 ms blocks, either
 *	unpaced (lock step, as fast as the CPU allows) or in real time (sim_timing), where the lateness
 *	of every tick and of every answer from faxd is measured. SIGUSR1 logs the statistics, which
 *	`faxctl sim stats` asks for over the socket; SIGUSR2 starts them afresh (a benchmark's
 *	window); SIGINT or SIGTERM end every call and exit.
 *
 * SECURITY
 *	A test tool: it runs as whoever starts it, and any process that can connect to its socket can
 *	make it read a TIFF file it can read (to send it as a fax) and fill the plan's folders. Every
 *	message from a peer is validated (simnet_proto.h); the plan file is parsed strictly.
 *
 * CONFIGURATION PARAMETERS
 *	sim_socket, sim_plan, sim_timing, sim_law, dial_country_code, dial_area_code,
 *	dial_international_prefix, dial_national_prefix, dial_outside_prefix, log_level.
 *
 * SEE ALSO
 *	docs/simnet.md, lib/line/line.h, lib/simnet/simplan.h
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "faxsim.h"
#include "util/log.h"
#include "util/xalloc.h"

int64_t fs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int fs_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		log_error("sim_socket must be a path of 1 to %zu characters", sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket: %m");
		return -1;
	}
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			log_error("%s exists and is not a socket", path);
			close(fd);
			return -1;
		}
		/* a socket nobody listens on is left over from a faxsim that died: replace it */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			log_error("another faxsim listens on %s", path);
			close(probe);
			close(fd);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		log_error("cannot listen on %s: %m", path);
		close(fd);
		return -1;
	}
	return fd;
}

static void fs_log_stats(const struct fs *fs)
{
	struct buf text = BUF_INIT;
	char *save = NULL;

	fs_stats_text(fs, &text);
	for (char *l = strtok_r(text.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		log_notice("stats: %s", l);
	buf_free(&text);
}

/* Write what every peer is owed; drop peers that stopped reading or are done. */
static void fs_flush_all(struct fs *fs)
{
	for (struct fs_conn *c = fs->conns; c; c = c->next) {
		if (c->dead)
			continue;
		if (simnet_io_flush(&c->io) < 0)
			fs_conn_drop(fs, c, "write failed");
		else if (simnet_io_pending(&c->io) > FS_MAX_OUT)
			fs_conn_drop(fs, c, "does not read what it is sent");
		else if (c->close_flushed && simnet_io_pending(&c->io) == 0)
			fs_conn_drop(fs, c, "done");
	}
}

static void fs_tick(struct fs *fs, int timer_fd, int64_t start)
{
	uint64_t expirations = 0;
	int64_t now, due;

	if (read(timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations) || expirations == 0)
		return;
	now = fs_now();
	/* the first of these expirations is the one this tick serves: how late is it? */
	due = start + (int64_t)(fs->tick_index + 1) * FS_TICK_NS;
	fs_hist_add(&fs->stats.tick_late, (now - due) / 1000);
	fs->tick_index += expirations;
	fs->stats.ticks++;
	fs->stats.ticks_skipped += expirations - 1;
	fs_call_tick(fs, now);
	fs_flush_all(fs);
	fs_hist_add(&fs->stats.tick_work, (fs_now() - now) / 1000);
}

static int fs_timer(int64_t *start)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {.it_interval = {0, FS_TICK_NS}};

	if (fd < 0)
		return -1;
	*start = fs_now() + FS_TICK_NS;
	its.it_value.tv_sec = *start / 1000000000LL;
	its.it_value.tv_nsec = *start % 1000000000LL;
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	/* the first tick is due one period after start */
	*start -= FS_TICK_NS;
	return fd;
}

/* Returns true to go on. */
static bool fs_signal(struct fs *fs, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			fs_log_stats(fs);
		else if (si.ssi_signo == SIGUSR2)
			fs_stats_reset(fs);
		else
			return false;
	}
	return true;
}

static int fs_run(struct fs *fs, int sfd)
{
	struct pollfd *pfd = NULL;
	struct fs_conn **who = NULL;
	int timer_fd = -1, cap = 0;
	int64_t start = 0;

	if (fs->timing == SIMNET_REALTIME && (timer_fd = fs_timer(&start)) < 0) {
		log_error("timerfd: %m");
		return 1;
	}
	for (;;) {
		int timeout = fs_call_timers(fs, fs_now()), n = 0;

		fs_flush_all(fs);
		fs_conn_reap(fs);
		if (cap < fs->nconns + 3) {
			cap = fs->nconns + 16;
			pfd = xreallocarray(pfd, (size_t)cap, sizeof(*pfd));
			who = xreallocarray(who, (size_t)cap, sizeof(*who));
		}
		pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = fs->listen_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = timer_fd, .events = POLLIN};
		for (struct fs_conn *c = fs->conns; c; c = c->next) {
			who[n] = c;
			pfd[n++] = (struct pollfd){
			    .fd = c->io.fd,
			    .events = (short)(POLLIN | (simnet_io_pending(&c->io) ? POLLOUT : 0))};
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %m");
			break;
		}
		if (pfd[0].revents && !fs_signal(fs, sfd))
			break;
		if (pfd[2].revents)
			fs_tick(fs, timer_fd, start);
		if (pfd[1].revents)
			fs_conn_accept(fs);
		for (int i = 3; i < n; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				fs_conn_input(fs, who[i]);
	}
	free(pfd);
	free(who);
	if (timer_fd >= 0)
		close(timer_fd);
	return 0;
}

static int fs_usage(FILE *f)
{
	fprintf(f, "usage: faxsim [-c CONF] [-v]\n");
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL;
	struct buf err = BUF_INIT;
	struct fs fs = {0};
	bool verbose = false;
	sigset_t set;
	int c, sfd, rc;

	while ((c = getopt(argc, argv, "c:vh")) != -1) {
		if (c == 'c')
			conf_path = optarg;
		else if (c == 'v')
			verbose = true;
		else
			return fs_usage(c == 'h' ? stdout : stderr);
	}
	if (optind != argc)
		return fs_usage(stderr);
	log_open("faxsim", LOG_TO_STDERR, NULL);
	if (!conf_path && access(conf_default_path(), F_OK) == 0)
		conf_path = conf_default_path();
	if (conf_load(&fs.conf, conf_path, &err) < 0) {
		fprintf(stderr, "faxsim: %s\n", buf_cstr(&err));
		buf_free(&err);
		conf_free(&fs.conf);
		return 1;
	}
	/* a tool that runs in the foreground: its messages go to stderr */
	conf_log_open(&fs.conf, "faxsim", true);
	if (verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (fs.conf.sim_plan && *fs.conf.sim_plan) {
		if (simplan_load(&fs.plan, fs.conf.sim_plan, &err) < 0) {
			log_error("numbering plan: %s", buf_cstr(&err));
			buf_free(&err);
			conf_free(&fs.conf);
			return 1;
		}
	} else {
		simplan_parse(&fs.plan, "(none)", "", 0, &err);
		log_warning("no sim_plan: every number is unassigned");
	}
	fs.timing = fs.conf.sim_timing == CONF_SIM_REALTIME ? SIMNET_REALTIME : SIMNET_UNPACED;
	fs.law = fs.conf.sim_law == CONF_LAW_ALAW ? SIMNET_ALAW : SIMNET_ULAW;
	fs.stats.started_ns = fs_now();

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	fs.listen_fd = fs_listen(fs.conf.sim_socket);
	if (sfd < 0 || fs.listen_fd < 0) {
		if (sfd < 0)
			log_error("signalfd: %m");
		simplan_free(&fs.plan);
		conf_free(&fs.conf);
		return 1;
	}
	log_notice("listening on %s: %zu numbers in the plan, %s, %s", fs.conf.sim_socket, fs.plan.count,
	           fs.timing == SIMNET_REALTIME ? "real time (20 ms ticks)" : "unpaced",
	           fs.law == SIMNET_ALAW ? "A-law" : "mu-law");
	rc = fs_run(&fs, sfd);

	/* end every call properly, so received faxes are complete on disk */
	for (struct fs_conn *p = fs.conns; p; p = p->next)
		fs_conn_drop(&fs, p, "faxsim stops");
	fs_flush_all(&fs);
	fs_conn_reap(&fs);
	fs_log_stats(&fs);
	close(fs.listen_fd);
	unlink(fs.conf.sim_socket);
	close(sfd);
	free(fs.calls);
	simplan_free(&fs.plan);
	conf_free(&fs.conf);
	buf_free(&err);
	return rc;
}
