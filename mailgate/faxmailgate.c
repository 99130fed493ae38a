/*
 * faxmailgate - the mail gateway: received faxes to their mailboxes, notices to senders, alerts
 * to admins.
 *
 * SYNOPSIS
 *	faxmailgate [-1] [-c CONF]
 *
 * Runs in the foreground. Each round runs the four steps of mailgate.h in turn (received faxes,
 * notices, alerts, then delivery of the outbox to the relay) and starts the next round at once while
 * any step found work, else after mailgate_poll, or as soon as a fax comes in (checked every 100 ms). All its
 *state is in the database, so any number of faxmailgates may share one queue and a crash loses nothing. When
 *the database cannot be reached, it says so (alerts_db_state) and tries again every few seconds. SIGHUP loads
 *the configuration again; SIGTERM and SIGINT stop it after the current step. -1 runs rounds until one finds
 *nothing to do, then exits (tests, benchmarks, cron): status 0, or 1 when the database could not be used.
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

#include "mailgate.h"
#include "util/log.h"
#include "util/privdrop.h"

/* How long to wait before trying a database that could not be reached again, seconds. */
#define MAILGATE_REOPEN_SECS 5
/* Between rounds, how often to look whether a fax came in (milliseconds). */
#define MAILGATE_FAX_CHECK_MS 100

struct mailgate_main {
	struct conf conf;
	const char *conf_path;
	struct mailgate mg;
	char owner[192];
	bool stopping;
	bool once;
	time_t next_open;   /* while the database is away: when to try it again */
	int64_t newest_fax; /* the newest received fax when the last round began */
};

/* The id of the newest received fax (0: none, or the database cannot say). */
static int64_t mailgate_newest_fax(struct mailgate_main *m)
{
	struct buf err = BUF_INIT;
	int64_t id = 0;

	if (m->mg.q && queue_inbound_newest(m->mg.q, &id, &err) != QUEUE_OK)
		id = 0;
	buf_free(&err);
	return id;
}

/*
 * Wait up to ms for a signal. A received fax is what somebody waits for: while waiting, look every
 * MAILGATE_FAX_CHECK_MS whether one came in (one small query), and end the wait when it did, so
 * its mail goes out within a tenth of a second rather than within mailgate_poll. Notices and
 * alerts keep to mailgate_poll.
 */
static int mailgate_wait(struct mailgate_main *m, struct pollfd *p, int ms)
{
	for (int waited = 0;;) {
		int step = ms - waited < MAILGATE_FAX_CHECK_MS ? ms - waited : MAILGATE_FAX_CHECK_MS;
		int n = poll(p, 1, step);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n != 0 || (waited += step) >= ms)
			return 0;
		if (mailgate_newest_fax(m) > m->newest_fax)
			return 0;
	}
}

static void mailgate_reload(struct mailgate_main *m)
{
	struct conf fresh;
	struct router *r = NULL;
	struct buf err = BUF_INIT;

	if (conf_load(&fresh, m->conf_path, &err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", buf_cstr(&err));
		buf_free(&err);
		return;
	}
	if (route_open(&fresh, &r, &err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", buf_cstr(&err));
		conf_free(&fresh);
		buf_free(&err);
		return;
	}
	route_close(m->mg.router);
	m->mg.router = r;
	conf_free(&m->conf);
	m->conf = fresh;
	log_notice("configuration reloaded from %s (the database stays as it is until a restart)",
	           m->conf_path);
	buf_free(&err);
}

/* Open the queue, at most every MAILGATE_REOPEN_SECS while it stays away. */
static bool mailgate_connect(struct mailgate_main *m, time_t now)
{
	struct buf err = BUF_INIT;

	if (m->mg.q)
		return true;
	if (now < m->next_open)
		return false;
	if (queue_open(&m->conf, &m->mg.q, &err) != QUEUE_OK) {
		m->mg.q = NULL;
		m->next_open = now + MAILGATE_REOPEN_SECS;
		alerts_db_state(&m->mg, true, buf_cstr(&err));
		buf_free(&err);
		return false;
	}
	snprintf(m->owner, sizeof(m->owner), "%s:mailgate:%ld", queue_server_name(m->mg.q), (long)getpid());
	alerts_db_state(&m->mg, false, NULL);
	buf_free(&err);
	return true;
}

/* One round of the four steps; the number of items handled, or -1 when the database failed. */
static int mailgate_round(struct mailgate_main *m)
{
	static int (*const steps[])(struct mailgate *) = {mailgate_inbound, mailgate_notices, mailgate_alerts,
	                                                  mailgate_deliver};
	int work = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !m->stopping; i++) {
		int n;

		m->mg.now = time(NULL);
		n = steps[i](&m->mg);
		if (n < 0) {
			queue_close(m->mg.q);
			m->mg.q = NULL;
			m->next_open = time(NULL) + MAILGATE_REOPEN_SECS;
			alerts_db_state(&m->mg, true, "a query failed (see the log)");
			return -1;
		}
		work += n;
	}
	return work;
}

static int mailgate_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int mailgate_loop(struct mailgate_main *m)
{
	int sfd = mailgate_signals();
	int work = 0, rc = 0;

	if (sfd < 0) {
		log_error("signalfd: %m");
		return 1;
	}
	while (!m->stopping) {
		struct pollfd p = {sfd, POLLIN, 0};
		int wait_ms = m->once || work > 0 ? 0 : (int)m->conf.mailgate_poll * 1000;

		if (mailgate_wait(m, &p, wait_ms) < 0) {
			log_error("poll: %m");
			rc = 1;
			break;
		}
		if (p.revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					mailgate_reload(m);
				} else {
					log_notice("stopping on signal %u", si.ssi_signo);
					m->stopping = true;
				}
			}
		}
		if (m->stopping)
			break;
		if (mailgate_connect(m, time(NULL))) {
			/* a fax newer than this one ends the wait after the round */
			m->newest_fax = mailgate_newest_fax(m);
			work = mailgate_round(m);
		} else {
			work = -1;
		}
		if (work < 0 && m->once) {
			rc = 1;
			break;
		}
		if (work == 0 && m->once)
			break;
	}
	close(sfd);
	log_notice("stopped");
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: faxmailgate [-1] [-c CONF]\n");
}

int main(int argc, char **argv)
{
	struct mailgate_main m = {0};
	struct buf err = BUF_INIT;
	int opt, rc;

	while ((opt = getopt(argc, argv, "1c:")) != -1) {
		if (opt == 'c') {
			m.conf_path = optarg;
		} else if (opt == '1') {
			m.once = true;
		} else {
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (!m.conf_path)
		m.conf_path = conf_default_path();
	/* The mail templates are looked for beside the configuration file in use (template.h). */
	setenv("FAXGATE_CONF", m.conf_path, 1);
	if (conf_load(&m.conf, m.conf_path, &err) < 0) {
		fprintf(stderr, "faxmailgate: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	conf_log_open(&m.conf, "faxmailgate", false);
	if (privdrop_switch(m.conf.run_user, &err) < 0 || route_open(&m.conf, &m.mg.router, &err) < 0) {
		fprintf(stderr, "faxmailgate: %s\n", buf_cstr(&err));
		log_error("%s", buf_cstr(&err));
		buf_free(&err);
		conf_free(&m.conf);
		return 1;
	}
	m.mg.conf = &m.conf;
	m.mg.owner = m.owner;
	m.mg.alerts = alerts_new();
	snprintf(m.owner, sizeof(m.owner), "mailgate:%ld", (long)getpid());
	log_notice("started");
	rc = mailgate_loop(&m);
	if (m.mg.q)
		queue_close(m.mg.q);
	alerts_free(m.mg.alerts);
	route_close(m.mg.router);
	conf_free(&m.conf);
	buf_free(&err);
	return rc;
}
