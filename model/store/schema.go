package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations build the schema: migrations[i] takes the database from
// user_version i to i+1. Append only; never edit a released migration.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE events (
	-- seq is time_ms << 20 | a tiebreak (seqOf), so the table itself is
	-- in time order: ByTime pages walk the rowid and need no time index.
	seq       INTEGER PRIMARY KEY,
	vendor    TEXT    NOT NULL,
	id        TEXT    NOT NULL,
	uid       INTEGER,          -- users.uid; NULL when the vendor named no one
	type      INTEGER NOT NULL,
	type_name TEXT    NOT NULL,
	ip        TEXT    NOT NULL,
	ip_bin    BLOB,             -- the address as 16 bytes (IPv4 mapped) for prefix ranges
	score     INTEGER NOT NULL,
	level     INTEGER NOT NULL,
	app       TEXT    NOT NULL,
	reasons   TEXT    NOT NULL,
	fields    TEXT    NOT NULL, -- JSON object, '' when none
	UNIQUE (vendor, id)
);
-- Each index below costs about 1 ms of a 50-event PutEvents (measured:
-- 1.6 ms with none, 4.4 ms with all three; docs/PERFORMANCE.md). Each
-- serves pages that would otherwise read the whole table: riskiest first,
-- one user, one address or prefix. The rowid ends every index entry, so
-- one user's or one address's entries are in time order. Event type and
-- vendor have no index: pages filtered by them walk the table in time
-- order, which finds a page fast while a type is common.
CREATE INDEX events_score ON events (score);
CREATE INDEX events_uid ON events (uid) WHERE uid IS NOT NULL;
CREATE INDEX events_ip ON events (ip_bin) WHERE ip_bin IS NOT NULL;

-- One row per distinct way a vendor named a user: events refer to it, so
-- the user filter needs one index on events instead of three.
CREATE TABLE users (
	uid       INTEGER PRIMARY KEY,
	vendor    TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	user_name TEXT NOT NULL,
	user_key  TEXT NOT NULL,
	user_fold TEXT NOT NULL, -- user_name lower-cased
	UNIQUE (vendor, user_id, user_name, user_key)
);
CREATE INDEX users_id ON users (user_id);
CREATE INDEX users_key ON users (user_key);
CREATE INDEX users_fold ON users (user_fold);

CREATE TABLE user_risks (
	vendor       TEXT    NOT NULL,
	user_id      TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	level        INTEGER NOT NULL,
	raw_level    TEXT    NOT NULL,
	score        INTEGER NOT NULL,
	events       INTEGER NOT NULL,
	last_seen_ms INTEGER NOT NULL,
	reasons      TEXT    NOT NULL, -- JSON array of model.Reason
	context      TEXT    NOT NULL,
	at_ms        INTEGER NOT NULL
);
CREATE INDEX user_risks_vendor ON user_risks (vendor);

CREATE TABLE risk_history (
	key    TEXT    NOT NULL, -- normalised email, or vendor:user_id
	vendor TEXT    NOT NULL,
	at_ms  INTEGER NOT NULL,
	level  INTEGER NOT NULL,
	score  INTEGER NOT NULL
);
CREATE INDEX risk_history_key ON risk_history (key, vendor, at_ms);

CREATE TABLE scores (
	window_s INTEGER NOT NULL,
	from_ms  INTEGER NOT NULL,
	to_ms    INTEGER NOT NULL,
	at_ms    INTEGER NOT NULL,
	counts   TEXT    NOT NULL, -- JSON array, one count per bucket
	total    INTEGER NOT NULL
);
CREATE INDEX scores_window ON scores (window_s, at_ms);

CREATE TABLE cursors (
	name       TEXT PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
	id            INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused
	at_ms         INTEGER NOT NULL,
	actor         TEXT    NOT NULL,
	action        TEXT    NOT NULL,
	vendor        TEXT    NOT NULL,
	target        TEXT    NOT NULL,
	result        TEXT    NOT NULL,
	vendor_status INTEGER NOT NULL,
	detail        TEXT    NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE outbox (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	created_ms    INTEGER NOT NULL,
	ip            TEXT    NOT NULL,
	level         INTEGER NOT NULL,
	message       TEXT    NOT NULL,
	expires_ms    INTEGER NOT NULL,
	actor         TEXT    NOT NULL,
	state         TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
	attempts      INTEGER NOT NULL,
	next_try_ms   INTEGER NOT NULL,
	last_error    TEXT    NOT NULL,
	sent_ms       INTEGER NOT NULL,
	claim_session TEXT    NOT NULL, -- the store that marked it sending
	claimed_ms    INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_try_ms);
`,
	// 2: EnqueueOnce looks up an address's pushes; the processes whose
	// outbox claims stand (see session.go).
	`
CREATE INDEX outbox_ip ON outbox (ip);
CREATE TABLE sessions (
	session TEXT    PRIMARY KEY, -- outbox.claim_session
	pid     INTEGER NOT NULL,
	host    TEXT    NOT NULL,
	started TEXT    NOT NULL     -- when the process started, as the OS says; '' when it does not
) WITHOUT ROWID;
`,
	// 3: the Events filters operators saved (:save NAME, :view NAME), each
	// operator's own.
	`
CREATE TABLE saved_views (
	owner    TEXT    NOT NULL, -- who saved it (the actor: the OS user, or the SSH key's name)
	name     TEXT    NOT NULL,
	filter   TEXT    NOT NULL, -- the filter line as typed
	sort     INTEGER NOT NULL, -- a Sort
	saved_ms INTEGER NOT NULL,
	PRIMARY KEY (owner, name)
) WITHOUT ROWID;
`,
	// 4: an outbox item is an address (ip set) or, new, a person (subject
	// set, ip ''): a person's risk pushed to Okta as a user-risk-change.
	`
ALTER TABLE outbox ADD COLUMN subject        TEXT    NOT NULL DEFAULT ''; -- the person's email; '' for an address
ALTER TABLE outbox ADD COLUMN previous_level INTEGER NOT NULL DEFAULT 0;  -- a person's level Okta was last told (0: none)
ALTER TABLE outbox ADD COLUMN source         TEXT    NOT NULL DEFAULT ''; -- the vendor whose rating a person's level is
CREATE INDEX outbox_subject ON outbox (subject) WHERE subject != '';
`,
	// 5: detections: alerts, their change sequence, the event feed (alerts.go).
	alertsSchema,
	// 6: notifications on their way to a webhook or syslog (deliveries.go).
	deliveriesSchema,
	// 7: per-operator preferences (prefs.go).
	prefsSchema,
	// 8: changes and trends (issue 16): see changes.go.
	changesSchema,
	// 9: the hourly rollup outlives the events, and says from when each
	// vendor's is stored (see changes.go, trends.go).
	`DROP TRIGGER event_hours_remove;
CREATE INDEX event_hours_vendor ON event_hours (vendor, hour);`,
}

// migrate brings db to the newest of steps (migrations, but for tests),
// one transaction a step. Each transaction reads the version again under
// the write lock, so two processes opening a new file at once do not both
// migrate it.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	for {
		done, err := migrateOne(ctx, db, steps)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB, migrations []string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if err != nil || done {
			_ = tx.Rollback()
		}
	}()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return false, fmt.Errorf("the database has schema version %d, newer than this risktop knows (%d): use a newer risktop or another store file",
			version, len(migrations))
	case version == len(migrations):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("migrate to schema %d: %w", version+1, err)
	}
	// user_version lives in the database header, so it commits (or rolls
	// back) with the migration.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, fmt.Errorf("migrate to schema %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to schema %d: %w", version+1, err)
	}
	return false, nil
}
