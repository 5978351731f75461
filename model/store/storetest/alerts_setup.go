package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// alertsPooled is a store on PostgreSQL (postgres.Store): the alerts cases
// reach its database for what another area owns (alertsTables,
// alertsCursor).
type alertsPooled interface{ Pool() *pgxpool.Pool }

// alertsTables creates, on PostgreSQL, the tables the alerts share with
// other areas: counters (with its 'alert_seq' row; the events area's)
// and cursors (the people area's). Until those areas are merged they are
// stubs; the DDL is theirs, as SQLite's, with IF NOT EXISTS and ON
// CONFLICT DO NOTHING, so once they create the tables this does nothing.
// TODO(issue 17): delete after the merge.
func alertsTables(t *testing.T, s store.Store) {
	t.Helper()
	p, ok := s.(alertsPooled)
	if !ok {
		return
	}
	_, err := p.Pool().Exec(context.Background(), `
		CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL);
		INSERT INTO counters (name, n) VALUES ('alert_seq', 0) ON CONFLICT DO NOTHING;
		CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms BIGINT NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
}

// openAlerts is a fresh fixture with the tables the alerts need.
func openAlerts(t *testing.T, open Opener) Fixture {
	t.Helper()
	f := open(t)
	alertsTables(t, f.Store)
	return f
}

// alertsCursor is the cursor PutAlerts wrote. On PostgreSQL it reads the
// row (Cursor is the people area's, a stub until the merge).
// TODO(issue 17): s.Cursor on both after the merge.
func alertsCursor(t *testing.T, s store.Store, name string) string {
	t.Helper()
	ctx := context.Background()
	if p, ok := s.(alertsPooled); ok {
		var v string
		if err := p.Pool().QueryRow(ctx, `SELECT value FROM cursors WHERE name = $1`, name).Scan(&v); err != nil {
			t.Fatalf("cursor %s: %v", name, err)
		}
		return v
	}
	v, err := s.Cursor(ctx, name)
	alertsMust(t, err)
	return v
}

// alertsNow is the alerts cases' clock.
var alertsNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func alertsMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func burstFinding(rng string, failures int, from, to time.Time) model.Alert {
	f := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh,
		Key: "burst:" + rng, Title: "Burst of failed sign-ins from " + rng, Subject: rng,
		FirstSeen: from, LastSeen: to, Count: 1,
		Incident: &model.Incident{Range: rng, Addresses: 3, People: 2, Failures: failures, From: from, To: to},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	for i := range failures {
		f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: fmt.Sprint(i)})
	}
	f.Evidence.AddAddress("203.0.113.10")
	f.Evidence.AddPerson("zoe@example.com")
	return f
}
