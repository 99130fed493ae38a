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
	QUEUE_ERR_DATA,   /* a stored row is damaged (a page of an absurd size): the database works */
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
	int pages_done;   /* pages the remote confirmed over all calls: the next call starts after them */
	int64_t finished; /* when it became sent, failed or cancelled; 0 while it is not finished */
	bool archived;    /* finished long ago (archive_days): hidden from the usual lists */
	char *headers; /* the mail's header section as received (for notices' text/rfc822-headers), or NULL */
	int notice;    /* enum job_notice: which notices mailgate has dealt with */
};

/* A job's headers are stored up to this many bytes, cut at a line end: a notice quotes no more. */
#define QUEUE_HEADERS_MAX 65536

/*
 * Where a job stands with its notices to the sender. mailgate moves it forward only
 * (queue_job_set_notice), in the same transaction that stores the notice in the outbox, so a notice
 * is made once however many mailgates run.
 */
enum job_notice {
	JOB_NOTICE_NONE = 0,  /* nothing done yet */
	JOB_NOTICE_DELAY = 1, /* a delay notice went out (or was not wanted) */
	JOB_NOTICE_FINAL = 2, /* the final notice went out, or none was wanted */
};

/* Every field of a job, in the database's column order: for programs that show them all. */
enum job_field_type {
	JOB_FIELD_INT,
	JOB_FIELD_INT64,
	JOB_FIELD_TIME,
	JOB_FIELD_TEXT,
	JOB_FIELD_STATUS,
	JOB_FIELD_BOOL
};
struct job_field {
	const char *name; /* the column's name */
	enum job_field_type type;
	size_t offset; /* in struct job: int, int64_t (INT64 and TIME), char *, enum job_status or bool */
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
/* Read a job's pages, in order; QUEUE_ERR_DATA (nothing in out) when one is damaged. */
enum queue_rc queue_job_pages(struct queue *q, int64_t id, struct fax_page_list *out, struct buf *err);
/* Jobs, newest first; status < 0 lists all. limit 0 means no limit. Archived jobs included. */
enum queue_rc queue_job_list(struct queue *q, int status, size_t limit, struct job **out, size_t *n,
                             struct buf *err);
/* The same without archived jobs (what `faxctl jobs` shows unless --all). */
enum queue_rc queue_job_list_current(struct queue *q, int status, size_t limit, struct job **out, size_t *n,
                                     struct buf *err);
/*
 * Admin actions: cancel (queued, held or sending -> cancelled), hold (queued or sending -> held),
 * release (held -> queued), retry (failed or cancelled -> queued, attempts kept, due now, no longer
 * archived). QUEUE_BAD_STATE when the job's status does not allow it. Cancel and hold clear the
 * lease: a server sending the job finds out at its next queue_lease_renew and hangs up.
 */
enum queue_action { QUEUE_CANCEL, QUEUE_HOLD, QUEUE_RELEASE, QUEUE_RETRY };
enum queue_rc queue_job_action(struct queue *q, int64_t id, enum queue_action a, struct buf *err);
/* Pages queued by this sender (auth user if any, else envelope sender) since local midnight. */
enum queue_rc queue_pages_today(struct queue *q, const char *sender, long *pages, struct buf *err);

/*
 * Sending: jobs are claimed under a lease (docs/queue.md, "Leases"). owner names the server (see
 * queue_server_name); now is the caller's clock in unix seconds.
 *
 * queue_claim takes the most urgent due job: status queued with send_after and next_attempt <= now,
 * or status sending whose lease has expired (its server died). Numbers that already have
 * max_per_dest jobs sending under a live lease (anybody's) are skipped; max_per_dest <= 0: no limit.
 * Order: priority (highest first), next_attempt, id. The job becomes sending with lease_owner =
 * owner, lease_expiry = now + lease_secs, and is copied to out. QUEUE_NOT_FOUND when nothing is due.
 * Claims are serialised across processes and servers, so a job is never claimed twice while its
 * lease holds and the per-number limit holds however many claim at once.
 */
enum queue_rc queue_claim(struct queue *q, const char *owner, int64_t now, long lease_secs, long max_per_dest,
                          struct job *out, struct buf *err);
/*
 * Extend the lease to now + lease_secs while the job is sending, leased to owner and the lease has
 * not expired. QUEUE_BAD_STATE otherwise (cancelled or held meanwhile, lease expired or taken over):
 * the call must end; *status (may be NULL) gets the job's current status.
 */
/*
 * Jobs still leased to owner go back to the queue, due at once: a server starting again (or
 * stopping) gives up the calls it no longer makes. *released counts them.
 */
enum queue_rc queue_release_owner(struct queue *q, const char *owner, long *released, struct buf *err);
enum queue_rc queue_lease_renew(struct queue *q, int64_t id, const char *owner, int64_t now, long lease_secs,
                                enum job_status *status, struct buf *err);
/*
 * End a claim: status JOB_SENT, JOB_FAILED or JOB_QUEUED (call again at next_attempt; ignored
 * otherwise); stores reason_code, reason and pages_done, adds one to attempts, sets finished (sent,
 * failed) and drops the lease. Only while the job is sending and leased to owner (even if the lease
 * has expired, as long as nobody took the job over); QUEUE_BAD_STATE otherwise, and nothing changes
 * (a cancel or hold meanwhile stands).
 */
enum queue_rc queue_job_finish(struct queue *q, int64_t id, const char *owner, enum job_status status,
                               const char *reason_code, const char *reason, int64_t next_attempt,
                               int pages_done, struct buf *err);
/*
 * Replace a job's pages (rendered again at standard resolution or for A4 because the remote refused
 * them): sets pages, resolution, paper, and pages_done = 0. Only by the lease owner of a job being
 * sent (QUEUE_BAD_STATE otherwise, nothing changes).
 */
enum queue_rc queue_job_replace_pages(struct queue *q, int64_t id, const char *owner,
                                      const struct fax_page_list *pages, int resolution, int paper,
                                      struct buf *err);

/* One call made for a job, as faxd records it whatever its outcome. */
struct attempt {
	int64_t id, job_id;
	int64_t start, end; /* unix seconds */
	char *server;       /* NULL: this connection's queue_server_name */
	char *line;
	char *remote_id; /* the remote's station id (TSI/CSI) as it sent it, or NULL */
	int bit_rate;
	bool ecm;
	int pages_confirmed;
	int t30_code;  /* T.30 completion code (spandsp's T30_ERR_*) */
	char *outcome; /* stable name (fax_outcome_info) */
	char *reason;  /* plain words */
};
/* Store an attempt (a->id is set). QUEUE_ERR_TEMP when the job does not exist. */
enum queue_rc queue_attempt_add(struct queue *q, struct attempt *a, struct buf *err);
/* A job's attempts, oldest first (none for an unknown job). */
enum queue_rc queue_attempt_list(struct queue *q, int64_t job_id, struct attempt **out, size_t *n,
                                 struct buf *err);
void attempt_list_free(struct attempt *a, size_t n);

/* A received fax, stored with its pages until mailgate has delivered it. */
struct inbound {
	int64_t id;
	int64_t received; /* end of the call */
	int64_t started;
	char *server; /* NULL: this connection's queue_server_name */
	char *line, *caller, *called /* the DID */, *subaddress, *remote_id;
	int pages, resolution; /* resolution: enum fax_resolution */
	int t30_code;
	bool partial; /* the call ended in the middle: the pages received are kept */
	char *status; /* "new" (waiting for mailgate; NULL is stored as "new"), later "delivered"... */
	char *reason;
};
/*
 * Store a received fax with its pages and, per page, the rows that arrived damaged (bad_rows may be
 * NULL: none). in->id is set, in->pages becomes pages->count. All or nothing.
 */
enum queue_rc queue_inbound_add(struct queue *q, struct inbound *in, const struct fax_page_list *pages,
                                const int *bad_rows, struct buf *err);
enum queue_rc queue_inbound_get(struct queue *q, int64_t id, struct inbound *out, struct buf *err);
/* Newest first; status NULL lists all; limit 0 means no limit. */
enum queue_rc queue_inbound_list(struct queue *q, const char *status, size_t limit, struct inbound **out,
                                 size_t *n, struct buf *err);
/* The oldest received faxes of a status first (what mailgate works through), at most limit (> 0). */
enum queue_rc queue_inbound_oldest(struct queue *q, const char *status, size_t limit, struct inbound **out,
                                   size_t *n, struct buf *err);
/* The id of the newest received fax, whatever its status; 0 when there is none. */
enum queue_rc queue_inbound_newest(struct queue *q, int64_t *id, struct buf *err);
/*
 * A received fax's pages in order, and *bad_rows a malloc'd array of pages->count (NULL when none);
 * QUEUE_ERR_DATA (nothing in pages) when one is damaged.
 */
enum queue_rc queue_inbound_pages(struct queue *q, int64_t id, struct fax_page_list *pages, int **bad_rows,
                                  struct buf *err);
/* Set status and reason (mailgate: "delivered", "failed"...). */
enum queue_rc queue_inbound_set_status(struct queue *q, int64_t id, const char *status, const char *reason,
                                       struct buf *err);
void inbound_free(struct inbound *in);
void inbound_list_free(struct inbound *in, size_t n);

/* Something the admins must hear of (a line out of service, back in service...): mailgate sends it. */
struct event {
	int64_t id;
	int64_t time;
	char *server;
	char *kind;    /* "line_down", "line_up", ... */
	char *subject; /* what it is about, e.g. the line's name; may be NULL */
	char *text;    /* plain words */
	bool handled;
};
/* Record an event (time now, server queue_server_name). */
enum queue_rc queue_event_add(struct queue *q, const char *kind, const char *subject, const char *text,
                              struct buf *err);
/* Events with id > since_id, oldest first; unhandled_only skips handled ones; limit 0: no limit. */
enum queue_rc queue_event_list(struct queue *q, int64_t since_id, bool unhandled_only, size_t limit,
                               struct event **out, size_t *n, struct buf *err);
/* Mark an event handled; QUEUE_BAD_STATE when it already was (another mailgate took it). */
enum queue_rc queue_event_handled(struct queue *q, int64_t id, struct buf *err);
void event_list_free(struct event *e, size_t n);

/* What a line is doing, one row per server and line, written by faxd as it changes. */
struct line_status {
	char *server; /* NULL: this connection's queue_server_name */
	char *line;
	char *state;     /* "idle", "dialing", "sending", "receiving", "down"... */
	int64_t since;   /* in this state since */
	int64_t job_id;  /* the job being sent, 0 none */
	char *call_info; /* the call in words ("to +4930123456, page 2 of 5"), or NULL */
	int64_t calls, failures_in_row, pages_sent, pages_received;
	int64_t updated; /* set by queue_line_update when 0 */
};
/* Insert or replace the row of (server, line). */
enum queue_rc queue_line_update(struct queue *q, const struct line_status *ls, struct buf *err);
/* Every line of every server, by server and line. */
enum queue_rc queue_line_list(struct queue *q, struct line_status **out, size_t *n, struct buf *err);
void line_status_list_free(struct line_status *ls, size_t n);

/*
 * Housekeeping (faxctl purge, and faxd once a day): jobs finished (sent, failed, cancelled) at
 * least archive_days before now are archived; archived jobs finished at least purge_days before
 * now go with their pages and attempts, and so do received faxes no longer "new" that were received
 * at least purge_days before, and events and outbox mails (sent or failed) as old. One transaction.
 */
struct queue_purge_counts {
	long archived, jobs, inbound, events, mails;
};
enum queue_rc queue_purge(struct queue *q, int64_t now, long archive_days, long purge_days,
                          struct queue_purge_counts *counts, struct buf *err);

/*
 * Notices: jobs mailgate must look at, oldest first, at most limit (0: no limit): finished jobs
 * (sent, failed, cancelled) whose notice is below JOB_NOTICE_FINAL, and, when delay_before > 0,
 * jobs still queued, sending or held that were created before delay_before with notice
 * JOB_NOTICE_NONE. Archived jobs are left out.
 */
enum queue_rc queue_job_notices_due(struct queue *q, int64_t delay_before, size_t limit, struct job **out,
                                    size_t *n, struct buf *err);
/* Move a job's notice from `from` to `to`; QUEUE_BAD_STATE (nothing changes) when it is no longer from. */
enum queue_rc queue_job_set_notice(struct queue *q, int64_t id, int from, int to, struct buf *err);

/*
 * A received fax's status from `from` to `to` with a reason, only while it is `from`
 * (QUEUE_BAD_STATE otherwise: another mailgate took it). Statuses: "new" (waiting), "mailed"
 * (its mail is in the outbox), "delivered" (the relay took it), "unrouted" (no mailbox and no
 * catch-all: an admin must look).
 */
enum queue_rc queue_inbound_move(struct queue *q, int64_t id, const char *from, const char *to,
                                 const char *reason, struct buf *err);

/*
 * The outbox: every mail mailgate sends (a received fax, a notice, an alert) is stored here, whole,
 * with its Message-ID, before it is handed to the relay, and stays until the relay answered 250.
 * Mails are claimed under a lease like jobs, so several mailgates can share one outbox.
 */
struct outbox_mail {
	int64_t id;
	int64_t created;
	char *kind;         /* "fax", "notice", "alert" */
	int64_t ref_id;     /* the received fax (fax) or job (notice) it is about; 0 none */
	char *sender;       /* envelope sender; "" is the null sender <> (notices) */
	char *recipients;   /* envelope recipients, separated by single spaces */
	char *message_id;   /* "<...>", the same in every try: a crash mid-delivery shows as one mail */
	struct buf message; /* the whole message, CRLF or LF line ends */
	char *status;       /* "pending", "sent", "failed" */
	int attempts;
	int64_t next_attempt;
	char *last_error; /* the relay's last answer, or why it could not be reached */
	int64_t sent;     /* when the relay took it; 0 until then */
	char *lease_owner;
	int64_t lease_expiry;
};
/*
 * Store a mail (status pending, due at once; m->id and m->created set). kind, sender, recipients,
 * message_id and a non-empty message are required. Joins the caller's transaction if one is open.
 */
enum queue_rc queue_outbox_add(struct queue *q, struct outbox_mail *m, struct buf *err);
/*
 * Claim the oldest due mail (pending, next_attempt <= now, no live lease) for owner until
 * now + lease_secs; QUEUE_NOT_FOUND when none is due. out gets the whole mail.
 */
enum queue_rc queue_outbox_claim(struct queue *q, const char *owner, int64_t now, long lease_secs,
                                 struct outbox_mail *out, struct buf *err);
/*
 * End a claim: status "sent" (sets sent = now), "failed", or "pending" (try again at next_attempt);
 * adds one to attempts, stores last_error (may be NULL), drops the lease. QUEUE_BAD_STATE when the
 * mail is no longer leased to owner. When a "fax" mail is sent, its received fax becomes
 * "delivered" in the same transaction.
 */
enum queue_rc queue_outbox_finish(struct queue *q, int64_t id, const char *owner, const char *status,
                                  const char *last_error, int64_t next_attempt, struct buf *err);
/*
 * Give a claimed mail new envelope recipients, count the attempt, drop the lease and make it due at
 * next_attempt: a fax mail the relay refused with 5xx goes to the catch-all (due now), a mail some
 * of whose recipients got 4xx is tried again for those only. Only by the lease owner.
 */
enum queue_rc queue_outbox_redirect(struct queue *q, int64_t id, const char *owner, const char *recipients,
                                    const char *last_error, int64_t next_attempt, struct buf *err);
/* Mails without their message, newest first; status NULL lists all; limit 0 means no limit. */
enum queue_rc queue_outbox_list(struct queue *q, const char *status, size_t limit, struct outbox_mail **out,
                                size_t *n, struct buf *err);
/* One mail with its message. */
enum queue_rc queue_outbox_get(struct queue *q, int64_t id, struct outbox_mail *out, struct buf *err);
void outbox_mail_free(struct outbox_mail *m);
void outbox_list_free(struct outbox_mail *m, size_t n);

/*
 * Alert state, one row per problem (key "line_down:sim0", "queue_age", "disk", "db", ...), so
 * alerts are de-duplicated across restarts and across mailgates: state "down" while the problem
 * lasts (mailed at since, again every alert_repeat), "up" once its recovery was mailed.
 */
struct alert_state {
	char *key;
	char *state;       /* "down" or "up" */
	int64_t since;     /* when it entered this state */
	int64_t last_mail; /* when a mail about it was last sent; 0 never */
	char *text;        /* the last words about it */
};
/* QUEUE_NOT_FOUND when the problem has no row yet. */
enum queue_rc queue_alert_get(struct queue *q, const char *key, struct alert_state *out, struct buf *err);
/* Insert or replace the row of a->key. */
enum queue_rc queue_alert_put(struct queue *q, const struct alert_state *a, struct buf *err);
/* Every row, by key. */
enum queue_rc queue_alert_list(struct queue *q, struct alert_state **out, size_t *n, struct buf *err);
void alert_state_free(struct alert_state *a);
void alert_list_free(struct alert_state *a, size_t n);

/*
 * Queue health for alerts and the daily summary: jobs waiting (queued or sending) and since when
 * the longest-waiting one was due (its creation, or its send_after if later; 0 when none); jobs sent and
 * failed, and faxes received, since `since`.
 */
struct queue_stats {
	long waiting;
	int64_t oldest_waiting;
	long sent, failed, received;
};
enum queue_rc queue_stats(struct queue *q, int64_t since, struct queue_stats *out, struct buf *err);

/*
 * What worked with a destination over SIP (schema 004, table media): T.38 taken or refused, so the
 * next call to that number chooses right. Shared by every server of the queue.
 */
enum media_memory { MEDIA_UNKNOWN = 0, MEDIA_T38_WORKS = 1, MEDIA_G711_ONLY = 2 };
/* MEDIA_UNKNOWN when there is no row (or it is older than max_age seconds; 0: any age). */
enum queue_rc queue_media_get(struct queue *q, const char *number, int64_t now, long max_age,
                              enum media_memory *out, struct buf *err);
/* Insert or replace the row of number. */
enum queue_rc queue_media_put(struct queue *q, const char *number, enum media_memory m, int64_t now,
                              struct buf *err);

/* The name this connection writes as server (faxd_name, else the host name). */
const char *queue_server_name(const struct queue *q);

void job_free(struct job *j);
void job_list_free(struct job *jobs, size_t n);
const char *queue_status_name(enum job_status s);
int queue_status_parse(const char *name); /* -1 when unknown */
const char *queue_action_name(enum queue_action a);

#endif
