package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/risktop/risktop/model"
)

// A store made at schema 3 migrates to 4: its outbox items read back
// unchanged, as addresses (no subject, previous level or source).
func TestMigrateOutboxFromSchema3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	db, err := sql.Open("sqlite", path)
	must(t, err)
	ctx := context.Background()
	must(t, migrate(ctx, db, migrations[:3]))
	t0 := fixtureNow.UnixMilli()
	_, err = db.Exec(`INSERT INTO outbox (created_ms, ip, level, message, expires_ms, actor, state, attempts,
		next_try_ms, last_error, sent_ms, claim_session, claimed_ms)
		VALUES (?, '203.0.113.9', ?, 'stuffing', 0, 'alice', 'failed', 3, ?, '429', 0, '', 0)`,
		t0, int(model.LevelHigh), t0+1000)
	must(t, err)
	must(t, db.Close())

	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	var version int
	must(t, s.read.QueryRow("PRAGMA user_version").Scan(&version))
	if version != len(migrations) || version < 4 { // the newest schema, at least 4
		t.Fatalf("version %d of %d", version, len(migrations))
	}
	items, err := s.Outbox(ctx, "", 10)
	must(t, err)
	want := model.OutboxItem{ID: 1, Created: timeOfMs(t0), IP: "203.0.113.9", Level: model.LevelHigh, Message: "stuffing",
		Actor: "alice", State: model.OutboxFailed, Attempts: 3, NextTry: timeOfMs(t0 + 1000), LastError: "429"}
	if len(items) != 1 || !reflect.DeepEqual(items[0], want) {
		t.Fatalf("items %+v\nwant %+v", items, want)
	}
	if items[0].Person() || items[0].Target() != "203.0.113.9" {
		t.Fatalf("an old item is an address: %+v", items[0])
	}
}
