/*
 * test_queue.c - the job queue, the same cases against both stores: SQLite (a file in a scratch
 * folder) and PostgreSQL when FAXGATE_TEST_PG holds a conninfo (tests/e2e/pg.sh starts one); the
 * PostgreSQL cases are skipped, saying so, otherwise. The PostgreSQL database is emptied (its queue
 * tables dropped) before every case.
 *
 * Covered: upgrade twice, schema checks, jobs and pages round trip byte for byte, dedupe keys,
 * transactions, every admin action from every status, pages today, temporary failures (locked
 * database, unreachable server, lost connection) and hostile text stored as it came. Sending:
 * claim order, due times, the per-number limit across two connections and under four processes
 * claiming at once (no job claimed twice, never two calls to one number), leases that run out and
 * are taken over, cancel and hold during a call, finishing, replacing pages. Attempts, received
 * faxes with their bad rows, events, lines, and purging. For the mail gateway: job headers (cut
 * at 64 KiB) and notices, received faxes moved from status to status, the outbox (claims under a
 * lease, also by four processes at once, finishing, redirecting, a fax mail sent delivering its
 * fax in the same transaction, purging), alert states and queue statistics. For SIP: the media
 * memory (unknown, learnt, replaced, expired after max_age).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "queue/queue.h"
#include "queue/queue_store.h" /* queue_query_int: counting rows */
#include "testdir.h"
#include "util/log.h"
#include "util/xalloc.h"

enum backend { BE_SQLITE, BE_PG };

struct fixture {
	enum backend be;
	char dir[64];
	struct conf conf;
	struct queue *q;
	struct buf err;
};

static enum backend current; /* the group being run */

static void raw_exec(struct fixture *f, const char *sql)
{
	if (f->be == BE_SQLITE) {
		sqlite3 *db;
		char *msg = NULL;
		assert_int_equal(sqlite3_open(f->conf.db_path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("%s: %s", sql, msg);
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(getenv("FAXGATE_TEST_PG"));
		assert_int_equal(PQstatus(c), CONNECTION_OK);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	}
}

static void set_conf(struct conf *c, enum backend be, const char *dir)
{
	struct buf err = BUF_INIT;

	assert_int_equal(conf_load(c, NULL, &err), 0);
	buf_free(&err);
	c->db_timeout = 1;
	if (be == BE_SQLITE) {
		free(c->db_path);
		c->db_path = xasprintf("%s/made/by/upgrade/queue.db", dir);
	} else {
		c->db_driver = CONF_DB_POSTGRESQL;
		free(c->db_conninfo);
		c->db_conninfo = xstrdup(getenv("FAXGATE_TEST_PG"));
	}
}

/* An empty store (no schema), no connection. */
static int setup_empty(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->be = current;
	if (testdir_make(f->dir, sizeof(f->dir), "test_queue") < 0)
		return -1;
	set_conf(&f->conf, f->be, f->dir);
	if (f->be == BE_PG)
		raw_exec(
		    f, "DROP TABLE IF EXISTS pages, jobs, schema_version, attempts, inbound_pages, inbound, "
		       "events, lines, outbox, alerts, media CASCADE");
	*state = f;
	return 0;
}

/* A store with the current schema and an open queue. */
static int setup(void **state)
{
	struct fixture *f;

	if (setup_empty(state) < 0)
		return -1;
	f = *state;
	struct buf report = BUF_INIT;
	if (queue_upgrade(&f->conf, &report, &f->err) != QUEUE_OK ||
	    queue_open(&f->conf, &f->q, &f->err) != QUEUE_OK) {
		fprintf(stderr, "setup: %s\n", buf_cstr(&f->err));
		return -1;
	}
	buf_free(&report);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	queue_close(f->q);
	conf_free(&f->conf);
	buf_free(&f->err);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

/* A job with every field the caller sets filled in with something different. */
static void sample_job(struct job *j, const char *key)
{
	memset(j, 0, sizeof(*j));
	j->sender = "alice@example.com";
	j->auth_user = "alice";
	j->client_addr = "2001:db8::1";
	j->number = "+4930123456";
	j->dial = "0030123456";
	j->rcpt_addr = "\"+49 30 123456\"@fax.example.com";
	j->rcpt_name = "Jane Doe";
	j->rcpt_company = "ACME Ltd";
	j->subaddress = "123";
	j->subject = "Quarterly report";
	j->resolution = 1;
	j->paper = 1;
	j->priority = 70;
	j->send_after = 1700000000;
	j->notify = "FAILURE,DELAY";
	j->orcpt = "rfc822;+4930123456@fax.example.com";
	j->message_id = "<abc@example.com>";
	j->dedupe_key = (char *)key;
	j->headers = "From: Alice <alice@example.com>\r\nTo: \"+49 30 123456\"@fax.example.com\r\n"
	             "Subject: Quarterly\r\n report\r\nMessage-ID: <abc@example.com>\r\n";
}

/* Pages with every byte value, a zero-length one and a big one. */
static void sample_pages(struct fax_page_list *l, int n)
{
	size_t sizes[] = {256, 0, 200000, 33};

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < n; i++) {
		struct fax_page p = {.width = 1728, .height = 1100 + i, .len = sizes[i % 4]};
		p.data = xmalloc(p.len + 1);
		for (size_t k = 0; k < p.len; k++)
			p.data[k] = (uint8_t)(k * 131 + (size_t)i * 17 + k / 256);
		fax_page_list_push(l, &p);
	}
}

static int64_t add(struct fixture *f, const char *key, int pages)
{
	struct job j;
	struct fax_page_list l;

	sample_job(&j, key);
	sample_pages(&l, pages);
	if (queue_job_add(f->q, &j, &l, &f->err) != QUEUE_OK)
		fail_msg("queue_job_add: %s", buf_cstr(&f->err));
	fax_page_list_free(&l);
	return j.id;
}

static void assert_text_fields_equal(const struct job *want, const struct job *got)
{
	for (const struct job_field *fd = job_fields; fd->name; fd++) {
		/* the store sets these */
		if (fd->type != JOB_FIELD_TEXT || strcmp(fd->name, "reason_code") == 0 ||
		    strcmp(fd->name, "reason") == 0 || strcmp(fd->name, "lease_owner") == 0)
			continue;
		const char *a = *(char *const *)((const char *)want + fd->offset);
		const char *b = *(char *const *)((const char *)got + fd->offset);
		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			fail_msg("field %s: stored '%.60s', read '%.60s'", fd->name, a ? a : "(null)",
			         b ? b : "(null)");
	}
}

static size_t count_jobs(struct fixture *f)
{
	struct job *jobs;
	size_t n;

	assert_int_equal(queue_job_list(f->q, -1, 0, &jobs, &n, &f->err), QUEUE_OK);
	job_list_free(jobs, n);
	return n;
}

static void test_upgrade_twice(void **state)
{
	struct fixture *f = *state;
	struct buf report = BUF_INIT;
	int have, want;

	assert_int_equal(queue_upgrade(&f->conf, &report, &f->err), QUEUE_OK);
	assert_non_null(strstr(buf_cstr(&report), "nothing to do"));
	assert_null(strstr(buf_cstr(&report), "applied"));
	assert_int_equal(queue_schema_version(f->q, &have, &want, &f->err), QUEUE_OK);
	assert_true(want >= 1);
	assert_int_equal(have, want);
	assert_int_equal(queue_db_version(&f->conf, &have, &want, &f->err), QUEUE_OK);
	assert_int_equal(have, want);
	/* the queue still works after the second upgrade */
	assert_true(add(f, "k1", 1) > 0);
	buf_free(&report);
}

static void test_schema_check(void **state)
{
	struct fixture *f = *state;
	struct buf report = BUF_INIT;
	struct queue *q = NULL;
	int have = -1, want;

	/* nothing there yet: open refuses, version says 0, upgrade makes it */
	assert_int_equal(queue_open(&f->conf, &q, &f->err), QUEUE_ERR_SCHEMA);
	assert_null(q);
	assert_non_null(strstr(buf_cstr(&f->err), "faxctl db upgrade"));
	/* SQLite: no file; PostgreSQL: no tables */
	if (f->be == BE_PG) {
		assert_int_equal(queue_db_version(&f->conf, &have, &want, &f->err), QUEUE_OK);
		assert_int_equal(have, 0);
	} else {
		assert_int_equal(queue_db_version(&f->conf, &have, &want, &f->err), QUEUE_ERR_SCHEMA);
	}
	assert_int_equal(queue_upgrade(&f->conf, &report, &f->err), QUEUE_OK);
	assert_non_null(strstr(buf_cstr(&report), "applied 001_jobs"));
	assert_int_equal(queue_db_version(&f->conf, &have, &want, &f->err), QUEUE_OK);
	assert_int_equal(have, want);

	/* an older schema */
	raw_exec(f, "DELETE FROM schema_version");
	buf_reset(&f->err);
	assert_int_equal(queue_open(&f->conf, &q, &f->err), QUEUE_ERR_SCHEMA);
	assert_non_null(strstr(buf_cstr(&f->err), "run faxctl db upgrade"));
	assert_int_equal(queue_db_version(&f->conf, &have, &want, &f->err), QUEUE_OK);
	assert_int_equal(have, 0);

	/* a newer one: neither open nor upgrade touch it */
	raw_exec(
	    f,
	    "INSERT INTO schema_version (version, name, applied) VALUES (1, 'jobs', 0), (999, 'future', 0)");
	buf_reset(&f->err);
	assert_int_equal(queue_open(&f->conf, &q, &f->err), QUEUE_ERR_SCHEMA);
	assert_non_null(strstr(buf_cstr(&f->err), "newer"));
	assert_int_equal(queue_upgrade(&f->conf, &report, &f->err), QUEUE_ERR_SCHEMA);
	assert_null(q);
	buf_free(&report);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct job j, got, *jobs;
	struct fax_page_list l, back;
	size_t n;
	int64_t before = (int64_t)time(NULL);

	sample_job(&j, "msg-1/+4930123456");
	sample_pages(&l, 4);
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	assert_true(j.id > 0);
	assert_true(j.created >= before && j.created <= (int64_t)time(NULL));
	assert_int_equal(j.pages, 4);

	assert_int_equal(queue_job_get(f->q, j.id, &got, &f->err), QUEUE_OK);
	assert_text_fields_equal(&j, &got);
	assert_int_equal(got.id, j.id);
	assert_int_equal(got.created, j.created);
	assert_int_equal(got.pages, 4);
	assert_int_equal(got.resolution, 1);
	assert_int_equal(got.paper, 1);
	assert_int_equal(got.priority, 70);
	assert_int_equal(got.send_after, 1700000000);
	assert_int_equal(got.next_attempt, 1700000000);
	assert_int_equal(got.status, JOB_QUEUED);
	assert_string_equal(got.reason_code, "queued");
	assert_non_null(got.reason);
	assert_int_equal(got.attempts, 0);
	assert_null(got.lease_owner);
	assert_int_equal(got.lease_expiry, 0);
	job_free(&got);

	assert_int_equal(queue_job_pages(f->q, j.id, &back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(back.pages[i].width, l.pages[i].width);
		assert_int_equal(back.pages[i].height, l.pages[i].height);
		assert_int_equal(back.pages[i].len, l.pages[i].len);
		if (l.pages[i].len)
			assert_memory_equal(back.pages[i].data, l.pages[i].data, l.pages[i].len);
	}
	fax_page_list_free(&back);

	/* a second job with NULLs where the caller gave none, and no pages */
	struct job k = {.number = "+15551234567", .dial = "15551234567", .priority = 500};
	assert_int_equal(queue_job_add(f->q, &k, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_get(f->q, k.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.sender, ""); /* the null sender */
	assert_null(got.auth_user);
	assert_null(got.subject);
	assert_null(got.dedupe_key);
	assert_int_equal(got.priority, 100); /* clamped */
	assert_int_equal(got.pages, 0);
	job_free(&got);
	assert_int_equal(queue_job_pages(f->q, k.id, &back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 0);
	assert_int_equal(queue_job_pages(f->q, k.id + 100, &back, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_job_get(f->q, k.id + 100, &got, &f->err), QUEUE_NOT_FOUND);

	/* lists: newest first, by status, limited */
	assert_int_equal(queue_job_list(f->q, -1, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].id, k.id);
	assert_int_equal(jobs[1].id, j.id);
	assert_text_fields_equal(&j, &jobs[1]);
	job_list_free(jobs, n);
	assert_int_equal(queue_job_list(f->q, -1, 1, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].id, k.id);
	job_list_free(jobs, n);
	assert_int_equal(queue_job_action(f->q, j.id, QUEUE_HOLD, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_list(f->q, JOB_HELD, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].id, j.id);
	job_list_free(jobs, n);
	assert_int_equal(queue_job_list(f->q, JOB_SENT, 5, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	job_list_free(jobs, n);
	fax_page_list_free(&l);
}

static void test_duplicate(void **state)
{
	struct fixture *f = *state;
	struct fax_page_list back;
	struct job j;
	int64_t id = add(f, "same-key", 2);

	sample_job(&j, "same-key");
	j.subject = "the second try";
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_DUPLICATE);
	assert_int_equal(j.id, id);
	assert_int_equal(count_jobs(f), 1);
	assert_int_equal(queue_job_pages(f->q, id, &back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 2);
	fax_page_list_free(&back);

	/* no key: no dedupe */
	add(f, NULL, 1);
	add(f, NULL, 1);
	assert_int_equal(count_jobs(f), 3);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct fax_page_list back;
	struct job j;

	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	int64_t a = add(f, "t-a", 2), b = add(f, "t-b", 1);
	queue_rollback(f->q);
	assert_int_equal(count_jobs(f), 0);
	assert_int_equal(queue_job_pages(f->q, a, &back, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_job_pages(f->q, b, &back, &f->err), QUEUE_NOT_FOUND);

	/* a duplicate inside a transaction spoils only itself */
	int64_t first = add(f, "t-old", 1);
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	add(f, "t-c", 1);
	sample_job(&j, "t-old");
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_DUPLICATE);
	assert_int_equal(j.id, first);
	/* and so does a job the database refuses half way (its job row is in, its page is not) */
	struct fax_page_list l;
	sample_pages(&l, 2);
	l.pages[1].width = 0;
	sample_job(&j, "t-bad");
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_ERR_TEMP);
	fax_page_list_free(&l);
	add(f, "t-d", 3);
	assert_int_equal(queue_commit(f->q, &f->err), QUEUE_OK);
	assert_int_equal(count_jobs(f), 3);

	/* misuse is refused, not obeyed */
	assert_int_equal(queue_commit(f->q, &f->err), QUEUE_ERR_TEMP);
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_ERR_TEMP);
	queue_rollback(f->q);
	queue_rollback(f->q);
}

static void set_status(struct fixture *f, int64_t id, enum job_status s)
{
	char sql[200];

	snprintf(
	    sql, sizeof(sql),
	    "UPDATE jobs SET status = '%s', attempts = 3, lease_owner = 'fax1', "
	    "lease_expiry = 99, next_attempt = 1700000000, finished = 5, archived = TRUE WHERE id = %lld",
	    queue_status_name(s), (long long)id);
	raw_exec(f, sql);
}

static void test_actions(void **state)
{
	struct fixture *f = *state;
	/* from each status, what each action leads to (-1: refused) */
	static const int after[JOB_STATUS_COUNT][4] = {
	    /*               cancel          hold      release    retry */
	    [JOB_QUEUED] = {JOB_CANCELLED, JOB_HELD, -1, -1},
	    [JOB_SENDING] = {JOB_CANCELLED, JOB_HELD, -1, -1},
	    [JOB_SENT] = {-1, -1, -1, -1},
	    [JOB_FAILED] = {-1, -1, -1, JOB_QUEUED},
	    [JOB_CANCELLED] = {-1, -1, -1, JOB_QUEUED},
	    [JOB_HELD] = {JOB_CANCELLED, -1, JOB_QUEUED, -1},
	};
	int64_t id = add(f, NULL, 1);
	struct job j;

	for (int s = 0; s < JOB_STATUS_COUNT; s++) {
		for (int a = QUEUE_CANCEL; a <= QUEUE_RETRY; a++) {
			int64_t now = (int64_t)time(NULL);
			set_status(f, id, (enum job_status)s);
			buf_reset(&f->err);
			enum queue_rc rc = queue_job_action(f->q, id, (enum queue_action)a, &f->err);
			assert_int_equal(queue_job_get(f->q, id, &j, &f->err), QUEUE_OK);
			if (after[s][a] < 0) {
				if (rc != QUEUE_BAD_STATE)
					fail_msg("%s of a %s job: rc %d", queue_action_name(a),
					         queue_status_name(s), rc);
				assert_non_null(strstr(buf_cstr(&f->err), queue_status_name(s)));
				assert_int_equal(j.status, s);
				assert_string_equal(j.lease_owner, "fax1");
			} else {
				if (rc != QUEUE_OK)
					fail_msg("%s of a %s job: rc %d: %s", queue_action_name(a),
					         queue_status_name(s), rc, buf_cstr(&f->err));
				assert_int_equal(j.status, after[s][a]);
				assert_null(j.lease_owner);
				assert_int_equal(j.lease_expiry, 0);
				assert_int_equal(j.attempts, 3); /* kept, also by retry */
				if (a == QUEUE_RETRY)
					assert_true(j.next_attempt >= now &&
					            j.next_attempt <= (int64_t)time(NULL));
				else
					assert_int_equal(j.next_attempt, 1700000000);
				/* finished: when it was cancelled; 0 for what is not over */
				if (after[s][a] == JOB_CANCELLED)
					assert_true(j.finished >= now && j.finished <= (int64_t)time(NULL));
				else
					assert_int_equal(j.finished, 0);
				assert_false(j.archived);
			}
			job_free(&j);
		}
	}
	for (int a = QUEUE_CANCEL; a <= QUEUE_RETRY; a++)
		assert_int_equal(queue_job_action(f->q, id + 1, (enum queue_action)a, &f->err),
		                 QUEUE_NOT_FOUND);
}

static void test_pages_today(void **state)
{
	struct fixture *f = *state;
	struct fax_page_list l;
	struct job j;
	long pages;
	char sql[160];

	sample_pages(&l, 4);
	l.count = 3;
	sample_job(&j, NULL); /* auth user alice: 3 pages */
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	l.count = 2;
	sample_job(&j, NULL);
	j.auth_user = NULL; /* unauthenticated, sender "alice": the same identity */
	j.sender = "alice";
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	sample_job(&j, NULL);
	j.auth_user = "bob"; /* sender alice@example.com, but bob logged in */
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	l.count = 4;
	sample_job(&j, NULL);
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_action(f->q, j.id, QUEUE_CANCEL, &f->err), QUEUE_OK); /* not counted */
	sample_job(&j, NULL);
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);
	/* yesterday's job: not counted */
	snprintf(sql, sizeof(sql), "UPDATE jobs SET created = created - 86400 WHERE id = %lld",
	         (long long)j.id);
	raw_exec(f, sql);
	l.count = 1;
	sample_job(&j, NULL);
	j.auth_user = NULL;
	j.sender = "carol@example.com";
	assert_int_equal(queue_job_add(f->q, &j, &l, &f->err), QUEUE_OK);

	assert_int_equal(queue_pages_today(f->q, "alice", &pages, &f->err), QUEUE_OK);
	assert_int_equal(pages, 3 + 2);
	assert_int_equal(queue_pages_today(f->q, "bob", &pages, &f->err), QUEUE_OK);
	assert_int_equal(pages, 2);
	assert_int_equal(queue_pages_today(f->q, "carol@example.com", &pages, &f->err), QUEUE_OK);
	assert_int_equal(pages, 1);
	assert_int_equal(queue_pages_today(f->q, "alice@example.com", &pages, &f->err), QUEUE_OK);
	assert_int_equal(pages, 0);
	assert_int_equal(queue_pages_today(f->q, "nobody' OR ''='", &pages, &f->err), QUEUE_OK);
	assert_int_equal(pages, 0);
	l.count = 4;
	fax_page_list_free(&l);
}

static void test_hostile_text(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	char *long_text = xmalloc(300001);

	for (size_t i = 0; i < 300000; i++)
		long_text[i] = "x'\"\\;%_$?"[i % 9];
	long_text[300000] = '\0';
	sample_job(&j, "k'); DROP TABLE jobs; --");
	j.subject = long_text;
	j.rcpt_name = "Robert'); DROP TABLE jobs;-- \"quoted\" \\backslash\\ $1 ?1 %s";
	j.rcpt_company = "Ünïcödé 会社 \xF0\x9F\x93\xA0 \x01\x1b[2J\x7f";
	j.sender = "\"a b\"@example.com";
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_get(f->q, j.id, &got, &f->err), QUEUE_OK);
	assert_text_fields_equal(&j, &got);
	job_free(&got);

	/* invalid UTF-8 is stored the same way by both stores: as U+FFFD */
	sample_job(&j, "latin1");
	j.subject = "caf\xE9 \xC0\xAF end";
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_get(f->q, j.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.subject, "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end");
	job_free(&got);
	assert_int_equal(count_jobs(f), 2);
	free(long_text);
}

static void test_temp_failure_sqlite(struct fixture *f)
{
	struct buf report = BUF_INIT;
	sqlite3 *db;
	struct job j;

	/* another process holds the write lock longer than db_timeout (1 s) */
	assert_int_equal(sqlite3_open(f->conf.db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	sample_job(&j, "locked");
	time_t start = time(NULL);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_ERR_TEMP);
	assert_non_null(strstr(buf_cstr(&f->err), "locked"));
	assert_true(time(NULL) - start <= 3);
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_ERR_TEMP);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(count_jobs(f), 0);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);

	/* the database's folder cannot be made */
	struct conf c;
	char *blocker = xasprintf("%s/file", f->dir);
	FILE *fp = fopen(blocker, "w");
	assert_non_null(fp);
	fclose(fp);
	set_conf(&c, BE_SQLITE, f->dir);
	free(c.db_path);
	c.db_path = xasprintf("%s/sub/queue.db", blocker);
	buf_reset(&f->err);
	assert_int_equal(queue_upgrade(&c, &report, &f->err), QUEUE_ERR_TEMP);
	assert_non_null(strstr(buf_cstr(&f->err), "cannot make folder"));
	conf_free(&c);
	free(blocker);
	buf_free(&report);
}

/* End the server side of the queue's connection (it names itself "faxgate") and wait until it is gone. */
static void pg_kill_queue(struct fixture *f)
{
	PGconn *c = PQconnectdb(getenv("FAXGATE_TEST_PG"));
	const char *sql =
	    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
	    "datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'faxgate'";
	int i;

	(void)f;
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	for (i = 0; i < 100; i++) {
		PGresult *r = PQexec(c, sql);
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		bool none = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
		PQclear(r);
		if (none && i > 0)
			break;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_true(i < 100);
	PQfinish(c);
}

static void test_temp_failure_pg(struct fixture *f)
{
	struct buf report = BUF_INIT;
	struct queue *q = NULL;
	struct conf c;
	struct job j;
	const char *bad[] = {
	    /* nobody listens on port 1 */
	    "host=127.0.0.1 port=1 dbname=faxgate user=faxgate password=Sekrit-0815",
	    /* a wrong password */
	    NULL,
	    /* malformed: libpq's message would quote it */
	    "host=127.0.0.1 password='Sekrit-0815",
	};
	char *wrong = xasprintf("%s password=Sekrit-0815", getenv("FAXGATE_TEST_PG"));

	bad[1] = wrong;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_conf(&c, BE_PG, f->dir);
		free(c.db_conninfo);
		c.db_conninfo = xstrdup(bad[i]);
		buf_reset(&f->err);
		assert_int_equal(queue_open(&c, &q, &f->err), QUEUE_ERR_TEMP);
		assert_null(q);
		assert_true(f->err.len > 0);
		if (strstr(buf_cstr(&f->err), "Sekrit"))
			fail_msg("the password shows in: %s", buf_cstr(&f->err));
		buf_reset(&f->err);
		assert_int_equal(queue_upgrade(&c, &report, &f->err), QUEUE_ERR_TEMP);
		assert_null(strstr(buf_cstr(&f->err), "Sekrit"));
		conf_free(&c);
	}
	free(wrong);

	/* the server drops the connection: outside a transaction it is made again */
	pg_kill_queue(f);
	sample_job(&j, NULL);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	/* inside one its work is gone, which the caller must hear */
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	pg_kill_queue(f);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_ERR_TEMP);
	assert_int_not_equal(queue_commit(f->q, &f->err), QUEUE_OK);
	queue_rollback(f->q);
	assert_int_equal(count_jobs(f), 1);
	buf_free(&report);
}

static void test_temp_failure(void **state)
{
	struct fixture *f = *state;

	if (f->be == BE_SQLITE)
		test_temp_failure_sqlite(f);
	else
		test_temp_failure_pg(f);
}

static void test_required_fields(void **state)
{
	struct fixture *f = *state;
	struct job j;

	sample_job(&j, "no-number");
	j.number = NULL;
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_ERR_TEMP);
	sample_job(&j, "no-dial");
	j.dial = NULL;
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_ERR_TEMP);
	assert_int_equal(count_jobs(f), 0);
}

static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < JOB_STATUS_COUNT; s++)
		assert_int_equal(queue_status_parse(queue_status_name((enum job_status)s)), s);
	assert_int_equal(queue_status_parse("bogus"), -1);
	assert_int_equal(queue_status_parse(NULL), -1);
	assert_string_equal(queue_action_name(QUEUE_RETRY), "retry");
}

/* ---- sending under a lease ---- */

#define T0 1700001000 /* the clock of the lease cases */

/* A queued job to number with priority and send_after; returns its id. */
static int64_t add_to(struct fixture *f, const char *number, int priority, int64_t send_after)
{
	struct job j;

	sample_job(&j, NULL);
	j.number = (char *)number;
	j.priority = priority;
	j.send_after = send_after;
	if (queue_job_add(f->q, &j, NULL, &f->err) != QUEUE_OK)
		fail_msg("queue_job_add: %s", buf_cstr(&f->err));
	return j.id;
}

/* Claim and return the job's id, 0 when nothing is due. */
static int64_t claim(struct fixture *f, struct queue *q, const char *owner, int64_t now, long max)
{
	struct job j;
	enum queue_rc rc = queue_claim(q, owner, now, 60, max, &j, &f->err);

	if (rc == QUEUE_NOT_FOUND)
		return 0;
	if (rc != QUEUE_OK)
		fail_msg("queue_claim: rc %d: %s", rc, buf_cstr(&f->err));
	assert_int_equal(j.status, JOB_SENDING);
	assert_string_equal(j.lease_owner, owner);
	assert_int_equal(j.lease_expiry, now + 60);
	int64_t id = j.id;
	job_free(&j);
	return id;
}

static struct job get(struct fixture *f, int64_t id)
{
	struct job j;

	if (queue_job_get(f->q, id, &j, &f->err) != QUEUE_OK)
		fail_msg("queue_job_get %lld: %s", (long long)id, buf_cstr(&f->err));
	return j;
}

static void test_claim_order(void **state)
{
	struct fixture *f = *state;
	int64_t a = add_to(f, "+491", 10, T0 - 1000);
	int64_t b = add_to(f, "+492", 90, T0 - 1000);
	int64_t c = add_to(f, "+493", 90, T0 - 500);
	int64_t d = add_to(f, "+494", 100, T0 + 1000); /* not yet */
	int64_t e = add_to(f, "+495", 100, T0 - 1000);
	int64_t g = add_to(f, "+496", 100, T0 - 1000);
	int64_t h = add_to(f, "+497", 20, T0 - 1000);
	char sql[160];

	assert_int_equal(queue_job_action(f->q, e, QUEUE_HOLD, &f->err), QUEUE_OK);
	/* due by send_after but its next attempt is later (a retry waiting) */
	snprintf(sql, sizeof(sql), "UPDATE jobs SET next_attempt = %d WHERE id = %lld", T0 + 2000,
	         (long long)g);
	raw_exec(f, sql);
	/* the same priority and next_attempt as h: the smaller id first */
	int64_t h2 = add_to(f, "+498", 20, T0 - 1000);

	assert_int_equal(claim(f, f->q, "fax1", T0, 0), b);
	assert_int_equal(claim(f, f->q, "fax1", T0, 0), c);
	assert_int_equal(claim(f, f->q, "fax1", T0, 0), h);
	assert_int_equal(claim(f, f->q, "fax1", T0, 0), h2);
	assert_int_equal(claim(f, f->q, "fax1", T0, 0), a);
	assert_int_equal(claim(f, f->q, "fax1", T0, 0), 0);
	/* their calls end (else their leases would run out and they would be due again) */
	int64_t done[] = {a, b, c, h, h2};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(
		    queue_job_finish(f->q, done[i], "fax1", JOB_SENT, "ok", "sent", 0, 1, &f->err), QUEUE_OK);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 1000, 0), d);
	assert_int_equal(queue_job_finish(f->q, d, "fax1", JOB_SENT, "ok", "sent", 0, 1, &f->err), QUEUE_OK);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 1999, 0), 0);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 2000, 0), g);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 2000, 0), 0);
	struct job j = get(f, e);
	assert_int_equal(j.status, JOB_HELD);
	job_free(&j);
	/* an owner is required */
	assert_int_equal(queue_claim(f->q, "", T0, 60, 1, &j, &f->err), QUEUE_ERR_TEMP);
}

static void test_claim_per_destination(void **state)
{
	struct fixture *f = *state;
	struct queue *q2;
	int64_t x1 = add_to(f, "+49301", 90, T0 - 10);
	int64_t x2 = add_to(f, "+49301", 80, T0 - 10);
	int64_t x3 = add_to(f, "+49301", 70, T0 - 10);
	int64_t y = add_to(f, "+49302", 10, T0 - 10);

	/* a second connection, as a second server would have */
	assert_int_equal(queue_open(&f->conf, &q2, &f->err), QUEUE_OK);
	assert_int_equal(claim(f, f->q, "fax1", T0, 1), x1);
	assert_int_equal(claim(f, q2, "fax2", T0, 1), y); /* +49301 is busy with fax1's call */
	assert_int_equal(claim(f, q2, "fax2", T0, 1), 0);
	assert_int_equal(claim(f, f->q, "fax1", T0, 1), 0);
	/* the call to +49301 ends: the next job to it may go */
	assert_int_equal(queue_job_finish(f->q, x1, "fax1", JOB_SENT, "ok", "sent", 0, 1, &f->err), QUEUE_OK);
	assert_int_equal(claim(f, q2, "fax2", T0, 1), x2);
	assert_int_equal(claim(f, f->q, "fax1", T0, 1), 0);
	/* two at once allowed: x3 too */
	assert_int_equal(claim(f, f->q, "fax1", T0, 2), x3);
	/* a lease that ran out does not count: x2's and x3's leases end at T0 + 60 */
	assert_int_equal(claim(f, f->q, "fax1", T0 + 59, 1), 0);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 60, 1),
	                 x2); /* reclaimed, oldest lease first by priority */
	assert_int_equal(claim(f, f->q, "fax1", T0 + 60, 1), y);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 60, 1), 0); /* x3 expired, but x2 holds +49301 now */
	queue_close(q2);
}

/* The multi-process stress: CLAIMERS processes claim and finish all jobs. */
#define STRESS_JOBS     200
#define STRESS_NUMBERS  20
#define STRESS_CLAIMERS 4

static void stress_child(struct fixture *f, int k, int fd)
{
	struct queue *q;
	struct buf err = BUF_INIT;
	char owner[16], line[64];
	int retries = 0;

	snprintf(owner, sizeof(owner), "c%d", k);
	if (queue_open(&f->conf, &q, &err) != QUEUE_OK)
		_exit(10);
	for (;;) {
		struct job j;
		enum queue_rc rc = queue_claim(q, owner, (int64_t)time(NULL), 300, 1, &j, &err);
		if (rc == QUEUE_NOT_FOUND) {
			struct job *left;
			size_t n;
			if (queue_job_list(q, JOB_QUEUED, 1, &left, &n, &err) != QUEUE_OK)
				_exit(11);
			job_list_free(left, n);
			if (n == 0)
				break;
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
			continue;
		}
		if (rc == QUEUE_ERR_TEMP && ++retries < 100)
			continue; /* a busy database: faxd tries again at its next poll */
		if (rc != QUEUE_OK)
			_exit(12);
		/* written before the call ends in the database: the report never shows it shorter than it was
		 */
		int len = snprintf(line, sizeof(line), "C %lld %s\n", (long long)j.id, j.number);
		if (write(fd, line, (size_t)len) != len)
			_exit(13);
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
		len = snprintf(line, sizeof(line), "F %lld %s\n", (long long)j.id, j.number);
		if (write(fd, line, (size_t)len) != len)
			_exit(13);
		rc = queue_job_finish(q, j.id, owner, JOB_SENT, "ok", "sent", 0, 1, &err);
		job_free(&j);
		if (rc != QUEUE_OK)
			_exit(14);
	}
	_exit(0);
}

static void test_claim_stress(void **state)
{
	struct fixture *f = *state;
	int fds[2], claimed[STRESS_JOBS + 1] = {0}, busy[STRESS_NUMBERS] = {0};
	int64_t first = 0;
	pid_t pids[STRESS_CLAIMERS];

	f->conf.db_timeout = 20; /* four writers take turns */
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	for (int i = 0; i < STRESS_JOBS; i++) {
		char number[16];
		/* the jobs to one number next to each other in claim order: claimers collide on it */
		snprintf(number, sizeof(number), "+4930%02d", i * STRESS_NUMBERS / STRESS_JOBS);
		int64_t id = add_to(f, number, 50, T0);
		if (!first)
			first = id;
	}
	assert_int_equal(queue_commit(f->q, &f->err), QUEUE_OK);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	for (int k = 0; k < STRESS_CLAIMERS; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			close(fds[0]);
			stress_child(f, k, fds[1]);
		}
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[64], what, number[32];
	long long id;
	int claims = 0;
	while (fgets(line, sizeof(line), in)) {
		assert_int_equal(sscanf(line, "%c %lld %31s", &what, &id, number), 3);
		int n = atoi(number + 5);
		assert_true(id >= first && id < first + STRESS_JOBS && n >= 0 && n < STRESS_NUMBERS);
		if (what == 'C') {
			if (++claimed[id - first] != 1)
				fail_msg("job %lld claimed twice", id);
			if (++busy[n] > 1)
				fail_msg("two calls at once to %s", number);
			claims++;
		} else {
			busy[n]--;
		}
	}
	fclose(in);
	for (int k = 0; k < STRESS_CLAIMERS; k++) {
		int status;
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("claimer %d ended with status %d", k, status);
	}
	assert_int_equal(claims, STRESS_JOBS);
	struct job *jobs;
	size_t n;
	assert_int_equal(queue_job_list(f->q, JOB_SENT, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, STRESS_JOBS);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(jobs[i].attempts, 1);
	job_list_free(jobs, n);
}

static void test_lease_expiry(void **state)
{
	struct fixture *f = *state;
	enum job_status st;
	int64_t id = add_to(f, "+4930", 50, T0);
	struct job j;

	assert_int_equal(claim(f, f->q, "fax1", T0, 1), id);
	assert_int_equal(claim(f, f->q, "fax2", T0 + 59, 1), 0);
	/* renewed in time: the lease goes on */
	assert_int_equal(queue_lease_renew(f->q, id, "fax1", T0 + 30, 60, &st, &f->err), QUEUE_OK);
	assert_int_equal(st, JOB_SENDING);
	j = get(f, id);
	assert_int_equal(j.lease_expiry, T0 + 90);
	job_free(&j);
	assert_int_equal(claim(f, f->q, "fax2", T0 + 89, 1), 0);
	/* only by its owner */
	assert_int_equal(queue_lease_renew(f->q, id, "fax2", T0 + 31, 60, &st, &f->err), QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "fax1"));
	/* fax1 died: its lease runs out and fax2 takes the job over */
	assert_int_equal(claim(f, f->q, "fax2", T0 + 90, 1), id);
	buf_reset(&f->err);
	assert_int_equal(queue_lease_renew(f->q, id, "fax1", T0 + 91, 60, &st, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(st, JOB_SENDING);
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_SENT, "ok", "sent", 0, 1, &f->err),
	                 QUEUE_BAD_STATE);
	j = get(f, id);
	assert_string_equal(j.lease_owner, "fax2");
	assert_int_equal(j.attempts, 0);
	job_free(&j);
	/* a lease that ran out is lost even if nobody took the job */
	buf_reset(&f->err);
	assert_int_equal(queue_lease_renew(f->q, id, "fax2", T0 + 150, 60, &st, &f->err), QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "expired"));
	/* but its owner may still record how the call ended */
	assert_int_equal(
	    queue_job_finish(f->q, id, "fax2", JOB_FAILED, "busy", "the line was busy", 0, 0, &f->err),
	    QUEUE_OK);
	assert_int_equal(queue_lease_renew(f->q, id + 1, "fax2", T0, 60, &st, &f->err), QUEUE_NOT_FOUND);
}

static void test_lease_cancel_hold(void **state)
{
	struct fixture *f = *state;
	enum job_status st;
	int64_t id = add_to(f, "+4930", 50, T0);
	struct job j;

	/* cancelled during the call: the next renew tells, finishing changes nothing */
	assert_int_equal(claim(f, f->q, "fax1", T0, 1), id);
	assert_int_equal(queue_job_action(f->q, id, QUEUE_CANCEL, &f->err), QUEUE_OK);
	assert_int_equal(queue_lease_renew(f->q, id, "fax1", T0 + 10, 60, &st, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(st, JOB_CANCELLED);
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_SENT, "ok", "sent", 0, 3, &f->err),
	                 QUEUE_BAD_STATE);
	j = get(f, id);
	assert_int_equal(j.status, JOB_CANCELLED);
	assert_string_equal(j.reason_code, "cancelled");
	assert_null(j.lease_owner);
	assert_int_equal(j.attempts, 0);
	assert_int_equal(j.pages_done, 0);
	job_free(&j);
	assert_int_equal(claim(f, f->q, "fax2", T0 + 100, 1), 0);

	/* held during the call: the same, and released it is due again */
	assert_int_equal(queue_job_action(f->q, id, QUEUE_RETRY, &f->err), QUEUE_OK);
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(claim(f, f->q, "fax1", now, 1), id);
	assert_int_equal(queue_job_action(f->q, id, QUEUE_HOLD, &f->err), QUEUE_OK);
	assert_int_equal(queue_lease_renew(f->q, id, "fax1", now + 1, 60, &st, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(st, JOB_HELD);
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_QUEUED, "busy", "busy", now + 5, 0, &f->err),
	                 QUEUE_BAD_STATE);
	assert_int_equal(claim(f, f->q, "fax2", now + 100, 1), 0);
	assert_int_equal(queue_job_action(f->q, id, QUEUE_RELEASE, &f->err), QUEUE_OK);
	assert_int_equal(claim(f, f->q, "fax2", now + 100, 1), id);
}

static void test_finish(void **state)
{
	struct fixture *f = *state;
	int64_t id = add_to(f, "+4930", 50, T0);
	struct job j;

	assert_int_equal(claim(f, f->q, "fax1", T0, 1), id);
	/* not the owner, not a status a call ends in */
	assert_int_equal(queue_job_finish(f->q, id, "fax2", JOB_SENT, "ok", "sent", 0, 1, &f->err),
	                 QUEUE_BAD_STATE);
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_HELD, "x", "x", 0, 1, &f->err),
	                 QUEUE_BAD_STATE);
	assert_int_equal(queue_job_finish(f->q, id + 1, "fax1", JOB_SENT, "ok", "sent", 0, 1, &f->err),
	                 QUEUE_NOT_FOUND);
	j = get(f, id);
	assert_int_equal(j.status, JOB_SENDING);
	assert_int_equal(j.attempts, 0);
	job_free(&j);

	/* a partial success: call again later, after the pages confirmed */
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_QUEUED, "dropped",
	                                  "the call was cut off after page 2", T0 + 600, 2, &f->err),
	                 QUEUE_OK);
	j = get(f, id);
	assert_int_equal(j.status, JOB_QUEUED);
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.pages_done, 2);
	assert_int_equal(j.next_attempt, T0 + 600);
	assert_string_equal(j.reason_code, "dropped");
	assert_string_equal(j.reason, "the call was cut off after page 2");
	assert_null(j.lease_owner);
	assert_int_equal(j.lease_expiry, 0);
	assert_int_equal(j.finished, 0);
	job_free(&j);
	assert_int_equal(queue_job_finish(f->q, id, "fax1", JOB_SENT, "ok", "sent", 0, 3, &f->err),
	                 QUEUE_BAD_STATE); /* no longer leased */
	assert_int_equal(claim(f, f->q, "fax1", T0 + 599, 1), 0);
	assert_int_equal(claim(f, f->q, "fax1", T0 + 600, 1), id);
	int64_t before = (int64_t)time(NULL);
	assert_int_equal(
	    queue_job_finish(f->q, id, "fax1", JOB_SENT, "ok", "all pages sent", 12345, 5, &f->err),
	    QUEUE_OK);
	j = get(f, id);
	assert_int_equal(j.status, JOB_SENT);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(j.pages_done, 5);
	assert_int_equal(j.next_attempt, T0 + 600); /* only a retry sets it */
	assert_true(j.finished >= before && j.finished <= (int64_t)time(NULL));
	job_free(&j);
}

static void test_replace_pages(void **state)
{
	struct fixture *f = *state;
	struct fax_page_list l, l2, back;
	int64_t id = add(f, NULL, 3);
	struct job j;

	raw_exec(f, "UPDATE jobs SET pages_done = 2");
	sample_pages(&l, 2);
	for (size_t i = 0; i < l.count; i++)
		l.pages[i].height += 7;
	assert_int_equal(queue_job_replace_pages(f->q, id, "fax1", &l, 0, 0, &f->err),
	                 QUEUE_BAD_STATE); /* queued */
	assert_int_equal(claim(f, f->q, "fax1", (int64_t)time(NULL), 1), id);
	assert_int_equal(queue_job_replace_pages(f->q, id, "fax2", &l, 0, 0, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_job_replace_pages(f->q, id, "fax1", &l, 0, 0, &f->err), QUEUE_OK);
	j = get(f, id);
	assert_int_equal(j.pages, 2);
	assert_int_equal(j.resolution, 0);
	assert_int_equal(j.paper, 0);
	assert_int_equal(j.pages_done, 0);
	assert_int_equal(j.status, JOB_SENDING);
	job_free(&j);
	assert_int_equal(queue_job_pages(f->q, id, &back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(back.pages[i].height, l.pages[i].height);
		assert_int_equal(back.pages[i].len, l.pages[i].len);
		if (l.pages[i].len)
			assert_memory_equal(back.pages[i].data, l.pages[i].data, l.pages[i].len);
	}
	fax_page_list_free(&back);
	/* a page the database refuses: nothing changes */
	sample_pages(&l2, 2);
	l2.pages[1].width = 0;
	assert_int_equal(queue_job_replace_pages(f->q, id, "fax1", &l2, 2, 1, &f->err), QUEUE_ERR_TEMP);
	j = get(f, id);
	assert_int_equal(j.pages, 2);
	assert_int_equal(j.resolution, 0);
	job_free(&j);
	assert_int_equal(queue_job_pages(f->q, id, &back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 2);
	assert_int_equal(back.pages[0].height, l.pages[0].height);
	fax_page_list_free(&back);
	fax_page_list_free(&l);
	fax_page_list_free(&l2);
}

/* ---- attempts, received faxes, events, lines, purge ---- */

static void test_attempts(void **state)
{
	struct fixture *f = *state;
	int64_t id = add(f, NULL, 1), other = add(f, NULL, 1);
	struct attempt a = {.job_id = id,
	                    .start = T0,
	                    .end = T0 + 75,
	                    .server = "fax1",
	                    .line = "3",
	                    .remote_id = "+49 30 1234\x1b[2J \xff",
	                    .bit_rate = 14400,
	                    .ecm = true,
	                    .pages_confirmed = 2,
	                    .t30_code = 0,
	                    .outcome = "ok",
	                    .reason = "all pages were sent"};
	struct attempt b = {
	    .job_id = id, .start = T0 + 100, .end = T0 + 130, .outcome = "busy", .t30_code = 5};
	struct attempt *l;
	size_t n;

	assert_int_equal(queue_attempt_add(f->q, &a, &f->err), QUEUE_OK);
	assert_int_equal(queue_attempt_add(f->q, &b, &f->err), QUEUE_OK);
	assert_true(a.id > 0 && b.id > a.id);
	b.job_id = other;
	assert_int_equal(queue_attempt_add(f->q, &b, &f->err), QUEUE_OK);
	b.job_id = other + 100;
	assert_int_not_equal(queue_attempt_add(f->q, &b, &f->err), QUEUE_OK); /* no such job */

	assert_int_equal(queue_attempt_list(f->q, id, &l, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].id, a.id);
	assert_int_equal(l[0].job_id, id);
	assert_int_equal(l[0].start, T0);
	assert_int_equal(l[0].end, T0 + 75);
	assert_string_equal(l[0].server, "fax1");
	assert_string_equal(l[0].line, "3");
	assert_string_equal(l[0].remote_id, "+49 30 1234\x1b[2J \xEF\xBF\xBD");
	assert_int_equal(l[0].bit_rate, 14400);
	assert_true(l[0].ecm);
	assert_int_equal(l[0].pages_confirmed, 2);
	assert_string_equal(l[0].outcome, "ok");
	assert_string_equal(l[0].reason, "all pages were sent");
	/* what the caller left out: this connection's server name, NULLs, false */
	assert_string_equal(l[1].server, queue_server_name(f->q));
	assert_null(l[1].line);
	assert_null(l[1].remote_id);
	assert_null(l[1].reason);
	assert_false(l[1].ecm);
	assert_int_equal(l[1].t30_code, 5);
	attempt_list_free(l, n);
	assert_int_equal(queue_attempt_list(f->q, other + 100, &l, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	attempt_list_free(l, n);
}

static void test_inbound(void **state)
{
	struct fixture *f = *state;
	struct fax_page_list l, back;
	int bad[] = {0, 17, 3}, *bad_back;
	struct inbound in = {.received = T0 + 90,
	                     .started = T0,
	                     .line = "1",
	                     .caller = "+4940555\x01",
	                     .called = "+4930999",
	                     .subaddress = "12",
	                     .remote_id = "REMOTE \xc0",
	                     .resolution = 1,
	                     .t30_code = 48,
	                     .partial = true},
	               in2 = {.received = T0 + 200, .started = T0 + 100, .resolution = 0}, got, *list;
	size_t n;

	sample_pages(&l, 3);
	assert_int_equal(queue_inbound_add(f->q, &in, &l, bad, &f->err), QUEUE_OK);
	assert_true(in.id > 0);
	assert_int_equal(in.pages, 3);
	assert_int_equal(queue_inbound_add(f->q, &in2, NULL, NULL, &f->err), QUEUE_OK);

	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_int_equal(got.received, T0 + 90);
	assert_int_equal(got.started, T0);
	assert_string_equal(got.server, queue_server_name(f->q));
	assert_string_equal(got.line, "1");
	assert_string_equal(got.caller, "+4940555\x01");
	assert_string_equal(got.called, "+4930999");
	assert_string_equal(got.subaddress, "12");
	assert_string_equal(got.remote_id, "REMOTE \xEF\xBF\xBD");
	assert_int_equal(got.pages, 3);
	assert_int_equal(got.resolution, 1);
	assert_int_equal(got.t30_code, 48);
	assert_true(got.partial);
	assert_string_equal(got.status, "new");
	assert_null(got.reason);
	inbound_free(&got);

	assert_int_equal(queue_inbound_pages(f->q, in.id, &back, &bad_back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(back.pages[i].width, l.pages[i].width);
		assert_int_equal(back.pages[i].height, l.pages[i].height);
		assert_int_equal(back.pages[i].len, l.pages[i].len);
		if (l.pages[i].len)
			assert_memory_equal(back.pages[i].data, l.pages[i].data, l.pages[i].len);
		assert_int_equal(bad_back[i], bad[i]);
	}
	fax_page_list_free(&back);
	free(bad_back);
	assert_int_equal(queue_inbound_pages(f->q, in2.id, &back, &bad_back, &f->err), QUEUE_OK);
	assert_int_equal(back.count, 0);
	assert_null(bad_back);
	assert_int_equal(queue_inbound_pages(f->q, in2.id + 1, &back, &bad_back, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_inbound_get(f->q, in2.id + 1, &got, &f->err), QUEUE_NOT_FOUND);

	/* mailgate delivers one */
	assert_int_equal(queue_inbound_set_status(f->q, in.id, "delivered", "to fax@example.com", &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_inbound_set_status(f->q, in2.id + 1, "delivered", NULL, &f->err),
	                 QUEUE_NOT_FOUND);
	assert_int_equal(queue_inbound_list(f->q, NULL, 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, in2.id);
	assert_int_equal(list[1].id, in.id);
	assert_string_equal(list[1].status, "delivered");
	assert_string_equal(list[1].reason, "to fax@example.com");
	inbound_list_free(list, n);
	assert_int_equal(queue_inbound_list(f->q, "new", 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, in2.id);
	inbound_list_free(list, n);
	assert_int_equal(queue_inbound_list(f->q, NULL, 1, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	inbound_list_free(list, n);
	/* mailgate's view: oldest first, and the newest id */
	assert_int_equal(queue_inbound_set_status(f->q, in.id, "new", NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_oldest(f->q, "new", 10, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, in.id);
	assert_int_equal(list[1].id, in2.id);
	inbound_list_free(list, n);
	assert_int_equal(queue_inbound_oldest(f->q, "new", 1, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, in.id);
	inbound_list_free(list, n);
	int64_t newest = 0;
	assert_int_equal(queue_inbound_newest(f->q, &newest, &f->err), QUEUE_OK);
	assert_int_equal(newest, in2.id);
	assert_int_equal(queue_inbound_set_status(f->q, in.id, "delivered", "to fax@example.com", &f->err),
	                 QUEUE_OK);

	/* all or nothing: a page the database refuses stores no fax */
	l.pages[2].height = 0;
	struct inbound in3 = {.received = T0};
	assert_int_equal(queue_inbound_add(f->q, &in3, &l, NULL, &f->err), QUEUE_ERR_TEMP);
	assert_int_equal(queue_inbound_list(f->q, NULL, 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	inbound_list_free(list, n);
	fax_page_list_free(&l);
}

static void test_events(void **state)
{
	struct fixture *f = *state;
	struct event *e;
	size_t n;
	int64_t before = (int64_t)time(NULL);

	assert_int_equal(queue_event_add(f->q, "line_down", "2", "line 2 failed 3 calls in a row", &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_event_add(f->q, "line_up", "2", "line 2 works again", &f->err), QUEUE_OK);
	assert_int_equal(queue_event_add(f->q, "purge", NULL, "caf\xe9", &f->err), QUEUE_OK);
	assert_int_equal(queue_event_list(f->q, 0, false, 0, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].kind, "line_down");
	assert_string_equal(e[0].subject, "2");
	assert_string_equal(e[0].text, "line 2 failed 3 calls in a row");
	assert_string_equal(e[0].server, queue_server_name(f->q));
	assert_true(e[0].time >= before && e[0].time <= (int64_t)time(NULL));
	assert_false(e[0].handled);
	assert_null(e[2].subject);
	assert_string_equal(e[2].text, "caf\xEF\xBF\xBD");
	int64_t first = e[0].id, second = e[1].id;
	event_list_free(e, n);

	assert_int_equal(queue_event_handled(f->q, first, &f->err), QUEUE_OK);
	assert_int_equal(queue_event_handled(f->q, first + 100, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_event_list(f->q, 0, true, 0, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].id, second);
	event_list_free(e, n);
	assert_int_equal(queue_event_list(f->q, 0, false, 0, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 3);
	assert_true(e[0].handled);
	event_list_free(e, n);
	assert_int_equal(queue_event_list(f->q, second, false, 0, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	event_list_free(e, n);
	assert_int_equal(queue_event_list(f->q, 0, false, 1, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].id, first);
	event_list_free(e, n);
}

static void test_lines(void **state)
{
	struct fixture *f = *state;
	struct line_status *l;
	size_t n;
	struct line_status a = {.line = "10", .state = "idle", .since = T0, .calls = 4, .updated = T0 + 1};
	struct line_status b = {.server = "fax2",
	                        .line = "2",
	                        .state = "sending",
	                        .since = T0 + 5,
	                        .job_id = 42,
	                        .call_info = "to +4930123, page 2 of 5",
	                        .calls = 7,
	                        .failures_in_row = 1,
	                        .pages_sent = 30,
	                        .pages_received = 3};
	struct line_status c = {.line = "2", .state = "down", .since = T0 + 9, .failures_in_row = 3};

	assert_int_equal(queue_line_update(f->q, &a, &f->err), QUEUE_OK);
	assert_int_equal(queue_line_update(f->q, &b, &f->err), QUEUE_OK);
	assert_int_equal(queue_line_update(f->q, &c, &f->err), QUEUE_OK);
	/* again: the row is replaced, not added */
	b.state = "idle";
	b.job_id = 0;
	b.call_info = NULL;
	b.calls = 8;
	assert_int_equal(queue_line_update(f->q, &b, &f->err), QUEUE_OK);
	assert_int_equal(queue_line_list(f->q, &l, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 3);
	/* by server, then line "2" before "10" */
	const char *me = queue_server_name(f->q);
	int mine = strcmp(me, "fax2") < 0 ? 0 : 1, theirs = 2 - 2 * mine;
	assert_string_equal(l[mine].server, me);
	assert_string_equal(l[mine].line, "2");
	assert_string_equal(l[mine].state, "down");
	assert_int_equal(l[mine].failures_in_row, 3);
	assert_true(l[mine].updated > T0);
	assert_string_equal(l[mine + 1].line, "10");
	assert_int_equal(l[mine + 1].calls, 4);
	assert_int_equal(l[mine + 1].updated, T0 + 1);
	assert_string_equal(l[theirs].server, "fax2");
	assert_string_equal(l[theirs].state, "idle");
	assert_int_equal(l[theirs].job_id, 0);
	assert_null(l[theirs].call_info);
	assert_int_equal(l[theirs].calls, 8);
	assert_int_equal(l[theirs].pages_sent, 30);
	assert_int_equal(l[theirs].pages_received, 3);
	line_status_list_free(l, n);
}

static void test_purge(void **state)
{
	struct fixture *f = *state;
	const int64_t day = 86400, now = T0 + 1000 * day;
	struct queue_purge_counts c;
	struct job *jobs;
	struct attempt at = {.start = T0, .end = T0, .outcome = "ok"}, *al;
	struct event *e;
	size_t n;
	char sql[200];
	/* finished: days ago (-1: not finished) */
	const struct {
		const char *status;
		int ago;
		bool archived, gone;
	} cases[] = {
	    {"sent", 5, false, false},     {"failed", 31, true, false},  {"cancelled", 89, true, false},
	    {"sent", 91, true, true},      {"queued", -1, false, false}, {"held", -1, false, false},
	    {"sending", -1, false, false}, {"failed", 30, true, false},
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	int64_t ids[NCASES];

	for (size_t i = 0; i < NCASES; i++) {
		ids[i] = add(f, NULL, 2);
		snprintf(sql, sizeof(sql), "UPDATE jobs SET status = '%s', finished = %lld WHERE id = %lld",
		         cases[i].status, cases[i].ago < 0 ? 0LL : (long long)(now - cases[i].ago * day),
		         (long long)ids[i]);
		raw_exec(f, sql);
		at.job_id = ids[i];
		assert_int_equal(queue_attempt_add(f->q, &at, &f->err), QUEUE_OK);
	}
	/* received faxes: delivered long ago (gone), new long ago (kept), delivered lately (kept) */
	struct fax_page_list l;
	sample_pages(&l, 1);
	struct inbound old_done = {.received = now - 100 * day}, old_new = {.received = now - 100 * day},
	               recent = {.received = now - day};
	assert_int_equal(queue_inbound_add(f->q, &old_done, &l, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_add(f->q, &old_new, &l, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_add(f->q, &recent, &l, NULL, &f->err), QUEUE_OK);
	fax_page_list_free(&l);
	assert_int_equal(queue_inbound_set_status(f->q, old_done.id, "delivered", NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_set_status(f->q, recent.id, "delivered", NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_event_add(f->q, "old", NULL, "old", &f->err), QUEUE_OK);
	assert_int_equal(queue_event_add(f->q, "new", NULL, "new", &f->err), QUEUE_OK);
	snprintf(sql, sizeof(sql), "UPDATE events SET time = %lld WHERE kind = 'old'",
	         (long long)(now - 91 * day));
	raw_exec(f, sql);
	snprintf(sql, sizeof(sql), "UPDATE events SET time = %lld WHERE kind = 'new'",
	         (long long)(now - 89 * day));
	raw_exec(f, sql);

	assert_int_equal(queue_purge(f->q, now, 30, 90, &c, &f->err), QUEUE_OK);
	assert_int_equal(c.archived, 4);
	assert_int_equal(c.jobs, 1);
	assert_int_equal(c.inbound, 1);
	assert_int_equal(c.events, 1);
	for (size_t i = 0; i < NCASES; i++) {
		struct job j;
		enum queue_rc rc = queue_job_get(f->q, ids[i], &j, &f->err);
		if (cases[i].gone) {
			assert_int_equal(rc, QUEUE_NOT_FOUND);
			struct fax_page_list back;
			assert_int_equal(queue_job_pages(f->q, ids[i], &back, &f->err), QUEUE_NOT_FOUND);
			assert_int_equal(queue_attempt_list(f->q, ids[i], &al, &n, &f->err), QUEUE_OK);
			assert_int_equal(n, 0); /* the attempts went with the job */
			attempt_list_free(al, n);
			continue;
		}
		assert_int_equal(rc, QUEUE_OK);
		if (j.archived != cases[i].archived)
			fail_msg("case %zu (%s, %d days): archived %d", i, cases[i].status, cases[i].ago,
			         j.archived);
		job_free(&j);
	}
	/* the usual list hides archived jobs, the full one shows them */
	assert_int_equal(queue_job_list_current(f->q, -1, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 4);
	job_list_free(jobs, n);
	assert_int_equal(queue_job_list(f->q, -1, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, NCASES - 1);
	job_list_free(jobs, n);
	assert_int_equal(queue_job_list_current(f->q, JOB_FAILED, 0, &jobs, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	job_list_free(jobs, n);
	struct inbound got;
	assert_int_equal(queue_inbound_get(f->q, old_done.id, &got, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_inbound_get(f->q, old_new.id, &got, &f->err), QUEUE_OK);
	inbound_free(&got);
	assert_int_equal(queue_event_list(f->q, 0, false, 0, &e, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].kind, "new");
	event_list_free(e, n);
	/* again: nothing left to do; a retried archived job comes back */
	assert_int_equal(queue_purge(f->q, now, 30, 90, &c, &f->err), QUEUE_OK);
	assert_int_equal(c.archived + c.jobs + c.inbound + c.events, 0);
	assert_int_equal(queue_job_action(f->q, ids[1], QUEUE_RETRY, &f->err), QUEUE_OK);
	struct job j = get(f, ids[1]);
	assert_false(j.archived);
	assert_int_equal(j.finished, 0);
	job_free(&j);
}

/* ---- the mail gateway: job headers and notices, received faxes, outbox, alerts, stats ---- */

static void test_job_headers(void **state)
{
	struct fixture *f = *state;
	struct job j, got;
	struct buf big = BUF_INIT;

	/* as given (sample_job has some): round trip, notice none yet */
	sample_job(&j, "h1");
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	got = get(f, j.id);
	assert_string_equal(got.headers, j.headers);
	assert_int_equal(got.notice, JOB_NOTICE_NONE);
	job_free(&got);
	/* none */
	sample_job(&j, "h2");
	j.headers = NULL;
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	got = get(f, j.id);
	assert_null(got.headers);
	job_free(&got);
	/* invalid UTF-8 as U+FFFD, as for other text */
	sample_job(&j, "h3");
	j.headers = "Subject: caf\xE9\r\n";
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	got = get(f, j.id);
	assert_string_equal(got.headers, "Subject: caf\xEF\xBF\xBD\r\n");
	job_free(&got);
	/* too long: cut after the last whole line that fits */
	for (int i = 0; big.len <= QUEUE_HEADERS_MAX + 1000; i++)
		buf_printf(&big, "X-Filler-%05d: %s\r\n", i,
		           "0123456789012345678901234567890123456789012345678901234567890123456789");
	sample_job(&j, "h4");
	j.headers = (char *)buf_cstr(&big);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	got = get(f, j.id);
	size_t len = strlen(got.headers);
	assert_true(len <= QUEUE_HEADERS_MAX && len > QUEUE_HEADERS_MAX - 100);
	assert_memory_equal(got.headers, big.data, len);
	assert_string_equal(got.headers + len - 2, "\r\n");
	job_free(&got);
	/* one endless line: cut between two characters (three bytes each), never inside one */
	buf_reset(&big);
	buf_puts(&big, "Subject: ");
	while (big.len <= QUEUE_HEADERS_MAX + 10)
		buf_puts(&big, "\xE2\x82\xAC");
	sample_job(&j, "h5");
	j.headers = (char *)buf_cstr(&big);
	assert_int_equal(queue_job_add(f->q, &j, NULL, &f->err), QUEUE_OK);
	got = get(f, j.id);
	len = strlen(got.headers);
	assert_true(len <= QUEUE_HEADERS_MAX && len > QUEUE_HEADERS_MAX - 3);
	assert_int_equal((len - 9) % 3, 0);
	assert_memory_equal(got.headers, big.data, len);
	job_free(&got);
	buf_free(&big);
}

/* Set a job's status and finished time as faxd would leave it. */
static void set_finished(struct fixture *f, int64_t id, const char *status, int64_t finished)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "UPDATE jobs SET status = '%s', finished = %lld WHERE id = %lld", status,
	         (long long)finished, (long long)id);
	raw_exec(f, sql);
}

/* The ids of the jobs notices_due lists, in its order, as "1 2 3". */
static char *notices_due(struct fixture *f, int64_t delay_before, size_t limit, int64_t base)
{
	struct buf b = BUF_INIT;
	struct job *jobs;
	size_t n;

	if (queue_job_notices_due(f->q, delay_before, limit, &jobs, &n, &f->err) != QUEUE_OK)
		fail_msg("queue_job_notices_due: %s", buf_cstr(&f->err));
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? " " : "", (long long)(jobs[i].id - base));
	job_list_free(jobs, n);
	return buf_steal(&b);
}

static void assert_due(struct fixture *f, int64_t delay_before, size_t limit, int64_t base, const char *want)
{
	char *got = notices_due(f, delay_before, limit, base);
	if (strcmp(got, want) != 0)
		fail_msg("notices due (delay before %lld, limit %zu): '%s', not '%s'",
		         (long long)delay_before, limit, got, want);
	free(got);
}

static void test_notices(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL), base = add(f, NULL, 0);
	int64_t queued = add(f, NULL, 0), sent = add(f, NULL, 0), failed = add(f, NULL, 0);
	int64_t held = add(f, NULL, 0), archived = add(f, NULL, 0), cancelled = add(f, NULL, 0);

	set_finished(f, sent, "sent", now);
	set_finished(f, failed, "failed", now);
	raw_exec(f, "UPDATE jobs SET status = 'held'");
	set_finished(f, sent, "sent", now);
	set_finished(f, failed, "failed", now);
	set_finished(f, archived, "failed", now);
	set_finished(f, cancelled, "cancelled", now);
	set_finished(f, queued, "queued", 0);
	char sql[120];
	snprintf(sql, sizeof(sql), "UPDATE jobs SET archived = TRUE WHERE id = %lld", (long long)archived);
	raw_exec(f, sql);
	(void)held;
	/* finished ones only; delay notices only when asked, for jobs created before the time given */
	assert_due(f, 0, 0, base, "2 3 6");
	assert_due(f, now - 10, 0, base, "2 3 6");
	assert_due(f, now + 10, 0, base, "0 1 2 3 4 6");
	assert_due(f, now + 10, 2, base, "0 1");
	/* a delay notice went out for the queued one: it is not due again until it is finished */
	assert_int_equal(queue_job_set_notice(f->q, queued, JOB_NOTICE_NONE, JOB_NOTICE_DELAY, &f->err),
	                 QUEUE_OK);
	assert_due(f, now + 10, 0, base, "0 2 3 4 6");
	/* another mailgate that read it before finds it moved, and nothing changes */
	buf_reset(&f->err);
	assert_int_equal(queue_job_set_notice(f->q, queued, JOB_NOTICE_NONE, JOB_NOTICE_FINAL, &f->err),
	                 QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "no longer"));
	assert_int_equal(queue_job_set_notice(f->q, queued, JOB_NOTICE_DELAY, JOB_NOTICE_NONE, &f->err),
	                 QUEUE_BAD_STATE);
	assert_int_equal(queue_job_set_notice(f->q, queued, JOB_NOTICE_DELAY, 3, &f->err), QUEUE_BAD_STATE);
	struct job j = get(f, queued);
	assert_int_equal(j.notice, JOB_NOTICE_DELAY);
	job_free(&j);
	assert_int_equal(queue_job_set_notice(f->q, base + 1000, 0, 2, &f->err), QUEUE_NOT_FOUND);
	/* it is sent: its final notice is due; then done */
	set_finished(f, queued, "sent", now);
	assert_due(f, 0, 0, base, "1 2 3 6");
	assert_int_equal(queue_job_set_notice(f->q, queued, JOB_NOTICE_DELAY, JOB_NOTICE_FINAL, &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_job_set_notice(f->q, sent, JOB_NOTICE_NONE, JOB_NOTICE_FINAL, &f->err),
	                 QUEUE_OK);
	assert_due(f, now + 10, 0, base, "0 3 4 6");
	/* inside a transaction that is rolled back, nothing moved */
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	assert_int_equal(queue_job_set_notice(f->q, failed, JOB_NOTICE_NONE, JOB_NOTICE_FINAL, &f->err),
	                 QUEUE_OK);
	queue_rollback(f->q);
	assert_due(f, 0, 0, base, "3 6");
}

static void test_inbound_move(void **state)
{
	struct fixture *f = *state;
	struct inbound in = {.received = T0, .started = T0 - 60}, got;

	assert_int_equal(queue_inbound_add(f->q, &in, NULL, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_move(f->q, in.id, "new", "mailed", "to anna@example.com", &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	assert_string_equal(got.reason, "to anna@example.com");
	inbound_free(&got);
	/* a second mailgate that saw it new finds it taken; nothing changes */
	buf_reset(&f->err);
	assert_int_equal(queue_inbound_move(f->q, in.id, "new", "unrouted", "nobody", &f->err),
	                 QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "mailed"));
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	assert_string_equal(got.reason, "to anna@example.com");
	inbound_free(&got);
	assert_int_equal(queue_inbound_move(f->q, in.id + 1, "new", "mailed", NULL, &f->err),
	                 QUEUE_NOT_FOUND);
	assert_int_equal(queue_inbound_move(f->q, in.id, "mailed", "delivered", NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "delivered");
	assert_null(got.reason);
	inbound_free(&got);
}

/* A mail with every byte value in its message, NULs and bare CRs included. */
static void sample_mail(struct outbox_mail *m, const char *kind, int64_t ref_id)
{
	memset(m, 0, sizeof(*m));
	m->kind = (char *)kind;
	m->ref_id = ref_id;
	m->sender = "faxgate@example.com";
	m->recipients = "anna@example.com bob@example.com";
	m->message_id = "<fax.1.abc@example.com>";
	buf_puts(&m->message, "Subject: test\r\n\r\n");
	for (int i = 0; i < 512; i++)
		buf_putc(&m->message, (char)(i * 7));
}

static int64_t mail_add(struct fixture *f, const char *kind, int64_t ref_id)
{
	struct outbox_mail m;

	sample_mail(&m, kind, ref_id);
	if (queue_outbox_add(f->q, &m, &f->err) != QUEUE_OK)
		fail_msg("queue_outbox_add: %s", buf_cstr(&f->err));
	buf_free(&m.message);
	return m.id;
}

/* Claim a mail and return its id, 0 when none is due. */
static int64_t mail_claim(struct fixture *f, struct queue *q, const char *owner, int64_t now)
{
	struct outbox_mail m;
	enum queue_rc rc = queue_outbox_claim(q, owner, now, 60, &m, &f->err);

	if (rc == QUEUE_NOT_FOUND)
		return 0;
	if (rc != QUEUE_OK)
		fail_msg("queue_outbox_claim: rc %d: %s", rc, buf_cstr(&f->err));
	assert_string_equal(m.lease_owner, owner);
	assert_int_equal(m.lease_expiry, now + 60);
	assert_string_equal(m.status, "pending");
	assert_true(m.message.len > 0);
	int64_t id = m.id;
	outbox_mail_free(&m);
	return id;
}

static struct outbox_mail mail_get(struct fixture *f, int64_t id)
{
	struct outbox_mail m;

	if (queue_outbox_get(f->q, id, &m, &f->err) != QUEUE_OK)
		fail_msg("queue_outbox_get %lld: %s", (long long)id, buf_cstr(&f->err));
	return m;
}

static void test_outbox(void **state)
{
	struct fixture *f = *state;
	int64_t before = (int64_t)time(NULL), t = before + 10;
	struct outbox_mail m, got, *list;
	size_t n;

	/* what a mail needs */
	const char *kinds[] = {NULL, "letter"};
	for (size_t i = 0; i < 2; i++) {
		sample_mail(&m, kinds[i], 0);
		assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_ERR_TEMP);
		buf_free(&m.message);
	}
	sample_mail(&m, "alert", 0);
	m.recipients = "";
	assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_ERR_TEMP);
	m.recipients = "x@example.com";
	m.message_id = NULL;
	assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_ERR_TEMP);
	m.message_id = "<a@b>";
	buf_reset(&m.message);
	assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_ERR_TEMP);
	buf_free(&m.message);
	assert_int_equal(queue_outbox_list(f->q, NULL, 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	outbox_list_free(list, n);

	/* stored whole, byte for byte; the null sender stays "" */
	sample_mail(&m, "alert", 0);
	assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_OK);
	assert_true(m.id > 0);
	assert_true(m.created >= before && m.created <= (int64_t)time(NULL));
	int64_t a = m.id;
	got = mail_get(f, a);
	assert_string_equal(got.kind, "alert");
	assert_int_equal(got.ref_id, 0);
	assert_string_equal(got.sender, m.sender);
	assert_string_equal(got.recipients, m.recipients);
	assert_string_equal(got.message_id, m.message_id);
	assert_int_equal(got.message.len, m.message.len);
	assert_memory_equal(got.message.data, m.message.data, m.message.len);
	assert_string_equal(got.status, "pending");
	assert_int_equal(got.attempts, 0);
	assert_int_equal(got.next_attempt, m.created);
	assert_null(got.last_error);
	assert_int_equal(got.sent, 0);
	assert_null(got.lease_owner);
	outbox_mail_free(&got);
	buf_free(&m.message);
	sample_mail(&m, "notice", 77);
	m.sender = "";
	assert_int_equal(queue_outbox_add(f->q, &m, &f->err), QUEUE_OK);
	buf_free(&m.message);
	int64_t b = m.id;
	got = mail_get(f, b);
	assert_string_equal(got.sender, "");
	assert_int_equal(got.ref_id, 77);
	outbox_mail_free(&got);

	/* claims: the oldest first; a leased mail is nobody else's until its lease runs out */
	assert_int_equal(mail_claim(f, f->q, "mg1", t), a);
	assert_int_equal(mail_claim(f, f->q, "mg2", t), b);
	assert_int_equal(mail_claim(f, f->q, "mg3", t), 0);
	assert_int_equal(mail_claim(f, f->q, "mg3", t + 59), 0);
	assert_int_equal(mail_claim(f, f->q, "mg3", t + 60), a); /* mg1 died */
	buf_reset(&f->err);
	assert_int_equal(queue_outbox_finish(f->q, a, "mg1", "sent", NULL, 0, &f->err), QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "mg3"));
	assert_int_equal(queue_outbox_redirect(f->q, a, "mg1", "c@example.com", NULL, t, &f->err),
	                 QUEUE_BAD_STATE);
	/* tried again later */
	assert_int_equal(
	    queue_outbox_finish(f->q, a, "mg3", "pending", "451 4.3.0 try later", t + 300, &f->err),
	    QUEUE_OK);
	got = mail_get(f, a);
	assert_string_equal(got.status, "pending");
	assert_int_equal(got.attempts, 1);
	assert_int_equal(got.next_attempt, t + 300);
	assert_string_equal(got.last_error, "451 4.3.0 try later");
	assert_null(got.lease_owner);
	assert_int_equal(got.lease_expiry, 0);
	outbox_mail_free(&got);
	/* sent, even after its lease ran out, as long as nobody took it over */
	assert_int_equal(queue_outbox_finish(f->q, b, "mg2", "sent", NULL, 0, &f->err), QUEUE_OK);
	got = mail_get(f, b);
	assert_string_equal(got.status, "sent");
	assert_int_equal(got.attempts, 1);
	assert_true(got.sent >= before && got.sent <= (int64_t)time(NULL));
	assert_null(got.lease_owner);
	outbox_mail_free(&got);
	buf_reset(&f->err);
	assert_int_equal(queue_outbox_finish(f->q, b, "mg2", "sent", NULL, 0, &f->err), QUEUE_BAD_STATE);
	assert_non_null(strstr(buf_cstr(&f->err), "sent"));
	assert_int_equal(mail_claim(f, f->q, "mg1", t + 299), 0);
	/* redirected: new recipients, due when said, the attempt counted */
	assert_int_equal(mail_claim(f, f->q, "mg1", t + 300), a);
	assert_int_equal(queue_outbox_redirect(f->q, a, "mg2", "c@example.com", NULL, t, &f->err),
	                 QUEUE_BAD_STATE);
	assert_int_equal(queue_outbox_redirect(f->q, a, "mg1", "", NULL, t, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_outbox_redirect(f->q, a, "mg1", "catchall@example.com",
	                                       "550 5.1.1 no such user", t + 300, &f->err),
	                 QUEUE_OK);
	got = mail_get(f, a);
	assert_string_equal(got.recipients, "catchall@example.com");
	assert_string_equal(got.last_error, "550 5.1.1 no such user");
	assert_int_equal(got.attempts, 2);
	assert_int_equal(got.next_attempt, t + 300);
	assert_null(got.lease_owner);
	assert_string_equal(got.status, "pending");
	outbox_mail_free(&got);
	/* given up */
	assert_int_equal(mail_claim(f, f->q, "mg2", t + 300), a);
	assert_int_equal(queue_outbox_finish(f->q, a, "mg2", "bogus", NULL, 0, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_outbox_finish(f->q, a, "mg2", "failed", "550 5.1.1 no such user", 0, &f->err),
	                 QUEUE_OK);
	assert_int_equal(mail_claim(f, f->q, "mg2", t + 10000), 0);
	assert_int_equal(queue_outbox_finish(f->q, b + 1, "mg2", "sent", NULL, 0, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_outbox_get(f->q, b + 1, &got, &f->err), QUEUE_NOT_FOUND);

	/* lists: newest first, without the messages */
	assert_int_equal(queue_outbox_list(f->q, NULL, 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, b);
	assert_int_equal(list[1].id, a);
	assert_string_equal(list[1].status, "failed");
	assert_int_equal(list[1].attempts, 3);
	assert_int_equal(list[0].message.len, 0);
	outbox_list_free(list, n);
	assert_int_equal(queue_outbox_list(f->q, "failed", 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, a);
	outbox_list_free(list, n);
	assert_int_equal(queue_outbox_list(f->q, "pending", 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	outbox_list_free(list, n);
	assert_int_equal(queue_outbox_list(f->q, NULL, 1, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, b);
	outbox_list_free(list, n);
}

static void test_outbox_fax(void **state)
{
	struct fixture *f = *state;
	int64_t t = (int64_t)time(NULL) + 10;
	struct inbound in = {.received = T0, .started = T0 - 60}, in2 = in, got;

	assert_int_equal(queue_inbound_add(f->q, &in, NULL, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_add(f->q, &in2, NULL, NULL, &f->err), QUEUE_OK);
	/* mailgate: the mail stored and the fax mailed, together */
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	int64_t m = mail_add(f, "fax", in.id);
	assert_int_equal(queue_inbound_move(f->q, in.id, "new", "mailed", "to anna@example.com", &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_commit(f->q, &f->err), QUEUE_OK);
	int64_t m2 = mail_add(f, "fax", in2.id);
	assert_int_equal(queue_inbound_move(f->q, in2.id, "new", "mailed", NULL, &f->err), QUEUE_OK);

	/* a relay's 4xx: still mailed */
	assert_int_equal(mail_claim(f, f->q, "mg1", t), m);
	assert_int_equal(queue_outbox_finish(f->q, m, "mg1", "pending", "421 busy", 0, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	inbound_free(&got);
	/* sent inside a transaction that is rolled back: neither changed */
	assert_int_equal(mail_claim(f, f->q, "mg1", t), m);
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	assert_int_equal(queue_outbox_finish(f->q, m, "mg1", "sent", NULL, 0, &f->err), QUEUE_OK);
	queue_rollback(f->q);
	struct outbox_mail om = mail_get(f, m);
	assert_string_equal(om.status, "pending");
	assert_string_equal(om.lease_owner, "mg1");
	outbox_mail_free(&om);
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	inbound_free(&got);
	/* sent: the fax is delivered */
	assert_int_equal(queue_outbox_finish(f->q, m, "mg1", "sent", NULL, 0, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "delivered");
	assert_string_equal(got.reason, "to anna@example.com");
	inbound_free(&got);
	/* failed for good: the fax stays mailed, for the admin to look at */
	assert_int_equal(mail_claim(f, f->q, "mg1", t), m2);
	assert_int_equal(queue_outbox_finish(f->q, m2, "mg1", "failed", "554 no", 0, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in2.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	inbound_free(&got);
	/* a notice about a job with the same id as a fax leaves the fax alone */
	assert_int_equal(queue_inbound_move(f->q, in2.id, "mailed", "mailed", NULL, &f->err), QUEUE_OK);
	int64_t m3 = mail_add(f, "notice", in2.id);
	assert_int_equal(mail_claim(f, f->q, "mg1", t), m3);
	assert_int_equal(queue_outbox_finish(f->q, m3, "mg1", "sent", NULL, 0, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_get(f->q, in2.id, &got, &f->err), QUEUE_OK);
	assert_string_equal(got.status, "mailed");
	inbound_free(&got);
}

#define OUTBOX_STRESS_MAILS    60
#define OUTBOX_STRESS_CLAIMERS 4

/* Claim until nothing is due, writing each id claimed to fd; the mails are never finished. */
static void outbox_stress_child(struct fixture *f, int k, int fd)
{
	struct queue *q;
	struct buf err = BUF_INIT;
	char owner[16], line[32];
	int retries = 0;

	snprintf(owner, sizeof(owner), "mg%d", k);
	if (queue_open(&f->conf, &q, &err) != QUEUE_OK)
		_exit(10);
	for (;;) {
		struct outbox_mail m;
		enum queue_rc rc = queue_outbox_claim(q, owner, (int64_t)time(NULL) + 10, 600, &m, &err);
		if (rc == QUEUE_NOT_FOUND)
			break;
		if (rc == QUEUE_ERR_TEMP && ++retries < 100)
			continue; /* a busy database: mailgate tries again at its next round */
		if (rc != QUEUE_OK)
			_exit(12);
		int len = snprintf(line, sizeof(line), "%lld\n", (long long)m.id);
		outbox_mail_free(&m);
		if (write(fd, line, (size_t)len) != len)
			_exit(13);
	}
	queue_close(q);
	_exit(0);
}

static void test_outbox_claim_stress(void **state)
{
	struct fixture *f = *state;
	int fds[2], claimed[OUTBOX_STRESS_MAILS] = {0}, claims = 0;
	pid_t pids[OUTBOX_STRESS_CLAIMERS];
	int64_t first = 0;

	f->conf.db_timeout = 20;
	assert_int_equal(queue_begin(f->q, &f->err), QUEUE_OK);
	for (int i = 0; i < OUTBOX_STRESS_MAILS; i++) {
		int64_t id = mail_add(f, "alert", 0);
		if (!first)
			first = id;
	}
	assert_int_equal(queue_commit(f->q, &f->err), QUEUE_OK);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	for (int k = 0; k < OUTBOX_STRESS_CLAIMERS; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			close(fds[0]);
			outbox_stress_child(f, k, fds[1]);
		}
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[32];
	while (fgets(line, sizeof(line), in)) {
		long long id = atoll(line);
		assert_true(id >= first && id < first + OUTBOX_STRESS_MAILS);
		if (++claimed[id - first] != 1)
			fail_msg("mail %lld claimed twice", id);
		claims++;
	}
	fclose(in);
	for (int k = 0; k < OUTBOX_STRESS_CLAIMERS; k++) {
		int status;
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("claimer %d ended with status %d", k, status);
	}
	assert_int_equal(claims, OUTBOX_STRESS_MAILS);
}

static void test_alerts(void **state)
{
	struct fixture *f = *state;
	struct alert_state a = {.key = "line_down:sim0",
	                        .state = "down",
	                        .since = T0,
	                        .last_mail = T0,
	                        .text = "line sim0 is out of service"},
	                   got, *list;
	size_t n;

	assert_int_equal(queue_alert_get(f->q, "line_down:sim0", &got, &f->err), QUEUE_NOT_FOUND);
	assert_int_equal(queue_alert_list(f->q, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 0);
	alert_list_free(list, n);
	assert_int_equal(queue_alert_put(f->q, &a, &f->err), QUEUE_OK);
	assert_int_equal(queue_alert_get(f->q, "line_down:sim0", &got, &f->err), QUEUE_OK);
	assert_string_equal(got.key, "line_down:sim0");
	assert_string_equal(got.state, "down");
	assert_int_equal(got.since, T0);
	assert_int_equal(got.last_mail, T0);
	assert_string_equal(got.text, "line sim0 is out of service");
	alert_state_free(&got);
	/* replaced whole */
	a.state = "up";
	a.since = T0 + 600;
	a.last_mail = T0 + 601;
	a.text = NULL;
	assert_int_equal(queue_alert_put(f->q, &a, &f->err), QUEUE_OK);
	assert_int_equal(queue_alert_get(f->q, "line_down:sim0", &got, &f->err), QUEUE_OK);
	assert_string_equal(got.state, "up");
	assert_int_equal(got.since, T0 + 600);
	assert_int_equal(got.last_mail, T0 + 601);
	assert_null(got.text);
	alert_state_free(&got);
	/* another, with text from outside */
	struct alert_state d = {.key = "disk", .state = "down", .since = T0, .text = "/var/spool \xFF full"};
	assert_int_equal(queue_alert_put(f->q, &d, &f->err), QUEUE_OK);
	/* only down or up, and a key */
	d.state = "sideways";
	assert_int_equal(queue_alert_put(f->q, &d, &f->err), QUEUE_BAD_STATE);
	d.state = "down";
	d.key = "";
	assert_int_equal(queue_alert_put(f->q, &d, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_alert_list(f->q, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].key, "disk");
	assert_string_equal(list[0].state, "down");
	assert_int_equal(list[0].last_mail, 0);
	assert_string_equal(list[0].text, "/var/spool \xEF\xBF\xBD full");
	assert_string_equal(list[1].key, "line_down:sim0");
	alert_list_free(list, n);
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct queue_stats st;
	char sql[160];

	assert_int_equal(queue_stats(f->q, T0, &st, &f->err), QUEUE_OK);
	assert_int_equal(st.waiting + st.sent + st.failed + st.received, 0);
	assert_int_equal(st.oldest_waiting, 0);
	/* created, status, finished */
	const struct {
		int64_t created;
		const char *status;
		int64_t finished;
	} jobs[] = {
	    {T0 - 50, "queued", 0},      {T0 - 100, "sending", 0},    {T0 - 500, "held", 0},
	    {T0 - 900, "sent", T0 + 10}, {T0 - 900, "sent", T0 - 10}, {T0 - 900, "failed", T0},
	    {T0 - 900, "cancelled", T0},
	};
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		int64_t id = add(f, NULL, 0);
		snprintf(sql, sizeof(sql),
		         "UPDATE jobs SET created = %lld, status = '%s', finished = %lld WHERE id = %lld",
		         (long long)jobs[i].created, jobs[i].status, (long long)jobs[i].finished,
		         (long long)id);
		raw_exec(f, sql);
	}
	struct inbound in = {.received = T0 + 5}, old = {.received = T0 - 5};
	assert_int_equal(queue_inbound_add(f->q, &in, NULL, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_inbound_add(f->q, &old, NULL, NULL, &f->err), QUEUE_OK);
	assert_int_equal(queue_stats(f->q, T0, &st, &f->err), QUEUE_OK);
	assert_int_equal(st.waiting, 2);
	assert_int_equal(st.oldest_waiting, T0 - 100);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.received, 1);
	assert_int_equal(queue_stats(f->q, T0 - 10, &st, &f->err), QUEUE_OK);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.received, 2);
}

/* ---- SIP: the media memory ---- */

static void test_media(void **state)
{
	struct fixture *f = *state;
	const long month = 30L * 86400;
	enum media_memory m = MEDIA_T38_WORKS;

	/* nothing known */
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	/* learnt, and read back at any age up to max_age */
	assert_int_equal(queue_media_put(f->q, "+4930123456", MEDIA_G711_ONLY, T0, &f->err), QUEUE_OK);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_G711_ONLY);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + month, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_G711_ONLY);
	/* older than max_age: unknown again; max_age 0: any age */
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + month + 1, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + 100 * month, 0, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_G711_ONLY);
	/* a row written by a server whose clock runs ahead is fresh */
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 - 3600, 60, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_G711_ONLY);
	/* another number knows nothing of it */
	assert_int_equal(queue_media_get(f->q, "+4930123457", T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	/* replaced, with its time: an expired row learnt again is fresh */
	assert_int_equal(queue_media_put(f->q, "+4930123456", MEDIA_T38_WORKS, T0 + 2 * month, &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + 2 * month + 5, month, &m, &f->err),
	                 QUEUE_OK);
	assert_int_equal(m, MEDIA_T38_WORKS);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + 3 * month + 1, month, &m, &f->err),
	                 QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	/* unknown stored is forgetting */
	assert_int_equal(queue_media_put(f->q, "+4930123456", MEDIA_UNKNOWN, T0 + 2 * month, &f->err),
	                 QUEUE_OK);
	assert_int_equal(queue_media_get(f->q, "+4930123456", T0 + 2 * month, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	/* one row a number, whatever was put */
	int64_t rows = -1;
	assert_int_equal(queue_media_put(f->q, "+4930123456", MEDIA_G711_ONLY, T0, &f->err), QUEUE_OK);
	assert_int_equal(queue_media_put(f->q, "+4930123457", MEDIA_T38_WORKS, T0, &f->err), QUEUE_OK);
	assert_int_equal(queue_query_int(f->q, "SELECT COUNT(*) FROM media", NULL, 0, &rows, &f->err),
	                 QUEUE_OK);
	assert_int_equal(rows, 2);
	assert_int_equal(queue_media_get(f->q, "+4930123457", T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_T38_WORKS);
	/* text from outside stays a key of its own; a damaged row reads as unknown */
	assert_int_equal(
	    queue_media_put(f->q, "+49'; DROP TABLE media; --\xFF", MEDIA_G711_ONLY, T0, &f->err), QUEUE_OK);
	assert_int_equal(queue_media_get(f->q, "+49'; DROP TABLE media; --\xFF", T0, month, &m, &f->err),
	                 QUEUE_OK);
	assert_int_equal(m, MEDIA_G711_ONLY);
	raw_exec(f, "UPDATE media SET memory = 0 WHERE number = '+4930123457'");
	assert_int_equal(queue_media_get(f->q, "+4930123457", T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
	/* a number is needed, and a known memory */
	assert_int_equal(queue_media_put(f->q, "", MEDIA_G711_ONLY, T0, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_media_put(f->q, NULL, MEDIA_G711_ONLY, T0, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_media_put(f->q, "+491", (enum media_memory)3, T0, &f->err), QUEUE_BAD_STATE);
	assert_int_equal(queue_media_get(f->q, NULL, T0, month, &m, &f->err), QUEUE_OK);
	assert_int_equal(m, MEDIA_UNKNOWN);
}

static void test_purge_mails(void **state)
{
	struct fixture *f = *state;
	const int64_t day = 86400, now = T0 + 1000 * day;
	struct queue_purge_counts c;
	struct outbox_mail *list;
	size_t n;
	char sql[160];
	/* status, created days ago, gone after the purge */
	const struct {
		const char *status;
		int ago;
		bool gone;
	} cases[] = {
	    {"sent", 91, true},  {"failed", 90, true}, {"pending", 200, false},
	    {"sent", 89, false}, {"failed", 1, false},
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	int64_t ids[NCASES];

	for (size_t i = 0; i < NCASES; i++) {
		ids[i] = mail_add(f, "notice", 0);
		snprintf(sql, sizeof(sql), "UPDATE outbox SET status = '%s', created = %lld WHERE id = %lld",
		         cases[i].status, (long long)(now - cases[i].ago * day), (long long)ids[i]);
		raw_exec(f, sql);
	}
	assert_int_equal(queue_purge(f->q, now, 30, 90, &c, &f->err), QUEUE_OK);
	assert_int_equal(c.mails, 2);
	assert_int_equal(c.archived + c.jobs + c.inbound + c.events, 0);
	for (size_t i = 0; i < NCASES; i++) {
		struct outbox_mail m;
		enum queue_rc rc = queue_outbox_get(f->q, ids[i], &m, &f->err);
		if (rc == QUEUE_OK)
			outbox_mail_free(&m);
		if (rc != (cases[i].gone ? QUEUE_NOT_FOUND : QUEUE_OK))
			fail_msg("mail %zu (%s, %d days): rc %d", i, cases[i].status, cases[i].ago, rc);
	}
	assert_int_equal(queue_outbox_list(f->q, NULL, 0, &list, &n, &f->err), QUEUE_OK);
	assert_int_equal(n, NCASES - 2);
	outbox_list_free(list, n);
	assert_int_equal(queue_purge(f->q, now, 30, 90, &c, &f->err), QUEUE_OK);
	assert_int_equal(c.mails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_upgrade_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema_check, setup_empty, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_today, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_temp_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_required_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_per_destination, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_stress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_cancel_hold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_finish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attempts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inbound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_job_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inbound_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_fax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_claim_stress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge_mails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_media, setup, teardown),
	};
	int failed;

	log_open("test_queue", LOG_TO_STDERR, NULL);
	log_set_level(LOG_LVL_ERROR);
	current = BE_SQLITE;
	failed = cmocka_run_group_tests_name("queue on SQLite", tests, NULL, NULL);
	if (getenv("FAXGATE_TEST_PG") && *getenv("FAXGATE_TEST_PG")) {
		current = BE_PG;
		failed += cmocka_run_group_tests_name("queue on PostgreSQL", tests, NULL, NULL);
	} else {
		printf("[  SKIPPED ] queue on PostgreSQL: FAXGATE_TEST_PG is not set (tests/e2e/queue.sh "
		       "sets it)\n");
	}
	return failed ? 1 : 0;
}
