/*
 * queue.c - the queue's generic part: status and action names, freeing jobs, opening the
 * configured store and checking its schema, transactions.
 */
#include "queue/queue.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue/queue_store.h"
#include "render/charset.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const queue_status_names[JOB_STATUS_COUNT] = {
    [JOB_QUEUED] = "queued", [JOB_SENDING] = "sending",     [JOB_SENT] = "sent",
    [JOB_FAILED] = "failed", [JOB_CANCELLED] = "cancelled", [JOB_HELD] = "held",
};

#define F(t, f)                                                                                              \
	{                                                                                                    \
#f, JOB_FIELD_##t, offsetof(struct job, f)                                                   \
	}
const struct job_field job_fields[] = {
    F(INT64, id),         F(TIME, created),      F(TEXT, sender),      F(TEXT, auth_user),
    F(TEXT, client_addr), F(TEXT, number),       F(TEXT, dial),        F(TEXT, rcpt_addr),
    F(TEXT, rcpt_name),   F(TEXT, rcpt_company), F(TEXT, subaddress),  F(TEXT, subject),
    F(INT, pages),        F(INT, resolution),    F(INT, paper),        F(INT, priority),
    F(TIME, send_after),  F(STATUS, status),     F(TEXT, reason_code), F(TEXT, reason),
    F(INT, attempts),     F(TIME, next_attempt), F(TEXT, lease_owner), F(TIME, lease_expiry),
    F(TEXT, notify),      F(TEXT, orcpt),        F(TEXT, message_id),  F(TEXT, dedupe_key),
    F(INT, pages_done),   F(TIME, finished),     F(BOOL, archived),    F(TEXT, headers),
    F(INT, notice),       {NULL, 0, 0},
};

const char *queue_status_name(enum job_status s)
{
	return (unsigned)s < JOB_STATUS_COUNT ? queue_status_names[s] : "unknown";
}

int queue_status_parse(const char *name)
{
	for (int i = 0; name && i < JOB_STATUS_COUNT; i++)
		if (strcmp(name, queue_status_names[i]) == 0)
			return i;
	return -1;
}

const char *queue_action_name(enum queue_action a)
{
	switch (a) {
	case QUEUE_CANCEL:
		return "cancel";
	case QUEUE_HOLD:
		return "hold";
	case QUEUE_RELEASE:
		return "release";
	case QUEUE_RETRY:
		return "retry";
	}
	return "unknown";
}

void job_free(struct job *j)
{
	for (const struct job_field *f = job_fields; f->name; f++) {
		if (f->type == JOB_FIELD_TEXT) {
			char **s = (char **)((char *)j + f->offset);
			free(*s);
			*s = NULL;
		}
	}
}

void job_list_free(struct job *jobs, size_t n)
{
	for (size_t i = 0; jobs && i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
}

enum queue_rc queue_connect(const struct conf *c, bool create, struct queue **q, struct buf *err)
{
	const struct queue_ops *ops = c->db_driver == CONF_DB_POSTGRESQL ? &queue_pg_ops : &queue_sqlite_ops;
	enum queue_rc rc;

	*q = NULL;
	rc = ops->connect(c, create, q, err);
	if (rc != QUEUE_OK)
		return rc;
	if (c->faxd_name && *c->faxd_name)
		snprintf((*q)->server, sizeof((*q)->server), "%s", c->faxd_name);
	else if (gethostname((*q)->server, sizeof((*q)->server) - 1) < 0 || !(*q)->server[0])
		snprintf((*q)->server, sizeof((*q)->server), "localhost");
	return QUEUE_OK;
}

const char *queue_server_name(const struct queue *q)
{
	return q->server;
}

int queue_want_version(const struct queue *q)
{
	int v = 0;

	for (const struct queue_migration *m = q->ops->migrations; m->version; m++)
		v = m->version;
	return v;
}

enum queue_rc queue_have_version(struct queue *q, int *have, struct buf *err)
{
	enum queue_rc rc;
	bool yes;
	int64_t v = 0;

	*have = 0;
	rc = q->ops->has_table(q, "schema_version", &yes, err);
	if (rc != QUEUE_OK || !yes)
		return rc;
	rc = queue_query_int(q, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, 0, &v, err);
	*have = (int)v;
	return rc;
}

enum queue_rc queue_open(const struct conf *conf, struct queue **q, struct buf *err)
{
	enum queue_rc rc;
	int have, want;

	rc = queue_connect(conf, false, q, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = queue_schema_version(*q, &have, &want, err);
	if (rc == QUEUE_OK && have != want) {
		if (have < want)
			buf_printf(err,
			           "the database's schema is version %d, this program needs %d: run faxctl "
			           "db upgrade",
			           have, want);
		else
			buf_printf(err,
			           "the database's schema is version %d, newer than this program's %d: "
			           "upgrade faxgate",
			           have, want);
		rc = QUEUE_ERR_SCHEMA;
	}
	if (rc != QUEUE_OK) {
		queue_close(*q);
		*q = NULL;
	}
	return rc;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->in_tx)
		queue_rollback(q);
	q->ops->disconnect(q);
}

enum queue_rc queue_schema_version(struct queue *q, int *have, int *want, struct buf *err)
{
	*want = queue_want_version(q);
	return queue_have_version(q, have, err);
}

enum queue_rc queue_db_version(const struct conf *conf, int *have, int *want, struct buf *err)
{
	struct queue *q;
	enum queue_rc rc;

	*have = *want = 0;
	rc = queue_connect(conf, false, &q, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = queue_schema_version(q, have, want, err);
	queue_close(q);
	return rc;
}

enum queue_rc queue_begin(struct queue *q, struct buf *err)
{
	enum queue_rc rc;

	if (q->in_tx) {
		buf_puts(err, "a transaction is open already");
		log_error("queue: a transaction is open already");
		return QUEUE_ERR_TEMP;
	}
	rc = q->ops->begin(q, err);
	q->in_tx = rc == QUEUE_OK;
	return rc;
}

enum queue_rc queue_commit(struct queue *q, struct buf *err)
{
	if (!q->in_tx) {
		buf_puts(err, "no transaction is open");
		log_error("queue: commit without a transaction");
		return QUEUE_ERR_TEMP;
	}
	q->in_tx = false;
	return q->ops->commit(q, err);
}

void queue_rollback(struct queue *q)
{
	if (!q->in_tx)
		return;
	q->in_tx = false;
	q->ops->rollback(q);
}

enum queue_rc queue_exec(struct queue *q, const char *sql, const struct qparam *p, size_t np, struct buf *err)
{
	long rows;

	return queue_exec_count(q, sql, p, np, &rows, err);
}

enum queue_rc queue_exec_changed(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                                 bool *changed, struct buf *err)
{
	struct queue_rows *r;
	enum queue_rc rc;

	*changed = false;
	rc = q->ops->query(q, sql, p, np, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = q->ops->step(r, changed, err);
	q->ops->rows_free(r);
	return rc;
}

enum queue_rc queue_read_one(struct queue *q, const char *sql, const struct qparam *p, size_t np, void *item,
                             queue_row_read read, struct buf *err)
{
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = false;

	rc = q->ops->query(q, sql, p, np, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = q->ops->step(r, &row, err);
	if (rc == QUEUE_OK && row)
		rc = read(q, r, item, err);
	q->ops->rows_free(r);
	return rc == QUEUE_OK && !row ? QUEUE_NOT_FOUND : rc;
}

enum queue_rc queue_read_list(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                              size_t size, queue_row_read read, void (*free_item)(void *item), void **out,
                              size_t *n, struct buf *err)
{
	struct queue_rows *r;
	enum queue_rc rc;
	size_t cap = 0;
	bool row;

	*out = NULL;
	*n = 0;
	rc = q->ops->query(q, sql, p, np, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	while ((rc = q->ops->step(r, &row, err)) == QUEUE_OK && row) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, size);
		}
		rc = read(q, r, (char *)*out + *n * size, err);
		if (rc != QUEUE_OK)
			break;
		(*n)++;
	}
	q->ops->rows_free(r);
	if (rc != QUEUE_OK) {
		for (size_t i = 0; i < *n; i++)
			free_item((char *)*out + i * size);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

const char *queue_text(const char *s, struct buf *tmp)
{
	if (!s)
		return NULL;
	buf_reset(tmp);
	if (charset_decode(s, strlen(s), "UTF-8", tmp) == 0)
		return s;
	return buf_cstr(tmp);
}

char *queue_col_strdup(struct queue *q, struct queue_rows *r, int col)
{
	const char *s = q->ops->col_text(r, col);

	return s ? xstrdup(s) : NULL;
}

enum queue_rc queue_begin_own(struct queue *q, bool *own, struct buf *err)
{
	*own = !q->in_tx;
	return *own ? queue_begin(q, err) : QUEUE_OK;
}

enum queue_rc queue_end_own(struct queue *q, bool own, enum queue_rc rc, struct buf *err)
{
	if (!own)
		return rc;
	if (rc == QUEUE_OK)
		return queue_commit(q, err);
	queue_rollback(q);
	return rc;
}

enum queue_rc queue_exec_count(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                               long *count, struct buf *err)
{
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = true;

	*count = 0;
	rc = q->ops->query(q, sql, p, np, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	while ((rc = q->ops->step(r, &row, err)) == QUEUE_OK && row)
		(*count)++;
	q->ops->rows_free(r);
	return rc;
}

enum queue_rc queue_query_int(struct queue *q, const char *sql, const struct qparam *p, size_t np, int64_t *v,
                              struct buf *err)
{
	struct queue_rows *r;
	enum queue_rc rc;
	bool row;

	*v = 0;
	rc = q->ops->query(q, sql, p, np, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = q->ops->step(r, &row, err);
	if (rc == QUEUE_OK && row && !q->ops->col_null(r, 0))
		*v = q->ops->col_int(r, 0);
	q->ops->rows_free(r);
	return rc;
}
