/*
 * faxd - the fax daemon: sends queued jobs and receives faxes over its lines.
 *
 * SYNOPSIS
 *	faxd [-c CONF]
 *
 * Runs in the foreground. One event loop serves every line: the line driver's audio, a signal
 * descriptor, and once a second the housekeeping (claim due jobs for idle lines, renew leases,
 * watchdog, daily purge). SIGHUP loads the configuration again (retries, limits, station id...;
 * the number of lines and the network need a restart); SIGTERM ends the calls in progress, gives
 * their jobs back to the queue and stops.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "faxd.h"
#include "util/log.h"
#include "util/privdrop.h"
#include "util/xalloc.h"

static int64_t faxd_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Claim due jobs for idle lines that may call. A claim and the start of its call (pages read,
 * a commit or two) take a few milliseconds: a burst of jobs is claimed FAXD_CLAIM_MS at a time,
 * between the audio blocks of the calls already running, and fd->claiming says to go on at once.
 */
#define FAXD_CLAIM_MS 5
static void faxd_claim(struct faxd *fd, time_t now)
{
	int64_t until = faxd_ms() + FAXD_CLAIM_MS;

	fd->claiming = false;
	for (int i = 0; i < fd->nlines && !fd->stopping; i++) {
		struct faxd_line *l = &fd->lines[i];
		struct job j = {0};
		struct buf err = BUF_INIT;
		enum queue_rc rc;

		if (l->state != CALL_IDLE || !health_may_call(fd, l, now))
			continue;
		rc = queue_claim(fd->q, fd->owner, now, fd->conf.faxd_lease,
		                 fd->conf.faxd_max_per_destination, &j, &err);
		if (rc == QUEUE_NOT_FOUND) {
			buf_free(&err);
			break; /* nothing due for the other lines either */
		}
		if (rc != QUEUE_OK) {
			log_error("cannot claim jobs: %s", buf_cstr(&err));
			buf_free(&err);
			break;
		}
		buf_free(&err);
		call_start_send(fd, l, &j);
		if (faxd_ms() >= until) {
			fd->claiming = true;
			break;
		}
	}
}

/* Jobs this server held when it stopped (or died) are due again at once. */
static void faxd_reclaim_own(struct faxd *fd)
{
	struct buf err = BUF_INIT;
	long n = 0;

	if (queue_release_owner(fd->q, fd->owner, &n, &err) != QUEUE_OK)
		log_error("cannot release the jobs of an earlier run: %s", buf_cstr(&err));
	else if (n > 0)
		log_notice("%ld jobs of an earlier run are due again", n);
	buf_free(&err);
}

static void faxd_purge(struct faxd *fd, time_t now)
{
	struct queue_purge_counts c = {0};
	struct buf err = BUF_INIT;

	if (queue_purge(fd->q, now, fd->conf.archive_days, fd->conf.purge_days, &c, &err) != QUEUE_OK)
		log_warning("purge failed: %s", buf_cstr(&err));
	buf_free(&err);
	fd->next_purge = now + 86400;
}

static void faxd_reload(struct faxd *fd)
{
	struct conf next;
	struct buf err = BUF_INIT;

	if (conf_load(&next, fd->conf_path, &err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", buf_cstr(&err));
		buf_free(&err);
		return;
	}
	if (next.line_count != fd->conf.line_count || next.line_driver != fd->conf.line_driver ||
	    strcmp(next.sim_socket, fd->conf.sim_socket) != 0 || strcmp(next.sip_trunks, fd->conf.sip_trunks) != 0 ||
	    strcmp(next.sip_listen, fd->conf.sip_listen) != 0 ||
	    strcmp(next.db_path, fd->conf.db_path) != 0 ||
	    strcmp(next.db_conninfo, fd->conf.db_conninfo) != 0 || next.db_driver != fd->conf.db_driver)
		log_warning("reload: lines, network and database stay as they are until faxd is restarted");
	/* keep what the open connections were made with */
	free(next.sim_socket);
	next.sim_socket = xstrdup(fd->conf.sim_socket);
	next.line_count = fd->conf.line_count;
	next.line_driver = fd->conf.line_driver;
	conf_free(&fd->conf);
	fd->conf = next;
	log_notice("configuration reloaded from %s", fd->conf_path);
}

/* SIGTERM: every call ends, its job goes back to the queue at once. */
static void faxd_stop(struct faxd *fd)
{
	fd->stopping = true;
	for (int i = 0; i < fd->nlines; i++) {
		struct faxd_line *l = &fd->lines[i];
		call_release(fd, l);
	}
	faxd_reclaim_own(fd);
}

static int faxd_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigprocmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Connect the lines to their network; quiet while it stays away (said once). */
static int faxd_connect(struct faxd *fd)
{
	struct buf err = BUF_INIT;

	fd->lines_drv = line_open(&fd->conf, &err);
	if (!fd->lines_drv) {
		if (!fd->network_lost) {
			log_error("cannot open the lines: %s", buf_cstr(&err));
			health_trunk(fd, true, buf_cstr(&err));
		}
		fd->network_lost = true;
		buf_free(&err);
		return -1;
	}
	if (fd->network_lost) {
		log_notice("the lines are connected again");
		health_trunk(fd, false, NULL);
	}
	fd->network_lost = false;
	buf_free(&err);
	return 0;
}

static int faxd_loop(struct faxd *fd)
{
	sigset_t set;
	int sfd = faxd_signals(&set);
	time_t last_tick = 0;

	if (sfd < 0) {
		log_error("signalfd: %m");
		return 1;
	}
	while (!fd->stopping) {
		log_context_clear(); /* each line sets its own while it is served */
		struct pollfd p[2] = {{fd->lines_drv ? line_fd(fd->lines_drv) : -1, POLLIN, 0},
		                      {sfd, POLLIN, 0}};
		int n = poll(p, 2, fd->claiming ? 0 : 200);
		time_t now = time(NULL);

		if (n < 0 && errno != EINTR) {
			log_error("poll: %m");
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					faxd_reload(fd);
				else
					faxd_stop(fd);
			}
		}
		if (fd->stopping)
			break;
		fd->ends_left = FAXD_ENDS_PER_TICK;
		/* Audio first: in real time a block not answered now is a missed deadline. */
		for (int k = 0; fd->lines_drv && k < 100000; k++) {
			struct line_event ev;
			int rc = line_next_event(fd->lines_drv, &ev);
			if (rc < 0) {
				/* the calls were ended by HANGUP events; connect again on the next tick */
				log_error("the lines lost their network; connecting again");
				line_close(fd->lines_drv);
				fd->lines_drv = NULL;
				break;
			}
			if (ev.type == LINE_EV_NONE)
				break;
			if (ev.line < 0) {
				for (int i = 0; i < fd->nlines; i++)
					call_event(fd, &fd->lines[i], &ev);
			} else if (ev.line < fd->nlines) {
				call_event(fd, &fd->lines[ev.line], &ev);
			}
		}
		if (now != last_tick) {
			last_tick = now;
			if (!fd->lines_drv && faxd_connect(fd) < 0)
				continue;
			for (int i = 0; i < fd->nlines; i++)
				call_tick(fd, &fd->lines[i], now);
			calls_renew(fd, now);
			if (now >= fd->next_poll) {
				faxd_claim(fd, now);
				fd->next_poll = now + fd->conf.faxd_poll;
			}
			if (now >= fd->next_purge)
				faxd_purge(fd, now);
		} else if (fd->claiming && fd->lines_drv) {
			faxd_claim(fd, now);
		}
	}
	close(sfd);
	log_notice("stopped");
	return 0;
}

static int faxd_open(struct faxd *fd)
{
	struct buf err = BUF_INIT;

	if (queue_open(&fd->conf, &fd->q, &err) != QUEUE_OK) {
		log_error("cannot open the queue: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	/* the one name of this server (faxd_name, else the host name): leases, attempts, events alike */
	snprintf(fd->owner, sizeof(fd->owner), "%s", queue_server_name(fd->q));
	if (faxd_connect(fd) < 0)
		return -1;
	fd->nlines = line_count(fd->lines_drv);
	fd->lines = xcalloc((size_t)fd->nlines, sizeof(*fd->lines));
	for (int i = 0; i < fd->nlines; i++) {
		fd->lines[i].daemon = fd;
		fd->lines[i].index = i;
		snprintf(fd->lines[i].name, sizeof(fd->lines[i].name), "%s%d",
		         fd->conf.line_driver == CONF_LINE_SIM ? "sim" : "sip", i);
		health_publish(fd, &fd->lines[i]);
	}
	buf_free(&err);
	faxd_reclaim_own(fd);
	log_notice("%s: %d lines, queue open", fd->owner, fd->nlines);
	return 0;
}

int main(int argc, char **argv)
{
	struct faxd fd = {0};
	struct buf err = BUF_INIT;
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: faxd [-c CONF]\n");
			return 2;
		}
		fd.conf_path = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: faxd [-c CONF]\n");
		return 2;
	}
	if (!fd.conf_path)
		fd.conf_path = conf_default_path();
	if (conf_load(&fd.conf, fd.conf_path, &err) < 0) {
		fprintf(stderr, "faxd: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	conf_log_open(&fd.conf, "faxd", false);
	if (line_preload(&fd.conf, &err) < 0 || privdrop_switch(fd.conf.run_user, &err) < 0) {
		fprintf(stderr, "faxd: %s\n", buf_cstr(&err));
		log_error("%s", buf_cstr(&err));
		buf_free(&err);
		conf_free(&fd.conf);
		return 1;
	}
	rc = faxd_open(&fd) < 0 ? 1 : faxd_loop(&fd);
	for (int i = 0; i < fd.nlines; i++)
		health_publish(&fd, &fd.lines[i]);
	free(fd.lines);
	if (fd.lines_drv)
		line_close(fd.lines_drv);
	if (fd.q)
		queue_close(fd.q);
	conf_free(&fd.conf);
	return rc;
}
