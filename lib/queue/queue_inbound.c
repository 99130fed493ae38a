/*
 * queue_inbound.c - received faxes, stored with their pages (MMR, as received) and each page's
 * damaged rows, until mailgate delivers them.
 *
 * What the caller and the remote fax machine sent (caller id, sub-address, station id) is hostile:
 * stored as valid UTF-8, only as parameters. Pages read back are checked against their size bound
 * before any copy.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/xalloc.h"

#define INBOUND_COLUMNS                                                                                      \
	"id, received, started, server, line, caller, called, subaddress, remote_id, pages, resolution, "    \
	"t30_code, partial, status, reason"

static enum queue_rc inbound_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct inbound *in = item;

	(void)err;
	in->id = q->ops->col_int(r, 0);
	in->received = q->ops->col_int(r, 1);
	in->started = q->ops->col_int(r, 2);
	in->server = queue_col_strdup(q, r, 3);
	in->line = queue_col_strdup(q, r, 4);
	in->caller = queue_col_strdup(q, r, 5);
	in->called = queue_col_strdup(q, r, 6);
	in->subaddress = queue_col_strdup(q, r, 7);
	in->remote_id = queue_col_strdup(q, r, 8);
	in->pages = (int)q->ops->col_int(r, 9);
	in->resolution = (int)q->ops->col_int(r, 10);
	in->t30_code = (int)q->ops->col_int(r, 11);
	in->partial = q->ops->col_int(r, 12) != 0;
	in->status = queue_col_strdup(q, r, 13);
	in->reason = queue_col_strdup(q, r, 14);
	return QUEUE_OK;
}

static void inbound_free_item(void *item)
{
	inbound_free(item);
}

static enum queue_rc inbound_insert(struct queue *q, struct inbound *in, size_t npages, struct buf *err)
{
	const char *text[] = {in->server ? in->server : q->server,
	                      in->line,
	                      in->caller,
	                      in->called,
	                      in->subaddress,
	                      in->remote_id,
	                      in->status ? in->status : "new",
	                      in->reason};
	enum { NTEXT = sizeof(text) / sizeof(text[0]) };
	struct buf clean[NTEXT];
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = false;

	for (size_t i = 0; i < NTEXT; i++) {
		buf_init(&clean[i]);
		text[i] = queue_text(text[i], &clean[i]);
	}
	struct qparam p[] = {
	    QP_I(in->received), QP_I(in->started), QP_S(text[0]), QP_S(text[1]),         QP_S(text[2]),
	    QP_S(text[3]),      QP_S(text[4]),     QP_S(text[5]), QP_I((int64_t)npages), QP_I(in->resolution),
	    QP_I(in->t30_code), QP_I(in->partial), QP_S(text[6]), QP_S(text[7]),
	};
	rc = q->ops->query(
	    q,
	    "INSERT INTO inbound (received, started, server, line, caller, called, subaddress, "
	    "remote_id, pages, resolution, t30_code, partial, status, reason) VALUES ($1, $2, $3, "
	    "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
	    p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc == QUEUE_OK) {
		rc = q->ops->step(r, &row, err);
		if (rc == QUEUE_OK && row)
			in->id = q->ops->col_int(r, 0);
		q->ops->rows_free(r);
	}
	for (size_t i = 0; i < NTEXT; i++)
		buf_free(&clean[i]);
	return rc;
}

enum queue_rc queue_inbound_add(struct queue *q, struct inbound *in, const struct fax_page_list *pages,
                                const int *bad_rows, struct buf *err)
{
	size_t npages = pages ? pages->count : 0;
	enum queue_rc rc;
	bool own;

	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc = inbound_insert(q, in, npages, err);
	for (size_t i = 0; rc == QUEUE_OK && i < npages; i++) {
		const struct fax_page *pg = &pages->pages[i];
		int bad = bad_rows && bad_rows[i] > 0 ? bad_rows[i] : 0;
		struct qparam pp[] = {QP_I(in->id),    QP_I((int64_t)i + 1),
		                      QP_I(pg->width), QP_I(pg->height),
		                      QP_I(bad),       QP_B(pg->data ? (const void *)pg->data : "", pg->len)};
		rc = queue_exec(
		    q,
		    "INSERT INTO inbound_pages (inbound_id, page_no, width, height, bad_rows, data) "
		    "VALUES ($1, $2, $3, $4, $5, $6)",
		    pp, 6, err);
	}
	rc = queue_end_own(q, own, rc, err);
	if (rc == QUEUE_OK)
		in->pages = (int)npages;
	return rc;
}

enum queue_rc queue_inbound_get(struct queue *q, int64_t id, struct inbound *out, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	enum queue_rc rc;

	memset(out, 0, sizeof(*out));
	rc = queue_read_one(q, "SELECT " INBOUND_COLUMNS " FROM inbound WHERE id = $1", p, 1, out,
	                    inbound_read, err);
	if (rc == QUEUE_NOT_FOUND)
		buf_printf(err, "no received fax %" PRId64, id);
	return rc;
}

enum queue_rc queue_inbound_list(struct queue *q, const char *status, size_t limit, struct inbound **out,
                                 size_t *n, struct buf *err)
{
	static const char *const sql[2][2] = {
	    {"SELECT " INBOUND_COLUMNS " FROM inbound ORDER BY id DESC",
	     "SELECT " INBOUND_COLUMNS " FROM inbound ORDER BY id DESC LIMIT $1"},
	    {"SELECT " INBOUND_COLUMNS " FROM inbound WHERE status = $1 ORDER BY id DESC",
	     "SELECT " INBOUND_COLUMNS " FROM inbound WHERE status = $1 ORDER BY id DESC LIMIT $2"},
	};
	struct qparam p[2];
	size_t np = 0;

	if (status)
		p[np++] = QP_S(status);
	if (limit)
		p[np++] = QP_I(limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	return queue_read_list(q, sql[status != NULL][limit != 0], p, np, sizeof(**out), inbound_read,
	                       inbound_free_item, (void **)out, n, err);
}

enum queue_rc queue_inbound_oldest(struct queue *q, const char *status, size_t limit, struct inbound **out,
                                   size_t *n, struct buf *err)
{
	struct qparam p[] = {QP_S(status), QP_I(limit > INT64_MAX ? INT64_MAX : (int64_t)limit)};

	return queue_read_list(
	    q, "SELECT " INBOUND_COLUMNS " FROM inbound WHERE status = $1 ORDER BY id LIMIT $2", p, 2,
	    sizeof(**out), inbound_read, inbound_free_item, (void **)out, n, err);
}

enum queue_rc queue_inbound_newest(struct queue *q, int64_t *id, struct buf *err)
{
	return queue_query_int(q, "SELECT COALESCE(MAX(id), 0) FROM inbound", NULL, 0, id, err);
}

enum queue_rc queue_inbound_pages(struct queue *q, int64_t id, struct fax_page_list *pages, int **bad_rows,
                                  struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	struct queue_rows *r;
	enum queue_rc rc;
	size_t cap = 0;
	bool row;

	memset(pages, 0, sizeof(*pages));
	*bad_rows = NULL;
	rc = q->ops->query(q,
	                   "SELECT width, height, bad_rows, data FROM inbound_pages WHERE inbound_id = $1 "
	                   "ORDER BY page_no",
	                   p, 1, &r, err);
	if (rc != QUEUE_OK)
		return rc;
	while ((rc = q->ops->step(r, &row, err)) == QUEUE_OK && row) {
		struct fax_page pg = {0};
		const void *data = q->ops->col_blob(r, 3, &pg.len);

		pg.width = (int)q->ops->col_int(r, 0);
		pg.height = (int)q->ops->col_int(r, 1);
		if (pg.width <= 0 || pg.height <= 0 || pg.len > mmr_max_len(pg.width, pg.height)) {
			buf_printf(err, "page %zu of received fax %" PRId64 " is damaged", pages->count + 1,
			           id);
			rc = QUEUE_ERR_DATA;
			break;
		}
		if (pages->count == cap) {
			cap = cap ? cap * 2 : 8;
			*bad_rows = xreallocarray(*bad_rows, cap, sizeof(**bad_rows));
		}
		(*bad_rows)[pages->count] = (int)q->ops->col_int(r, 2);
		pg.data = xmalloc(pg.len ? pg.len : 1);
		if (pg.len)
			memcpy(pg.data, data, pg.len);
		fax_page_list_push(pages, &pg);
	}
	q->ops->rows_free(r);
	if (rc == QUEUE_OK && pages->count == 0) {
		struct inbound in;
		rc = queue_inbound_get(q, id, &in, err);
		if (rc == QUEUE_OK)
			inbound_free(&in);
	}
	if (rc != QUEUE_OK) {
		fax_page_list_free(pages);
		free(*bad_rows);
		*bad_rows = NULL;
	}
	return rc;
}

enum queue_rc queue_inbound_set_status(struct queue *q, int64_t id, const char *status, const char *reason,
                                       struct buf *err)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	struct qparam p[] = {QP_I(id), QP_S(queue_text(status ? status : "new", &c1)),
	                     QP_S(queue_text(reason, &c2))};
	bool changed;
	enum queue_rc rc = queue_exec_changed(
	    q, "UPDATE inbound SET status = $2, reason = $3 WHERE id = $1 RETURNING id", p, 3, &changed, err);

	buf_free(&c1);
	buf_free(&c2);
	if (rc == QUEUE_OK && !changed) {
		buf_printf(err, "no received fax %" PRId64, id);
		rc = QUEUE_NOT_FOUND;
	}
	return rc;
}

enum queue_rc queue_inbound_move(struct queue *q, int64_t id, const char *from, const char *to,
                                 const char *reason, struct buf *err)
{
	struct buf c0 = BUF_INIT, c1 = BUF_INIT, c2 = BUF_INIT;
	struct inbound in;
	enum queue_rc rc;
	bool changed;

	if (!from || !to || !*to) {
		buf_puts(err, "a received fax moves from one status to another");
		return QUEUE_BAD_STATE;
	}
	struct qparam p[] = {QP_I(id), QP_S(queue_text(from, &c0)), QP_S(queue_text(to, &c1)),
	                     QP_S(queue_text(reason, &c2))};
	rc = queue_exec_changed(
	    q, "UPDATE inbound SET status = $3, reason = $4 WHERE id = $1 AND status = $2 RETURNING id", p, 4,
	    &changed, err);
	buf_free(&c0);
	buf_free(&c1);
	buf_free(&c2);
	if (rc != QUEUE_OK || changed)
		return rc;
	rc = queue_inbound_get(q, id, &in, err);
	if (rc != QUEUE_OK)
		return rc;
	buf_printf(err, "received fax %" PRId64 " is %s, not %s", id, in.status ? in.status : "", from);
	inbound_free(&in);
	return QUEUE_BAD_STATE;
}

void inbound_free(struct inbound *in)
{
	free(in->server);
	free(in->line);
	free(in->caller);
	free(in->called);
	free(in->subaddress);
	free(in->remote_id);
	free(in->status);
	free(in->reason);
	memset(in, 0, sizeof(*in));
}

void inbound_list_free(struct inbound *in, size_t n)
{
	for (size_t i = 0; in && i < n; i++)
		inbound_free(&in[i]);
	free(in);
}
