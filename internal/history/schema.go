package history

// schema is the read model: one row per ended call, its call object as
// JSON in body, the filterable fields as indexed columns. Every index ends
// in (started_at, id), the listing order, so that a filtered page is an
// index range read backwards and stops after the page: its cost does not
// grow with the number of calls stored. A call's extensions (the agent and
// every extension that took part) go to call_exts, which the extension
// filter reads the same way; the trigger keeps it in step with calls.
const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS calls (
	id          TEXT NOT NULL UNIQUE,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL,
	direction   TEXT NOT NULL,
	disposition TEXT NOT NULL,
	queue       TEXT NOT NULL,
	customer    TEXT NOT NULL,
	campaign    TEXT NOT NULL,
	exts        TEXT NOT NULL,
	body        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_started     ON calls (started_at, id);
CREATE INDEX IF NOT EXISTS calls_ended       ON calls (ended_at);
CREATE INDEX IF NOT EXISTS calls_direction   ON calls (direction, started_at, id);
CREATE INDEX IF NOT EXISTS calls_disposition ON calls (disposition, started_at, id);
CREATE INDEX IF NOT EXISTS calls_queue       ON calls (queue, started_at, id) WHERE queue != '';
CREATE INDEX IF NOT EXISTS calls_customer    ON calls (customer, started_at, id) WHERE customer != '';
CREATE INDEX IF NOT EXISTS calls_campaign    ON calls (campaign, started_at, id) WHERE campaign != '';

CREATE TABLE IF NOT EXISTS call_exts (
	ext        TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	id         TEXT NOT NULL,
	call       INTEGER NOT NULL,
	PRIMARY KEY (ext, started_at, id)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS calls_exts_delete AFTER DELETE ON calls BEGIN
	DELETE FROM call_exts
	WHERE ext IN (SELECT value FROM json_each(old.exts))
	  AND started_at = old.started_at AND id = old.id;
END;
`
