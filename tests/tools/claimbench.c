/*
 * claimbench - how fast jobs are claimed from a queue store, with K claimer processes at once, and
 * proof that no job is claimed twice and the per-number limit holds meanwhile.
 *
 * usage: claimbench -c CONF [-j JOBS] [-n NUMBERS] [-k K[,K...]] [-H]
 *
 * For each K (default 1,2,4): JOBS jobs (default 1000) to NUMBERS numbers (default 100) are queued,
 * then K processes, each with its own connection, claim (limit: one call a number) and at once
 * finish jobs until none is left. Each reports its claims and finishes through one pipe, written
 * after the claim and before the finish, so the parent sees every call no longer than it lasted:
 * a job seen twice or two calls at once to one number is a failure. Prints one Markdown table row
 * per K (-H: the header first). Exit status: 0 all good, 1 a double claim, a broken limit or an
 * error, 2 usage. The database is upgraded first; the jobs stay (use a scratch database).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_CLAIMERS 64

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void claimer(const struct conf *conf, int k, int fd)
{
	struct buf err = BUF_INIT;
	struct queue *q;
	char owner[32], line[96];
	int busy = 0;

	snprintf(owner, sizeof(owner), "bench%d", k);
	if (queue_open(conf, &q, &err) != QUEUE_OK) {
		fprintf(stderr, "claimbench: %s\n", buf_cstr(&err));
		_exit(1);
	}
	for (;;) {
		struct job j;
		enum queue_rc rc = queue_claim(q, owner, (int64_t)time(NULL), 600, 1, &j, &err);
		if (rc == QUEUE_NOT_FOUND) {
			/* all left may be to numbers others are calling: done only when none is queued */
			struct job *left;
			size_t n;
			if (queue_job_list(q, JOB_QUEUED, 1, &left, &n, &err) != QUEUE_OK)
				_exit(1);
			job_list_free(left, n);
			if (n == 0)
				break;
			continue;
		}
		if (rc == QUEUE_ERR_TEMP && ++busy < 1000)
			continue;
		if (rc != QUEUE_OK) {
			fprintf(stderr, "claimbench: claim: %s\n", buf_cstr(&err));
			_exit(1);
		}
		int len = snprintf(line, sizeof(line), "C %lld %s\n", (long long)j.id, j.number);
		if (write(fd, line, (size_t)len) != len)
			_exit(1);
		len = snprintf(line, sizeof(line), "F %lld %s\n", (long long)j.id, j.number);
		if (write(fd, line, (size_t)len) != len)
			_exit(1);
		rc = queue_job_finish(q, j.id, owner, JOB_SENT, "ok", "sent", 0, 1, &err);
		job_free(&j);
		if (rc != QUEUE_OK) {
			fprintf(stderr, "claimbench: finish: %s\n", buf_cstr(&err));
			_exit(1);
		}
	}
	queue_close(q);
	_exit(0);
}

/* Queue jobs to numbers; *first gets the first id (ids are consecutive in one transaction). */
static int bench_fill(struct queue *q, int jobs, int numbers, int64_t *first)
{
	struct buf err = BUF_INIT;
	int rc = queue_begin(q, &err) == QUEUE_OK ? 0 : -1;

	*first = 0;
	for (int i = 0; rc == 0 && i < jobs; i++) {
		char number[32];
		/* jobs to one number next to each other in claim order: claimers collide on a number */
		snprintf(number, sizeof(number), "+4930%06d", (int)((int64_t)i * numbers / jobs));
		struct job j = {.sender = "bench@example.com",
		                .number = number,
		                .dial = number,
		                .priority = i % 5 * 10,
		                .send_after = 0};
		if (queue_job_add(q, &j, NULL, &err) != QUEUE_OK)
			rc = -1;
		if (!*first)
			*first = j.id;
	}
	if (rc == 0 && queue_commit(q, &err) != QUEUE_OK)
		rc = -1;
	if (rc < 0) {
		queue_rollback(q);
		fprintf(stderr, "claimbench: cannot queue jobs: %s\n", buf_cstr(&err));
	}
	buf_free(&err);
	return rc;
}

/* One round with k claimers: 0 all good, -1 not. */
static int bench_round(const struct conf *conf, struct queue *q, int k, int jobs, int numbers)
{
	int fds[2], status = 0, doubles = 0, over = 0, claims = 0;
	int *seen = xcalloc((size_t)jobs, sizeof(*seen)), *busy = xcalloc((size_t)numbers, sizeof(*busy));
	pid_t pids[MAX_CLAIMERS];
	int64_t first;

	if (bench_fill(q, jobs, numbers, &first) < 0 || pipe(fds) < 0)
		return -1;
	fflush(NULL);
	double start = now_seconds();
	for (int i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fds[0]);
			claimer(conf, i, fds[1]);
		}
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[96], what, number[32];
	long long id;
	while (fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%c %lld %31s", &what, &id, number) != 3 || id < first ||
		    id >= first + jobs) {
			fprintf(stderr, "claimbench: bad report '%s'\n", line);
			status = -1;
			continue;
		}
		int n = atoi(number + 5) % numbers;
		if (what == 'C') {
			claims++;
			doubles += ++seen[id - first] > 1;
			over += ++busy[n] > 1;
		} else {
			busy[n]--;
		}
	}
	fclose(in);
	for (int i = 0; i < k; i++) {
		int st;
		if (pids[i] < 0 || waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			status = -1;
	}
	double secs = now_seconds() - start;
	printf("| %s | %d | %d | %d | %.2f | %.0f | %d | %d |\n",
	       conf->db_driver == CONF_DB_POSTGRESQL ? "PostgreSQL" : "SQLite", k, jobs, claims, secs,
	       claims / secs, doubles, over);
	fflush(stdout);
	free(seen);
	free(busy);
	return status == 0 && claims == jobs && doubles == 0 && over == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *ks = "1,2,4";
	int jobs = 1000, numbers = 100, c, status = 0;
	bool header = false;
	struct buf err = BUF_INIT, report = BUF_INIT;
	struct conf conf = {0};
	struct queue *q;

	log_open("claimbench", LOG_TO_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:j:n:k:H")) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'n':
			numbers = atoi(optarg);
			break;
		case 'k':
			ks = optarg;
			break;
		case 'H':
			header = true;
			break;
		default:
			fprintf(stderr,
			        "usage: claimbench -c CONF [-j JOBS] [-n NUMBERS] [-k K[,K...]] [-H]\n");
			return 2;
		}
	}
	if (!conf_path || jobs < 1 || numbers < 1 || numbers > 999999 || optind != argc) {
		fprintf(stderr, "usage: claimbench -c CONF [-j JOBS] [-n NUMBERS] [-k K[,K...]] [-H]\n");
		return 2;
	}
	if (conf_load(&conf, conf_path, &err) < 0 || queue_upgrade(&conf, &report, &err) != QUEUE_OK ||
	    queue_open(&conf, &q, &err) != QUEUE_OK) {
		fprintf(stderr, "claimbench: %s\n", buf_cstr(&err));
		return 1;
	}
	log_set_level(LOG_LVL_ERROR);
	if (header)
		printf("| store | claimers | jobs | claimed | seconds | claims/s | claimed twice | limit "
		       "broken |\n"
		       "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (const char *p = ks; *p;) {
		int k = atoi(p);
		if (k < 1 || k > MAX_CLAIMERS) {
			fprintf(stderr, "claimbench: %d claimers: 1 to %d\n", k, MAX_CLAIMERS);
			status = 2;
			break;
		}
		if (bench_round(&conf, q, k, jobs, numbers) < 0)
			status = 1;
		p += strcspn(p, ",");
		p += *p == ',';
	}
	queue_close(q);
	conf_free(&conf);
	buf_free(&err);
	buf_free(&report);
	return status;
}
