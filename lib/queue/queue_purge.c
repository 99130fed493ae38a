/*
 * queue_purge.c - housekeeping: finished jobs are archived after archive_days, and what is archived
 * or done with goes after purge_days (`faxctl purge`, and faxd once a day).
 *
 * A job's age is counted from when it finished (the finished column, set when it became sent,
 * failed or cancelled), not from when it was queued, so a job retried for a week is kept as long as
 * any other. Received faxes still "new" (mailgate has not delivered them) are never deleted, nor
 * are mails in the outbox still pending. One transaction: a purge that fails changes nothing.
 */
#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/log.h"

/* Rows a purge statement with one cut-off time deleted or archived. */
static enum queue_rc purge_count(struct queue *q, const char *sql, int64_t cutoff, long *count,
                                 struct buf *err)
{
	struct qparam p[] = {QP_I(cutoff)};

	return queue_exec_count(q, sql, p, 1, count, err);
}

enum queue_rc queue_purge(struct queue *q, int64_t now, long archive_days, long purge_days,
                          struct queue_purge_counts *counts, struct buf *err)
{
	int64_t archive_cut = now - (int64_t)(archive_days > 0 ? archive_days : 0) * 86400;
	int64_t purge_cut = now - (int64_t)(purge_days > 0 ? purge_days : 0) * 86400;
	enum queue_rc rc;
	bool own;

	*counts = (struct queue_purge_counts){0};
	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc =
		    purge_count(q,
		                "UPDATE jobs SET archived = TRUE WHERE archived = FALSE AND finished > 0 AND "
		                "finished <= $1 AND status IN ('sent', 'failed', 'cancelled') RETURNING id",
		                archive_cut, &counts->archived, err);
	/* pages and attempts go with their job (ON DELETE CASCADE) */
	if (rc == QUEUE_OK)
		rc = purge_count(
		    q,
		    "DELETE FROM jobs WHERE archived = TRUE AND finished > 0 AND finished <= $1 AND "
		    "status IN ('sent', 'failed', 'cancelled') RETURNING id",
		    purge_cut, &counts->jobs, err);
	if (rc == QUEUE_OK)
		rc = purge_count(q,
		                 "DELETE FROM inbound WHERE status <> 'new' AND received <= $1 RETURNING id",
		                 purge_cut, &counts->inbound, err);
	if (rc == QUEUE_OK)
		rc = purge_count(q, "DELETE FROM events WHERE time <= $1 RETURNING id", purge_cut,
		                 &counts->events, err);
	/* pending mails stay whatever their age: they are still to be delivered */
	if (rc == QUEUE_OK)
		rc = purge_count(
		    q, "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created <= $1 RETURNING id",
		    purge_cut, &counts->mails, err);
	rc = queue_end_own(q, own, rc, err);
	if (rc == QUEUE_OK)
		log_info(
		    "queue: purge: %ld jobs archived, %ld jobs, %ld received faxes, %ld events, %ld mails "
		    "deleted",
		    counts->archived, counts->jobs, counts->inbound, counts->events, counts->mails);
	else
		*counts = (struct queue_purge_counts){0};
	return rc;
}
