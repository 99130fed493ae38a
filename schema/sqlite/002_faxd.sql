-- 002_faxd: what the fax daemon needs. Jobs: pages the remote confirmed, when they finished, and
-- whether they are archived; every call attempt; received faxes with their pages; events for the
-- admins; the state of each line. Times are unix seconds; booleans are 0 or 1.
ALTER TABLE jobs ADD COLUMN pages_done INTEGER NOT NULL DEFAULT 0 CHECK (pages_done >= 0);
ALTER TABLE jobs ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
-- Jobs finished before this version: the best guess at their end is their start.
UPDATE jobs SET finished = created WHERE status IN ('sent', 'failed', 'cancelled');
-- queue_claim: the most urgent candidates first, and the calls under way to one number.
CREATE INDEX jobs_claim ON jobs (priority DESC, next_attempt, id) WHERE status IN ('queued', 'sending');
CREATE INDEX jobs_sending ON jobs (number, lease_expiry) WHERE status = 'sending';
-- queue_purge: finished jobs by age.
CREATE INDEX jobs_finished ON jobs (archived, finished) WHERE finished > 0;

CREATE TABLE attempts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	started INTEGER NOT NULL,
	ended INTEGER NOT NULL,
	server TEXT NOT NULL,
	line TEXT,
	remote_id TEXT,
	bit_rate INTEGER NOT NULL CHECK (bit_rate >= 0),
	ecm INTEGER NOT NULL CHECK (ecm IN (0, 1)),
	pages_confirmed INTEGER NOT NULL CHECK (pages_confirmed >= 0),
	t30_code INTEGER NOT NULL,
	outcome TEXT NOT NULL,
	reason TEXT
);
CREATE INDEX attempts_job ON attempts (job_id, id);

CREATE TABLE inbound (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	received INTEGER NOT NULL,
	started INTEGER NOT NULL,
	server TEXT NOT NULL,
	line TEXT,
	caller TEXT,
	called TEXT,
	subaddress TEXT,
	remote_id TEXT,
	pages INTEGER NOT NULL CHECK (pages >= 0),
	resolution INTEGER NOT NULL,
	t30_code INTEGER NOT NULL,
	partial INTEGER NOT NULL CHECK (partial IN (0, 1)),
	status TEXT NOT NULL,
	reason TEXT
);
CREATE INDEX inbound_status ON inbound (status, id);

CREATE TABLE inbound_pages (
	inbound_id INTEGER NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
	page_no INTEGER NOT NULL CHECK (page_no >= 1),
	width INTEGER NOT NULL CHECK (width > 0),
	height INTEGER NOT NULL CHECK (height > 0),
	bad_rows INTEGER NOT NULL CHECK (bad_rows >= 0),
	data BLOB NOT NULL,
	PRIMARY KEY (inbound_id, page_no)
);

CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	time INTEGER NOT NULL,
	server TEXT NOT NULL,
	kind TEXT NOT NULL,
	subject TEXT,
	text TEXT NOT NULL,
	handled INTEGER NOT NULL DEFAULT 0 CHECK (handled IN (0, 1))
);
CREATE INDEX events_time ON events (time);

CREATE TABLE lines (
	server TEXT NOT NULL,
	line TEXT NOT NULL,
	state TEXT NOT NULL,
	since INTEGER NOT NULL,
	job_id INTEGER,
	call_info TEXT,
	calls INTEGER NOT NULL,
	failures_in_row INTEGER NOT NULL,
	pages_sent INTEGER NOT NULL,
	pages_received INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (server, line)
);
