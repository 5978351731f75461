package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// peopleCases are the people area's cases: people's views and history,
// its feed and rises, score snapshots, cursors, saved views, preferences,
// the Changes and the trends (concurrency cases in people_race.go).
var peopleCases = []Case{
	{"PutUserRisksReplacesViews", testPutUserRisksReplacesViews},
	{"RiskHistoryOnlyOnChange", testRiskHistoryOnlyOnChange},
	{"ScoresSnapshots", testScoresSnapshots},
	{"Cursors", testCursors},
	{"SavedViewsAreEachOwnersAndReplaced", testSavedViews},
	{"PrefsPerOwner", testPrefsPerOwner},
	{"RisesSince", testRisesSince},
	{"RisesLimitAndBeforeTheWindow", testRisesLimit},
	{"HistoryFeed", testHistoryFeed},
	{"HistoryOfALateStore", testHistoryLateStore},
	{"HistoryFeedPagesAndLatestLevels", testHistoryFeedPages},
	{"ChangesLevels", testChangesLevels},
	{"ChangesRanges", testChangesRanges},
	{"ChangesHealth", testChangesHealth},
	{"ChangesRefusesAnEmptyWindow", testChangesEmptyWindow},
	{"ChangeMarksPerOperator", testChangeMarksPerOperator},
	{"TrendsFollowEvents", testTrendsFollowEvents},
	{"TrendsRefuseBadSteps", testTrendsBadSteps},
	{"PutUserRisksTwoInstancesTwoVendors", testPutUserRisksTwoVendors},
	{"PutUserRisksSameViewTwice", testPutUserRisksSameViewTwice},
	{"HistoryFeedReaderNeverSkips", testHistoryFeedNeverSkips},
	{"SetChangeMarkNeverBackConcurrently", testChangeMarkConcurrent},
	{"RollupsAddUpAcrossInstances", testRollupsAcrossInstances},
}

func testPutUserRisksReplacesViews(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	cf := []model.UserRisk{
		{UserID: "u1", Email: "Ada@Example.com ", Name: "Ada", Level: model.LevelHigh, RawLevel: "high", Score: model.NoScore,
			LastSeen: t0, Reasons: []model.Reason{{Code: "IMPOSSIBLE_TRAVEL", Text: "Impossible travel", Count: 2}}},
		{UserID: "u2", Email: "alan@example.com", Name: "Alan", Level: model.LevelLow, RawLevel: "low", Score: model.NoScore},
	}
	casb := []model.UserRisk{
		{Vendor: "casb", Email: "ada@example.com", Level: model.LevelMedium, RawLevel: "Medium", Score: 60, Context: "SFDC"},
	}
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0, cf))
	peopleMust(t, s.PutUserRisks(ctx, "casb", t0, casb))
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
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Minute), cf[1:]))
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
	// An empty poll empties the vendor's views.
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(2*time.Minute), nil))
	if got, err := s.UserRisks(ctx, "cloudflare"); len(got) != 0 || err != nil {
		t.Errorf("after an empty poll = %+v, %v", got, err)
	}
	// Views keep the order they were put in, whatever their names.
	var order []model.UserRisk
	for _, id := range []string{"zed", "Bob", "alice", "Émile", "bob"} {
		order = append(order, model.UserRisk{UserID: id, Name: id, Level: model.LevelLow, Score: model.NoScore})
	}
	peopleMust(t, s.PutUserRisks(ctx, "okta", t0, order))
	got, err = s.UserRisks(ctx, "okta")
	var ids []string
	for _, u := range got {
		ids = append(ids, u.UserID)
	}
	if err != nil || strings.Join(ids, " ") != "zed Bob alice Émile bob" {
		t.Errorf("okta's views in the order %q, %v", ids, err)
	}
}

func testRiskHistoryOnlyOnChange(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	var views []model.UserRisk
	for i := range 300 {
		views = append(views, model.UserRisk{UserID: fmt.Sprintf("u%03d", i), Level: model.LevelLow, Score: model.NoScore})
	}
	views[0].Email, views[1].Email = "ada@example.com", "alan@example.com"
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0, views))
	if n := len(peopleHistory(t, s)); n != 300 {
		t.Fatalf("first poll wrote %d points, want 300", n)
	}
	// Unchanged polls write nothing.
	for i := 1; i <= 3; i++ {
		peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(i)*time.Minute), views))
	}
	if n := len(peopleHistory(t, s)); n != 300 {
		t.Fatalf("unchanged polls wrote %d points in all, want 300", n)
	}
	putAt := func(vendor string, min int, views []model.UserRisk) {
		t.Helper()
		peopleMust(t, s.PutUserRisks(ctx, vendor, t0.Add(time.Duration(min)*time.Minute), views))
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
	if n := len(peopleHistory(t, s)); n != 303 {
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
	key := store.HistoryKey(model.UserRisk{Vendor: "cloudflare", UserID: views[5].UserID})
	if got, _ := s.RiskHistory(ctx, key, time.Time{}); len(got) != 1 {
		t.Errorf("history of %s = %+v", key, got)
	}
	if got, err := s.RiskHistory(ctx, "nobody@example.com", time.Time{}); len(got) != 0 || err != nil {
		t.Errorf("history of nobody = %+v, %v", got, err)
	}
}

func testScoresSnapshots(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	if _, err := s.LatestScores(ctx, 24*time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no readings: %v", err)
	}
	t0 := peopleNow
	for i := range 3 {
		for _, w := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
			sc := model.Scores{Window: w, From: t0.Add(-w), To: t0, Counts: [5]int{i, 2, 3, 4, 5 + int(w/time.Hour)},
				Total: 100 + i, At: t0.Add(time.Duration(i) * time.Hour)}
			peopleMust(t, s.PutScores(ctx, sc))
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
	// Two readings at one time: the one put last is the latest.
	for total := range 2 {
		peopleMust(t, s.PutScores(ctx, model.Scores{Window: time.Hour, At: t0, Total: 7 + total}))
	}
	if got, err := s.LatestScores(ctx, time.Hour); err != nil || got.Total != 8 {
		t.Errorf("latest of a tie = %+v, %v; want the one put last", got, err)
	}
}

func testCursors(t *testing.T, open Opener) {
	f := open(t)
	s := f.Store
	ctx := context.Background()
	if v, err := s.Cursor(ctx, "onelogin.head"); v != "" || err != nil {
		t.Fatalf("unset cursor = %q, %v", v, err)
	}
	for _, v := range []string{`{"after":"2026-03-01T12:00:00Z"}`, "second"} {
		peopleMust(t, s.SetCursor(ctx, "onelogin.head", v))
		if got, err := s.Cursor(ctx, "onelogin.head"); got != v || err != nil {
			t.Errorf("cursor = %q, %v; want %q", got, err, v)
		}
	}
	if err := s.SetCursor(ctx, "", "x"); err == nil {
		t.Error("unnamed cursor: no error")
	}
	// Another instance reads what this one set, and its writes replace it.
	other := f.Second(t)
	if got, err := other.Cursor(ctx, "onelogin.head"); got != "second" || err != nil {
		t.Errorf("the second store reads %q, %v", got, err)
	}
	peopleMust(t, other.SetCursor(ctx, "onelogin.head", "third"))
	if got, err := s.Cursor(ctx, "onelogin.head"); got != "third" || err != nil {
		t.Errorf("after the second store's write: %q, %v", got, err)
	}
}

func testSavedViews(t *testing.T, open Opener) {
	f := open(t)
	s := f.Store
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	peopleMust(t, s.SaveView(ctx, "ava", store.SavedView{Name: "failed", Filter: "type:failed since:7d", Saved: at}))
	peopleMust(t, s.SaveView(ctx, "ava", store.SavedView{Name: "risky", Filter: "score>=76", Sort: store.ByScore, Saved: at}))
	peopleMust(t, s.SaveView(ctx, "ben", store.SavedView{Name: "failed", Filter: "failed", Saved: at}))
	peopleMust(t, s.SaveView(ctx, "ava", store.SavedView{Name: "failed", Filter: "type:failed", Saved: at.Add(time.Minute)}))
	if err := s.SaveView(ctx, "ava", store.SavedView{}); err == nil {
		t.Fatal("a view without a name was saved")
	}
	s = f.Reopen(t)
	got, err := s.SavedViews(ctx, "ava")
	peopleMust(t, err)
	want := []store.SavedView{
		{Name: "failed", Filter: "type:failed", Saved: at.Add(time.Minute)},
		{Name: "risky", Filter: "score>=76", Sort: store.ByScore, Saved: at},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ava's views after a reopen = %+v, want %+v", got, want)
	}
	if got, _ := s.SavedViews(ctx, "nobody"); len(got) != 0 {
		t.Fatalf("nobody's views = %+v", got)
	}
	// By name, bytewise: capitals before small letters, whatever the
	// database's locale says.
	for _, name := range []string{"beta", "Zulu", "alpha", "Beta"} {
		peopleMust(t, s.SaveView(ctx, "cy", store.SavedView{Name: name, Filter: name, Saved: at}))
	}
	got, err = s.SavedViews(ctx, "cy")
	var names []string
	for _, v := range got {
		names = append(names, v.Name)
	}
	if err != nil || strings.Join(names, " ") != "Beta Zulu alpha beta" {
		t.Fatalf("cy's views by name: %q, %v", names, err)
	}
}

// Preferences are per owner: one operator's setting is not another's,
// setting again replaces, and a value that is no setting is refused.
func testPrefsPerOwner(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	if v, ok, err := s.Pref(ctx, "ssh:ab12", "notify"); err != nil || ok || v != "" {
		t.Fatalf("never set: %q %v %v", v, ok, err)
	}
	peopleMust(t, s.SetPref(ctx, "ssh:ab12", "notify", "off", at))
	peopleMust(t, s.SetPref(ctx, "os:zoe", "notify", "osc9", at))
	peopleMust(t, s.SetPref(ctx, "ssh:ab12", "notify", "bell", at.Add(time.Minute)))
	for owner, want := range map[string]string{"ssh:ab12": "bell", "os:zoe": "osc9"} {
		if v, ok, err := s.Pref(ctx, owner, "notify"); err != nil || !ok || v != want {
			t.Errorf("%s: %q %v %v, want %q", owner, v, ok, err, want)
		}
	}
	if _, ok, _ := s.Pref(ctx, "os:zoe", "other"); ok {
		t.Error("a setting never set reads as set")
	}
	const maxPrefValue = 1024 // both stores' bound
	if err := s.SetPref(ctx, "os:zoe", "notify", strings.Repeat("x", maxPrefValue+1), at); err == nil {
		t.Error("an oversized value was stored")
	}
	peopleMust(t, s.SetPref(ctx, "os:zoe", "notify", strings.Repeat("y", maxPrefValue), at))
	if err := s.SetPref(ctx, "os:zoe", "", "x", at); err == nil {
		t.Error("a setting without a name was stored")
	}
	// An empty value is a setting.
	peopleMust(t, s.SetPref(ctx, "os:zoe", "empty", "", at))
	if v, ok, err := s.Pref(ctx, "os:zoe", "empty"); err != nil || !ok || v != "" {
		t.Errorf("empty setting: %q %v %v", v, ok, err)
	}
}

func peopleLevelView(email string, l model.Level) model.UserRisk {
	return model.UserRisk{Vendor: "cloudflare", UserID: email, Email: email, Level: l, RawLevel: l.String(), Score: model.NoScore}
}

// Rises lists what went up since a time: not first readings, not falls,
// not rises older than since.
func testRisesSince(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	view := peopleLevelView
	put := func(at time.Time, vs ...model.UserRisk) { peopleMust(t, s.PutUserRisks(ctx, "cloudflare", at, vs)) }
	put(t0, view("ava@example.com", model.LevelLow), view("ben@example.com", model.LevelHigh), view("cy@example.com", model.LevelLow))
	put(t0.Add(10*time.Minute), view("ava@example.com", model.LevelMedium), view("ben@example.com", model.LevelHigh), view("cy@example.com", model.LevelLow))
	put(t0.Add(90*time.Minute), view("ava@example.com", model.LevelCritical), view("ben@example.com", model.LevelLow), view("cy@example.com", model.LevelLow),
		view("dee@example.com", model.LevelHigh))
	got, err := s.Rises(ctx, t0.Add(30*time.Minute), 0)
	peopleMust(t, err)
	if len(got) != 1 || got[0].Key != "ava@example.com" || got[0].From != model.LevelMedium || got[0].To != model.LevelCritical {
		t.Fatalf("rises in the last hour: %+v, want ava Medium→Critical only", got)
	}
	all, err := s.Rises(ctx, t0, 0)
	peopleMust(t, err)
	if len(all) != 2 || all[1].From != model.LevelLow || all[1].To != model.LevelMedium {
		t.Fatalf("rises since the start: %+v, want ava's two, newest first", all)
	}
}

// Rises stops at limit, newest first, and reads the level before the
// window for the oldest row of each person in it, across many rows (more
// than one read of the history).
func testRisesLimit(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	const people = 1500
	for round := range 3 {
		vs := make([]model.UserRisk, people)
		for i := range vs {
			vs[i] = peopleLevelView(fmt.Sprintf("p%04d@example.com", i), model.Level(1+round+i%2))
		}
		peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(round)*time.Hour), vs))
	}
	// The last round alone is in the window: each rise is read against
	// the round before it.
	got, err := s.Rises(ctx, t0.Add(2*time.Hour), 0)
	peopleMust(t, err)
	if len(got) != people {
		t.Fatalf("%d rises in the last round, want %d", len(got), people)
	}
	for _, r := range got {
		if r.To != r.From+1 || !r.At.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("rise %+v", r)
		}
	}
	got, err = s.Rises(ctx, t0, 10)
	peopleMust(t, err)
	if len(got) != 10 || !got[0].At.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("10 newest rises: %d, first %+v", len(got), got)
	}
	if got, err := s.Rises(ctx, t0.Add(3*time.Hour), 0); len(got) != 0 || err != nil {
		t.Fatalf("rises after the last round: %+v, %v", got, err)
	}
}

// The history feed gives each appended row with the vendor's level
// before it; LatestLevels folds rows up to an id.
func testHistoryFeed(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	if h, err := s.HistoryHead(ctx); h != 0 || err != nil {
		t.Fatalf("empty head %d, %v", h, err)
	}
	view := func(level model.Level) []model.UserRisk {
		return []model.UserRisk{{Email: "Zoe@example.com", UserID: "u1", Level: level, Score: model.NoScore}}
	}
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0, view(model.LevelLow)))
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Minute), view(model.LevelLow))) // unchanged: no row
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", t0.Add(2*time.Minute), view(model.LevelHigh)))
	peopleMust(t, s.PutUserRisks(ctx, "okta", t0.Add(3*time.Minute), view(model.LevelHigh)))
	ch, err := s.HistoryFeed(ctx, 0, 10)
	peopleMust(t, err)
	want := []store.LevelChange{
		{ID: 1, Key: "zoe@example.com", Vendor: "cloudflare", At: t0, Level: model.LevelLow, Score: model.NoScore, First: true},
		{ID: 2, Key: "zoe@example.com", Vendor: "cloudflare", At: t0.Add(2 * time.Minute), Level: model.LevelHigh, Score: model.NoScore, Previous: model.LevelLow},
		{ID: 3, Key: "zoe@example.com", Vendor: "okta", At: t0.Add(3 * time.Minute), Level: model.LevelHigh, Score: model.NoScore, First: true},
	}
	if !reflect.DeepEqual(ch, want) {
		t.Fatalf("history feed %+v\nwant %+v", ch, want)
	}
	if h, _ := s.HistoryHead(ctx); h != 3 {
		t.Errorf("head %d", h)
	}
	lv, err := s.LatestLevels(ctx, 2)
	peopleMust(t, err)
	if !reflect.DeepEqual(lv, map[string]map[string]model.Level{"zoe@example.com": {"cloudflare": model.LevelHigh}}) {
		t.Errorf("latest levels %v", lv)
	}
}

// A poll stored after a newer one (a back-fill, a late instance) goes in
// the history by its time: the Changes read it against the point before
// it in time, the feed against the newest stored before it.
func testHistoryLateStore(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	ava := func(l model.Level) []model.UserRisk { return []model.UserRisk{peopleView("ava@example.com", l)} }
	peopleMust(t, s.PutUserRisks(ctx, "casb", t0, ava(model.LevelLow)))
	peopleMust(t, s.PutUserRisks(ctx, "casb", t0.Add(10*time.Minute), ava(model.LevelHigh)))
	peopleMust(t, s.PutUserRisks(ctx, "casb", t0.Add(5*time.Minute), ava(model.LevelMedium)))
	h, err := s.RiskHistory(ctx, "ava@example.com", time.Time{})
	if err != nil || len(h) != 3 || h[0].Level != model.LevelLow || h[1].Level != model.LevelMedium || h[2].Level != model.LevelHigh {
		t.Fatalf("history %+v, %v", h, err)
	}
	ch, err := s.Changes(ctx, store.ChangesQuery{Since: t0.Add(4 * time.Minute), Until: t0.Add(6 * time.Minute)})
	if err != nil || len(ch.Levels) != 1 || ch.Levels[0].From != model.LevelLow || ch.Levels[0].To != model.LevelMedium {
		t.Fatalf("changes around the late poll %+v, %v", ch.Levels, err)
	}
	feed := peopleHistory(t, s)
	if len(feed) != 3 || feed[2].Level != model.LevelMedium || feed[2].Previous != model.LevelHigh || feed[2].First {
		t.Fatalf("feed %+v", feed)
	}
	// The same level again, stored late: the last point (High) differs,
	// so it is a point too.
	peopleMust(t, s.PutUserRisks(ctx, "casb", t0.Add(6*time.Minute), ava(model.LevelMedium)))
	if n := len(peopleHistory(t, s)); n != 4 {
		t.Fatalf("%d points, want 4", n)
	}
	// Medium→Medium is no change: the window shows none.
	ch, err = s.Changes(ctx, store.ChangesQuery{Since: t0.Add(5*time.Minute + time.Millisecond), Until: t0.Add(7 * time.Minute)})
	if err != nil || len(ch.Levels) != 0 {
		t.Fatalf("changes after the late polls %+v, %v", ch.Levels, err)
	}
}

// The feed pages by id and limit; LatestLevels takes each person's and
// vendor's newest row up to an id, not beyond.
func testHistoryFeedPages(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := peopleNow
	for round := range 4 {
		var vs []model.UserRisk
		for i := range 5 {
			vs = append(vs, peopleView(fmt.Sprintf("p%d@example.com", i), model.Level(1+(round+i)%4)))
		}
		peopleMust(t, s.PutUserRisks(ctx, "casb", t0.Add(time.Duration(round)*time.Minute), vs))
	}
	all := peopleHistory(t, s)
	if len(all) != 20 {
		t.Fatalf("%d rows, want 20", len(all))
	}
	head, err := s.HistoryHead(ctx)
	if err != nil || head != all[len(all)-1].ID {
		t.Fatalf("head %d, %v; the last row is %d", head, err, all[len(all)-1].ID)
	}
	page, err := s.HistoryFeed(ctx, all[6].ID, 4)
	if err != nil || !reflect.DeepEqual(page, all[7:11]) {
		t.Fatalf("page after the 7th row:\n%+v\nwant\n%+v", page, all[7:11])
	}
	if page, err := s.HistoryFeed(ctx, head, 10); len(page) != 0 || err != nil {
		t.Fatalf("after the head: %+v, %v", page, err)
	}
	// A limit of 0 reads nothing; a negative one, as SQLite reads it, no bound.
	if page, err := s.HistoryFeed(ctx, 0, 0); len(page) != 0 || err != nil {
		t.Fatalf("limit 0: %+v, %v", page, err)
	}
	if page, err := s.HistoryFeed(ctx, 0, -1); len(page) != len(all) || err != nil {
		t.Fatalf("limit -1: %d rows, %v", len(page), err)
	}
	for i, c := range all {
		if c.First != (i < 5) {
			t.Fatalf("row %d: first %v", i, c.First)
		}
		if i >= 5 && c.Previous != all[i-5].Level {
			t.Fatalf("row %d: previous %v, want %v", i, c.Previous, all[i-5].Level)
		}
	}
	lv, err := s.LatestLevels(ctx, all[12].ID)
	peopleMust(t, err)
	for i := range 5 {
		key := fmt.Sprintf("p%d@example.com", i)
		want := all[10+i].Level // round 2 for p0–p2, round 2 for p3–p4 too: rows 10–14
		if i > 2 {
			want = all[5+i].Level // not yet round 2's
		}
		if lv[key]["casb"] != want {
			t.Fatalf("%s at row %d: %v, want %v", key, all[12].ID, lv[key]["casb"], want)
		}
	}
	if lv, err := s.LatestLevels(ctx, 0); len(lv) != 0 || err != nil {
		t.Fatalf("levels up to 0: %v, %v", lv, err)
	}
}

// A person's level changes in a window are read against the row before
// them (same person and vendor), one line a person (their biggest rise),
// rises before falls; people first seen at High or Critical in the window
// are new, those High before are not.
func testChangesLevels(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	view := peopleView
	since := peopleNow.Add(-time.Hour)
	before := since.Add(-2 * time.Hour)
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", before, []model.UserRisk{
		view("ava@example.com", model.LevelMedium), view("ben@example.com", model.LevelLow),
		view("cy@example.com", model.LevelHigh), view("eve@example.com", model.LevelHigh)}))
	peopleMust(t, s.PutUserRisks(ctx, "casb", before, []model.UserRisk{view("ava@example.com", model.LevelLow)}))
	// In the window: Ava Medium→Critical in Cloudflare and Low→Medium in
	// CASB; Ben Low→None; Cy unchanged; Dee new at Critical; Eve High
	// before, Critical now (a rise, not new).
	peopleMust(t, s.PutUserRisks(ctx, "cloudflare", since.Add(10*time.Minute), []model.UserRisk{
		view("ava@example.com", model.LevelCritical), view("ben@example.com", model.LevelNone),
		view("cy@example.com", model.LevelHigh), view("dee@example.com", model.LevelCritical),
		view("eve@example.com", model.LevelCritical)}))
	peopleMust(t, s.PutUserRisks(ctx, "casb", since.Add(20*time.Minute), []model.UserRisk{view("ava@example.com", model.LevelMedium)}))
	// After the window: not counted.
	peopleMust(t, s.PutUserRisks(ctx, "casb", peopleNow.Add(time.Minute), []model.UserRisk{view("fay@example.com", model.LevelCritical)}))

	ch, err := s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch.Levels {
		got = append(got, fmt.Sprintf("%s %s %s→%s", c.Key, c.Vendor, c.From.Label(), c.To.Label()))
	}
	want := []string{
		"ava@example.com cloudflare Medium→Critical", // the biggest rise of hers, though CASB's is newer
		"eve@example.com cloudflare High→Critical",
		"ben@example.com cloudflare Low→None",
	}
	// Ava and Eve rose at the same time: by key.
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("levels:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ch.NewPeople) != 1 || ch.NewPeople[0].Key != "dee@example.com" || ch.NewPeople[0].Level != model.LevelCritical ||
		ch.NewPeople[0].Vendor != "cloudflare" {
		t.Fatalf("new people %+v, want Dee at Critical", ch.NewPeople)
	}
	// Seen by an operator at Critical: not new to them.
	ch.Unseen(model.SeenMark{People: map[string]model.Level{"dee@example.com": model.LevelCritical}})
	if len(ch.NewPeople) != 0 {
		t.Fatalf("Dee seen at Critical is still new: %+v", ch.NewPeople)
	}
	// Limit bounds the list: the rises come first.
	ch, err = s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow, Limit: 1})
	if err != nil || len(ch.Levels) != 1 || ch.Levels[0].Key != "ava@example.com" {
		t.Fatalf("one line: %+v, %v", ch.Levels, err)
	}
}

// A range is listed when it is new (no event before the window) and busy
// with failed sign-ins or people; the counts are its window's. Needs
// PutEvents.
func testChangesRanges(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	since := peopleNow.Add(-time.Hour)
	peoplePutEvents(t, s, peopleRangeEvents("203.0.113.%d", since.Add(time.Minute), 135, 40, true, 1000))     // the burst: new, failing
	peoplePutEvents(t, s, peopleRangeEvents("198.51.100.%d", since.Add(-2*time.Hour), 5, 5, false, 2000))     // an old range…
	peoplePutEvents(t, s, peopleRangeEvents("198.51.100.%d", since.Add(time.Minute), 60, 30, true, 3000))     // …failing now, but not new
	peoplePutEvents(t, s, peopleRangeEvents("192.0.2.%d", since.Add(time.Minute), 5, 2, true, 4000))          // new, quiet
	peoplePutEvents(t, s, peopleRangeEvents("2001:db8:1:2::%x", since.Add(time.Minute), 12, 12, false, 5000)) // new, many people
	ch, err := s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range ch.Ranges {
		got = append(got, fmt.Sprintf("%s: %d addresses, %d people, %d failures, %d events", r.Prefix, r.Addresses, r.People, r.Failures, r.Events))
	}
	want := []string{
		"203.0.113.0/24: 50 addresses, 40 people, 135 failures, 135 events",
		"2001:db8:1::/48: 12 addresses, 12 people, 0 failures, 12 events",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ranges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first, last := since.Add(time.Minute), since.Add(time.Minute+134*time.Second)
	if r := ch.Ranges[0]; !r.First.Equal(first) || !r.Last.Equal(last) {
		t.Fatalf("the burst from %v to %v, want %v to %v", r.First, r.Last, first, last)
	}
	// Lower thresholds list the quiet one too; a window after the burst
	// lists none (none is new there).
	ch, err = s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow, MinFailures: 5, MinPeople: 100})
	if err != nil || len(ch.Ranges) != 2 || ch.Ranges[1].Prefix != "192.0.2.0/24" {
		t.Fatalf("ranges with 5 failures: %+v, %v", ch.Ranges, err)
	}
	ch, err = s.Changes(ctx, store.ChangesQuery{Since: peopleNow, Until: peopleNow.Add(time.Hour)})
	if err != nil || len(ch.Ranges) != 0 {
		t.Fatalf("ranges after: %+v, %v", ch.Ranges, err)
	}
}

// Each source's newest state change in the window.
func testChangesHealth(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	since := peopleNow.Add(-time.Hour)
	peopleMust(t, s.RecordHealth(ctx, model.HealthChange{Source: "casb", At: since.Add(-time.Minute), From: model.StateOK, To: model.StateFailing}))
	peopleMust(t, s.RecordHealth(ctx, model.HealthChange{Source: "okta", At: since.Add(time.Minute), From: model.StateOK, To: model.StateDegraded, Error: "429"}))
	peopleMust(t, s.RecordHealth(ctx, model.HealthChange{Source: "okta", At: since.Add(2 * time.Minute), From: model.StateDegraded, To: model.StateFailing, Error: "401"}))
	ch, err := s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Health) != 1 || ch.Health[0].Source != "okta" || ch.Health[0].To != model.StateFailing || ch.Health[0].Error != "401" {
		t.Fatalf("health %+v", ch.Health)
	}
	if err := s.RecordHealth(ctx, model.HealthChange{At: since}); err == nil {
		t.Fatal("a change without a source was recorded")
	}
	// Two changes in one millisecond: the one recorded last is the newest.
	at := since.Add(3 * time.Minute)
	peopleMust(t, s.RecordHealth(ctx, model.HealthChange{Source: "casb", At: at, From: model.StateFailing, To: model.StateDegraded}))
	peopleMust(t, s.RecordHealth(ctx, model.HealthChange{Source: "casb", At: at, From: model.StateDegraded, To: model.StateOK}))
	ch, err = s.Changes(ctx, store.ChangesQuery{Since: since, Until: peopleNow})
	if err != nil || len(ch.Health) != 2 || ch.Health[0].Source != "casb" || ch.Health[0].To != model.StateOK {
		t.Fatalf("health after a tie %+v, %v", ch.Health, err)
	}
}

func testChangesEmptyWindow(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	for _, q := range []store.ChangesQuery{{Since: peopleNow}, {Since: peopleNow, Until: peopleNow}, {Since: peopleNow, Until: peopleNow.Add(-time.Second)}} {
		if _, err := s.Changes(ctx, q); err == nil {
			t.Errorf("window %v–%v: no error", q.Since, q.Until)
		}
	}
	ch, err := s.Changes(ctx, store.ChangesQuery{Since: peopleNow.Add(-time.Hour), Until: peopleNow})
	if err != nil || !ch.Empty() {
		t.Fatalf("an empty store's changes: %+v, %v", ch, err)
	}
}

// Each operator has their own mark, and a mark never moves back.
func testChangeMarksPerOperator(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	if m, err := s.ChangeMark(ctx, "alice"); err != nil || !m.At.IsZero() {
		t.Fatalf("no mark yet: %+v %v", m, err)
	}
	peopleMust(t, s.SetChangeMark(ctx, "alice", model.SeenMark{At: peopleNow, People: map[string]model.Level{"ava@example.com": model.LevelCritical}}))
	if m, _ := s.ChangeMark(ctx, "bob"); !m.At.IsZero() {
		t.Fatalf("alice's look moved bob's mark: %+v", m)
	}
	peopleMust(t, s.SetChangeMark(ctx, "alice", model.SeenMark{At: peopleNow.Add(-time.Hour)}))
	m, err := s.ChangeMark(ctx, "alice")
	if err != nil || !m.At.Equal(peopleNow) || m.People["ava@example.com"] != model.LevelCritical {
		t.Fatalf("alice's mark %+v %v", m, err)
	}
	if err := s.SetChangeMark(ctx, "alice", model.SeenMark{}); err == nil {
		t.Fatal("a mark without a time was stored")
	}
	// A mark at the same time replaces (a second look of the same moment).
	peopleMust(t, s.SetChangeMark(ctx, "alice", model.SeenMark{At: peopleNow}))
	if m, err := s.ChangeMark(ctx, "alice"); err != nil || len(m.People) != 0 || m.People == nil {
		t.Fatalf("alice's mark after a look at the same time %+v %v", m, err)
	}
}

// The hourly rollup follows the events: Trends counts by step, with the
// window before, and is unmoved by a batch stored again; a prune of the
// events leaves it, and one RollupsOutlive later takes the hours before
// its cut. Needs PutEvents (and Prune for its end).
func testTrendsFollowEvents(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	old := peopleEvents(16, 600, peopleNow.Add(-48*time.Hour), 24*time.Hour)
	recent := peopleEvents(17, 900, peopleNow.Add(-24*time.Hour), 24*time.Hour)
	peoplePutEvents(t, s, old)
	peoplePutEvents(t, s, recent)
	peoplePutEvents(t, s, peopleRangeEvents("198.18.7.%d", peopleNow.Add(-time.Hour), 30, 12, true, 9000))
	check := func(when string) {
		t.Helper()
		tr, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-24 * time.Hour), To: peopleNow, Step: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Counts) != 24 || peopleTrendSum(tr.Total) != 930 || peopleTrendSum(tr.Previous) != 600 {
			t.Fatalf("%s: trend: %d steps, %d in the window, %d before, want 24, 930, 600", when, len(tr.Counts), peopleTrendSum(tr.Total), peopleTrendSum(tr.Previous))
		}
		var want [model.Unscored + 1]int // the range's 30 score 60: High
		want[model.BucketOf(60)] = 30
		for _, e := range recent {
			if e.Score < 0 {
				want[model.Unscored]++
			} else {
				want[model.BucketOf(e.Score)]++
			}
		}
		if tr.Total != want {
			t.Fatalf("%s: by bucket %v, want %v", when, tr.Total, want)
		}
		var steps int
		for i, c := range tr.Counts {
			steps += peopleTrendSum(c)
			var n int
			for _, e := range recent {
				if e.Time.Sub(tr.From)/time.Hour == time.Duration(i) {
					n++
				}
			}
			if i == 23 {
				n += 30
			}
			if peopleTrendSum(c) != n {
				t.Fatalf("%s: hour %d: %d, want %d", when, i, peopleTrendSum(c), n)
			}
		}
		daily, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-48 * time.Hour), To: peopleNow, Step: 24 * time.Hour})
		if err != nil || len(daily.Counts) != 2 || peopleTrendSum(daily.Counts[0]) != 600 || peopleTrendSum(daily.Counts[1]) != 930 {
			t.Fatalf("%s: daily: %+v %v", when, daily.Counts, err)
		}
		vendor, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-24 * time.Hour), To: peopleNow, Step: 24 * time.Hour, Vendor: "cloudflare"})
		n := 0
		for _, e := range recent {
			if e.Vendor == "cloudflare" {
				n++
			}
		}
		if err != nil || peopleTrendSum(vendor.Total) != n || n == 0 {
			t.Fatalf("%s: cloudflare's: %v, %v; want %d", when, vendor.Total, err, n)
		}
	}
	check("after inserts")
	if n := peoplePutEvents(t, s, recent[:300]); n != 0 {
		t.Fatalf("stored again: %d", n)
	}
	check("after a batch stored again")

	// A cut in the middle of an hour.
	cut := peopleNow.Add(-30*time.Hour - 17*time.Minute)
	if _, err := s.Prune(ctx, cut); err != nil {
		t.Fatal(err)
	}
	left, err := s.CountEvents(ctx, store.EventFilter{})
	peopleMust(t, err)
	tr, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-48 * time.Hour), To: peopleNow, Step: time.Hour})
	peopleMust(t, err)
	kept := 0
	for _, e := range old {
		if !e.Time.Before(cut) {
			kept++
		}
	}
	if left == 1530 || left != 930+kept || peopleTrendSum(tr.Total) != 1530 {
		t.Fatalf("after a prune: %d events left (want %d), the trend counts %d (want all 1530: the rollup outlives the events)",
			left, 930+kept, peopleTrendSum(tr.Total))
	}
	all := append(append([]model.Event{}, old...), recent...)
	if want := peopleEarliest(all, time.Time{}); !tr.Earliest.Equal(want) || want.IsZero() {
		t.Fatalf("earliest %v, want the latest of the vendors' first hours %v", tr.Earliest, want)
	}
	// RollupsOutlive later, the hours before the cut's go too.
	if _, err := s.Prune(ctx, cut.Add(store.RollupsOutlive)); err != nil {
		t.Fatal(err)
	}
	tr, err = s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-48 * time.Hour), To: peopleNow, Step: time.Hour})
	peopleMust(t, err)
	hour := cut.UTC().Truncate(time.Hour)
	counted := 930
	for _, e := range old {
		if !e.Time.Before(hour) {
			counted++
		}
	}
	want := peopleEarliest(all, hour)
	if peopleTrendSum(tr.Total) != counted || counted == 930+len(old) || !tr.Earliest.Equal(want) || want.Before(hour) {
		t.Fatalf("after the rollup's prune: the trend counts %d from %v, want %d from %v", peopleTrendSum(tr.Total), tr.Earliest, counted, want)
	}
	// A vendor stored only lately holds back the hour since which all are.
	late := peopleNow.Add(-3 * time.Hour)
	peoplePutEvents(t, s, []model.Event{{Vendor: "okta", ID: "late", Time: late, UserID: "u1", TypeName: "user.session.start", Score: model.NoScore}})
	tr, err = s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-48 * time.Hour), To: peopleNow, Step: time.Hour})
	peopleMust(t, err)
	if !tr.Earliest.Equal(late.UTC().Truncate(time.Hour)) {
		t.Fatalf("with okta's first event 3h ago, earliest %v", tr.Earliest)
	}
	one, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-48 * time.Hour), To: peopleNow, Step: time.Hour, Vendor: "onelogin"})
	peopleMust(t, err)
	if want := peopleEarliest(vendorEvents(all, "onelogin"), hour); !one.Earliest.Equal(want) {
		t.Fatalf("onelogin's earliest %v, want %v", one.Earliest, want)
	}
}

// peopleEarliest is the latest of the vendors' first hours among the
// events from from on.
func peopleEarliest(evs []model.Event, from time.Time) time.Time {
	first := map[string]time.Time{}
	for _, e := range evs {
		h := e.Time.UTC().Truncate(time.Hour)
		if h.Before(from) {
			continue
		}
		if f, ok := first[e.Vendor]; !ok || h.Before(f) {
			first[e.Vendor] = h
		}
	}
	var out time.Time
	for _, f := range first {
		if f.After(out) {
			out = f
		}
	}
	return out
}

func vendorEvents(evs []model.Event, vendor string) []model.Event {
	var out []model.Event
	for _, e := range evs {
		if e.Vendor == vendor {
			out = append(out, e)
		}
	}
	return out
}

func testTrendsBadSteps(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	for _, q := range []store.TrendQuery{
		{From: peopleNow.Add(-time.Hour), To: peopleNow, Step: time.Minute},
		{From: peopleNow.Add(-time.Hour), To: peopleNow, Step: 90 * time.Minute},
		{From: peopleNow, To: peopleNow, Step: time.Hour},
		{From: peopleNow.Add(-6000 * time.Hour), To: peopleNow, Step: time.Hour},
	} {
		if _, err := s.Trends(ctx, q); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
	// No events: zero counts of the right shape, the bounds in whole hours.
	tr, err := s.Trends(ctx, store.TrendQuery{From: peopleNow.Add(-5*time.Hour - time.Minute), To: peopleNow.Add(time.Minute), Step: 2 * time.Hour})
	if err != nil || len(tr.Counts) != 3 || !tr.From.Equal(peopleNow.Add(-6*time.Hour)) || !tr.To.Equal(peopleNow) ||
		peopleTrendSum(tr.Total) != 0 {
		t.Fatalf("empty trend %+v, %v", tr, err)
	}
}
