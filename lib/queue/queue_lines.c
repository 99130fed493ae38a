/*
 * queue_lines.c - what each line of each fax server is doing, one row per server and line, so
 * `faxctl lines` shows it from anywhere (the database is the only place faxd tells it).
 */
#include <stdlib.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/xalloc.h"

enum queue_rc queue_line_update(struct queue *q, const struct line_status *ls, struct buf *err)
{
	struct buf c[4] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
	struct qparam p[] = {
	    QP_S(queue_text(ls->server ? ls->server : q->server, &c[0])),
	    QP_S(queue_text(ls->line ? ls->line : "", &c[1])),
	    QP_S(queue_text(ls->state ? ls->state : "", &c[2])),
	    QP_I(ls->since),
	    ls->job_id > 0 ? QP_I(ls->job_id) : QP_S(NULL),
	    QP_S(queue_text(ls->call_info, &c[3])),
	    QP_I(ls->calls),
	    QP_I(ls->failures_in_row),
	    QP_I(ls->pages_sent),
	    QP_I(ls->pages_received),
	    QP_I(ls->updated > 0 ? ls->updated : (int64_t)time(NULL)),
	};
	enum queue_rc rc = queue_exec(
	    q,
	    "INSERT INTO lines (server, line, state, since, job_id, call_info, calls, failures_in_row, "
	    "pages_sent, pages_received, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
	    "ON CONFLICT (server, line) DO UPDATE SET state = excluded.state, since = excluded.since, "
	    "job_id = excluded.job_id, call_info = excluded.call_info, calls = excluded.calls, "
	    "failures_in_row = excluded.failures_in_row, pages_sent = excluded.pages_sent, "
	    "pages_received = excluded.pages_received, updated = excluded.updated",
	    p, sizeof(p) / sizeof(p[0]), err);

	for (int i = 0; i < 4; i++)
		buf_free(&c[i]);
	return rc;
}

static enum queue_rc line_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct line_status *ls = item;

	(void)err;
	ls->server = queue_col_strdup(q, r, 0);
	ls->line = queue_col_strdup(q, r, 1);
	ls->state = queue_col_strdup(q, r, 2);
	ls->since = q->ops->col_int(r, 3);
	ls->job_id = q->ops->col_int(r, 4);
	ls->call_info = queue_col_strdup(q, r, 5);
	ls->calls = q->ops->col_int(r, 6);
	ls->failures_in_row = q->ops->col_int(r, 7);
	ls->pages_sent = q->ops->col_int(r, 8);
	ls->pages_received = q->ops->col_int(r, 9);
	ls->updated = q->ops->col_int(r, 10);
	return QUEUE_OK;
}

static void line_free(void *item)
{
	struct line_status *ls = item;

	free(ls->server);
	free(ls->line);
	free(ls->state);
	free(ls->call_info);
}

enum queue_rc queue_line_list(struct queue *q, struct line_status **out, size_t *n, struct buf *err)
{
	/* Line names are mostly numbers: "2" before "10". */
	return queue_read_list(
	    q,
	    "SELECT server, line, state, since, job_id, call_info, calls, failures_in_row, "
	    "pages_sent, pages_received, updated FROM lines ORDER BY server, LENGTH(line), "
	    "line",
	    NULL, 0, sizeof(**out), line_read, line_free, (void **)out, n, err);
}

void line_status_list_free(struct line_status *ls, size_t n)
{
	for (size_t i = 0; ls && i < n; i++)
		line_free(&ls[i]);
	free(ls);
}
