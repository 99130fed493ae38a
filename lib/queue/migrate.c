/*
 * migrate.c - `faxctl db upgrade`: apply the schema migrations this program carries.
 *
 * Each migration runs in its own transaction together with its row in schema_version, so a
 * database is always at one whole version. The version is read again under the schema lock, so
 * two upgrades started at once apply each migration once.
 */
#include <time.h>

#include "queue/queue.h"
#include "queue/queue_store.h"
#include "util/log.h"

static enum queue_rc migrate_one(struct queue *q, const struct queue_migration *m, bool *applied,
                                 struct buf *err)
{
	enum queue_rc rc;
	int have;

	*applied = false;
	rc = queue_begin(q, err);
	if (rc == QUEUE_OK)
		rc = q->ops->lock_schema(q, err);
	if (rc == QUEUE_OK)
		rc = queue_have_version(q, &have, err);
	if (rc == QUEUE_OK && have >= m->version) {
		queue_rollback(q);
		return QUEUE_OK;
	}
	if (rc == QUEUE_OK && have != m->version - 1) {
		buf_printf(err, "schema version %d cannot be upgraded to %d", have, m->version);
		rc = QUEUE_ERR_SCHEMA;
	}
	if (rc == QUEUE_OK)
		rc = q->ops->script(q, m->sql, err);
	if (rc == QUEUE_OK) {
		struct qparam p[] = {QP_I(m->version), QP_S(m->name), QP_I((int64_t)time(NULL))};
		rc = queue_exec(q, "INSERT INTO schema_version (version, name, applied) VALUES ($1, $2, $3)",
		                p, 3, err);
	}
	if (rc != QUEUE_OK) {
		queue_rollback(q);
		return rc;
	}
	rc = queue_commit(q, err);
	*applied = rc == QUEUE_OK;
	return rc;
}

enum queue_rc queue_upgrade(const struct conf *conf, struct buf *report, struct buf *err)
{
	struct queue *q;
	enum queue_rc rc;
	int have, want, applied = 0;
	bool done;

	rc = queue_connect(conf, true, &q, err);
	if (rc != QUEUE_OK)
		return rc;
	rc = queue_schema_version(q, &have, &want, err);
	if (rc == QUEUE_OK && have > want) {
		buf_printf(
		    err, "the database's schema is version %d, newer than this program's %d: upgrade faxgate",
		    have, want);
		rc = QUEUE_ERR_SCHEMA;
	}
	for (const struct queue_migration *m = q->ops->migrations; rc == QUEUE_OK && m->version; m++) {
		rc = migrate_one(q, m, &done, err);
		if (rc == QUEUE_OK && done) {
			buf_printf(report, "applied %03d_%s\n", m->version, m->name);
			log_notice("queue: %s schema upgraded to version %d (%s)", q->ops->name, m->version,
			           m->name);
			applied++;
		}
	}
	if (rc == QUEUE_OK)
		buf_printf(report, "%s schema is at version %d%s\n", q->ops->name, want,
		           applied ? "" : ", nothing to do");
	queue_close(q);
	return rc;
}
