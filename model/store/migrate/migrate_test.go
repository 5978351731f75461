package migrate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A SQLite store with some of everything.
func sqliteStore(t *testing.T) (*store.SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "risktop.db")
	st, err := store.Open(path, store.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	g := eventgen.New(7, 40)
	for day := range 3 {
		_, err := st.PutEvents(ctx, g.Batch(1500, now.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour))
		must(t, err)
	}
	views := []model.UserRisk{{UserID: "u1", Email: "ava@example.com", Name: "Ava", Level: model.LevelLow, Score: 20},
		{UserID: "u2", Email: "bo@example.com", Name: "Bo", Level: model.LevelMedium, Score: 50}}
	must(t, st.PutUserRisks(ctx, "cloudflare", now.Add(-2*time.Hour), views))
	views[0].Level, views[0].Score = model.LevelHigh, 80
	must(t, st.PutUserRisks(ctx, "cloudflare", now.Add(-time.Hour), views))
	must(t, st.PutScores(ctx, model.Scores{Window: 24 * time.Hour, At: now, Counts: [5]int{1, 2, 3, 4, 5}, Total: 15}))
	must(t, st.SetCursor(ctx, "onelogin/head", `{"time":"2026-03-01T11:59:00Z"}`))
	must(t, st.SetCursor(ctx, "detect/events", "4000 1772366340000"))
	for i := range 3 {
		_, err := st.AppendAudit(ctx, model.AuditEntry{At: now.Add(time.Duration(i) * time.Minute), Actor: "os:ops",
			Action: "push-ip", Vendor: "okta", Target: "198.51.100.7", Result: "ok", VendorStatus: 202})
		must(t, err)
	}
	ids, err := st.Enqueue(ctx, []model.OutboxItem{
		{Created: now, IP: "198.51.100.7", Level: model.LevelHigh, Actor: "os:ops", NextTry: now},
		{Created: now, Subject: "ava@example.com", Source: "cloudflare", Level: model.LevelHigh, Actor: "os:ops", NextTry: now},
	})
	must(t, err)
	_, err = st.ClaimDue(ctx, now, 1)
	must(t, err)
	must(t, st.MarkSent(ctx, ids[:1], now))
	_, err = st.EnqueueDeliveries(ctx, []store.DeliveryMessage{{ID: "alert-1", Payload: `{"a":1}`}}, []string{"siem"}, now)
	must(t, err)
	f := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Key: "burst:203.0.113.0/24",
		Title: "Burst of failed sign-ins from 203.0.113.0/24", Subject: "203.0.113.0/24", FirstSeen: now, LastSeen: now, Count: 1,
		Incident: &model.Incident{Range: "203.0.113.0/24", Addresses: 3, People: 2, Failures: 9, From: now, To: now},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}, Backfilled: true}
	f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: "1"})
	_, err = st.PutAlerts(ctx, now, []model.Alert{f}, nil, nil)
	must(t, err)
	must(t, st.SaveView(ctx, "os:ops", store.SavedView{Name: "fails", Filter: "failed since:1d", Saved: now}))
	must(t, st.SetPref(ctx, "os:ops", "notify", "bell", now))
	must(t, st.RecordHealth(ctx, model.HealthChange{Source: "okta", At: now, From: model.StateOK, To: model.StateFailing, Error: "401"}))
	return st, path
}

// Every table arrives with its counts, the rows read back alike through
// the Store, ids move on from the copied ones, and a second copy into
// the same database is refused.
func TestCopyIntoPostgreSQL(t *testing.T) {
	src, path := sqliteStore(t)
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	dst, err := postgres.Open(ctx, url, postgres.Options{})
	must(t, err)
	defer dst.Close()

	rep, err := Copy(ctx, path, src, dst, Options{})
	must(t, err)
	if bad := rep.Mismatched(); len(bad) > 0 || len(rep.Counts) != len(copied)+1 {
		t.Fatalf("counts %+v, mismatched %+v", rep.Counts, bad)
	}
	for _, c := range rep.Counts {
		if c.Table == "events" && c.From != 4500 {
			t.Errorf("events: %+v", c)
		}
	}

	same := func(what string, read func(store.Store) (any, error)) {
		t.Helper()
		a, err := read(src)
		must(t, err)
		b, err := read(dst)
		must(t, err)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differ:\nSQLite     %+v\nPostgreSQL %+v", what, a, b)
		}
	}
	same("the newest events", func(s store.Store) (any, error) {
		p, err := s.Events(ctx, store.EventQuery{Limit: 50})
		return p.Events, err
	})
	same("the riskiest events", func(s store.Store) (any, error) {
		p, err := s.Events(ctx, store.EventQuery{Sort: store.ByScore, Limit: 50})
		return p.Events, err
	})
	same("the failed count", func(s store.Store) (any, error) {
		return s.CountEvents(ctx, store.EventFilter{Text: "failed"})
	})
	same("user risks", func(s store.Store) (any, error) { return s.UserRisks(ctx, "") })
	same("history", func(s store.Store) (any, error) { return s.RiskHistory(ctx, "ava@example.com", time.Time{}) })
	same("scores", func(s store.Store) (any, error) { return s.LatestScores(ctx, 24*time.Hour) })
	same("the audit", func(s store.Store) (any, error) { return s.Audit(ctx, 0, 10) })
	same("the outbox", func(s store.Store) (any, error) { return s.Outbox(ctx, "", 10) })
	same("deliveries", func(s store.Store) (any, error) { return s.Deliveries(ctx, "", 10) })
	same("alerts", func(s store.Store) (any, error) { return s.Alerts(ctx, store.AlertQuery{}) })
	same("the alert seq", func(s store.Store) (any, error) { return s.AlertSeq(ctx) })
	same("views", func(s store.Store) (any, error) { return s.SavedViews(ctx, "os:ops") })
	same("a pref", func(s store.Store) (any, error) { v, _, err := s.Pref(ctx, "os:ops", "notify"); return v, err })
	same("a cursor", func(s store.Store) (any, error) { return s.Cursor(ctx, "onelogin/head") })
	same("trends", func(s store.Store) (any, error) {
		return s.Trends(ctx, store.TrendQuery{From: now.Add(-72 * time.Hour), To: now, Step: time.Hour})
	})

	// The engine's cursor points at PostgreSQL's own feed head.
	head, err := dst.FeedHead(ctx)
	must(t, err)
	if c, _ := dst.Cursor(ctx, "detect/events"); c != strconv.FormatInt(head, 10)+" 1772366340000" {
		t.Errorf("detect/events cursor %q, feed head %d", c, head)
	}
	// New rows take ids after the copied ones.
	id, err := dst.AppendAudit(ctx, model.AuditEntry{At: now, Actor: "os:ops", Action: "ack", Result: "ok"})
	must(t, err)
	if id != 4 {
		t.Errorf("the next audit id is %d, want 4", id)
	}
	if _, err := Copy(ctx, path, src, dst, Options{}); err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Errorf("a second copy: %v", err)
	}
}
