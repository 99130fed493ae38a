/*
 * queue_store.h - what a queue store (SQLite, PostgreSQL) provides to the generic queue code.
 *
 * The generic code (queue.c, queue_jobs.c, migrate.c) holds all the SQL that both stores share,
 * written with $1, $2... parameters (the SQLite store renames them ?1, ?2, so no $ may stand in its
 * string literals). A store only connects, runs one statement with typed parameters, steps through
 * its rows, and maps its errors to a queue_rc. Internal to lib/queue.
 */
#ifndef FAXGATE_QUEUE_QUEUE_STORE_H
#define FAXGATE_QUEUE_QUEUE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"

enum qparam_type { QP_NULL, QP_INT, QP_TEXT, QP_BLOB };

struct qparam {
	enum qparam_type type;
	int64_t i;
	const char *s; /* QP_TEXT: NUL-terminated */
	const void *blob;
	size_t len;
};

static inline struct qparam QP_I(int64_t v) {
	return (struct qparam){.type = QP_INT, .i = v};
}

/* NULL is SQL NULL. */
static inline struct qparam
QP_S(const char *s) {
	return (struct qparam){.type = s ? QP_TEXT : QP_NULL, .s = s};
}

static inline struct qparam
QP_B(const void *p, size_t len) {
	return (struct qparam){.type = QP_BLOB, .blob = p, .len = len};
}

/* One migration: schema/<driver>/NNN_name.sql, embedded at build time (schema/embed). */
struct queue_migration {
	int version;
	const char *name;
	const char *sql;
};

/* The generated tables, each ended by an entry with version 0. */
extern const struct queue_migration queue_migrations_sqlite[];
extern const struct queue_migration queue_migrations_postgresql[];

struct queue_rows; /* a statement's result, owned by the store */

struct queue_ops {
	const char *name;
	const struct queue_migration *migrations;
	/* Connect; create says the database may be made (faxctl db upgrade). */
	enum queue_rc (*connect)(const struct conf *c, bool create, struct queue **q, struct buf *err);
	void (*disconnect)(struct queue *q);
	/* Run a script of several statements without parameters (a migration). */
	enum queue_rc (*script)(struct queue *q, const char *sql, struct buf *err);
	/* Run one statement; *rows is positioned before its first row (free with rows_free). */
	enum queue_rc (*query)(struct queue *q, const char *sql, const struct qparam *p, size_t np,
	                       struct queue_rows **rows, struct buf *err);
	/* Move to the next row: *row false at the end. */
	enum queue_rc (*step)(struct queue_rows *r, bool *row, struct buf *err);
	bool (*col_null)(struct queue_rows *r, int col);
	int64_t (*col_int)(struct queue_rows *r, int col);
	const char *(*col_text)(struct queue_rows *r, int col); /* NULL for SQL NULL */
	const void *(*col_blob)(struct queue_rows *r, int col, size_t *len);
	void (*rows_free)(struct queue_rows *r);
	/* Transactions that write: SQLite takes the write lock at once (BEGIN IMMEDIATE). */
	enum queue_rc (*begin)(struct queue *q, struct buf *err);
	enum queue_rc (*commit)(struct queue *q, struct buf *err);
	void (*rollback)(struct queue *q);
	/* Inside a transaction: keep other upgrades out until it ends. */
	enum queue_rc (*lock_schema)(struct queue *q, struct buf *err);
	/* Whether a table exists (the schema_version table tells whether there is a schema). */
	enum queue_rc (*has_table)(struct queue *q, const char *table, bool *yes, struct buf *err);
	/* Inside a transaction: keep other claims out until it ends (queue_claim). */
	enum queue_rc (*lock_claims)(struct queue *q, struct buf *err);
	/* Appended to the SELECT that picks a job to claim: lock the row, pass rows others lock. */
	const char *claim_row_lock;
};

/* Every store's connection starts with this (the store's own fields follow). */
struct queue {
	const struct queue_ops *ops;
	bool in_tx;       /* a transaction of the caller's is open */
	char server[128]; /* queue_server_name */
};

extern const struct queue_ops queue_sqlite_ops;
extern const struct queue_ops queue_pg_ops;

/* Run a statement and drop its rows. */
enum queue_rc queue_exec(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                         struct buf *err);
/* Run a DELETE or UPDATE ... RETURNING and count the rows it returned. */
enum queue_rc queue_exec_count(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                               long *count, struct buf *err);
/* Run a statement that yields one integer (first column of the first row; 0 when no row). */
enum queue_rc queue_query_int(struct queue *q, const char *sql, const struct qparam *p, size_t np, int64_t *v,
                              struct buf *err);
/* Run a statement that yields a row when it did something (UPDATE ... RETURNING): *changed says so. */
enum queue_rc queue_exec_changed(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                                 bool *changed, struct buf *err);
/*
 * Text from outside (mail, the telephone network) as valid UTF-8: s itself, or a copy kept in tmp
 * with invalid bytes as U+FFFD (PostgreSQL refuses them, and both stores must keep the same text).
 */
const char *queue_text(const char *s, struct buf *tmp);
/* A text column as a malloc'd string, NULL for SQL NULL. */
char *queue_col_strdup(struct queue *q, struct queue_rows *r, int col);
/* Begin a transaction unless the caller has one open (*own says whether it was begun here). */
enum queue_rc queue_begin_own(struct queue *q, bool *own, struct buf *err);
/* End what queue_begin_own began: commit when rc is QUEUE_OK, else roll back; returns the outcome. */
enum queue_rc queue_end_own(struct queue *q, bool own, enum queue_rc rc, struct buf *err);
/* Read the current row into item; on failure it leaves item empty (nothing to free). */
typedef enum queue_rc (*queue_row_read)(struct queue *q, struct queue_rows *r, void *item, struct buf *err);
/*
 * Run a SELECT and read its first row into item: QUEUE_NOT_FOUND (err untouched, item as it was)
 * when there is none. On a failure of read, item is left as read made it.
 */
enum queue_rc queue_read_one(struct queue *q, const char *sql, const struct qparam *p, size_t np, void *item,
                             queue_row_read read, struct buf *err);
/*
 * Run a SELECT and read its rows into a new array of items of size bytes (*out, *n). On failure
 * the items read so far are freed with free_item, and *out is NULL, *n 0.
 */
enum queue_rc queue_read_list(struct queue *q, const char *sql, const struct qparam *p, size_t np,
                              size_t size, queue_row_read read, void (*free_item)(void *item), void **out,
                              size_t *n, struct buf *err);
/* The columns of job_fields, in its order, for SELECT. */
#define JOB_COLUMNS                                                                                          \
	"id, created, sender, auth_user, client_addr, number, dial, rcpt_addr, rcpt_name, rcpt_company, "    \
	"subaddress, subject, pages, resolution, paper, priority, send_after, status, reason_code, reason, " \
	"attempts, next_attempt, lease_owner, lease_expiry, notify, orcpt, message_id, dedupe_key, "         \
	"pages_done, finished, archived, headers, notice"
/* Read a row of JOB_COLUMNS into a struct job (a queue_row_read). */
enum queue_rc queue_job_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err);
/* job_free for queue_read_list. */
void queue_job_free_item(void *item);
/* Store a job's pages as seq 1, 2... (the job has none yet). */
enum queue_rc queue_pages_insert(struct queue *q, int64_t id, const struct fax_page_list *pages,
                                 struct buf *err);
/* Connect with the configured store; create as in queue_ops.connect. */
enum queue_rc queue_connect(const struct conf *c, bool create, struct queue **q, struct buf *err);
/* The newest version the program knows for q's store. */
int queue_want_version(const struct queue *q);
/* The version of q's schema: 0 when there is none. */
enum queue_rc queue_have_version(struct queue *q, int *have, struct buf *err);

#endif
