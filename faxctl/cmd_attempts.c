/*
 * cmd_attempts.c - `faxctl attempts [--json] ID`: every call made for a job, oldest first, with its
 * T.30 completion code and that code's meaning.
 *
 * Exit status: 0 shown (also when the job has no attempts yet), 1 no such job or the database
 * cannot be used, 2 bad command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <spandsp.h>
#include <stdio.h>

#include "faxctl.h"
#include "jobshow.h"
#include "queue/queue.h"

static void attempts_json(FILE *f, const void *item)
{
	const struct attempt *a = item;

	fprintf(f,
	        "{\"id\": %" PRId64 ", \"job_id\": %" PRId64 ", \"start\": %" PRId64 ", \"end\": %" PRId64
	        ", \"duration\": %" PRId64 ", \"server\": ",
	        a->id, a->job_id, a->start, a->end, a->end - a->start);
	jobshow_json_string(f, a->server);
	fputs(", \"line\": ", f);
	jobshow_json_string(f, a->line);
	fputs(", \"remote_id\": ", f);
	jobshow_json_string(f, a->remote_id);
	fprintf(
	    f,
	    ", \"bit_rate\": %d, \"ecm\": %s, \"pages_confirmed\": %d, \"t30_code\": %d, \"t30_meaning\": ",
	    a->bit_rate, a->ecm ? "true" : "false", a->pages_confirmed, a->t30_code);
	jobshow_json_string(f, t30_completion_code_to_str(a->t30_code));
	fputs(", \"outcome\": ", f);
	jobshow_json_string(f, a->outcome);
	fputs(", \"reason\": ", f);
	jobshow_json_string(f, a->reason);
	fputc('}', f);
}

static void attempts_table(FILE *f, const struct attempt *a, size_t n)
{
	fprintf(f, "%6s  %-19s  %5s  %-12s  %-12s %5s %6s %-3s  %-20s  %s\n", "ID", "START", "SECS", "LINE",
	        "OUTCOME", "PAGES", "BPS", "ECM", "REMOTE", "T.30 / REASON");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%6" PRId64 "  ", a[i].id);
		jobshow_time(f, a[i].start);
		fprintf(f, "  %5" PRId64 "  ", a[i].end - a[i].start);
		jobshow_cell(f, a[i].line, 12);
		jobshow_cell(f, a[i].outcome, 11);
		fprintf(f, "%5d %6d %-3s  ", a[i].pages_confirmed, a[i].bit_rate, a[i].ecm ? "yes" : "no");
		jobshow_cell(f, a[i].remote_id, 20);
		fprintf(f, "%d %s; ", a[i].t30_code, t30_completion_code_to_str(a[i].t30_code));
		jobshow_text(f, a[i].reason, 80);
		fputc('\n', f);
	}
}

int faxctl_attempts(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int64_t id;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "usage: faxctl attempts [--json] ID\n");
			return FAXCTL_USAGE;
		}
		json = true;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: faxctl attempts [--json] ID\n");
		return FAXCTL_USAGE;
	}
	if (faxctl_parse_id(argv[optind], "a job id", &id) < 0)
		return FAXCTL_USAGE;

	struct buf err = BUF_INIT;
	struct attempt *a = NULL;
	struct queue *q;
	struct job j;
	size_t n = 0;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_job_get(q, id, &j, &err);
	if (rc == QUEUE_OK) {
		job_free(&j);
		rc = queue_attempt_list(q, id, &a, &n, &err);
	}
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json) {
		jobshow_json_list(stdout, a, n, sizeof(*a), attempts_json);
	} else if (n == 0) {
		printf("no attempts for job %" PRId64 " yet\n", id);
	} else {
		attempts_table(stdout, a, n);
	}
	attempt_list_free(a, n);
	buf_free(&err);
	return FAXCTL_OK;
}
