/*
 * faxctl.h - the admin CLI's commands, one file each.
 */
#ifndef FAXGATE_FAXCTL_H
#define FAXGATE_FAXCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"

/* Exit codes shared by all commands. */
enum faxctl_exit {
	FAXCTL_OK = 0,
	FAXCTL_FAIL = 1,     /* the command failed (bad configuration, I/O) */
	FAXCTL_USAGE = 2,    /* bad command line */
	FAXCTL_REJECTED = 3, /* the input was refused: the sender must change it */
	FAXCTL_TEMPFAIL = 4, /* a temporary problem: try again later */
};

struct faxctl {
	const char *conf_path; /* -c, or NULL for the default file if it exists */
	struct conf conf;
	bool as_service; /* a queue command: run as run_user (see faxctl_load_conf) */
};

int faxctl_config(struct faxctl *ctl, int argc, char **argv);
int faxctl_render(struct faxctl *ctl, int argc, char **argv);
int faxctl_db(struct faxctl *ctl, int argc, char **argv);
int faxctl_jobs(struct faxctl *ctl, int argc, char **argv);
int faxctl_job(struct faxctl *ctl, int argc, char **argv);
/* cancel, hold, release, retry: argv[0] names the action */
int faxctl_job_action(struct faxctl *ctl, int argc, char **argv);
int faxctl_attempts(struct faxctl *ctl, int argc, char **argv);
int faxctl_inbound(struct faxctl *ctl, int argc, char **argv);
int faxctl_lines(struct faxctl *ctl, int argc, char **argv);
int faxctl_events(struct faxctl *ctl, int argc, char **argv);
int faxctl_purge(struct faxctl *ctl, int argc, char **argv);
int faxctl_outbox(struct faxctl *ctl, int argc, char **argv); /* cmd_outbox.c */
/* where a received fax would go (cmd_route.c) */
int faxctl_route(struct faxctl *ctl, int argc, char **argv);
/* sim call, sim stats: the simulated telephone network (cmd_sim.c) */
int faxctl_sim(struct faxctl *ctl, int argc, char **argv);
/* Load ctl->conf from -c or the default path (defaults only when no file exists and none was named). */
int faxctl_load_conf(struct faxctl *ctl);
/* Load the configuration and open the queue; 0, or -1 after saying why. */
struct queue;
int faxctl_queue_open(struct faxctl *ctl, struct queue **q);
/* A positive id; 0, or -1 after saying that s is not `what` ("a job id"). */
int faxctl_parse_id(const char *s, const char *what, int64_t *id);
/* --limit N: a number >= 0; 0, or -1 after saying what is wrong. */
int faxctl_parse_limit(const char *s, long *limit);

#endif
