/*
 * test_queue.c - the job queue, the same cases against both stores: SQLite (a file in a scratch
 * folder) and PostgreSQL when FAXGATE_TEST_PG holds a conninfo (tests/e2e/pg.sh starts one); the
 * PostgreSQL cases are skipped, saying so, otherwise. The PostgreSQL database is emptied (its queue
 * tables dropped) before every case.
 *
 * Covered: upgrade twice, schema checks, jobs and pages round trip byte for byte, dedupe keys,
 * transactions, every admin action from every status, pages today, temporary failures (locked
 * database, unreachable server, lost connection) and hostile text stored as it came.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "queue/queue.h"
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
		raw_exec(f, "DROP TABLE IF EXISTS pages, jobs, schema_version CASCADE");
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
	char sql[160];

	snprintf(sql, sizeof(sql),
	         "UPDATE jobs SET status = '%s', attempts = 3, lease_owner = 'fax1', "
	         "lease_expiry = 99, next_attempt = 1700000000 WHERE id = %lld",
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
	    [JOB_SENDING] = {JOB_CANCELLED, -1, -1, -1},
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
