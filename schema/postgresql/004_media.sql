-- 004_media: what worked with a destination over SIP, one row per number called, so the next call
-- to it chooses right (memory 1: T.38 taken, 2: T.38 refused, G.711 only; 0: nothing known). Shared
-- by every faxd of the queue. Times are unix seconds.
CREATE TABLE media (
	number text PRIMARY KEY,
	memory integer NOT NULL CHECK (memory BETWEEN 0 AND 2),
	updated bigint NOT NULL
);
