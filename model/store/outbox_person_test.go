package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

// A person's item keeps its subject, previous level and source; an item
// is an address or a person, never both nor neither.
func TestEnqueuePerson(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	p := model.OutboxItem{Created: fixtureNow, Subject: "zoe@example.com", Level: model.LevelCritical,
		Previous: model.LevelLow, Source: "cloudflare", Actor: "alice"}
	ids, err := s.Enqueue(ctx, []model.OutboxItem{p})
	must(t, err)
	items, err := s.OutboxItems(ctx, ids)
	must(t, err)
	got := items[0]
	if got.Subject != p.Subject || got.IP != "" || got.Previous != model.LevelLow || got.Source != "cloudflare" ||
		got.Level != model.LevelCritical || got.State != model.OutboxQueued || !got.Person() || got.Target() != p.Subject {
		t.Fatalf("item %+v", got)
	}
	claimed, err := s.ClaimDue(ctx, fixtureNow.Add(time.Minute), 10)
	must(t, err)
	if len(claimed) != 1 || claimed[0].Subject != p.Subject || claimed[0].Previous != model.LevelLow {
		t.Fatalf("claimed %+v", claimed)
	}
	both := p
	both.IP = "203.0.113.9"
	if _, err := s.Enqueue(ctx, []model.OutboxItem{both}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("both: %v", err)
	}
	if _, err := s.EnqueueOnce(ctx, []Push{{Item: model.OutboxItem{Level: model.LevelHigh}}}, fixtureNow, time.Hour); err == nil ||
		!strings.Contains(err.Error(), "no IP and no subject") {
		t.Fatalf("neither: %v", err)
	}
}

// EnqueueOnce skips a person's push while an item of the same subject is
// queued or sending at the same or a higher level; a sent, failed or
// lower one does not count, nor does an address or another person.
func TestEnqueueOncePerson(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	const ttl = 24 * time.Hour
	person := func(email string, level model.Level) model.OutboxItem {
		return model.OutboxItem{Created: fixtureNow, Subject: email, Level: level, Actor: "alice"}
	}
	ids, err := s.Enqueue(ctx, []model.OutboxItem{person("sending@example.com", model.LevelHigh)})
	must(t, err)
	_, err = s.ClaimDue(ctx, fixtureNow.Add(time.Minute), 10)
	must(t, err)
	queued, err := s.Enqueue(ctx, []model.OutboxItem{
		person("queued@example.com", model.LevelHigh),
		person("sent@example.com", model.LevelHigh),
		person("failed@example.com", model.LevelHigh),
	})
	must(t, err)
	must(t, s.MarkSent(ctx, queued[1:2], fixtureNow))
	must(t, s.MarkFailed(ctx, queued[2:3], "400", time.Time{}))
	_, err = s.Enqueue(ctx, []model.OutboxItem{{Created: fixtureNow, IP: "192.0.2.1", Level: model.LevelHigh}})
	must(t, err)

	now := fixtureNow.Add(time.Hour)
	pushes := []Push{
		{Item: person("queued@example.com", model.LevelHigh)},              // 0: skipped
		{Item: person("queued@example.com", model.LevelMedium)},            // 1: skipped (queued higher)
		{Item: person("queued@example.com", model.LevelCritical)},          // 2: queued (higher)
		{Item: person("sending@example.com", model.LevelHigh)},             // 3: skipped
		{Item: person("sent@example.com", model.LevelHigh)},                // 4: queued: sent does not count
		{Item: person("failed@example.com", model.LevelHigh)},              // 5: queued
		{Item: person("new@example.com", model.LevelLow)},                  // 6: queued
		{Item: person("new@example.com", model.LevelLow)},                  // 7: skipped: the batch named it
		{Item: person("queued@example.com", model.LevelHigh), Force: true}, // 8: forced
	}
	done, err := s.EnqueueOnce(ctx, pushes, now, ttl)
	must(t, err)
	wantSkipped := []bool{true, true, false, true, false, false, false, true, false}
	for i, d := range done {
		if d.Skipped() != wantSkipped[i] {
			t.Errorf("push %d: skipped %v, live %+v", i, d.Skipped(), d.Live)
		}
	}
	if done[0].Live.ID != queued[0] || done[3].Live.ID != ids[0] || done[7].Live.ID != done[6].ID || done[8].Live.ID == 0 {
		t.Errorf("live items: %+v", done)
	}
}
