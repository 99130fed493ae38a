/*
 * cmd_events.c - `faxctl events [--unhandled] [--limit N] [--json]`: what the admins must hear of
 * (a line out of service, back in service...), oldest first, as faxd recorded it and before or
 * after mailgate sent it.
 *
 * Exit status: 0 shown, 1 the database cannot be used, 2 bad command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "faxctl.h"
#include "jobshow.h"
#include "queue/queue.h"

#define EVENTS_USAGE "usage: faxctl events [--unhandled] [--limit N] [--json]\n"

static void events_json(FILE *f, const void *item)
{
	const struct event *e = item;

	fprintf(f, "{\"id\": %" PRId64 ", \"time\": %" PRId64 ", \"server\": ", e->id, e->time);
	jobshow_json_string(f, e->server);
	fputs(", \"kind\": ", f);
	jobshow_json_string(f, e->kind);
	fputs(", \"subject\": ", f);
	jobshow_json_string(f, e->subject);
	fputs(", \"text\": ", f);
	jobshow_json_string(f, e->text);
	fprintf(f, ", \"handled\": %s}", e->handled ? "true" : "false");
}

static void events_table(FILE *f, const struct event *e, size_t n)
{
	fprintf(f, "%6s  %-19s  %-12s  %-10s  %-8s  %-3s  %s\n", "ID", "TIME", "SERVER", "KIND", "SUBJECT",
	        "SENT", "TEXT");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%6" PRId64 "  ", e[i].id);
		jobshow_time(f, e[i].time);
		fputs("  ", f);
		jobshow_cell(f, e[i].server, 12);
		jobshow_cell(f, e[i].kind, 10);
		jobshow_cell(f, e[i].subject, 8);
		fprintf(f, "%-3s  ", e[i].handled ? "yes" : "no");
		jobshow_text(f, e[i].text, 100);
		fputc('\n', f);
	}
}

int faxctl_events(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"unhandled", no_argument, NULL, 'u'},
	                                     {"limit", required_argument, NULL, 'l'},
	                                     {NULL, 0, NULL, 0}};
	bool json = false, unhandled = false;
	long limit = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'u':
			unhandled = true;
			break;
		case 'l':
			if (faxctl_parse_limit(optarg, &limit) < 0)
				return FAXCTL_USAGE;
			break;
		default:
			fputs(EVENTS_USAGE, stderr);
			return FAXCTL_USAGE;
		}
	}
	if (optind != argc) {
		fputs(EVENTS_USAGE, stderr);
		return FAXCTL_USAGE;
	}

	struct buf err = BUF_INIT;
	struct event *e = NULL;
	struct queue *q;
	size_t n = 0;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_event_list(q, 0, unhandled, (size_t)limit, &e, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot list events: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json)
		jobshow_json_list(stdout, e, n, sizeof(*e), events_json);
	else if (n == 0)
		printf("no events\n");
	else
		events_table(stdout, e, n);
	event_list_free(e, n);
	buf_free(&err);
	return FAXCTL_OK;
}
