/*
 * queue.h - the job queue: one interface, two stores (SQLite and PostgreSQL).
 *
 * A job is one fax to one number, with its rendered pages stored beside it in the database, so any
 * server can send any job and a database backup holds everything. A job is owned through a lease
 * (owner + expiry) taken in the database, never through a process's memory. Every function
 * returns a queue_rc; QUEUE_ERR_TEMP means the database could not be used (down, locked, full) and
 * the caller should try again later; nothing is ever half-stored.
 */
#ifndef FAXGATE_QUEUE_QUEUE_H
#define FAXGATE_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "render/mmr.h"
#include "util/buf.h"

enum queue_rc {
	QUEUE_OK = 0,
	QUEUE_NOT_FOUND,  /* no such job */
	QUEUE_DUPLICATE,  /* a job with this dedupe key exists already (not an error for the milter) */
	QUEUE_BAD_STATE,  /* the action does not apply to the job's status (e.g. cancel a sent job) */
	QUEUE_ERR_TEMP,   /* database unreachable, locked, full: try again later */
	QUEUE_ERR_SCHEMA, /* the database has no schema or an older one: run faxctl db upgrade */
};

/* Order is stored in the database as these names (queue_status_name), never as numbers. */
enum job_status { JOB_QUEUED, JOB_SENDING, JOB_SENT, JOB_FAILED, JOB_CANCELLED, JOB_HELD, JOB_STATUS_COUNT };

struct job {
	int64_t id;
	int64_t created;   /* unix seconds */
	char *sender;      /* envelope sender */
	char *auth_user;   /* SMTP AUTH login, or NULL */
	char *client_addr; /* the SMTP client's IP address */
	char *number;      /* recipient's number in E.164, "+4930123456" */
	char *dial;        /* dial string for the line */
	char *rcpt_addr;   /* the recipient address as the sender wrote it */
	char *rcpt_name;
	char *rcpt_company;
	char *subaddress; /* T.33 sub-address, or NULL */
	char *subject;
	int pages;
	int resolution; /* enum fax_resolution */
	int paper;      /* enum fax_paper */
	int priority;   /* 0..100, higher first */
	int64_t send_after;
	enum job_status status;
	char *reason_code; /* machine-readable outcome, e.g. "queued", "cancelled", "busy" */
	char *reason;      /* plain words for the sender and the admin */
	int attempts;
	int64_t next_attempt;
	char *lease_owner; /* NULL when nobody holds the job */
	int64_t lease_expiry;
	char *notify;     /* RFC 3461 NOTIFY, e.g. "FAILURE,DELAY"; NULL when not given */
	char *orcpt;      /* RFC 3461 ORCPT, e.g. "rfc822;+4930123@fax.example.com"; NULL when not given */
	char *message_id; /* the mail's Message-ID, or NULL */
	char *dedupe_key; /* unique per message and recipient: the same mail never queues twice */
};

/* Every field of a job, in the database's column order: for programs that show them all. */
enum job_field_type { JOB_FIELD_INT, JOB_FIELD_INT64, JOB_FIELD_TIME, JOB_FIELD_TEXT, JOB_FIELD_STATUS };
struct job_field {
	const char *name; /* the column's name */
	enum job_field_type type;
	size_t offset; /* in struct job: int, int64_t (INT64 and TIME), char * or enum job_status */
};
extern const struct job_field job_fields[]; /* ends with a NULL name */

struct queue; /* an open connection; one per thread */

/*
 * Open the store configured in conf (db_driver, db_path / db_conninfo, db_timeout). Fails with
 * QUEUE_ERR_SCHEMA when the schema is missing or older than this program's. err gets a reason
 * that never contains a password.
 */
enum queue_rc queue_open(const struct conf *conf, struct queue **q, struct buf *err);
void queue_close(struct queue *q);
/* Create or update the schema to the newest version (faxctl db upgrade). Reports versions applied. */
enum queue_rc queue_upgrade(const struct conf *conf, struct buf *report, struct buf *err);
/* Schema version of the database and the newest this program knows. */
enum queue_rc queue_schema_version(struct queue *q, int *have, int *want, struct buf *err);
/* The same without an open queue, for a database whose schema is missing (have 0) or old. */
enum queue_rc queue_db_version(const struct conf *conf, int *have, int *want, struct buf *err);

/* Transactions: several job inserts are stored all together or not at all. */
enum queue_rc queue_begin(struct queue *q, struct buf *err);
enum queue_rc queue_commit(struct queue *q, struct buf *err);
void queue_rollback(struct queue *q);

/*
 * Store a new job with its pages (status queued, attempts 0, next_attempt = send_after). Fields
 * id, created, status, attempts, lease_* of j are ignored; on success j->id and j->created are set
 * (and j->pages to the number of pages). number and dial are required; a NULL sender is stored as ""
 * (the null sender), other NULL strings stay NULL. Invalid UTF-8 in strings is stored as U+FFFD.
 * priority is clamped to 0..100. QUEUE_DUPLICATE when a job with j->dedupe_key exists already:
 * nothing is stored, j->id is set to the existing job's id (a NULL dedupe_key never collides).
 * Inside a transaction a duplicate stores nothing and the transaction goes on; after any other
 * failure the caller rolls back.
 */
enum queue_rc queue_job_add(struct queue *q, struct job *j, const struct fax_page_list *pages,
                            struct buf *err);
/* Read one job (without pages). */
enum queue_rc queue_job_get(struct queue *q, int64_t id, struct job *out, struct buf *err);
/* Read a job's pages, in order. */
enum queue_rc queue_job_pages(struct queue *q, int64_t id, struct fax_page_list *out, struct buf *err);
/* Jobs, newest first; status < 0 lists all. limit 0 means no limit. */
enum queue_rc queue_job_list(struct queue *q, int status, size_t limit, struct job **out, size_t *n,
                             struct buf *err);
/*
 * Admin actions: cancel (queued, held or sending -> cancelled), hold (queued -> held),
 * release (held -> queued), retry (failed or cancelled -> queued, attempts kept, due now).
 * QUEUE_BAD_STATE when the job's status does not allow it.
 */
enum queue_action { QUEUE_CANCEL, QUEUE_HOLD, QUEUE_RELEASE, QUEUE_RETRY };
enum queue_rc queue_job_action(struct queue *q, int64_t id, enum queue_action a, struct buf *err);
/* Pages queued by this sender (auth user if any, else envelope sender) since local midnight. */
enum queue_rc queue_pages_today(struct queue *q, const char *sender, long *pages, struct buf *err);

void job_free(struct job *j);
void job_list_free(struct job *jobs, size_t n);
const char *queue_status_name(enum job_status s);
int queue_status_parse(const char *name); /* -1 when unknown */
const char *queue_action_name(enum queue_action a);

#endif
