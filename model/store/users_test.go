package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func historyRows(t *testing.T, s *SQLite) int {
	t.Helper()
	var n int
	if err := s.read.QueryRow(`SELECT count(*) FROM risk_history`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPutUserRisksReplacesViews(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	cf := []model.UserRisk{
		{UserID: "u1", Email: "Ada@Example.com ", Name: "Ada", Level: model.LevelHigh, RawLevel: "high", Score: model.NoScore,
			LastSeen: t0, Reasons: []model.Reason{{Code: "IMPOSSIBLE_TRAVEL", Text: "Impossible travel", Count: 2}}},
		{UserID: "u2", Email: "alan@example.com", Name: "Alan", Level: model.LevelLow, RawLevel: "low", Score: model.NoScore},
	}
	casb := []model.UserRisk{
		{Vendor: "casb", Email: "ada@example.com", Level: model.LevelMedium, RawLevel: "Medium", Score: 60, Context: "SFDC"},
	}
	if err := s.PutUserRisks(ctx, "cloudflare", t0, cf); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUserRisks(ctx, "casb", t0, casb); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserRisks(ctx, "cloudflare")
	want := []model.UserRisk{cf[0], cf[1]}
	want[0].Vendor, want[1].Vendor = "cloudflare", "cloudflare"
	want[0].LastSeen = t0.UTC()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("cloudflare views:\n got %+v\nwant %+v", got, want)
	}
	all, err := s.UserRisks(ctx, "")
	if err != nil || len(all) != 3 || all[0].Vendor != "casb" {
		t.Fatalf("all views = %+v, %v", all, err)
	}
	// The next poll replaces the vendor's views and leaves the other's.
	if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Minute), cf[1:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserRisks(ctx, "cloudflare"); len(got) != 1 || got[0].UserID != "u2" {
		t.Errorf("after replace = %+v", got)
	}
	if got, _ := s.UserRisks(ctx, "casb"); len(got) != 1 {
		t.Errorf("CASB views = %+v", got)
	}
	if err := s.PutUserRisks(ctx, "cloudflare", t0, casb); err == nil {
		t.Error("a CASB view put as Cloudflare's: no error")
	}
	if err := s.PutUserRisks(ctx, "", t0, cf); err == nil {
		t.Error("no vendor: no error")
	}
}

func TestRiskHistoryOnlyOnChange(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	var views []model.UserRisk
	for i := range 300 {
		views = append(views, model.UserRisk{UserID: fmt.Sprintf("u%03d", i), Level: model.LevelLow, Score: model.NoScore})
	}
	views[0].Email, views[1].Email = "ada@example.com", "alan@example.com"
	if err := s.PutUserRisks(ctx, "cloudflare", t0, views); err != nil {
		t.Fatal(err)
	}
	if n := historyRows(t, s); n != 300 {
		t.Fatalf("first poll wrote %d points, want 300", n)
	}
	// Unchanged polls write nothing.
	for i := 1; i <= 3; i++ {
		if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(i)*time.Minute), views); err != nil {
			t.Fatal(err)
		}
	}
	if n := historyRows(t, s); n != 300 {
		t.Fatalf("unchanged polls wrote %d points in all, want 300", n)
	}
	putAt := func(vendor string, min int, views []model.UserRisk) {
		t.Helper()
		if err := s.PutUserRisks(ctx, vendor, t0.Add(time.Duration(min)*time.Minute), views); err != nil {
			t.Fatal(err)
		}
	}
	// Ada's level rises, then her score, then nothing changes.
	views[0].Level = model.LevelHigh
	putAt("cloudflare", 4, views)
	views[0].Score = 70
	putAt("cloudflare", 5, views)
	putAt("cloudflare", 6, views)
	// Another vendor's view of Ada has its own line.
	putAt("casb", 7, []model.UserRisk{
		{Email: "ADA@example.com", Level: model.LevelMedium, Score: 40, Context: "SFDC"},
		{Email: "ada@example.com", Level: model.LevelLow, Score: 55, Context: "Box"}, // one person: highest of both
	})
	if n := historyRows(t, s); n != 303 {
		t.Fatalf("%d points in all, want 303", n)
	}
	got, err := s.RiskHistory(ctx, " Ada@Example.com", time.Time{})
	want := []model.RiskPoint{
		{At: t0, Vendor: "cloudflare", Level: model.LevelLow, Score: model.NoScore},
		{At: t0.Add(4 * time.Minute), Vendor: "cloudflare", Level: model.LevelHigh, Score: model.NoScore},
		{At: t0.Add(5 * time.Minute), Vendor: "cloudflare", Level: model.LevelHigh, Score: 70},
		{At: t0.Add(7 * time.Minute), Vendor: "casb", Level: model.LevelMedium, Score: 55},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("history:\n got %+v\nwant %+v", got, want)
	}
	if got, _ := s.RiskHistory(ctx, "ada@example.com", t0.Add(5*time.Minute)); len(got) != 2 {
		t.Errorf("history since 5m = %+v", got)
	}
	// A view without an email is kept under vendor:id.
	key := HistoryKey(model.UserRisk{Vendor: "cloudflare", UserID: views[5].UserID})
	if got, _ := s.RiskHistory(ctx, key, time.Time{}); len(got) != 1 {
		t.Errorf("history of %s = %+v", key, got)
	}
}

func TestScoresSnapshots(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	if _, err := s.LatestScores(ctx, 24*time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no readings: %v", err)
	}
	t0 := fixtureNow
	for i := range 3 {
		for _, w := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
			sc := model.Scores{Window: w, From: t0.Add(-w), To: t0, Counts: [5]int{i, 2, 3, 4, 5 + int(w/time.Hour)},
				Total: 100 + i, At: t0.Add(time.Duration(i) * time.Hour)}
			if err := s.PutScores(ctx, sc); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.LatestScores(ctx, 24*time.Hour)
	want := model.Scores{Window: 24 * time.Hour, From: t0.Add(-24 * time.Hour), To: t0, Counts: [5]int{2, 2, 3, 4, 29},
		Total: 102, At: t0.Add(2 * time.Hour)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("latest:\n got %+v\nwant %+v", got, want)
	}
	hist, err := s.ScoresHistory(ctx, 7*24*time.Hour, t0.Add(time.Hour))
	if err != nil || len(hist) != 2 || hist[0].Total != 101 || hist[1].Total != 102 {
		t.Errorf("history = %+v, %v", hist, err)
	}
	if err := s.PutScores(ctx, model.Scores{}); err == nil {
		t.Error("zero window: no error")
	}
}

func TestCursors(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	if v, err := s.Cursor(ctx, "onelogin.head"); v != "" || err != nil {
		t.Fatalf("unset cursor = %q, %v", v, err)
	}
	for _, v := range []string{`{"after":"2026-03-01T12:00:00Z"}`, "second"} {
		if err := s.SetCursor(ctx, "onelogin.head", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Cursor(ctx, "onelogin.head"); got != v || err != nil {
			t.Errorf("cursor = %q, %v; want %q", got, err, v)
		}
	}
	if err := s.SetCursor(ctx, "", "x"); err == nil {
		t.Error("unnamed cursor: no error")
	}
}
