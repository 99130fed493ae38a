/*
 * queue_jobs.c - jobs and their pages: store, read, list, admin actions, pages a sender queued
 * today. The SQL here is shared by both stores.
 *
 * Text comes from mail and is hostile: it travels only as parameters, and invalid UTF-8 becomes
 * U+FFFD before it is stored (PostgreSQL refuses it, and both stores must keep the same text).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/log.h"
#include "util/xalloc.h"

enum queue_rc queue_job_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct job *j = item;
	int c = 0;

	memset(j, 0, sizeof(*j));
	for (const struct job_field *f = job_fields; f->name; f++, c++) {
		void *field = (char *)j + f->offset;
		const char *s;

		switch (f->type) {
		case JOB_FIELD_INT64:
		case JOB_FIELD_TIME:
			*(int64_t *)field = q->ops->col_int(r, c);
			break;
		case JOB_FIELD_INT:
			*(int *)field = (int)q->ops->col_int(r, c);
			break;
		case JOB_FIELD_TEXT:
			s = q->ops->col_text(r, c);
			*(char **)field = s ? xstrdup(s) : NULL;
			break;
		case JOB_FIELD_STATUS:
			s = q->ops->col_text(r, c);
			int st = queue_status_parse(s);
			if (st < 0) {
				buf_printf(err, "job %lld has an unknown status", (long long)j->id);
				job_free(j);
				return QUEUE_ERR_TEMP;
			}
			j->status = (enum job_status)st;
			break;
		case JOB_FIELD_BOOL:
			*(bool *)field = q->ops->col_int(r, c) != 0;
			break;
		}
	}
	return QUEUE_OK;
}

/*
 * The header section as stored: valid UTF-8, at most QUEUE_HEADERS_MAX bytes, cut after the last
 * line end that fits (or, for one endless line, between two characters), so a notice quotes whole
 * header lines. s itself, or a copy in tmp.
 */
static const char *job_headers(const char *s, struct buf *tmp)
{
	size_t len;

	s = queue_text(s, tmp);
	if (!s || (len = strlen(s)) <= QUEUE_HEADERS_MAX)
		return s;
	len = QUEUE_HEADERS_MAX;
	while (len > 0 && s[len - 1] != '\n')
		len--;
	if (len == 0)
		for (len = QUEUE_HEADERS_MAX; len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80; len--)
			;
	if (s != tmp->data) {
		buf_reset(tmp);
		buf_append(tmp, s, len);
	} else {
		tmp->len = len;
		tmp->data[len] = '\0';
	}
	return buf_cstr(tmp);
}

static enum queue_rc job_insert(struct queue *q, struct job *j, const struct fax_page_list *pages,
                                int64_t now, struct buf *err)
{
	static const char sql[] =
	    "INSERT INTO jobs (created, sender, auth_user, client_addr, number, dial, rcpt_addr, rcpt_name, "
	    "rcpt_company, subaddress, subject, pages, resolution, paper, priority, send_after, status, "
	    "reason_code, reason, attempts, next_attempt, lease_owner, lease_expiry, notify, orcpt, "
	    "message_id, "
	    "dedupe_key, headers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
	    "$16, 'queued', 'queued', 'waiting to be sent', 0, $16, NULL, 0, $17, $18, $19, $20, $21) "
	    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id";
	const char *text[] = {j->sender ? j->sender : "",
	                      j->auth_user,
	                      j->client_addr,
	                      j->number,
	                      j->dial,
	                      j->rcpt_addr,
	                      j->rcpt_name,
	                      j->rcpt_company,
	                      j->subaddress,
	                      j->subject,
	                      j->notify,
	                      j->orcpt,
	                      j->message_id,
	                      j->dedupe_key};
	enum { NTEXT = sizeof(text) / sizeof(text[0]) };
	struct buf clean[NTEXT], clean_headers = BUF_INIT;
	int priority = j->priority < 0 ? 0 : j->priority > 100 ? 100 : j->priority;
	size_t npages = pages ? pages->count : 0;
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = false;

	for (size_t i = 0; i < NTEXT; i++) {
		buf_init(&clean[i]);
		text[i] = queue_text(text[i], &clean[i]);
	}
	struct qparam p[] = {
	    QP_I(now),           QP_S(text[0]),  QP_S(text[1]),
	    QP_S(text[2]),       QP_S(text[3]),  QP_S(text[4]),
	    QP_S(text[5]),       QP_S(text[6]),  QP_S(text[7]),
	    QP_S(text[8]),       QP_S(text[9]),  QP_I((int64_t)npages),
	    QP_I(j->resolution), QP_I(j->paper), QP_I(priority),
	    QP_I(j->send_after), QP_S(text[10]), QP_S(text[11]),
	    QP_S(text[12]),      QP_S(text[13]), QP_S(job_headers(j->headers, &clean_headers)),
	};
	rc = q->ops->query(q, sql, p, sizeof(p) / sizeof(p[0]), &r, err);
	if (rc == QUEUE_OK) {
		rc = q->ops->step(r, &row, err);
		if (rc == QUEUE_OK && row)
			j->id = q->ops->col_int(r, 0);
		q->ops->rows_free(r);
	}
	for (size_t i = 0; i < NTEXT; i++)
		buf_free(&clean[i]);
	buf_free(&clean_headers);
	if (rc == QUEUE_OK && !row)
		return QUEUE_DUPLICATE;

	return rc == QUEUE_OK ? queue_pages_insert(q, j->id, pages, err) : rc;
}

enum queue_rc queue_pages_insert(struct queue *q, int64_t id, const struct fax_page_list *pages,
                                 struct buf *err)
{
	enum queue_rc rc = QUEUE_OK;

	for (size_t i = 0; rc == QUEUE_OK && pages && i < pages->count; i++) {
		const struct fax_page *pg = &pages->pages[i];
		struct qparam pp[] = {QP_I(id), QP_I((int64_t)i + 1), QP_I(pg->width), QP_I(pg->height),
		                      QP_B(pg->data ? (const void *)pg->data : "", pg->len)};
		rc = queue_exec(
		    q, "INSERT INTO pages (job_id, seq, width, height, data) VALUES ($1, $2, $3, $4, $5)", pp,
		    5, err);
	}
	return rc;
}

enum queue_rc queue_job_add(struct queue *q, struct job *j, const struct fax_page_list *pages,
                            struct buf *err)
{
	bool own = !q->in_tx;
	int64_t now = (int64_t)time(NULL);
	enum queue_rc rc;

	if (!j->number || !j->dial) {
		buf_puts(err, "a job needs a number and a dial string");
		log_error("queue: a job without a number or dial string");
		return QUEUE_ERR_TEMP;
	}
	/* Inside the caller's transaction a savepoint keeps a failed or duplicate job from spoiling it. */
	rc = own ? queue_begin(q, err) : queue_exec(q, "SAVEPOINT queue_job_add", NULL, 0, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = job_insert(q, j, pages, now, err);
	if (rc == QUEUE_OK) {
		rc = own ? queue_commit(q, err)
		         : queue_exec(q, "RELEASE SAVEPOINT queue_job_add", NULL, 0, err);
		if (rc == QUEUE_OK) {
			j->created = now;
			j->pages = (int)(pages ? pages->count : 0);
			return QUEUE_OK;
		}
	}
	if (own) {
		queue_rollback(q);
	} else {
		struct buf ignored = BUF_INIT;
		queue_exec(q, "ROLLBACK TO SAVEPOINT queue_job_add", NULL, 0, &ignored);
		queue_exec(q, "RELEASE SAVEPOINT queue_job_add", NULL, 0, &ignored);
		buf_free(&ignored);
	}
	if (rc == QUEUE_DUPLICATE) {
		struct qparam p[] = {QP_S(j->dedupe_key)};
		enum queue_rc rc2 =
		    queue_query_int(q, "SELECT id FROM jobs WHERE dedupe_key = $1", p, 1, &j->id, err);
		if (rc2 != QUEUE_OK)
			return rc2;
	}
	return rc;
}

enum queue_rc queue_job_get(struct queue *q, int64_t id, struct job *out, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	enum queue_rc rc;

	memset(out, 0, sizeof(*out));
	rc = queue_read_one(q, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = $1", p, 1, out, queue_job_read,
	                    err);
	if (rc == QUEUE_NOT_FOUND)
		buf_printf(err, "no job %lld", (long long)id);
	return rc;
}

static enum queue_rc job_exists(struct queue *q, int64_t id, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	int64_t n;
	enum queue_rc rc = queue_query_int(q, "SELECT COUNT(*) FROM jobs WHERE id = $1", p, 1, &n, err);

	if (rc == QUEUE_OK && n == 0) {
		buf_printf(err, "no job %lld", (long long)id);
		rc = QUEUE_NOT_FOUND;
	}
	return rc;
}

enum queue_rc queue_job_pages(struct queue *q, int64_t id, struct fax_page_list *out, struct buf *err)
{
	struct qparam p[] = {QP_I(id)};
	struct queue_rows *r;
	enum queue_rc rc;
	bool row = true;

	memset(out, 0, sizeof(*out));
	rc = q->ops->query(q, "SELECT width, height, data FROM pages WHERE job_id = $1 ORDER BY seq", p, 1,
	                   &r, err);
	if (rc != QUEUE_OK)
		return rc;
	while (rc == QUEUE_OK && (rc = q->ops->step(r, &row, err)) == QUEUE_OK && row) {
		struct fax_page pg = {0};
		const void *data = q->ops->col_blob(r, 2, &pg.len);

		pg.width = (int)q->ops->col_int(r, 0);
		pg.height = (int)q->ops->col_int(r, 1);
		if (pg.width <= 0 || pg.height <= 0 || pg.len > mmr_max_len(pg.width, pg.height)) {
			buf_printf(err, "page %zu of job %lld is damaged", out->count + 1, (long long)id);
			rc = QUEUE_ERR_DATA;
			break;
		}
		pg.data = xmalloc(pg.len ? pg.len : 1);
		if (pg.len)
			memcpy(pg.data, data, pg.len);
		fax_page_list_push(out, &pg);
	}
	q->ops->rows_free(r);
	if (rc == QUEUE_OK && out->count == 0)
		rc = job_exists(q, id, err);
	if (rc != QUEUE_OK)
		fax_page_list_free(out);
	return rc;
}

void queue_job_free_item(void *item)
{
	job_free(item);
}

static enum queue_rc job_list(struct queue *q, bool archived, int status, size_t limit, struct job **out,
                              size_t *n, struct buf *err)
{
	/* Status comes first when given, then the limit. */
	static const char *const sql[2][2][2] = {
	    {
	        {"SELECT " JOB_COLUMNS " FROM jobs WHERE archived = FALSE ORDER BY id DESC",
	         "SELECT " JOB_COLUMNS " FROM jobs WHERE archived = FALSE ORDER BY id DESC LIMIT $1"},
	        {"SELECT " JOB_COLUMNS " FROM jobs WHERE archived = FALSE AND status = $1 ORDER BY id DESC",
	         "SELECT " JOB_COLUMNS
	         " FROM jobs WHERE archived = FALSE AND status = $1 ORDER BY id DESC LIMIT $2"},
	    },
	    {
	        {"SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC",
	         "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT $1"},
	        {"SELECT " JOB_COLUMNS " FROM jobs WHERE status = $1 ORDER BY id DESC",
	         "SELECT " JOB_COLUMNS " FROM jobs WHERE status = $1 ORDER BY id DESC LIMIT $2"},
	    },
	};
	bool has_status = status >= 0 && status<JOB_STATUS_COUNT, has_limit = limit> 0;
	struct qparam p[2];
	size_t np = 0;

	if (has_status)
		p[np++] = QP_S(queue_status_name((enum job_status)status));
	if (has_limit)
		p[np++] = QP_I(limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	return queue_read_list(q, sql[archived][has_status][has_limit], p, np, sizeof(**out), queue_job_read,
	                       queue_job_free_item, (void **)out, n, err);
}

enum queue_rc queue_job_list(struct queue *q, int status, size_t limit, struct job **out, size_t *n,
                             struct buf *err)
{
	return job_list(q, true, status, limit, out, n, err);
}

enum queue_rc queue_job_list_current(struct queue *q, int status, size_t limit, struct job **out, size_t *n,
                                     struct buf *err)
{
	return job_list(q, false, status, limit, out, n, err);
}

enum queue_rc queue_pages_today(struct queue *q, const char *sender, long *pages, struct buf *err)
{
	time_t now = time(NULL);
	struct tm tm;
	int64_t n;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	struct buf clean = BUF_INIT;
	struct qparam p[] = {QP_S(queue_text(sender ? sender : "", &clean)), QP_I((int64_t)mktime(&tm))};
	enum queue_rc rc =
	    queue_query_int(q,
	                    "SELECT COALESCE(SUM(pages), 0) FROM jobs WHERE COALESCE(auth_user, sender) "
	                    "= $1 AND created >= $2 AND status <> 'cancelled'",
	                    p, 2, &n, err);
	buf_free(&clean);
	*pages = rc == QUEUE_OK ? (long)n : 0;
	return rc;
}
