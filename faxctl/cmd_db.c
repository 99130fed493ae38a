/*
 * cmd_db.c - `faxctl db upgrade` (create or update the queue's schema) and `faxctl db version`.
 *
 * Exit status: 0 done (version: the schema is current), 1 failed (version: the schema is missing,
 * older or newer than this program's), 2 bad command line.
 */
#include <stdio.h>
#include <string.h>

#include "faxctl.h"
#include "queue/queue.h"

int faxctl_db(struct faxctl *ctl, int argc, char **argv)
{
	const char *sub = argc == 2 ? argv[1] : "";
	struct buf report = BUF_INIT, err = BUF_INIT;
	enum queue_rc rc;
	int have, want, status = FAXCTL_FAIL;

	if (strcmp(sub, "upgrade") != 0 && strcmp(sub, "version") != 0) {
		fprintf(stderr, "usage: faxctl db upgrade | version\n");
		return FAXCTL_USAGE;
	}
	if (faxctl_load_conf(ctl) < 0)
		return FAXCTL_FAIL;
	if (strcmp(sub, "upgrade") == 0) {
		rc = queue_upgrade(&ctl->conf, &report, &err);
		fputs(buf_cstr(&report), stdout);
		if (rc == QUEUE_OK)
			status = FAXCTL_OK;
		else
			fprintf(stderr, "faxctl: upgrade failed: %s\n", buf_cstr(&err));
	} else {
		rc = queue_db_version(&ctl->conf, &have, &want, &err);
		if (rc != QUEUE_OK) {
			fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		} else if (have == want) {
			printf("schema version %d, current\n", have);
			status = FAXCTL_OK;
		} else if (have < want) {
			printf("schema version %d, this program needs %d: run faxctl db upgrade\n", have,
			       want);
		} else {
			printf("schema version %d, newer than this program's %d: upgrade faxgate\n", have,
			       want);
		}
	}
	buf_free(&report);
	buf_free(&err);
	return status;
}
