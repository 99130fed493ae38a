/*
 * cmd_purge.c - `faxctl purge`: archive jobs finished archive_days ago and delete what is older
 * than purge_days (archived jobs with their pages and attempts, delivered faxes, events, mails the
 * outbox sent or gave up on) now,
 * rather than waiting for faxd's daily purge.
 *
 * Exit status: 0 done, 1 the database cannot be used (nothing changed), 2 bad command line.
 */
#include <stdio.h>
#include <time.h>

#include "faxctl.h"
#include "queue/queue.h"

int faxctl_purge(struct faxctl *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: faxctl purge\n");
		return FAXCTL_USAGE;
	}

	struct queue_purge_counts n;
	struct buf err = BUF_INIT;
	struct queue *q;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc =
	    queue_purge(q, (int64_t)time(NULL), ctl->conf.archive_days, ctl->conf.purge_days, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: purge failed: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	printf(
	    "archived %ld jobs finished %ld days ago or more\n"
	    "deleted %ld archived jobs, %ld received faxes, %ld events and %ld mails older than %ld days\n",
	    n.archived, ctl->conf.archive_days, n.jobs, n.inbound, n.events, n.mails, ctl->conf.purge_days);
	buf_free(&err);
	return FAXCTL_OK;
}
