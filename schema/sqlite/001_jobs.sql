-- 001_jobs: the job queue. Times are unix seconds; status is a name (see lib/queue/queue.h).
CREATE TABLE schema_version (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied INTEGER NOT NULL
);

CREATE TABLE jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	created INTEGER NOT NULL,
	sender TEXT NOT NULL,
	auth_user TEXT,
	client_addr TEXT,
	number TEXT NOT NULL,
	dial TEXT NOT NULL,
	rcpt_addr TEXT,
	rcpt_name TEXT,
	rcpt_company TEXT,
	subaddress TEXT,
	subject TEXT,
	pages INTEGER NOT NULL CHECK (pages >= 0),
	resolution INTEGER NOT NULL,
	paper INTEGER NOT NULL,
	priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 100),
	send_after INTEGER NOT NULL,
	status TEXT NOT NULL
		CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled', 'held')),
	reason_code TEXT NOT NULL,
	reason TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	lease_owner TEXT,
	lease_expiry INTEGER NOT NULL DEFAULT 0,
	notify TEXT,
	orcpt TEXT,
	message_id TEXT,
	dedupe_key TEXT UNIQUE
);
-- What a sender picks next: due jobs, highest priority first.
CREATE INDEX jobs_due ON jobs (status, next_attempt, priority);
-- queue_pages_today: a sender's pages since midnight.
CREATE INDEX jobs_identity ON jobs (COALESCE(auth_user, sender), created);

CREATE TABLE pages (
	job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL CHECK (seq >= 1),
	width INTEGER NOT NULL CHECK (width > 0),
	height INTEGER NOT NULL CHECK (height > 0),
	data BLOB NOT NULL,
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
