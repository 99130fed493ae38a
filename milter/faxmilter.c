/*
 * faxmilter - the mail filter: email to fax at the MTA (Postfix or Sendmail).
 *
 * SYNOPSIS
 *	faxmilter [-c CONF]
 *
 * Runs in the foreground as two processes. The master watches signals and the worker, which runs
 * the libmilter service on milter_socket. libmilter takes SIGHUP, SIGTERM and SIGINT for itself
 * (all of them stop it), so the master turns SIGHUP into a SIGUSR1 for the worker, which loads the
 * configuration again; sessions in progress finish with the configuration they started with.
 * SIGTERM stops the worker: it takes no new connection and ends at libmilter's next listener poll
 * (up to 5 s). libmilter does not wait for the sessions in progress: they are cut, and the MTA
 * tempfails their mail and tries again (nothing is half-queued: a mail's jobs are stored at once).
 * A worker that dies is started again; one that cannot start at all ends the master.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"
#include "runtime.h"
#include "util/log.h"
#include "util/privdrop.h"

static const char *milter_conf_path;

/* The worker's reload thread: SIGUSR1 from the master loads the configuration again. */
static void *milter_reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		struct buf err = BUF_INIT;
		struct runtime *rt = runtime_load(milter_conf_path, &err);
		if (rt) {
			runtime_install(rt);
			log_notice("configuration reloaded from %s", milter_conf_path);
		} else {
			log_error("reload failed, keeping the running configuration: %s", buf_cstr(&err));
		}
		buf_free(&err);
	}
	return NULL;
}

static int milter_worker(void)
{
	struct runtime *rt = runtime_get();
	char *sock = strdup(rt->conf.milter_socket);
	int timeout = (int)rt->conf.milter_timeout;
	pthread_t tid;
	sigset_t set;

	runtime_put(rt);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/*
	 * SIGUSR1 waits for the reload thread. SIGHUP, SIGTERM and SIGINT stay blocked in every thread
	 * so that libmilter's signal thread alone takes them: a thread with them unblocked would let
	 * them kill the worker outright.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	if (pthread_create(&tid, NULL, milter_reload_thread, NULL) != 0) {
		log_error("cannot start the reload thread");
		return 1;
	}
	/* A unix socket only the MTA's user or group may use: whoever can talk to it can queue faxes. */
	mode_t old_umask = umask(0117);
	bool listening = smfi_setconn(sock) == MI_SUCCESS && smfi_settimeout(timeout) == MI_SUCCESS &&
	                 smfi_register(milter_callbacks) == MI_SUCCESS && smfi_opensocket(1) == MI_SUCCESS;
	umask(old_umask);
	if (!listening) {
		log_error("cannot listen on %s", sock);
		free(sock);
		return 1;
	}
	log_notice("listening on %s", sock);
	free(sock);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

static pid_t milter_spawn(void)
{
	pid_t pid = fork();

	/* exit, not _exit: the worker's end is checked like the master's (leaks in the ASan build). */
	if (pid == 0)
		exit(milter_worker());
	if (pid < 0)
		log_error("cannot start the worker: %m");
	return pid;
}

/* Stop the worker: SIGTERM, then SIGKILL when it has not ended after the MTA timeout. */
static void milter_stop_worker(pid_t pid, long grace)
{
	int status;

	kill(pid, SIGTERM);
	for (long waited = 0; waited < grace * 10; waited++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	log_warning("worker %ld did not stop within %ld s; killing it", (long)pid, grace);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static int milter_master(void)
{
	sigset_t set;
	pid_t worker;
	time_t started;
	int quick_deaths = 0;
	struct runtime *rt = runtime_get();
	long grace = rt->conf.milter_timeout;

	runtime_put(rt);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	started = time(NULL);
	if ((worker = milter_spawn()) < 0)
		return 1;
	for (;;) {
		int sig, status;

		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			struct buf err = BUF_INIT;
			struct runtime *next = runtime_load(milter_conf_path, &err);
			if (!next) {
				log_error("SIGHUP: %s; the running configuration stays", buf_cstr(&err));
			} else {
				runtime_put(next);
				kill(worker, SIGUSR1);
			}
			buf_free(&err);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_notice("stopping");
			milter_stop_worker(worker, grace);
			return 0;
		} else if (sig == SIGCHLD) {
			if (waitpid(worker, &status, WNOHANG) != worker)
				continue;
			quick_deaths = time(NULL) - started < 3 ? quick_deaths + 1 : 0;
			log_error("worker %ld ended (%s %d)%s", (long)worker,
			          WIFSIGNALED(status) ? "signal" : "status",
			          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			          quick_deaths >= 3 ? "; it cannot start, giving up" : "; starting another");
			if (quick_deaths >= 3)
				return 1;
			sleep((unsigned)quick_deaths);
			started = time(NULL);
			if ((worker = milter_spawn()) < 0)
				return 1;
		}
	}
}

int main(int argc, char **argv)
{
	struct buf err = BUF_INIT;
	struct runtime *rt;
	int opt;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: faxmilter [-c CONF]\n");
			return 2;
		}
		milter_conf_path = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: faxmilter [-c CONF]\n");
		return 2;
	}
	if (!milter_conf_path)
		milter_conf_path = conf_default_path();
	rt = runtime_load(milter_conf_path, &err);
	if (!rt) {
		fprintf(stderr, "faxmilter: %s\n", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	conf_log_open(&rt->conf, "faxmilter", false);
	if (privdrop_switch(rt->conf.run_user, &err) < 0) {
		fprintf(stderr, "faxmilter: %s\n", buf_cstr(&err));
		log_error("%s", buf_cstr(&err));
		buf_free(&err);
		runtime_put(rt);
		return 1;
	}
	if (geteuid() == 0)
		log_warning("running as root: set run_user to a user of its own");
	runtime_install(rt);
	return milter_master();
}
