/*
 * cmd_lines.c - `faxctl lines [--json]`: what each line of each fax server is doing, as faxd last
 * wrote it to the database, with its counters.
 *
 * Exit status: 0 shown, 1 the database cannot be used, 2 bad command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "faxctl.h"
#include "jobshow.h"
#include "queue/queue.h"

static void lines_json(FILE *f, const void *item)
{
	const struct line_status *l = item;

	fputs("{\"server\": ", f);
	jobshow_json_string(f, l->server);
	fputs(", \"line\": ", f);
	jobshow_json_string(f, l->line);
	fputs(", \"state\": ", f);
	jobshow_json_string(f, l->state);
	fprintf(f, ", \"since\": %" PRId64 ", \"job_id\": ", l->since);
	if (l->job_id > 0)
		fprintf(f, "%" PRId64, l->job_id);
	else
		fputs("null", f);
	fputs(", \"call_info\": ", f);
	jobshow_json_string(f, l->call_info);
	fprintf(f,
	        ", \"calls\": %" PRId64 ", \"failures_in_row\": %" PRId64 ", \"pages_sent\": %" PRId64
	        ", \"pages_received\": %" PRId64 ", \"updated\": %" PRId64 "}",
	        l->calls, l->failures_in_row, l->pages_sent, l->pages_received, l->updated);
}

static void lines_table(FILE *f, const struct line_status *l, size_t n)
{
	fprintf(f, "%-12s  %-6s  %-10s  %-19s  %7s  %6s %5s %6s %6s  %s\n", "SERVER", "LINE", "STATE",
	        "SINCE", "JOB", "CALLS", "FAILS", "SENT", "RECVD", "CALL");
	for (size_t i = 0; i < n; i++) {
		jobshow_cell(f, l[i].server, 12);
		jobshow_cell(f, l[i].line, 6);
		jobshow_cell(f, l[i].state, 10);
		jobshow_time(f, l[i].since);
		if (l[i].job_id > 0)
			fprintf(f, "  %7" PRId64, l[i].job_id);
		else
			fprintf(f, "  %7s", "-");
		fprintf(f, "  %6" PRId64 " %5" PRId64 " %6" PRId64 " %6" PRId64 "  ", l[i].calls,
		        l[i].failures_in_row, l[i].pages_sent, l[i].pages_received);
		jobshow_text(f, l[i].call_info, 60);
		fputc('\n', f);
	}
}

int faxctl_lines(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "usage: faxctl lines [--json]\n");
			return FAXCTL_USAGE;
		}
		json = true;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: faxctl lines [--json]\n");
		return FAXCTL_USAGE;
	}

	struct buf err = BUF_INIT;
	struct line_status *l;
	struct queue *q;
	size_t n;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_line_list(q, &l, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot list lines: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json) {
		jobshow_json_list(stdout, l, n, sizeof(*l), lines_json);
	} else if (n == 0) {
		printf("no lines (faxd has not run yet)\n");
	} else {
		lines_table(stdout, l, n);
	}
	line_status_list_free(l, n);
	buf_free(&err);
	return FAXCTL_OK;
}
