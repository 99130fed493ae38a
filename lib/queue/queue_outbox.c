/*
 * queue_outbox.c - the outbox: every mail mailgate sends, stored whole before the relay sees it,
 * claimed under a lease by whichever mailgate delivers it, kept until the relay took it.
 *
 * A claim is one conditional UPDATE of one row (pending, due, no live lease), checked again as the
 * row is changed, so two claimers never get the same mail: SQLite runs it in a write transaction
 * (BEGIN IMMEDIATE, the database's only write lock); PostgreSQL locks the row it picks and passes
 * rows others hold (FOR UPDATE SKIP LOCKED), so mailgates side by side take different mails. No
 * lock beyond the row is needed: unlike jobs, mails have no limit that spans several rows.
 *
 * The message is stored as a blob, byte for byte; envelope and Message-ID are text, stored as
 * valid UTF-8 like everything else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Every column but the message, in struct outbox_mail's order. */
#define OUTBOX_COLUMNS                                                                                       \
	"id, created, kind, ref_id, sender, recipients, message_id, status, attempts, next_attempt, "        \
	"last_error, sent, lease_owner, lease_expiry"

/* Read a row of OUTBOX_COLUMNS (and, when with_message, the message after them). */
static void outbox_read(struct queue *q, struct queue_rows *r, struct outbox_mail *m, bool with_message)
{
	memset(m, 0, sizeof(*m));
	m->id = q->ops->col_int(r, 0);
	m->created = q->ops->col_int(r, 1);
	m->kind = queue_col_strdup(q, r, 2);
	m->ref_id = q->ops->col_int(r, 3);
	m->sender = queue_col_strdup(q, r, 4);
	m->recipients = queue_col_strdup(q, r, 5);
	m->message_id = queue_col_strdup(q, r, 6);
	m->status = queue_col_strdup(q, r, 7);
	m->attempts = (int)q->ops->col_int(r, 8);
	m->next_attempt = q->ops->col_int(r, 9);
	m->last_error = queue_col_strdup(q, r, 10);
	m->sent = q->ops->col_int(r, 11);
	m->lease_owner = queue_col_strdup(q, r, 12);
	m->lease_expiry = q->ops->col_int(r, 13);
	if (with_message) {
		size_t len;
		const void *data = q->ops->col_blob(r, 14, &len);
		if (len)
			buf_append(&m->message, data, len);
	}
}

static enum queue_rc outbox_read_item(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	(void)err;
	outbox_read(q, r, item, false);
	return QUEUE_OK;
}

/* The same with the message (queue_outbox_get). */
static enum queue_rc outbox_read_whole(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	(void)err;
	outbox_read(q, r, item, true);
	return QUEUE_OK;
}

static void outbox_free_item(void *item)
{
	outbox_mail_free(item);
}

static bool outbox_kind_known(const char *kind)
{
	return kind &&
	       (strcmp(kind, "fax") == 0 || strcmp(kind, "notice") == 0 || strcmp(kind, "alert") == 0);
}

enum queue_rc queue_outbox_add(struct queue *q, struct outbox_mail *m, struct buf *err)
{
	int64_t now = (int64_t)time(NULL);
	struct buf c1 = BUF_INIT, c2 = BUF_INIT, c3 = BUF_INIT;
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = false;

	if (!outbox_kind_known(m->kind) || !m->sender || !m->recipients || !*m->recipients ||
	    !m->message_id || !*m->message_id || m->message.len == 0) {
		buf_puts(err, "a mail needs a known kind, a sender, recipients, a Message-ID and a message");
		log_error("queue: an outbox mail without kind, sender, recipients, Message-ID or message");
		return QUEUE_ERR_TEMP;
	}
	struct qparam p[] = {
	    QP_I(now),
	    QP_S(m->kind),
	    QP_I(m->ref_id),
	    QP_S(queue_text(m->sender, &c1)),
	    QP_S(queue_text(m->recipients, &c2)),
	    QP_S(queue_text(m->message_id, &c3)),
	    QP_B(m->message.data, m->message.len),
	};
	rc = q->ops->query(
	    q,
	    "INSERT INTO outbox (created, kind, ref_id, sender, recipients, message_id, message, "
	    "status, attempts, next_attempt) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, "
	    "$1) RETURNING id",
	    p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc == QUEUE_OK) {
		rc = q->ops->step(r, &row, err);
		if (rc == QUEUE_OK && row)
			m->id = q->ops->col_int(r, 0);
		q->ops->rows_free(r);
	}
	buf_free(&c1);
	buf_free(&c2);
	buf_free(&c3);
	if (rc == QUEUE_OK && !row) {
		buf_puts(err, "the mail was not stored");
		rc = QUEUE_ERR_TEMP;
	}
	if (rc == QUEUE_OK)
		m->created = now;
	return rc;
}

enum queue_rc queue_outbox_get(struct queue *q, int64_t id, struct outbox_mail *out, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	enum queue_rc rc;

	memset(out, 0, sizeof(*out));
	rc = queue_read_one(q, "SELECT " OUTBOX_COLUMNS ", message FROM outbox WHERE id = $1", p, 1, out,
	                    outbox_read_whole, err);
	if (rc == QUEUE_NOT_FOUND)
		buf_printf(err, "no mail %" PRId64 " in the outbox", id);
	return rc;
}

enum queue_rc queue_outbox_claim(struct queue *q, const char *owner, int64_t now, long lease_secs,
                                 struct outbox_mail *out, struct buf *err)
{
	/* Due: pending, its time has come, and nobody holds it (or its holder's lease ran out). */
#define OUTBOX_DUE "status = 'pending' AND next_attempt <= $3 AND lease_expiry <= $3"
	char sql[512];
	struct qparam p[] = {QP_S(owner), QP_I(now + lease_secs), QP_I(now)};
	int64_t id = 0;
	enum queue_rc rc;
	bool own;

	memset(out, 0, sizeof(*out));
	if (!owner || !*owner) {
		buf_puts(err, "a claim needs an owner");
		return QUEUE_ERR_TEMP;
	}
	snprintf(sql, sizeof(sql),
	         "UPDATE outbox SET lease_owner = $1, lease_expiry = $2 WHERE id = (SELECT id FROM outbox "
	         "WHERE " OUTBOX_DUE " ORDER BY next_attempt, id LIMIT 1%s) AND " OUTBOX_DUE " RETURNING id",
	         q->ops->claim_row_lock);
#undef OUTBOX_DUE
	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc = queue_query_int(q, sql, p, sizeof(p) / sizeof(p[0]), &id, err);
	if (rc == QUEUE_OK && id == 0)
		rc = QUEUE_NOT_FOUND; /* ids start at 1: no row claimed */
	if (rc == QUEUE_OK)
		rc = queue_outbox_get(q, id, out, err);
	if (rc == QUEUE_NOT_FOUND) {
		/* nothing due: end the transaction quietly */
		queue_end_own(q, own, QUEUE_NOT_FOUND, err);
		return QUEUE_NOT_FOUND;
	}
	rc = queue_end_own(q, own, rc, err);
	if (rc != QUEUE_OK)
		outbox_mail_free(out);
	else
		log_debug("queue: mail %" PRId64 " claimed by %s until %" PRId64, id, owner,
		          now + lease_secs);
	return rc;
}

/* Why a claim could not be ended: QUEUE_NOT_FOUND, or QUEUE_BAD_STATE with the reason in err. */
static enum queue_rc outbox_refused(struct queue *q, int64_t id, const char *owner, struct buf *err)
{
	struct outbox_mail m;
	enum queue_rc rc = queue_outbox_get(q, id, &m, err);

	if (rc != QUEUE_OK)
		return rc;
	if (!m.status || strcmp(m.status, "pending") != 0)
		buf_printf(err, "mail %" PRId64 " is %s", id, m.status ? m.status : "");
	else
		buf_printf(err, "mail %" PRId64 " is leased to %s, not %s", id,
		           m.lease_owner ? m.lease_owner : "nobody", owner);
	outbox_mail_free(&m);
	return QUEUE_BAD_STATE;
}

enum queue_rc queue_outbox_finish(struct queue *q, int64_t id, const char *owner, const char *status,
                                  const char *last_error, int64_t next_attempt, struct buf *err)
{
	int64_t now = (int64_t)time(NULL), ref_id = 0;
	struct buf clean = BUF_INIT;
	struct queue_rows *r;
	enum queue_rc rc;
	bool own, row = false, sent, fax = false;

	if (!status || (strcmp(status, "sent") != 0 && strcmp(status, "failed") != 0 &&
	                strcmp(status, "pending") != 0)) {
		buf_printf(err, "a mail's claim cannot end as %s", status ? status : "nothing");
		return QUEUE_BAD_STATE;
	}
	sent = strcmp(status, "sent") == 0;
	owner = owner ? owner : "";
	/* As for jobs, an expired lease still counts as long as nobody took the mail over. */
	struct qparam p[] = {
	    QP_I(id),
	    QP_S(owner),
	    QP_S(status),
	    QP_S(queue_text(last_error, &clean)),
	    strcmp(status, "pending") == 0 ? QP_I(next_attempt) : QP_S(NULL),
	    QP_I(sent ? now : 0),
	};
	rc = queue_begin_own(q, &own, err);
	if (rc == QUEUE_OK)
		rc = q->ops->query(
		    q,
		    "UPDATE outbox SET status = $3, last_error = $4, next_attempt = "
		    "COALESCE($5, next_attempt), sent = $6, attempts = attempts + 1, lease_owner = "
		    "NULL, lease_expiry = 0 WHERE id = $1 AND status = 'pending' AND lease_owner = "
		    "$2 RETURNING kind, ref_id",
		    p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc == QUEUE_OK) {
		rc = q->ops->step(r, &row, err);
		if (rc == QUEUE_OK && row) {
			const char *kind = q->ops->col_text(r, 0);
			fax = kind && strcmp(kind, "fax") == 0;
			ref_id = q->ops->col_int(r, 1);
		}
		q->ops->rows_free(r);
	}
	buf_free(&clean);
	if (rc == QUEUE_OK && !row)
		rc = outbox_refused(q, id, owner, err);
	/* The relay has the fax: the received fax is delivered, in the same transaction. */
	if (rc == QUEUE_OK && sent && fax && ref_id > 0) {
		struct qparam pi[] = {QP_I(ref_id)};
		bool changed;
		rc = queue_exec_changed(q,
		                        "UPDATE inbound SET status = 'delivered' WHERE id = $1 AND status = "
		                        "'mailed' RETURNING id",
		                        pi, 1, &changed, err);
		if (rc == QUEUE_OK && !changed)
			log_warning("queue: mail %" PRId64 " delivered received fax %" PRId64
			            ", which was not waiting for it",
			            id, ref_id);
	}
	return queue_end_own(q, own, rc, err);
}

enum queue_rc queue_outbox_redirect(struct queue *q, int64_t id, const char *owner, const char *recipients,
                                    const char *last_error, int64_t next_attempt, struct buf *err)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	enum queue_rc rc;
	bool changed;

	if (!recipients || !*recipients) {
		buf_puts(err, "a mail needs recipients");
		return QUEUE_BAD_STATE;
	}
	owner = owner ? owner : "";
	struct qparam p[] = {QP_I(id), QP_S(owner), QP_S(queue_text(recipients, &c1)),
	                     QP_S(queue_text(last_error, &c2)), QP_I(next_attempt)};
	rc = queue_exec_changed(
	    q,
	    "UPDATE outbox SET recipients = $3, last_error = $4, next_attempt = $5, attempts = "
	    "attempts + 1, lease_owner = NULL, lease_expiry = 0 WHERE id = $1 AND status = "
	    "'pending' AND lease_owner = $2 RETURNING id",
	    p, sizeof(p) / sizeof(p[0]), &changed, err);
	buf_free(&c1);
	buf_free(&c2);
	if (rc == QUEUE_OK && !changed)
		rc = outbox_refused(q, id, owner, err);
	return rc;
}

enum queue_rc queue_outbox_list(struct queue *q, const char *status, size_t limit, struct outbox_mail **out,
                                size_t *n, struct buf *err)
{
	static const char *const sql[2][2] = {
	    {"SELECT " OUTBOX_COLUMNS " FROM outbox ORDER BY id DESC",
	     "SELECT " OUTBOX_COLUMNS " FROM outbox ORDER BY id DESC LIMIT $1"},
	    {"SELECT " OUTBOX_COLUMNS " FROM outbox WHERE status = $1 ORDER BY id DESC",
	     "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT $2"},
	};
	struct buf clean = BUF_INIT;
	struct qparam p[2];
	size_t np = 0;
	enum queue_rc rc;

	if (status)
		p[np++] = QP_S(queue_text(status, &clean));
	if (limit)
		p[np++] = QP_I(limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	rc = queue_read_list(q, sql[status != NULL][limit != 0], p, np, sizeof(**out), outbox_read_item,
	                     outbox_free_item, (void **)out, n, err);
	buf_free(&clean);
	return rc;
}

void outbox_mail_free(struct outbox_mail *m)
{
	if (!m)
		return;
	free(m->kind);
	free(m->sender);
	free(m->recipients);
	free(m->message_id);
	buf_free(&m->message);
	free(m->status);
	free(m->last_error);
	free(m->lease_owner);
	memset(m, 0, sizeof(*m));
}

void outbox_list_free(struct outbox_mail *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		outbox_mail_free(&m[i]);
	free(m);
}
