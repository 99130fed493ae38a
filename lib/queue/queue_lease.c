/*
 * queue_lease.c - sending under a lease: claim a due job, renew the lease while the call runs,
 * record how the claim ended, replace the pages of a job being sent.
 *
 * A job is owned through its lease (lease_owner, lease_expiry), never through a process's memory.
 * Every change here is one conditional statement on the job's row, so it happens only while the
 * caller really holds the job; a claim runs in a transaction that keeps other claims out (SQLite:
 * BEGIN IMMEDIATE; PostgreSQL: an advisory lock, see queue_pg.c), because the limit of calls to one
 * number is a fact about several rows that two claims side by side could both miss.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/log.h"

/* Due: queued and its time has come, or being sent by a server whose lease ran out. */
#define CLAIM_DUE(t)                                                                                         \
	"((" t "status = 'queued' AND " t "send_after <= $3 AND " t "next_attempt <= $3) OR (" t             \
	"status = 'sending' AND " t "lease_expiry <= $3))"

enum queue_rc queue_claim(struct queue *q, const char *owner, int64_t now, long lease_secs, long max_per_dest,
                          struct job *out, struct buf *err)
{
	char sql[1024];
	int64_t id = 0;
	enum queue_rc rc;
	bool own;

	memset(out, 0, sizeof(*out));
	if (!owner || !*owner) {
		buf_puts(err, "a claim needs an owner");
		return QUEUE_ERR_TEMP;
	}
	/* The row is checked again by the UPDATE, so a job that changed meanwhile is never taken. */
	snprintf(sql, sizeof(sql),
	         "UPDATE jobs SET status = 'sending', lease_owner = $1, lease_expiry = $2 WHERE id = "
	         "(SELECT j.id FROM jobs j WHERE " CLAIM_DUE(
	             "j.") " AND (SELECT COUNT(*) FROM jobs s WHERE "
	                   "s.number = j.number AND s.status = 'sending' AND s.lease_expiry > $3) < $4 "
	                   "ORDER BY j.priority DESC, j.next_attempt, j.id LIMIT 1%s) AND " CLAIM_DUE(
	                       "") " RETURNING id",
	         q->ops->claim_row_lock);
	struct qparam p[] = {QP_S(owner), QP_I(now + lease_secs), QP_I(now),
	                     QP_I(max_per_dest > 0 ? max_per_dest : INT64_MAX)};

	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc = q->ops->lock_claims(q, err);
	if (rc == QUEUE_OK)
		rc = queue_query_int(q, sql, p, sizeof(p) / sizeof(p[0]), &id, err);
	if (rc == QUEUE_OK && id == 0)
		rc = QUEUE_NOT_FOUND; /* ids start at 1: no row claimed */
	if (rc == QUEUE_OK)
		rc = queue_job_get(q, id, out, err);
	if (rc == QUEUE_NOT_FOUND) {
		/* nothing due: end the transaction quietly */
		queue_end_own(q, own, QUEUE_NOT_FOUND, err);
		return QUEUE_NOT_FOUND;
	}
	rc = queue_end_own(q, own, rc, err);
	if (rc != QUEUE_OK)
		job_free(out);
	else
		log_debug("queue: job %" PRId64 " claimed by %s until %" PRId64, id, owner, now + lease_secs);
	return rc;
}

/*
 * Why a job's lease could not be used: QUEUE_NOT_FOUND, or QUEUE_BAD_STATE with the reason in err
 * and the job's status in *status. now > 0 tells that an expired lease counts as lost.
 */
static enum queue_rc lease_refused(struct queue *q, int64_t id, const char *owner, int64_t now,
                                   enum job_status *status, struct buf *err)
{
	struct job j;
	enum queue_rc rc = queue_job_get(q, id, &j, err);

	if (rc != QUEUE_OK)
		return rc;
	if (status)
		*status = j.status;
	if (j.status != JOB_SENDING)
		buf_printf(err, "job %" PRId64 " is %s (%s)", id, queue_status_name(j.status),
		           j.reason ? j.reason : "");
	else if (!j.lease_owner || strcmp(j.lease_owner, owner) != 0)
		buf_printf(err, "job %" PRId64 " is leased to %s, not %s", id,
		           j.lease_owner ? j.lease_owner : "nobody", owner);
	else if (now > 0 && j.lease_expiry <= now)
		buf_printf(err, "the lease of %s on job %" PRId64 " expired %" PRId64 " s ago", owner, id,
		           now - j.lease_expiry);
	else
		buf_printf(err, "job %" PRId64 " changed meanwhile", id);
	job_free(&j);
	return QUEUE_BAD_STATE;
}

enum queue_rc queue_lease_renew(struct queue *q, int64_t id, const char *owner, int64_t now, long lease_secs,
                                enum job_status *status, struct buf *err)
{
	/* An expired lease is lost even if nobody took the job: a claim may have counted on it being free. */
	struct qparam p[] = {QP_I(id), QP_S(owner ? owner : ""), QP_I(now), QP_I(now + lease_secs)};
	enum queue_rc rc;
	bool changed;

	rc = queue_exec_changed(q,
	                        "UPDATE jobs SET lease_expiry = $4 WHERE id = $1 AND status = 'sending' AND "
	                        "lease_owner = $2 AND lease_expiry > $3 RETURNING id",
	                        p, 4, &changed, err);
	if (rc != QUEUE_OK)
		return rc;
	if (changed) {
		if (status)
			*status = JOB_SENDING;
		return QUEUE_OK;
	}
	return lease_refused(q, id, owner ? owner : "", now, status, err);
}

enum queue_rc queue_job_finish(struct queue *q, int64_t id, const char *owner, enum job_status status,
                               const char *reason_code, const char *reason, int64_t next_attempt,
                               int pages_done, struct buf *err)
{
	int64_t now = (int64_t)time(NULL);
	struct buf clean_code = BUF_INIT, clean_reason = BUF_INIT;
	enum queue_rc rc;
	bool changed;

	if (status != JOB_SENT && status != JOB_FAILED && status != JOB_QUEUED) {
		buf_printf(err, "a claim cannot end as %s", queue_status_name(status));
		return QUEUE_BAD_STATE;
	}
	struct qparam p[] = {
	    QP_I(id),
	    QP_S(owner ? owner : ""),
	    QP_S(queue_status_name(status)),
	    QP_S(reason_code ? queue_text(reason_code, &clean_code) : queue_status_name(status)),
	    QP_S(reason ? queue_text(reason, &clean_reason) : ""),
	    status == JOB_QUEUED ? QP_I(next_attempt) : QP_S(NULL),
	    QP_I(pages_done > 0 ? pages_done : 0),
	    QP_I(status == JOB_QUEUED ? 0 : now),
	};
	rc =
	    queue_exec_changed(q,
	                       "UPDATE jobs SET status = $3, reason_code = $4, reason = $5, "
	                       "next_attempt = COALESCE($6, next_attempt), pages_done = $7, "
	                       "attempts = attempts + 1, finished = $8, lease_owner = NULL, lease_expiry = 0 "
	                       "WHERE id = $1 AND status = 'sending' AND lease_owner = $2 RETURNING id",
	                       p, sizeof(p) / sizeof(p[0]), &changed, err);
	buf_free(&clean_code);
	buf_free(&clean_reason);
	if (rc != QUEUE_OK || changed)
		return rc;
	return lease_refused(q, id, owner ? owner : "", 0, NULL, err);
}

enum queue_rc queue_job_replace_pages(struct queue *q, int64_t id, const char *owner,
                                      const struct fax_page_list *pages, int resolution, int paper,
                                      struct buf *err)
{
	struct qparam p[] = {QP_I(id), QP_S(owner ? owner : ""), QP_I(pages ? (int64_t)pages->count : 0),
	                     QP_I(resolution), QP_I(paper)};
	struct qparam pd[] = {QP_I(id)};
	enum queue_rc rc;
	bool own, changed = false;

	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc = queue_exec_changed(
		    q,
		    "UPDATE jobs SET pages = $3, resolution = $4, paper = $5, pages_done = 0 "
		    "WHERE id = $1 AND status = 'sending' AND lease_owner = $2 RETURNING id",
		    p, 5, &changed, err);
	if (rc == QUEUE_OK && !changed)
		rc = lease_refused(q, id, owner ? owner : "", 0, NULL, err);
	if (rc == QUEUE_OK)
		rc = queue_exec(q, "DELETE FROM pages WHERE job_id = $1", pd, 1, err);
	if (rc == QUEUE_OK)
		rc = queue_pages_insert(q, id, pages, err);
	return queue_end_own(q, own, rc, err);
}

enum queue_rc queue_release_owner(struct queue *q, const char *owner, long *released, struct buf *err)
{
	struct qparam p[] = {QP_S(owner ? owner : "")};

	return queue_exec_count(q,
	                        "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expiry = 0 "
	                        "WHERE status = 'sending' AND lease_owner = $1 RETURNING id",
	                        p, 1, released, err);
}
