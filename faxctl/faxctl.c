/*
 * faxctl - faxgate's admin command line: one entry point, one file per command.
 *
 * SYNOPSIS
 *	faxctl [-c CONF] config check|reference|dump
 *	faxctl [-c CONF] render [options] -o OUT.tif IN...
 *	faxctl [-c CONF] db upgrade|version
 *	faxctl [-c CONF] jobs [--status S] [--limit N] [--all] [--json]
 *	faxctl [-c CONF] job [--json] [--tiff OUT.tif] ID
 *	faxctl [-c CONF] cancel|hold|release|retry ID
 *	faxctl [-c CONF] attempts [--json] ID
 *	faxctl [-c CONF] inbound [--status S] [--limit N] [--json]
 *	faxctl [-c CONF] inbound [--json] ID | inbound ID --export OUT.tif | inbound ID --requeue
 *	faxctl [-c CONF] lines [--json]
 *	faxctl [-c CONF] events [--unhandled] [--limit N] [--json]
 *	faxctl [-c CONF] purge
 *	faxctl [-c CONF] outbox [--status S] [--limit N] [--json] | outbox [--json] ID
 *	faxctl [-c CONF] outbox ID --message
 *	faxctl [-c CONF] route NUMBER [SUBADDRESS]
 *	faxctl [-c CONF] sim call --file FAX.tif --to DID [--from CALLER] [--station ID] [--subaddress S]
 *		[--hangup-after-page N]
 *	faxctl [-c CONF] sim stats
 *
 * faxctl runs with the privileges of whoever calls it; documents given to `render` are converted
 * in sandboxed children exactly as the milter does it.
 */
#include "faxctl.h"
#include "util/privdrop.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static void faxctl_usage(FILE *f)
{
	fprintf(f, "usage: faxctl [-c CONF] COMMAND [ARGS]\n"
	           "commands:\n"
	           "  config check [FILE]   validate a configuration file\n"
	           "  config reference      print every key with type, default, range\n"
	           "  config dump           print the effective configuration\n"
	           "  render [--resolution standard|fine|superfine] [--paper a4|letter]\n"
	           "         [--cover KEY=VALUE]... [--cover-template PATH] -o OUT.tif IN...\n"
	           "                        turn documents into one fax TIFF\n"
	           "  db upgrade            create or update the queue's database schema\n"
	           "  db version            the schema's version (exit 1 unless current)\n"
	           "  jobs [--status S] [--limit N (default 1000, 0: all)] [--all] [--json]\n"
	           "                        list jobs, newest first (--all: archived ones too)\n"
	           "  job [--json] ID       show every field of a job\n"
	           "  job --tiff OUT.tif ID write the job's pages as a fax TIFF\n"
	           "  cancel|hold|release|retry ID\n"
	           "                        act on a job\n"
	           "  attempts [--json] ID  the calls made for a job\n"
	           "  inbound [--status S] [--limit N] [--json]\n"
	           "                        list received faxes, newest first\n"
	           "  inbound [--json] ID   show a received fax\n"
	           "  inbound ID --export OUT.tif|OUT.pdf\n"
	           "                        write a received fax's pages, untouched, as a fax TIFF or a PDF\n"
	           "  inbound ID --requeue  route an unrouted received fax again (after fixing the routes)\n"
	           "  lines [--json]        what each line of each fax server is doing\n"
	           "  events [--unhandled] [--limit N] [--json]\n"
	           "                        what the admins must hear of (lines down and up), oldest first\n"
	           "  purge                 archive and delete old jobs, faxes, events and mails now\n"
	           "  outbox [--status pending|sent|failed] [--limit N] [--json] | outbox [--json] ID\n"
	           "                        the mails faxmailgate sends; ID --message: one as stored\n"
	           "  route NUMBER [SUBADDRESS]\n"
	           "                        where a fax called to NUMBER would be mailed, and why\n"
	           "  sim call --file FAX.tif --to DID [--from CALLER] [--station ID] [--subaddress S]\n"
	           "           [--hangup-after-page N]\n"
	           "                        a simulated fax machine calls faxd (faxsim)\n"
	           "  sim stats             faxsim's timing statistics\n");
}

int faxctl_load_conf(struct faxctl *ctl)
{
	struct buf err = BUF_INIT;
	const char *path = ctl->conf_path;

	if (!path && access(conf_default_path(), F_OK) == 0)
		path = conf_default_path();
	if (conf_load(&ctl->conf, path, &err) < 0) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	conf_log_open(&ctl->conf, "faxctl", true);
	/* The queue's files must belong to the user the daemons run as, whoever runs faxctl. */
	if (ctl->as_service && privdrop_switch(ctl->conf.run_user, &err) < 0) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

int main(int argc, char **argv)
{
	struct faxctl ctl = {0};
	int c, rc;

	log_open("faxctl", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "+c:h")) != -1) {
		switch (c) {
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'h':
			faxctl_usage(stdout);
			return FAXCTL_OK;
		default:
			faxctl_usage(stderr);
			return FAXCTL_USAGE;
		}
	}
	if (optind >= argc) {
		faxctl_usage(stderr);
		return FAXCTL_USAGE;
	}
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* full reset: subcommands parse with their own rules */
	ctl.as_service = strcmp(cmd, "config") != 0 && strcmp(cmd, "render") != 0 && strcmp(cmd, "sim") != 0;
	if (strcmp(cmd, "config") == 0)
		rc = faxctl_config(&ctl, argc, argv);
	else if (strcmp(cmd, "render") == 0)
		rc = faxctl_render(&ctl, argc, argv);
	else if (strcmp(cmd, "db") == 0)
		rc = faxctl_db(&ctl, argc, argv);
	else if (strcmp(cmd, "jobs") == 0)
		rc = faxctl_jobs(&ctl, argc, argv);
	else if (strcmp(cmd, "job") == 0)
		rc = faxctl_job(&ctl, argc, argv);
	else if (strcmp(cmd, "sim") == 0)
		rc = faxctl_sim(&ctl, argc, argv);
	else if (strcmp(cmd, "cancel") == 0 || strcmp(cmd, "hold") == 0 || strcmp(cmd, "release") == 0 ||
	         strcmp(cmd, "retry") == 0)
		rc = faxctl_job_action(&ctl, argc, argv);
	else if (strcmp(cmd, "attempts") == 0)
		rc = faxctl_attempts(&ctl, argc, argv);
	else if (strcmp(cmd, "inbound") == 0)
		rc = faxctl_inbound(&ctl, argc, argv);
	else if (strcmp(cmd, "lines") == 0)
		rc = faxctl_lines(&ctl, argc, argv);
	else if (strcmp(cmd, "events") == 0)
		rc = faxctl_events(&ctl, argc, argv);
	else if (strcmp(cmd, "purge") == 0)
		rc = faxctl_purge(&ctl, argc, argv);
	else if (strcmp(cmd, "outbox") == 0)
		rc = faxctl_outbox(&ctl, argc, argv);
	else if (strcmp(cmd, "route") == 0)
		rc = faxctl_route(&ctl, argc, argv);
	else {
		fprintf(stderr, "faxctl: unknown command '%s'\n", cmd);
		faxctl_usage(stderr);
		rc = FAXCTL_USAGE;
	}
	conf_free(&ctl.conf);
	return rc;
}
