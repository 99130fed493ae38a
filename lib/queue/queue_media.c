/*
 * queue_media.c - the media memory: per number called, whether T.38 worked or the far end wanted
 * G.711 only, so faxd's next call to it does not waste a re-INVITE (or skips the T.38 it needs).
 *
 * In the database rather than in faxd's memory, so every server of a queue learns from the calls
 * of the others and a restart forgets nothing. A row older than the caller's max_age counts as
 * unknown: far ends change (a new gateway, a new carrier), so what was learnt is tried again.
 */
#include <string.h>

#include "queue/queue.h"
#include "queue/queue_store.h"

struct media_row {
	int64_t memory;
	int64_t updated;
};

static enum queue_rc media_read(struct queue *q, struct queue_rows *r, void *item, struct buf *err)
{
	struct media_row *m = item;

	(void)err;
	m->memory = q->ops->col_int(r, 0);
	m->updated = q->ops->col_int(r, 1);
	return QUEUE_OK;
}

enum queue_rc queue_media_get(struct queue *q, const char *number, int64_t now, long max_age,
                              enum media_memory *out, struct buf *err)
{
	struct buf clean = BUF_INIT;
	struct qparam p[] = {QP_S(queue_text(number ? number : "", &clean))};
	struct media_row m = {0, 0};
	enum queue_rc rc;

	*out = MEDIA_UNKNOWN;
	rc = queue_read_one(q, "SELECT memory, updated FROM media WHERE number = $1", p, 1, &m, media_read,
	                    err);
	buf_free(&clean);
	if (rc == QUEUE_NOT_FOUND)
		return QUEUE_OK;
	if (rc != QUEUE_OK)
		return rc;
	/* a row from a server whose clock runs ahead is fresh, not expired */
	if (max_age > 0 && m.updated < now && now - m.updated > max_age)
		return QUEUE_OK;
	if (m.memory == MEDIA_T38_WORKS || m.memory == MEDIA_G711_ONLY)
		*out = (enum media_memory)m.memory;
	return QUEUE_OK;
}

enum queue_rc queue_media_put(struct queue *q, const char *number, enum media_memory m, int64_t now,
                              struct buf *err)
{
	struct buf clean = BUF_INIT;
	enum queue_rc rc;

	if (!number || !*number || (m != MEDIA_UNKNOWN && m != MEDIA_T38_WORKS && m != MEDIA_G711_ONLY)) {
		buf_puts(err, "a media memory needs a number and unknown, T.38 works or G.711 only");
		return QUEUE_BAD_STATE;
	}
	struct qparam p[] = {QP_S(queue_text(number, &clean)), QP_I((int64_t)m), QP_I(now)};
	rc = queue_exec(
	    q,
	    "INSERT INTO media (number, memory, updated) VALUES ($1, $2, $3) "
	    "ON CONFLICT (number) DO UPDATE SET memory = excluded.memory, updated = excluded.updated",
	    p, sizeof(p) / sizeof(p[0]), err);
	buf_free(&clean);
	return rc;
}
