/*
 * queue_sqlite.c - the queue in an SQLite file: the embedded default for a single server.
 *
 * WAL mode, so readers (faxctl, the sender) never wait for the milter's writes; synchronous=FULL,
 * because a job is accepted mail and must survive a power cut once the MTA has been told 250;
 * busy_timeout from db_timeout, after which a locked database is a temporary failure. Write
 * transactions take the write lock at their start (BEGIN IMMEDIATE), so two writers queue up
 * instead of failing with a deadlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue/queue_store.h"
#include "util/log.h"
#include "util/xalloc.h"

struct queue_sqlite {
	struct queue base;
	sqlite3 *db;
};

struct queue_rows {
	struct queue_sqlite *q;
	sqlite3_stmt *st;
};

static sqlite3 *qs_db(struct queue *q)
{
	return ((struct queue_sqlite *)q)->db;
}

/* What an SQLite result code means for the caller. */
static enum queue_rc qs_error(sqlite3 *db, int code, const char *what, struct buf *err)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);

	if ((code & 0xff) == SQLITE_CONSTRAINT && strstr(msg, "jobs.dedupe_key")) {
		buf_puts(err, "a job with this dedupe key exists already");
		return QUEUE_DUPLICATE;
	}
	buf_printf(err, "SQLite: %s: %s", what, msg);
	if ((code & 0xff) == SQLITE_ERROR && (strstr(msg, "no such table") || strstr(msg, "no such column")))
		return QUEUE_ERR_SCHEMA;
	return QUEUE_ERR_TEMP;
}

/* mkdir -p of path's folder; the folders made are 0750: the queue holds everyone's faxes. */
static int qs_make_folder(const char *path, struct buf *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; rc == 0; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
				buf_printf(err, "cannot make folder %s: %s", dir, strerror(errno));
				rc = -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
	return rc;
}

static enum queue_rc qs_pragmas(sqlite3 *db, long timeout, struct buf *err)
{
	char *msg = NULL;
	int code;

	sqlite3_busy_timeout(db, timeout > 0 ? (int)(timeout * 1000) : 1000);
	code = sqlite3_exec(db,
	                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
	                    "PRAGMA trusted_schema = OFF",
	                    NULL, NULL, &msg);
	sqlite3_free(msg);
	return code == SQLITE_OK ? QUEUE_OK : qs_error(db, code, "setting up the connection", err);
}

static enum queue_rc qs_connect(const struct conf *c, bool create, struct queue **out, struct buf *err)
{
	const char *path = c->db_path;
	struct queue_sqlite *q;
	sqlite3 *db = NULL;
	enum queue_rc rc;
	int code, fd;

	if (!path || !*path) {
		buf_puts(err, "db_path is empty");
		return QUEUE_ERR_TEMP;
	}
	if (!create && access(path, F_OK) < 0) {
		buf_printf(err, "no database %s: %s%s", path, strerror(errno),
		           errno == ENOENT ? " (run faxctl db upgrade)" : "");
		return errno == ENOENT ? QUEUE_ERR_SCHEMA : QUEUE_ERR_TEMP;
	}
	if (create) {
		if (qs_make_folder(path, err) < 0)
			return QUEUE_ERR_TEMP;
		/* Made here so the file (and SQLite's -wal and -shm beside it, which copy its mode) is
		 * private. */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0) {
			buf_printf(err, "cannot create %s: %s", path, strerror(errno));
			return QUEUE_ERR_TEMP;
		}
		close(fd);
	}
	code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (code != SQLITE_OK) {
		rc = qs_error(db, code, path, err);
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 1);
	rc = qs_pragmas(db, c->db_timeout, err);
	if (rc != QUEUE_OK) {
		sqlite3_close(db);
		return rc;
	}
	q = xcalloc(1, sizeof(*q));
	q->base.ops = &queue_sqlite_ops;
	q->db = db;
	*out = &q->base;
	return QUEUE_OK;
}

static void qs_disconnect(struct queue *q)
{
	sqlite3_close(qs_db(q));
	free(q);
}

static enum queue_rc qs_script(struct queue *q, const char *sql, struct buf *err)
{
	char *msg = NULL;
	int code = sqlite3_exec(qs_db(q), sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	return code == SQLITE_OK ? QUEUE_OK : qs_error(qs_db(q), code, "migration", err);
}

/* The shared SQL numbers its parameters $1, $2...; SQLite reads $1 as a name, so they become ?1, ?2. */
static char *qs_sql(const char *sql)
{
	char *s = xstrdup(sql);

	for (char *p = s; *p; p++)
		if (*p == '$' && p[1] >= '0' && p[1] <= '9')
			*p = '?';
	return s;
}

static enum queue_rc qs_query(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                              struct queue_rows **rows, struct buf *err)
{
	sqlite3 *db = qs_db(q);
	sqlite3_stmt *st = NULL;
	char *text = qs_sql(sql);
	int code = sqlite3_prepare_v2(db, text, -1, &st, NULL);

	free(text);
	*rows = NULL;
	if (code != SQLITE_OK)
		return qs_error(db, code, "preparing a statement", err);
	for (size_t i = 0; code == SQLITE_OK && i < np; i++) {
		int k = (int)i + 1;
		switch (p[i].type) {
		case QP_NULL:
			code = sqlite3_bind_null(st, k);
			break;
		case QP_INT:
			code = sqlite3_bind_int64(st, k, p[i].i);
			break;
		case QP_TEXT:
			code = sqlite3_bind_text(st, k, p[i].s, -1, SQLITE_STATIC);
			break;
		case QP_BLOB:
			/* a zero-length blob, not NULL, even when the pointer is NULL */
			code = p[i].len ? sqlite3_bind_blob64(st, k, p[i].blob, p[i].len, SQLITE_STATIC)
			                : sqlite3_bind_zeroblob(st, k, 0);
			break;
		}
	}
	if (code != SQLITE_OK) {
		enum queue_rc rc = qs_error(db, code, "binding parameters", err);
		sqlite3_finalize(st);
		return rc;
	}
	*rows = xmalloc(sizeof(**rows));
	(*rows)->q = (struct queue_sqlite *)q;
	(*rows)->st = st;
	return QUEUE_OK;
}

static enum queue_rc qs_step(struct queue_rows *r, bool *row, struct buf *err)
{
	int code = sqlite3_step(r->st);

	*row = code == SQLITE_ROW;
	if (code == SQLITE_ROW || code == SQLITE_DONE)
		return QUEUE_OK;
	return qs_error(r->q->db, code, "running a statement", err);
}

static bool qs_col_null(struct queue_rows *r, int col)
{
	return sqlite3_column_type(r->st, col) == SQLITE_NULL;
}

static int64_t qs_col_int(struct queue_rows *r, int col)
{
	return sqlite3_column_int64(r->st, col);
}

static const char *qs_col_text(struct queue_rows *r, int col)
{
	return (const char *)sqlite3_column_text(r->st, col);
}

static const void *qs_col_blob(struct queue_rows *r, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(r->st, col);

	*len = (size_t)sqlite3_column_bytes(r->st, col);
	return p;
}

static void qs_rows_free(struct queue_rows *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->st);
	free(r);
}

static enum queue_rc qs_begin(struct queue *q, struct buf *err)
{
	int code = sqlite3_exec(qs_db(q), "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return code == SQLITE_OK ? QUEUE_OK : qs_error(qs_db(q), code, "starting a transaction", err);
}

static void qs_rollback(struct queue *q)
{
	/* SQLite may have rolled back already (after a full disk, say); then there is nothing to do. */
	if (!sqlite3_get_autocommit(qs_db(q)))
		sqlite3_exec(qs_db(q), "ROLLBACK", NULL, NULL, NULL);
}

static enum queue_rc qs_commit(struct queue *q, struct buf *err)
{
	int code = sqlite3_exec(qs_db(q), "COMMIT", NULL, NULL, NULL);

	if (code == SQLITE_OK)
		return QUEUE_OK;
	enum queue_rc rc = qs_error(qs_db(q), code, "committing", err);
	qs_rollback(q);
	return rc;
}

static enum queue_rc qs_lock_schema(struct queue *q, struct buf *err)
{
	(void)q;
	(void)err;
	return QUEUE_OK; /* BEGIN IMMEDIATE holds the database's only write lock already */
}

static enum queue_rc qs_lock_claims(struct queue *q, struct buf *err)
{
	(void)q;
	(void)err;
	return QUEUE_OK; /* BEGIN IMMEDIATE: claims take turns on the database's only write lock */
}

static enum queue_rc qs_has_table(struct queue *q, const char *table, bool *yes, struct buf *err)
{
	struct qparam p[] = {QP_S(table)};
	int64_t n;
	enum queue_rc rc = queue_query_int(
	    q, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1", p, 1, &n, err);

	*yes = n > 0;
	return rc;
}

const struct queue_ops queue_sqlite_ops = {
    .name = "sqlite",
    .migrations = queue_migrations_sqlite,
    .connect = qs_connect,
    .disconnect = qs_disconnect,
    .script = qs_script,
    .query = qs_query,
    .step = qs_step,
    .col_null = qs_col_null,
    .col_int = qs_col_int,
    .col_text = qs_col_text,
    .col_blob = qs_col_blob,
    .rows_free = qs_rows_free,
    .begin = qs_begin,
    .commit = qs_commit,
    .rollback = qs_rollback,
    .lock_schema = qs_lock_schema,
    .has_table = qs_has_table,
    .lock_claims = qs_lock_claims,
    .claim_row_lock = "",
};
