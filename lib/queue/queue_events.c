/*
 * queue_events.c - events the admins must hear of (a line taken out of service, back in service),
 * kept in the database until mailgate has sent them and marked them handled.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/xalloc.h"

enum queue_rc queue_event_add(struct queue *q, const char *kind, const char *subject, const char *text,
                              struct buf *err)
{
	struct buf c[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
	struct qparam p[] = {QP_I((int64_t)time(NULL)), QP_S(q->server),
	                     QP_S(queue_text(kind ? kind : "", &c[0])), QP_S(queue_text(subject, &c[1])),
	                     QP_S(queue_text(text ? text : "", &c[2]))};
	enum queue_rc rc = queue_exec(
	    q, "INSERT INTO events (time, server, kind, subject, text) VALUES ($1, $2, $3, $4, $5)", p, 5,
	    err);

	for (int i = 0; i < 3; i++)
		buf_free(&c[i]);
	return rc;
}

static enum queue_rc event_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct event *e = item;

	(void)err;
	e->id = q->ops->col_int(r, 0);
	e->time = q->ops->col_int(r, 1);
	e->server = queue_col_strdup(q, r, 2);
	e->kind = queue_col_strdup(q, r, 3);
	e->subject = queue_col_strdup(q, r, 4);
	e->text = queue_col_strdup(q, r, 5);
	e->handled = q->ops->col_int(r, 6) != 0;
	return QUEUE_OK;
}

static void event_free(void *item)
{
	struct event *e = item;

	free(e->server);
	free(e->kind);
	free(e->subject);
	free(e->text);
}

enum queue_rc queue_event_list(struct queue *q, int64_t since_id, bool unhandled_only, size_t limit,
                               struct event **out, size_t *n, struct buf *err)
{
	static const char *const sql[2] = {
	    "SELECT id, time, server, kind, subject, text, handled FROM events WHERE id > $1 AND "
	    "(handled = FALSE OR $2 = 0) ORDER BY id",
	    "SELECT id, time, server, kind, subject, text, handled FROM events WHERE id > $1 AND "
	    "(handled = FALSE OR $2 = 0) ORDER BY id LIMIT $3",
	};
	struct qparam p[] = {QP_I(since_id), QP_I(unhandled_only),
	                     QP_I(limit > INT64_MAX ? INT64_MAX : (int64_t)limit)};

	return queue_read_list(q, sql[limit != 0], p, limit ? 3 : 2, sizeof(**out), event_read, event_free,
	                       (void **)out, n, err);
}

enum queue_rc queue_event_handled(struct queue *q, int64_t id, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	bool changed;
	enum queue_rc rc = queue_exec_changed(
	    q, "UPDATE events SET handled = TRUE WHERE id = $1 AND handled = FALSE RETURNING id", p, 1,
	    &changed, err);
	int64_t exists = 0;

	if (rc == QUEUE_OK && !changed) {
		rc = queue_query_int(q, "SELECT COUNT(*) FROM events WHERE id = $1", p, 1, &exists, err);
		if (rc == QUEUE_OK && exists) {
			buf_printf(err, "event %" PRId64 " was handled meanwhile", id);
			rc = QUEUE_BAD_STATE;
		} else if (rc == QUEUE_OK) {
			buf_printf(err, "no event %" PRId64, id);
			rc = QUEUE_NOT_FOUND;
		}
	}
	return rc;
}

void event_list_free(struct event *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		event_free(&e[i]);
	free(e);
}
