/*
 * queue_attempts.c - every call made for a job, whatever its outcome: when, on which line of which
 * server, what the remote said it was, how fast, with or without ECM, pages confirmed, the T.30
 * completion code and the outcome in a stable name and in words.
 *
 * The remote's station id comes from the telephone network and is hostile: it is stored as valid
 * UTF-8 and travels only as a parameter.
 */
#include <stdlib.h>
#include <string.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/xalloc.h"

enum queue_rc queue_attempt_add(struct queue *q, struct attempt *a, struct buf *err)
{
	const char *text[] = {a->server ? a->server : q->server, a->line, a->remote_id,
	                      a->outcome ? a->outcome : "unknown", a->reason};
	enum { NTEXT = sizeof(text) / sizeof(text[0]) };
	struct buf clean[NTEXT];
	enum queue_rc rc;

	for (size_t i = 0; i < NTEXT; i++) {
		buf_init(&clean[i]);
		text[i] = queue_text(text[i], &clean[i]);
	}
	struct qparam p[] = {
	    QP_I(a->job_id),
	    QP_I(a->start),
	    QP_I(a->end),
	    QP_S(text[0]),
	    QP_S(text[1]),
	    QP_S(text[2]),
	    QP_I(a->bit_rate > 0 ? a->bit_rate : 0),
	    QP_I(a->ecm),
	    QP_I(a->pages_confirmed > 0 ? a->pages_confirmed : 0),
	    QP_I(a->t30_code),
	    QP_S(text[3]),
	    QP_S(text[4]),
	};
	struct queue_rows *r;
	bool row = false;

	rc = q->ops->query(
	    q,
	    "INSERT INTO attempts (job_id, started, ended, server, line, remote_id, bit_rate, ecm, "
	    "pages_confirmed, t30_code, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10, $11, $12) RETURNING id",
	    p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc == QUEUE_OK) {
		rc = q->ops->step(r, &row, err);
		if (rc == QUEUE_OK && row)
			a->id = q->ops->col_int(r, 0);
		q->ops->rows_free(r);
	}
	for (size_t i = 0; i < NTEXT; i++)
		buf_free(&clean[i]);
	return rc;
}

static enum queue_rc attempt_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct attempt *a = item;

	(void)err;
	a->id = q->ops->col_int(r, 0);
	a->job_id = q->ops->col_int(r, 1);
	a->start = q->ops->col_int(r, 2);
	a->end = q->ops->col_int(r, 3);
	a->server = queue_col_strdup(q, r, 4);
	a->line = queue_col_strdup(q, r, 5);
	a->remote_id = queue_col_strdup(q, r, 6);
	a->bit_rate = (int)q->ops->col_int(r, 7);
	a->ecm = q->ops->col_int(r, 8) != 0;
	a->pages_confirmed = (int)q->ops->col_int(r, 9);
	a->t30_code = (int)q->ops->col_int(r, 10);
	a->outcome = queue_col_strdup(q, r, 11);
	a->reason = queue_col_strdup(q, r, 12);
	return QUEUE_OK;
}

static void attempt_free(void *item)
{
	struct attempt *a = item;

	free(a->server);
	free(a->line);
	free(a->remote_id);
	free(a->outcome);
	free(a->reason);
}

enum queue_rc queue_attempt_list(struct queue *q, int64_t job_id, struct attempt **out, size_t *n,
                                 struct buf *err)
{
	struct qparam p[] = {QP_I(job_id)};

	return queue_read_list(q,
	                       "SELECT id, job_id, started, ended, server, line, remote_id, bit_rate, ecm, "
	                       "pages_confirmed, t30_code, outcome, reason FROM attempts WHERE job_id = $1 "
	                       "ORDER BY id",
	                       p, 1, sizeof(**out), attempt_read, attempt_free, (void **)out, n, err);
}

void attempt_list_free(struct attempt *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		attempt_free(&a[i]);
	free(a);
}
