package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// eventHeader is an events export's columns.
var eventHeader = []string{"time", "vendor", "id", "type", "type_name", "user", "email", "user_id", "ip",
	"risk", "score", "level", "app", "reasons", "fields"}

// exportApp is the fixture app over n events (plus a few hostile ones)
// exporting into a directory that does not exist yet.
func exportApp(t *testing.T, n int) (*App, string) {
	t.Helper()
	a := newFixtureApp(t, 120, 30, n)
	withCloudflare(t, a)
	hostile := []model.Event{
		{Vendor: "onelogin", ID: "h1", Time: fixtureNow.Add(-time.Second), Type: 5, UserName: "=cmd|' /C calc'!A0",
			IP: "192.0.2.1", Score: 99, Level: model.LevelCritical, Reasons: "@SUM(1+1)*cmd|' /C calc'!A0"},
		{Vendor: "onelogin", ID: "h2", Time: fixtureNow.Add(-2 * time.Second), Type: 5, UserName: "+1 555 0100",
			IP: "192.0.2.2", Score: model.NoScore, Reasons: "-2+3", App: "\tTabbed"},
	}
	if _, err := a.deps.Store.PutEvents(context.Background(), hostile); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state", "exports")
	setDeps(a, func(d *Deps) { d.ExportDir = dir })
	setDeps(a, func(d *Deps) { d.FreeSpace = plentyFree }) // not the test machine's disk
	return a, dir
}

// plentyFree is a disk with room for any test's export.
func plentyFree(string) (free, size uint64, err error) { return 1e12, 2e12, nil }

// exportedPath is the path the last notice names.
func exportedPath(t *testing.T, a *App) string {
	t.Helper()
	_, path, ok := strings.Cut(a.toast.text, " to /")
	if !ok {
		t.Fatalf("notice %q names no file", a.toast.text)
	}
	return "/" + path
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

type jsonExport struct {
	Screen     string           `json:"screen"`
	Filter     string           `json:"filter"`
	Sort       string           `json:"sort"`
	ExportedAt string           `json:"exported_at"`
	Fields     []string         `json:"fields"`
	Rows       []map[string]any `json:"rows"`
	Count      int              `json:"count"`
	Capped     bool             `json:"capped"`
	Note       string           `json:"note"`
}

func readJSON(t *testing.T, path string) jsonExport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out jsonExport
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v in:\n%s", err, b)
	}
	return out
}

// TestExportEvents: e writes every event of the filter as CSV, in the
// screen's order, with the spreadsheet-formula guard; E the same as JSON
// with the filter; the directory is made 0700 and each file 0600, named
// after the screen and the UTC time, never overwriting another.
func TestExportEvents(t *testing.T) {
	a, dir := exportApp(t, 1200) // more than two store pages
	keysOf(a, "2", "/")
	for _, r := range "since:all" {
		keysOf(a, string(r))
	}
	keysOf(a, "enter", "e")
	path := exportedPath(t, a)
	if want := filepath.Join(dir, "risktop-events-20261121-143000.csv"); path != want {
		t.Fatalf("exported to %s, want %s", path, want)
	}
	if a.toast.text != "exported 1,202 events to "+path {
		t.Fatalf("notice %q", a.toast.text)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", st.Mode(), err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", st.Mode(), err)
	}
	recs := readCSV(t, path)
	if !slices.Equal(recs[0], eventHeader) || len(recs) != 1+1202 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	// Newest first: the two hostile events, then the fixture's newest.
	h1, h2 := recs[1], recs[2]
	col := func(name string) int { return slices.Index(recs[0], name) } // the header

	for _, c := range []struct{ got, want string }{
		{h1[col("id")], "h1"},
		{h1[col("user")], "'=cmd|' /C calc'!A0"},
		{h1[col("reasons")], "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{h1[col("score")], "99"},
		{h1[col("risk")], "Critical (OneLogin 99)"},
		{h1[col("time")], "2026-11-21T14:29:59.000Z"},
		{h2[col("user")], "'+1 555 0100"},
		{h2[col("reasons")], "'-2+3"},
		// Another process wrote this row: the tab is cleaned on the way
		// out of the store, like the vendors' tabs on the way in.
		{h2[col("app")], " Tabbed"},
		{h2[col("score")], ""}, // no score
		{recs[3][col("id")], "900001199"},
		{recs[3][col("fields")], `{"browser_fingerprint":"71f0abc","notes":"Authentication method: password."}`},
		{recs[3][col("reasons")], "Infrequent access from 198.51.100.200 (13%)\nNew device (20%)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[col("id")]] {
			t.Fatalf("%s twice: a page was read twice", r[col("id")])
		}
		seen[r[col("id")]] = true
	}

	// JSON, riskiest first: the filter and the order come along.
	keysOf(a, "s", "E")
	jpath := exportedPath(t, a)
	if filepath.Base(jpath) != "risktop-events-20261121-143000.json" {
		t.Fatal(jpath)
	}
	j := readJSON(t, jpath)
	if j.Screen != "events" || j.Filter != "all time" || j.Sort != "riskiest first" || j.Count != 1202 || len(j.Rows) != 1202 ||
		j.Capped || j.ExportedAt != "2026-11-21T14:30:00Z" || !slices.Equal(j.Fields, eventHeader) {
		t.Fatalf("json: %+v", j)
	}
	if r := j.Rows[0]; r["score"] != float64(100) {
		t.Fatalf("first row %v", r)
	}
	for i := 1; i < len(j.Rows); i++ {
		prev, cur := j.Rows[i-1]["score"], j.Rows[i]["score"]
		if cur != nil && prev != nil && cur.(float64) > prev.(float64) {
			t.Fatalf("row %d scores %v after %v", i, cur, prev)
		}
	}
	byID := map[string]map[string]any{}
	for _, r := range j.Rows {
		byID[r["id"].(string)] = r
	}
	if h1 := byID["h1"]; h1["score"] != float64(99) || h1["user"] != "=cmd|' /C calc'!A0" { // JSON needs no guard
		t.Fatalf("h1: %v", h1)
	}
	if h2 := byID["h2"]; h2["score"] != nil || h2["fields"] != nil {
		t.Fatalf("h2: %v", h2)
	}
	if r := byID["900001199"]; r["type"] != float64(5) || r["fields"].(map[string]any)["notes"] != "Authentication method: password." {
		t.Fatalf("typed values: %v", r)
	}

	// Another CSV in the same second gets its own name.
	keysOf(a, "e")
	if p := exportedPath(t, a); filepath.Base(p) != "risktop-events-20261121-143000-2.csv" {
		t.Fatal(p)
	}
}

// TestExportEventsCap: at the cap the export stops, and both the notice
// and the JSON say the filter matches more.
func TestExportEventsCap(t *testing.T) {
	a, _ := exportApp(t, 400)
	a.c.Exports.Cap = 50
	keysOf(a, "2", "e")
	path := exportedPath(t, a)
	if !strings.HasPrefix(a.toast.text, "exported the first 50 events (the cap; the filter matches more, narrow it for the rest) to ") {
		t.Fatalf("notice %q", a.toast.text)
	}
	if recs := readCSV(t, path); len(recs) != 51 {
		t.Fatalf("%d records", len(recs))
	}
	keysOf(a, "E")
	j := readJSON(t, exportedPath(t, a))
	if j.Count != 50 || len(j.Rows) != 50 || !j.Capped || !strings.Contains(j.Note, "the filter matches more") {
		t.Fatalf("json: count %d rows %d capped %v note %q", j.Count, len(j.Rows), j.Capped, j.Note)
	}

	// Exactly the cap is not capped.
	a2, _ := exportApp(t, 48) // 50 with the hostile two
	a2.c.Exports.Cap = 50
	keysOf(a2, "2", "e")
	if !strings.HasPrefix(a2.toast.text, "exported 50 events to ") {
		t.Fatalf("notice %q", a2.toast.text)
	}
}

// TestExportTables: the other screens export what they list.
func TestExportTables(t *testing.T) {
	a, dir := exportApp(t, 0)
	ctx := context.Background()
	if _, err := a.deps.Store.Enqueue(ctx, []model.OutboxItem{{IP: "203.0.113.5", Level: model.LevelHigh, Message: "-flagged", Actor: "ops"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.deps.Store.AppendAudit(ctx, model.AuditEntry{At: fixtureNow, Actor: "ops", Action: "push-ip", Target: "203.0.113.5", Result: "queued"}); err != nil {
		t.Fatal(err)
	}

	keysOf(a, "3", "e")
	users := readCSV(t, exportedPath(t, a))
	if !strings.HasPrefix(a.toast.text, "exported 8 people to "+dir+"/risktop-users-") {
		t.Fatal(a.toast.text)
	}
	if !slices.Equal(users[0], []string{"risk", "level", "score", "name", "email", "sources", "cloudflare_level", "casb_level", "last_seen"}) ||
		len(users) != 9 || users[1][0] != "Critical (Oracle CASB 90)" || users[1][4] != "ava.chen@example.com" || users[1][6] != "High" {
		t.Fatalf("users: %v", users[:2])
	}

	keysOf(a, "4", "E")
	b := readJSON(t, exportedPath(t, a))
	if b.Screen != "behaviors" || b.Count != 8 || b.Rows[0]["key"] != "crowdstrike_low_zta" || b.Rows[0]["enabled"] != true {
		t.Fatalf("behaviors: %+v", b)
	}

	keysOf(a, "5", "e")
	ins := readCSV(t, exportedPath(t, a))
	if len(ins) != 2 || ins[1][3] != "https://acme.okta.com" || !strings.HasPrefix(ins[1][6], "/.well-known/sse-configuration/") {
		t.Fatalf("integrations: %v", ins)
	}

	keysOf(a, "6", "e")
	out := readCSV(t, exportedPath(t, a))
	if len(out) != 2 || out[1][3] != "203.0.113.5" || out[1][5] != "'-flagged" || out[1][2] != "queued" {
		t.Fatalf("outbox: %v", out)
	}
	keysOf(a, "right", "E")
	au := readJSON(t, exportedPath(t, a))
	if au.Screen != "audit" || au.Count != 1 || au.Rows[0]["target"] != "203.0.113.5" || au.Rows[0]["at"] != "2026-11-21T14:30:00.000Z" {
		t.Fatalf("audit: %+v", au)
	}
}

// TestExportSaysWhatFailed: an export directory that cannot be made.
func TestExportSaysWhatFailed(t *testing.T) {
	a, _ := exportApp(t, 10)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	setDeps(a, func(d *Deps) { d.ExportDir = filepath.Join(file, "exports") })
	keysOf(a, "2", "e")
	if !strings.HasPrefix(a.toast.text, "export failed: the export directory: stat "+file+"/exports: not a directory") || !a.toast.err {
		t.Fatalf("notice %q", a.toast.text)
	}
}
