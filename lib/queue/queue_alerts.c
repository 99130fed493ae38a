/*
 * queue_alerts.c - what the admins were told, one row per problem, and the queue's health in
 * numbers (for the queue age alert and the daily summary).
 *
 * The alert state lives in the database rather than in mailgate's memory, so a restarted mailgate,
 * or a second one, neither repeats an alert nor forgets to send the recovery mail.
 */
#include <stdlib.h>
#include <string.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/xalloc.h"

#define ALERT_COLUMNS "key, state, since, last_mail, text"

static enum queue_rc alert_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct alert_state *a = item;

	(void)err;
	a->key = queue_col_strdup(q, r, 0);
	a->state = queue_col_strdup(q, r, 1);
	a->since = q->ops->col_int(r, 2);
	a->last_mail = q->ops->col_int(r, 3);
	a->text = queue_col_strdup(q, r, 4);
	return QUEUE_OK;
}

static void alert_free_item(void *item)
{
	alert_state_free(item);
}

enum queue_rc queue_alert_get(struct queue *q, const char *key, struct alert_state *out, struct buf *err)
{
	struct buf clean = BUF_INIT;
	struct qparam p[] = {QP_S(queue_text(key ? key : "", &clean))};
	enum queue_rc rc;

	memset(out, 0, sizeof(*out));
	rc = queue_read_one(q, "SELECT " ALERT_COLUMNS " FROM alerts WHERE key = $1", p, 1, out, alert_read,
	                    err);
	if (rc == QUEUE_NOT_FOUND)
		buf_printf(err, "no alert state for %s", p[0].s);
	buf_free(&clean);
	return rc;
}

enum queue_rc queue_alert_put(struct queue *q, const struct alert_state *a, struct buf *err)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	enum queue_rc rc;

	if (!a->key || !*a->key || !a->state ||
	    (strcmp(a->state, "down") != 0 && strcmp(a->state, "up") != 0)) {
		buf_puts(err, "an alert state needs a key and the state down or up");
		return QUEUE_BAD_STATE;
	}
	struct qparam p[] = {QP_S(queue_text(a->key, &c1)), QP_S(a->state), QP_I(a->since),
	                     QP_I(a->last_mail), QP_S(queue_text(a->text, &c2))};
	rc = queue_exec(q,
	                "INSERT INTO alerts (key, state, since, last_mail, text) VALUES ($1, $2, $3, $4, $5) "
	                "ON CONFLICT (key) DO UPDATE SET state = excluded.state, since = excluded.since, "
	                "last_mail = excluded.last_mail, text = excluded.text",
	                p, sizeof(p) / sizeof(p[0]), err);
	buf_free(&c1);
	buf_free(&c2);
	return rc;
}

enum queue_rc queue_alert_list(struct queue *q, struct alert_state **out, size_t *n, struct buf *err)
{
	return queue_read_list(q, "SELECT " ALERT_COLUMNS " FROM alerts ORDER BY key", NULL, 0, sizeof(**out),
	                       alert_read, alert_free_item, (void **)out, n, err);
}

void alert_state_free(struct alert_state *a)
{
	if (!a)
		return;
	free(a->key);
	free(a->state);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

void alert_list_free(struct alert_state *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		alert_state_free(&a[i]);
	free(a);
}

enum queue_rc queue_stats(struct queue *q, int64_t since, struct queue_stats *out, struct buf *err)
{
	struct qparam p[] = {QP_I(since)};
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = false;

	memset(out, 0, sizeof(*out));
	/* One statement, so the numbers are of one moment. */
	rc = q->ops->query(
	    q,
	    "SELECT (SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'sending')), "
	    /* waiting since it was due: a fax the sender scheduled for later is not late before then */
	    "(SELECT COALESCE(MIN(CASE WHEN send_after > created THEN send_after ELSE created END), 0) "
	    "FROM jobs WHERE status IN ('queued', 'sending')), "
	    "(SELECT COUNT(*) FROM jobs WHERE status = 'sent' AND finished >= $1), "
	    "(SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND finished >= $1), "
	    "(SELECT COUNT(*) FROM inbound WHERE received >= $1)",
	    p, 1, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = q->ops->step(r, &row, err);
	if (rc == QUEUE_OK && row) {
		out->waiting = (long)q->ops->col_int(r, 0);
		out->oldest_waiting = q->ops->col_int(r, 1);
		out->sent = (long)q->ops->col_int(r, 2);
		out->failed = (long)q->ops->col_int(r, 3);
		out->received = (long)q->ops->col_int(r, 4);
	}
	q->ops->rows_free(r);
	return rc;
}
