/*
 * queue_action.c - the admin's actions on a job: cancel, hold, release, retry.
 *
 * Each action is one UPDATE that names the statuses it applies to, so it cannot race with a
 * sender changing the job at the same moment: either the job was in an allowed status and the
 * action is done, or nothing changed. A retry makes the job's final notice due again. Cancelling or holding a
 * job being sent drops its lease; the sender notices when it next renews the lease and hangs up.
 */
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"

struct queue_action_rule {
	enum job_status to;
	const char *code, *reason;
	enum job_status from[3]; /* the statuses it applies to, the list repeated to fill */
	bool due_now;
};

static const struct queue_action_rule queue_action_rules[] = {
    [QUEUE_CANCEL] = {JOB_CANCELLED,
                      "cancelled",
                      "cancelled by the administrator",
                      {JOB_QUEUED, JOB_HELD, JOB_SENDING},
                      false},
    [QUEUE_HOLD] =
        {JOB_HELD, "held", "held by the administrator", {JOB_QUEUED, JOB_SENDING, JOB_SENDING}, false},
    [QUEUE_RELEASE] =
        {JOB_QUEUED, "released", "released by the administrator", {JOB_HELD, JOB_HELD, JOB_HELD}, false},
    [QUEUE_RETRY] = {JOB_QUEUED,
                     "retry",
                     "sent again at the administrator's request",
                     {JOB_FAILED, JOB_CANCELLED, JOB_CANCELLED},
                     true},
};

enum queue_rc queue_job_action(struct queue *q, int64_t id, enum queue_action a, struct buf *err)
{
	const struct queue_action_rule *rule;
	struct queue_rows *r;
	enum queue_rc rc;
	bool row;

	if ((unsigned)a >= sizeof(queue_action_rules) / sizeof(queue_action_rules[0])) {
		buf_printf(err, "unknown action %d", (int)a);
		return QUEUE_BAD_STATE;
	}
	rule = &queue_action_rules[a];
	int64_t now = (int64_t)time(NULL);
	struct qparam p[] = {
	    QP_I(id),
	    QP_S(queue_status_name(rule->to)),
	    QP_S(rule->code),
	    QP_S(rule->reason),
	    rule->due_now ? QP_I(now) : QP_S(NULL),
	    QP_S(queue_status_name(rule->from[0])),
	    QP_S(queue_status_name(rule->from[1])),
	    QP_S(queue_status_name(rule->from[2])),
	    QP_I(rule->to == JOB_CANCELLED ? now : 0),
	    QP_I(a == QUEUE_RETRY),
	};
	rc = q->ops->query(q,
	                   "UPDATE jobs SET status = $2, reason_code = $3, reason = $4, "
	                   "next_attempt = COALESCE($5, next_attempt), lease_owner = NULL, lease_expiry = 0, "
	                   "finished = $9, archived = FALSE, "
	                   /* a retried job gets a new final notice (but no delay notice) */
	                   "notice = CASE WHEN $10 = 1 AND notice = 2 THEN 1 ELSE notice END "
	                   "WHERE id = $1 AND status IN ($6, $7, $8) RETURNING id",
	                   p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = q->ops->step(r, &row, err);
	q->ops->rows_free(r);
	if (rc != QUEUE_OK || row)
		return rc;

	struct job j;
	rc = queue_job_get(q, id, &j, err);
	if (rc != QUEUE_OK)
		return rc;
	buf_printf(err, "job %lld is %s: it cannot be %s", (long long)id, queue_status_name(j.status),
	           a == QUEUE_CANCEL    ? "cancelled"
	           : a == QUEUE_HOLD    ? "held (only a queued or sending job can)"
	           : a == QUEUE_RELEASE ? "released (only a held job can)"
	                                : "retried (only a failed or cancelled job can)");
	job_free(&j);
	return QUEUE_BAD_STATE;
}
