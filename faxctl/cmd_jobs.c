/*
 * cmd_jobs.c - `faxctl jobs`, `faxctl job ID` and the admin's actions on one job:
 * `faxctl cancel|hold|release|retry ID`.
 *
 * `faxctl jobs` shows the newest JOBS_DEFAULT_LIMIT jobs unless told otherwise (and says so), and
 * archived jobs only with --all. `faxctl job ID --tiff OUT.tif` writes the job's stored pages as a
 * fax TIFF, each page's MMR strip as it was queued, so what a call would send can be looked at or
 * sent by hand.
 *
 * Exit status: 0 done, 1 failed (no such job, the job's status does not allow the action, the
 * database cannot be used), 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faxctl.h"
#include "jobshow.h"
#include "queue/queue.h"
#include "render/faxtiff.h"

/* Jobs listed unless --limit says otherwise: a big queue must not flood the terminal or the memory. */
#define JOBS_DEFAULT_LIMIT 1000

int faxctl_queue_open(struct faxctl *ctl, struct queue **q)
{
	struct buf err = BUF_INIT;
	enum queue_rc rc;

	if (faxctl_load_conf(ctl) < 0)
		return -1;
	rc = queue_open(&ctl->conf, q, &err);
	if (rc != QUEUE_OK)
		fprintf(stderr, "faxctl: cannot open the queue: %s\n", buf_cstr(&err));
	buf_free(&err);
	return rc == QUEUE_OK ? 0 : -1;
}

int faxctl_parse_id(const char *s, const char *what, int64_t *id)
{
	char *end;

	errno = 0;
	intmax_t v = strtoimax(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT64_MAX) {
		fprintf(stderr, "faxctl: '%s' is not %s\n", s, what);
		return -1;
	}
	*id = (int64_t)v;
	return 0;
}

int faxctl_parse_limit(const char *s, long *limit)
{
	char *end;

	errno = 0;
	*limit = strtol(s, &end, 10);
	if (errno || end == s || *end || *limit < 0) {
		fprintf(stderr, "faxctl: --limit wants a number, not '%s'\n", s);
		return -1;
	}
	return 0;
}

static void jobs_json_one(FILE *f, const void *item)
{
	jobshow_json(f, item);
}

int faxctl_jobs(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {"all", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	int status = -1, c;
	long limit = JOBS_DEFAULT_LIMIT;
	bool json = false, limit_given = false, all = false;

	while ((c = getopt_long(argc, argv, "s:n:ja", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			status = queue_status_parse(optarg);
			if (status < 0) {
				fprintf(stderr,
				        "faxctl: unknown status '%s' (queued, sending, sent, failed, "
				        "cancelled, held)\n",
				        optarg);
				return FAXCTL_USAGE;
			}
			break;
		case 'n':
			if (faxctl_parse_limit(optarg, &limit) < 0)
				return FAXCTL_USAGE;
			limit_given = true;
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		default:
			fprintf(stderr, "usage: faxctl jobs [--status S] [--limit N] [--all] [--json]\n");
			return FAXCTL_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: faxctl jobs [--status S] [--limit N] [--all] [--json]\n");
		return FAXCTL_USAGE;
	}

	struct buf err = BUF_INIT;
	struct queue *q;
	struct job *jobs;
	size_t n;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = all ? queue_job_list(q, status, (size_t)limit, &jobs, &n, &err)
	                       : queue_job_list_current(q, status, (size_t)limit, &jobs, &n, &err);
	queue_close(q);
	if (rc != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot list jobs: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	if (json) {
		jobshow_json_list(stdout, jobs, n, sizeof(*jobs), jobs_json_one);
	} else if (n == 0) {
		printf("no jobs\n");
	} else {
		jobshow_table_head(stdout);
		for (size_t i = 0; i < n; i++)
			jobshow_table_row(stdout, &jobs[i]);
	}
	if (!limit_given && n == (size_t)limit)
		fprintf(stderr, "faxctl: the newest %ld jobs are shown; --limit N shows N, --limit 0 all\n",
		        limit);
	job_list_free(jobs, n);
	buf_free(&err);
	return FAXCTL_OK;
}

/* The job's pages into a fax TIFF at path, with the job's resolution and paper. */
static int jobs_write_tiff(struct queue *q, const struct job *j, const char *path)
{
	struct fax_page_list pages = {0};
	struct fax_geometry g;
	struct buf err = BUF_INIT;
	char msg[256] = "";
	int rc = -1;

	if (queue_job_pages(q, j->id, &pages, &err) != QUEUE_OK) {
		fprintf(stderr, "faxctl: cannot read the pages of job %lld: %s\n", (long long)j->id,
		        buf_cstr(&err));
		goto out;
	}
	geometry_init(&g, (enum fax_resolution)j->resolution, (enum fax_paper)j->paper);
	if (faxtiff_write(path, &pages, &g, "faxgate faxctl", msg, sizeof(msg)) < 0) {
		fprintf(stderr, "faxctl: %s: %s\n", path, msg);
		goto out;
	}
	printf("%s: %zu pages, %s, %s (job %lld)\n", path, pages.count, geometry_resolution_name(g.res),
	       geometry_paper_name(g.paper), (long long)j->id);
	rc = 0;
out:
	fax_page_list_free(&pages);
	buf_free(&err);
	return rc;
}

int faxctl_job(struct faxctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"tiff", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	const char *tiff = NULL;
	bool json = false;
	int64_t id;
	int c;

	while ((c = getopt_long(argc, argv, "jt:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 't':
			tiff = optarg;
			break;
		default:
			fprintf(stderr, "usage: faxctl job [--json] [--tiff OUT.tif] ID\n");
			return FAXCTL_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: faxctl job [--json] [--tiff OUT.tif] ID\n");
		return FAXCTL_USAGE;
	}
	if (faxctl_parse_id(argv[optind], "a job id", &id) < 0)
		return FAXCTL_USAGE;

	struct buf err = BUF_INIT;
	struct queue *q;
	struct job j;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_job_get(q, id, &j, &err);
	if (rc != QUEUE_OK) {
		queue_close(q);
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
		buf_free(&err);
		return FAXCTL_FAIL;
	}
	int ret = FAXCTL_OK;
	if (tiff) {
		if (jobs_write_tiff(q, &j, tiff) < 0)
			ret = FAXCTL_FAIL;
	} else if (json) {
		jobshow_json(stdout, &j);
		fputc('\n', stdout);
	} else {
		jobshow_fields(stdout, &j);
	}
	queue_close(q);
	job_free(&j);
	buf_free(&err);
	return ret;
}

int faxctl_job_action(struct faxctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name, *done;
		enum queue_action action;
	} actions[] = {
	    {"cancel", "cancelled", QUEUE_CANCEL},
	    {"hold", "held", QUEUE_HOLD},
	    {"release", "released", QUEUE_RELEASE},
	    {"retry", "queued again", QUEUE_RETRY},
	};
	size_t a = 0;
	int64_t id;

	while (a < sizeof(actions) / sizeof(actions[0]) && strcmp(argv[0], actions[a].name) != 0)
		a++;
	if (a == sizeof(actions) / sizeof(actions[0]) || argc != 2) {
		fprintf(stderr, "usage: faxctl cancel|hold|release|retry ID\n");
		return FAXCTL_USAGE;
	}
	if (faxctl_parse_id(argv[1], "a job id", &id) < 0)
		return FAXCTL_USAGE;

	struct buf err = BUF_INIT;
	struct queue *q;
	if (faxctl_queue_open(ctl, &q) < 0)
		return FAXCTL_FAIL;
	enum queue_rc rc = queue_job_action(q, id, actions[a].action, &err);
	queue_close(q);
	if (rc == QUEUE_OK)
		printf("job %lld %s\n", (long long)id, actions[a].done);
	else
		fprintf(stderr, "faxctl: %s\n", buf_cstr(&err));
	buf_free(&err);
	return rc == QUEUE_OK ? FAXCTL_OK : FAXCTL_FAIL;
}
