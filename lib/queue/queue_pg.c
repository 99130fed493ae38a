/*
 * queue_pg.c - the queue in a PostgreSQL database (libpq), for sites with a database server and,
 * later, several fax servers on one queue.
 *
 * Results come in binary form, so pages (bytea) arrive as they are, without hex. Error messages
 * never quote db_conninfo: it may hold a password, and every message that could carry it is
 * scrubbed. A lost connection is reset once and the statement tried again, unless a transaction
 * was open (its work is gone, so the caller must start again). lock_timeout is db_timeout, so a
 * locked row is a temporary failure rather than a hang.
 */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_store.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Type OIDs of the columns the queue reads (pg_type.h is not part of libpq's headers). */
#define PG_OID_BOOL  16
#define PG_OID_BYTEA 17
#define PG_OID_INT8  20
#define PG_OID_INT2  21
#define PG_OID_INT4  23

/* Any fixed numbers: the keys of the advisory locks that serialise schema upgrades and claims. */
#define PG_SCHEMA_LOCK 0x66617867 /* "faxg" */
#define PG_CLAIM_LOCK  0x6661786c /* "faxl" */

struct queue_pg {
	struct queue base;
	PGconn *conn;
	char *password; /* from db_conninfo, to scrub from messages; NULL when none */
};

struct queue_rows {
	PGresult *res;
	int row, rows;
};

static struct queue_pg *qp_of(struct queue *q)
{
	return (struct queue_pg *)q;
}

/* Append msg to err with the password (if any) replaced, and without libpq's trailing newline. */
static void qp_put_message(struct buf *err, const char *msg, const char *password)
{
	size_t len = strlen(msg), plen = password ? strlen(password) : 0;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < len;) {
		if (plen && i + plen <= len && memcmp(msg + i, password, plen) == 0) {
			buf_puts(err, "***");
			i += plen;
		} else if (msg[i] == '\n' || msg[i] == '\t') {
			/* one line for the log: libpq continues its messages on indented lines */
			if (err->len && err->data[err->len - 1] != ' ')
				buf_putc(err, ' ');
			i++;
		} else {
			buf_putc(err, msg[i++]);
		}
	}
}

static void qp_notice(void *arg, const char *msg)
{
	struct buf b = BUF_INIT;

	qp_put_message(&b, msg, arg);
	log_debug("queue: PostgreSQL: %s", buf_cstr(&b));
	buf_free(&b);
}

/* The result of a failed statement as a queue_rc, with the server's words in err. */
static enum queue_rc qp_error(struct queue_pg *q, const PGresult *res, const char *what, struct buf *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	if (state && strcmp(state, "23505") == 0 && constraint &&
	    strcmp(constraint, "jobs_dedupe_key_key") == 0) {
		buf_puts(err, "a job with this dedupe key exists already");
		return QUEUE_DUPLICATE;
	}
	buf_printf(err, "PostgreSQL: %s: ", what);
	qp_put_message(err, msg ? msg : PQerrorMessage(q->conn), q->password);
	if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0))
		return QUEUE_ERR_SCHEMA; /* undefined table or column */
	return QUEUE_ERR_TEMP;
}

/* The password in a connection string, found the way libpq finds it; -1 if the string is malformed. */
static int qp_password(const char *conninfo, char **password)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);

	*password = NULL;
	if (!opts)
		return -1;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			*password = xstrdup(o->val);
	PQconninfoFree(opts);
	return 0;
}

static enum queue_rc qp_connect(const struct conf *c, bool create, struct queue **out, struct buf *err)
{
	char timeout[24];
	struct queue_pg *q;

	(void)create; /* the database is the admin's to make (docs/queue.md) */
	q = xcalloc(1, sizeof(*q));
	q->base.ops = &queue_pg_ops;
	if (qp_password(c->db_conninfo ? c->db_conninfo : "", &q->password) < 0) {
		/* libpq's complaint would quote the string, password and all */
		buf_puts(err, "db_conninfo is not a valid libpq connection string");
		free(q);
		return QUEUE_ERR_TEMP;
	}
	snprintf(timeout, sizeof(timeout), "%ld", c->db_timeout > 0 ? c->db_timeout : 10);
	/* dbname is expanded as the whole connection string; the keys after it win over its own. */
	const char *const keys[] = {"fallback_application_name", "dbname", "connect_timeout",
	                            "client_encoding", NULL};
	const char *const values[] = {"faxgate", c->db_conninfo ? c->db_conninfo : "", timeout, "UTF8", NULL};
	q->conn = PQconnectdbParams(keys, values, 1);
	if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
		buf_puts(err, "cannot connect to PostgreSQL: ");
		qp_put_message(err, q->conn ? PQerrorMessage(q->conn) : "out of memory", q->password);
		queue_pg_ops.disconnect(&q->base);
		return QUEUE_ERR_TEMP;
	}
	PQsetNoticeProcessor(q->conn, qp_notice, q->password);
	char ms[32];
	snprintf(ms, sizeof(ms), "%ld", (c->db_timeout > 0 ? c->db_timeout : 10) * 1000);
	struct qparam p[] = {QP_S(ms)};
	enum queue_rc rc = queue_exec(&q->base, "SELECT set_config('lock_timeout', $1, false)", p, 1, err);
	if (rc != QUEUE_OK) {
		queue_pg_ops.disconnect(&q->base);
		return rc;
	}
	*out = &q->base;
	return QUEUE_OK;
}

static void qp_disconnect(struct queue *base)
{
	struct queue_pg *q = qp_of(base);

	PQfinish(q->conn);
	if (q->password)
		explicit_bzero(q->password, strlen(q->password));
	free(q->password);
	free(q);
}

/*
 * Run sql and return its result, or NULL with the reason in err. A connection found broken is
 * reset and the statement tried once more, unless it was inside a transaction.
 */
static PGresult *qp_run(struct queue *base, const char *sql, const struct qparam *p, size_t np,
                        enum queue_rc *rc, struct buf *err)
{
	struct queue_pg *q = qp_of(base);
	const char **values = xcalloc(np + 1, sizeof(*values));
	int *lengths = xcalloc(np + 1, sizeof(*lengths)), *formats = xcalloc(np + 1, sizeof(*formats));
	Oid *types = xcalloc(np + 1, sizeof(*types));
	char(*ints)[24] = xcalloc(np + 1, sizeof(*ints));
	PGresult *res = NULL;

	for (size_t i = 0; i < np; i++) {
		switch (p[i].type) {
		case QP_NULL:
			break;
		case QP_INT:
			snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)p[i].i);
			values[i] = ints[i];
			break;
		case QP_TEXT:
			values[i] = p[i].s;
			break;
		case QP_BLOB:
			values[i] = p[i].len ? p[i].blob : "";
			lengths[i] = (int)p[i].len;
			formats[i] = 1;
			types[i] = PG_OID_BYTEA;
			break;
		}
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (PQstatus(q->conn) != CONNECTION_OK) {
			if (base->in_tx)
				break;
			PQreset(q->conn);
		}
		PQclear(res);
		res = PQexecParams(q->conn, sql, (int)np, types, values, lengths, formats, 1);
		if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
			*rc = QUEUE_OK;
			goto done;
		}
		if (PQstatus(q->conn) == CONNECTION_OK)
			break; /* the server answered: trying again would not help */
	}
	*rc = qp_error(q, res, "statement failed", err);
	PQclear(res);
	res = NULL;
done:
	free(values);
	free(lengths);
	free(formats);
	free(types);
	free(ints);
	return res;
}

static enum queue_rc qp_script(struct queue *base, const char *sql, struct buf *err)
{
	struct queue_pg *q = qp_of(base);
	PGresult *res = PQexec(q->conn, sql);
	enum queue_rc rc = QUEUE_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = qp_error(q, res, "migration", err);
	PQclear(res);
	return rc;
}

static enum queue_rc qp_query(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                              struct queue_rows **rows, struct buf *err)
{
	enum queue_rc rc;
	PGresult *res = qp_run(q, sql, p, np, &rc, err);

	*rows = NULL;
	if (!res)
		return rc;
	*rows = xmalloc(sizeof(**rows));
	(*rows)->res = res;
	(*rows)->row = -1;
	(*rows)->rows = PQntuples(res);
	return QUEUE_OK;
}

static enum queue_rc qp_step(struct queue_rows *r, bool *row, struct buf *err)
{
	(void)err;
	if (r->row < r->rows)
		r->row++;
	*row = r->row < r->rows;
	return QUEUE_OK;
}

static bool qp_col_null(struct queue_rows *r, int col)
{
	return PQgetisnull(r->res, r->row, col);
}

static int64_t qp_col_int(struct queue_rows *r, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r->res, r->row, col);
	int len = PQgetlength(r->res, r->row, col);
	uint64_t x = 0;

	if (PQgetisnull(r->res, r->row, col))
		return 0;
	switch (PQftype(r->res, col)) {
	case PG_OID_BOOL:
		return len == 1 && v[0] != 0;
	case PG_OID_INT2:
	case PG_OID_INT4:
	case PG_OID_INT8:
		/* network byte order, two's complement: sign-extend from the field's width */
		for (int i = 0; i < len; i++)
			x = (x << 8) | v[i];
		if (len > 0 && len < 8 && (v[0] & 0x80))
			x |= ~(uint64_t)0 << (8 * len);
		return (int64_t)x;
	default:
		log_error("queue: PostgreSQL column %d is not an integer (type %u)", col,
		          PQftype(r->res, col));
		return 0;
	}
}

static const char *qp_col_text(struct queue_rows *r, int col)
{
	/* text and varchar travel as their bytes in binary form, and libpq ends every value with a NUL */
	return PQgetisnull(r->res, r->row, col) ? NULL : PQgetvalue(r->res, r->row, col);
}

static const void *qp_col_blob(struct queue_rows *r, int col, size_t *len)
{
	*len = (size_t)PQgetlength(r->res, r->row, col);
	return PQgetvalue(r->res, r->row, col);
}

static void qp_rows_free(struct queue_rows *r)
{
	if (!r)
		return;
	PQclear(r->res);
	free(r);
}

static enum queue_rc qp_begin(struct queue *q, struct buf *err)
{
	return queue_exec(q, "BEGIN", NULL, 0, err);
}

static enum queue_rc qp_commit(struct queue *base, struct buf *err)
{
	struct queue_pg *q = qp_of(base);
	PGresult *res = PQexec(q->conn, "COMMIT");
	enum queue_rc rc = QUEUE_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = qp_error(q, res, "commit failed", err);
	} else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		/* COMMIT of a transaction that had failed: the server rolled it back instead */
		buf_puts(err, "PostgreSQL: the transaction had failed and was rolled back");
		rc = QUEUE_ERR_TEMP;
	}
	PQclear(res);
	return rc;
}

static void qp_rollback(struct queue *base)
{
	struct queue_pg *q = qp_of(base);

	if (PQstatus(q->conn) == CONNECTION_OK)
		PQclear(PQexec(q->conn, "ROLLBACK"));
}

static enum queue_rc qp_lock_schema(struct queue *q, struct buf *err)
{
	struct qparam p[] = {QP_I(PG_SCHEMA_LOCK)};

	return queue_exec(q, "SELECT pg_advisory_xact_lock($1)", p, 1, err);
}

/*
 * Claims take turns, everywhere: the per-number limit counts jobs being sent, and two claims that
 * ran side by side could each see room for one more call to the same number. A claim holds this
 * lock for a few milliseconds, so servers queue up for it far faster than they can dial.
 */
static enum queue_rc qp_lock_claims(struct queue *q, struct buf *err)
{
	struct qparam p[] = {QP_I(PG_CLAIM_LOCK)};

	return queue_exec(q, "SELECT pg_advisory_xact_lock($1)", p, 1, err);
}

static enum queue_rc qp_has_table(struct queue *q, const char *table, bool *yes, struct buf *err)
{
	struct qparam p[] = {QP_S(table)};
	int64_t n;
	enum queue_rc rc = queue_query_int(q,
	                                   "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = "
	                                   "current_schema() AND tablename = $1",
	                                   p, 1, &n, err);

	*yes = n > 0;
	return rc;
}

const struct queue_ops queue_pg_ops = {
    .name = "postgresql",
    .migrations = queue_migrations_postgresql,
    .connect = qp_connect,
    .disconnect = qp_disconnect,
    .script = qp_script,
    .query = qp_query,
    .step = qp_step,
    .col_null = qp_col_null,
    .col_int = qp_col_int,
    .col_text = qp_col_text,
    .col_blob = qp_col_blob,
    .rows_free = qp_rows_free,
    .begin = qp_begin,
    .commit = qp_commit,
    .rollback = qp_rollback,
    .lock_schema = qp_lock_schema,
    .has_table = qp_has_table,
    .lock_claims = qp_lock_claims,
    .claim_row_lock = " FOR UPDATE SKIP LOCKED",
};
