/*
 * queue_notices.c - how far each job's notices to its sender went (RFC 3464 delivery status
 * notifications, made by mailgate): the jobs that need one, and moving a job's notice forward.
 *
 * mailgate moves a notice forward only from the value it read, in the transaction that stores the
 * notice in the outbox, so however many mailgates look at the same job, one of them makes the
 * notice and the others find it moved (QUEUE_BAD_STATE) and roll back.
 */
#include <inttypes.h>
#include <stdint.h>

#include "queue/queue.h"
#include "queue/queue_store.h"

enum queue_rc queue_job_notices_due(struct queue *q, int64_t delay_before, size_t limit, struct job **out,
                                    size_t *n, struct buf *err)
{
	/* notice < 2 first, so both stores use the partial index jobs_notice; created is never
	 * below 1, so delay_before <= 0 finds no waiting job */
	static const char sql[] =
	    "SELECT " JOB_COLUMNS " FROM jobs WHERE notice < 2 AND archived = FALSE AND "
	    "(status IN ('sent', 'failed', 'cancelled') OR "
	    "(notice = 0 AND status IN ('queued', 'sending', 'held') AND created < $1)) "
	    "ORDER BY id LIMIT $2";
	struct qparam p[] = {QP_I(delay_before > 0 ? delay_before : 0),
	                     QP_I(limit == 0 || limit > INT64_MAX ? INT64_MAX : (int64_t)limit)};

	return queue_read_list(q, sql, p, 2, sizeof(**out), queue_job_read, queue_job_free_item, (void **)out,
	                       n, err);
}

enum queue_rc queue_job_set_notice(struct queue *q, int64_t id, int from, int to, struct buf *err)
{
	struct qparam p[] = {QP_I(id), QP_I(from), QP_I(to)};
	enum queue_rc rc;
	bool changed;
	int64_t have;

	if (to < JOB_NOTICE_NONE || to > JOB_NOTICE_FINAL || to < from) {
		buf_printf(err, "a job's notice cannot go from %d to %d", from, to);
		return QUEUE_BAD_STATE;
	}
	rc = queue_exec_changed(q, "UPDATE jobs SET notice = $3 WHERE id = $1 AND notice = $2 RETURNING id",
	                        p, 3, &changed, err);
	if (rc != QUEUE_OK || changed)
		return rc;
	/* Why not: no such job, or another mailgate moved it meanwhile. */
	rc = queue_query_int(q, "SELECT COUNT(*) FROM jobs WHERE id = $1", p, 1, &have, err);
	if (rc != QUEUE_OK)
		return rc;
	if (have == 0) {
		buf_printf(err, "no job %" PRId64, id);
		return QUEUE_NOT_FOUND;
	}
	buf_printf(err, "the notice of job %" PRId64 " is no longer %d", id, from);
	return QUEUE_BAD_STATE;
}
