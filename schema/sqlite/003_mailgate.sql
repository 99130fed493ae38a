-- 003_mailgate: what the mail gateway needs. Jobs keep the mail's headers (for notices) and how far
-- their notices went; the outbox holds every mail faxgate sends until the relay took it; alerts
-- hold the state of each problem the admins were told of. Times are unix seconds.
ALTER TABLE jobs ADD COLUMN headers TEXT;
ALTER TABLE jobs ADD COLUMN notice INTEGER NOT NULL DEFAULT 0 CHECK (notice BETWEEN 0 AND 2);
-- Jobs finished before this version were never noticed: nobody wants notices about the past.
UPDATE jobs SET notice = 2 WHERE status IN ('sent', 'failed', 'cancelled');
UPDATE jobs SET notice = 1 WHERE notice = 0;
-- queue_job_notices_due: the few jobs whose notices are not all done.
CREATE INDEX jobs_notice ON jobs (notice, id) WHERE notice < 2;

CREATE TABLE outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	created INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('fax', 'notice', 'alert')),
	ref_id INTEGER NOT NULL DEFAULT 0,
	sender TEXT NOT NULL,
	recipients TEXT NOT NULL,
	message_id TEXT NOT NULL,
	message BLOB NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error TEXT,
	sent INTEGER NOT NULL DEFAULT 0,
	lease_owner TEXT,
	lease_expiry INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (next_attempt, id) WHERE status = 'pending';
CREATE INDEX outbox_created ON outbox (created);

CREATE TABLE alerts (
	key TEXT PRIMARY KEY,
	state TEXT NOT NULL CHECK (state IN ('down', 'up')),
	since INTEGER NOT NULL,
	last_mail INTEGER NOT NULL DEFAULT 0,
	text TEXT
);
