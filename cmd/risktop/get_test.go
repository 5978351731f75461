package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// getFixture is a store with a few known events, views and score readings,
// and a config pointing at it.
func getFixture(t *testing.T) (cfgPath string) {
	t.Helper()
	old := tableZone
	tableZone = func() *time.Location { return time.UTC } // the text table shows local times
	t.Cleanup(func() { tableZone = old })
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	cfgPath = writeConfig(t, "sources:\n  cloudflare: {account_id: 5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b, api_token: t0k3n-for-get}\n")
	cfg := strings.TrimSuffix(cfgPath, "risktop.yaml") + "risktop.db"
	st, err := store.Open(cfg, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	events := []model.Event{
		{Vendor: "onelogin", ID: "ol-1", Time: t1, Type: 5, TypeName: "User logged in", UserID: "101", UserName: "Ava Chen",
			UserKey: "ava.chen@example.com", IP: "203.0.113.9", Score: 82, Level: model.LevelCritical, App: "Salesforce",
			Reasons: "New country\nTor exit node"},
		{Vendor: "onelogin", ID: "ol-2", Time: t1.Add(-time.Hour), Type: 6, TypeName: "User failed login", UserID: "102",
			UserName: "Bo \x1b]0;pwned\x07Li", UserKey: "bo.li@example.com", IP: "198.51.100.7", Score: 30, Level: model.LevelMedium,
			App: "=HYPERLINK(\"http://evil\")"},
		{Vendor: "cloudflare", ID: "cf-1", Time: t1.Add(-2 * time.Hour), TypeName: "Impossible Travel", UserID: "u-9",
			UserKey: "ava.chen@example.com", Score: model.NoScore, Level: model.LevelHigh},
	}
	if _, err := st.PutEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	if err := st.PutUserRisks(ctx, "cloudflare", t1, []model.UserRisk{
		{Vendor: "cloudflare", UserID: "u-9", Email: "ava.chen@example.com", Name: "Ava Chen", Level: model.LevelHigh,
			RawLevel: "high", Score: model.NoScore, Events: 3, LastSeen: t1.Add(-2 * time.Hour)},
		{Vendor: "cloudflare", UserID: "u-7", Email: "cy@example.com", Name: "Cy", Level: model.LevelLow,
			RawLevel: "low", Score: model.NoScore, Events: 1, LastSeen: t1.Add(-48 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutUserRisks(ctx, "onelogin", t1, []model.UserRisk{
		{Vendor: "onelogin", UserID: "101", Email: "ava.chen@example.com", Name: "Ava Chen", Level: model.LevelCritical,
			RawLevel: "very_high", Score: 82, Events: 4, LastSeen: t1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutScores(ctx, model.Scores{Window: 24 * time.Hour, From: t1.Add(-24 * time.Hour), To: t1,
		Counts: [5]int{200, 50, 20, 8, 2}, Total: 280, At: t1}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutScores(ctx, model.Scores{Window: 7 * 24 * time.Hour, From: t1.Add(-7 * 24 * time.Hour), To: t1,
		Counts: [5]int{900, 100, 40, 9, 3}, Total: 1052, At: t1}); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGetFormats(t *testing.T) {
	cfg := getFixture(t)
	all := "--since=10000d" // the fixture's fixed times are in the past

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "events", all, "--config", cfg}, `
TIME                 VENDOR      USER                  IP            RISK                    TYPE               APP
2026-03-02 09:00:00  onelogin    ava.chen@example.com  203.0.113.9   Critical (OneLogin 82)  User logged in     Salesforce
2026-03-02 08:00:00  onelogin    bo.li@example.com     198.51.100.7  Medium (OneLogin 30)    User failed login  =HYPERLINK("http://evil")
2026-03-02 07:00:00  cloudflare  ava.chen@example.com  -             High                    Impossible Travel  -
`},
		{[]string{"get", "--csv", "events", all, "--config", cfg, "--limit", "2"}, `
time,vendor,id,type,type_name,user_id,user_name,email,ip,risk,score,level,app,reasons
2026-03-02T09:00:00Z,onelogin,ol-1,5,User logged in,101,Ava Chen,ava.chen@example.com,203.0.113.9,Critical (OneLogin 82),82,critical,Salesforce,New country; Tor exit node
2026-03-02T08:00:00Z,onelogin,ol-2,6,User failed login,102,Bo Li,bo.li@example.com,198.51.100.7,Medium (OneLogin 30),30,medium,"'=HYPERLINK(""http://evil"")",
`},
		{[]string{"get", "events", all, "--json", "--user", "AVA.CHEN@example.com", "--config", cfg}, `
[
{"time":"2026-03-02T09:00:00Z","vendor":"onelogin","id":"ol-1","type":5,"type_name":"User logged in","user_id":"101","user_name":"Ava Chen","email":"ava.chen@example.com","ip":"203.0.113.9","risk":"Critical (OneLogin 82)","score":82,"level":"critical","app":"Salesforce","reasons":"New country; Tor exit node"},
{"time":"2026-03-02T07:00:00Z","vendor":"cloudflare","id":"cf-1","type":0,"type_name":"Impossible Travel","user_id":"u-9","user_name":"","email":"ava.chen@example.com","ip":"","risk":"High","score":null,"level":"high","app":"","reasons":""}
]
`},
		{[]string{"get", "events", all, "--ip", "198.51.100.0/24", "--config", cfg}, `
TIME                 VENDOR    USER               IP            RISK                  TYPE               APP
2026-03-02 08:00:00  onelogin  bo.li@example.com  198.51.100.7  Medium (OneLogin 30)  User failed login  =HYPERLINK("http://evil")
`},
		{[]string{"get", "events", all, "--min-score", "50", "--csv", "--config", cfg}, `
time,vendor,id,type,type_name,user_id,user_name,email,ip,risk,score,level,app,reasons
2026-03-02T09:00:00Z,onelogin,ol-1,5,User logged in,101,Ava Chen,ava.chen@example.com,203.0.113.9,Critical (OneLogin 82),82,critical,Salesforce,New country; Tor exit node
`},
		{[]string{"get", "events", all, "--type", "6,7", "--json", "--config", cfg}, `
[
{"time":"2026-03-02T08:00:00Z","vendor":"onelogin","id":"ol-2","type":6,"type_name":"User failed login","user_id":"102","user_name":"Bo Li","email":"bo.li@example.com","ip":"198.51.100.7","risk":"Medium (OneLogin 30)","score":30,"level":"medium","app":"=HYPERLINK(\"http://evil\")","reasons":""}
]
`},
		{[]string{"get", "users", "--config", cfg}, `
RISK                    EVENTS  VENDOR      EMAIL                 NAME      LAST SEEN            USER ID
Critical (OneLogin 82)  4       onelogin    ava.chen@example.com  Ava Chen  2026-03-02 09:00:00  101
High                    3       cloudflare  ava.chen@example.com  Ava Chen  2026-03-02 07:00:00  u-9
Low                     1       cloudflare  cy@example.com        Cy        2026-02-28 09:00:00  u-7
`},
		{[]string{"get", "users", "--user", "Cy", "--json", "--config", cfg}, `
[
{"risk":"Low","level":"low","score":null,"events":1,"vendor":"cloudflare","email":"cy@example.com","name":"Cy","last_seen":"2026-02-28T09:00:00Z","user_id":"u-7","raw_level":"low","context":""}
]
`},
		{[]string{"get", "users", "--min-score", "50", "--csv", "--config", cfg}, `
risk,level,score,events,vendor,email,name,last_seen,user_id,raw_level,context
Critical (OneLogin 82),critical,82,4,onelogin,ava.chen@example.com,Ava Chen,2026-03-02T09:00:00Z,101,very_high,
`},
		{[]string{"get", "scores", "--config", cfg}, `
WINDOW  MINIMAL  LOW  MEDIUM  HIGH  VERY HIGH  TOTAL  FETCHED
1d      200      50   20      8     2          280    2026-03-02 09:00:00
7d      900      100  40      9     3          1052   2026-03-02 09:00:00
`},
		{[]string{"get", "scores", "--json", "--limit", "1", "--config", cfg}, `
[
{"window":"1d","minimal":200,"low":50,"medium":20,"high":8,"very_high":2,"total":280,"from":"2026-03-01T09:00:00Z","to":"2026-03-02T09:00:00Z","fetched":"2026-03-02T09:00:00Z"}
]
`},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != 0 || out != strings.TrimPrefix(c.want, "\n") {
			t.Errorf("risktop %s: exit %d\n--- stdout\n%s--- want\n%s--- stderr\n%s", strings.Join(c.args, " "), code, out, strings.TrimPrefix(c.want, "\n"), errOut)
		}
	}

	// JSON output is valid JSON.
	_, out, _ := runCmd(t, "get", "events", all, "--json", "--config", cfg)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 3 {
		t.Errorf("events --json: %v, %d rows", err, len(rows))
	}
	// The default window is the last 24 hours: the fixture is older.
	code, out, errOut := runCmd(t, "get", "events", "--config", cfg)
	if code != 0 || out != "" || !strings.Contains(errOut, "no events match") {
		t.Errorf("default window: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "get", "events", "--json", "--user", "nobody@example.com", all, "--config", cfg)
	if code != 0 || out != "[]\n" {
		t.Errorf("no match as JSON: exit %d, %q", code, out)
	}
}

func TestGetEmptyStore(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	cfg := writeConfig(t, "sources:\n  cloudflare: {account_id: 5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b, api_token: t0k3n-for-get}\n")
	db := filepath.Join(filepath.Dir(cfg), "risktop.db")
	for _, what := range []string{"events", "users", "scores"} {
		code, out, errOut := runCmd(t, "get", what, "--config", cfg)
		if code != 0 || out != "" || !strings.Contains(errOut, "no "+what+" stored yet in "+db) || !strings.Contains(errOut, "run risktop") {
			t.Errorf("get %s on no store: exit %d, stdout %q, stderr %q", what, code, out, errOut)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("get created the store: %v", err)
	}
	code, out, _ := runCmd(t, "get", "users", "--json", "--config", cfg)
	if code != 0 || out != "[]\n" {
		t.Errorf("users --json on no store: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "get", "events", "--csv", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "time,vendor,id,") || strings.Count(out, "\n") != 1 {
		t.Errorf("events --csv on no store: exit %d, %q", code, out)
	}
	// An existing but empty store says the same.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, _, errOut := runCmd(t, "get", "events", "--config", cfg); code != 0 || !strings.Contains(errOut, "no events stored yet") {
		t.Errorf("empty store: exit %d, %q", code, errOut)
	}
}

func TestGetBadArguments(t *testing.T) {
	cfg := getFixture(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"get"}, "name one of scores, events, users or alerts"},
		{[]string{"get", "events", "users"}, "name one of scores, events, users or alerts"},
		{[]string{"get", "nope"}, `unknown "nope"`},
		{[]string{"get", "alerts", "--state", "closed"}, `--state "closed": give open, acknowledged, resolved or all`},
		{[]string{"get", "events", "--state", "open"}, "--state applies to alerts only"},
		{[]string{"get", "alerts", "--ip", "203.0.113.9"}, "--ip does not apply to alerts"},
		{[]string{"get", "events", "--json", "--csv"}, "choose one"},
		{[]string{"get", "events", "--since", "yesterday"}, `--since "yesterday"`},
		{[]string{"get", "events", "--since", "-1h"}, `--since "-1h"`},
		{[]string{"get", "events", "--ip", "203.0.113"}, `--ip "203.0.113"`},
		{[]string{"get", "events", "--type", "login"}, `--type "login"`},
		{[]string{"get", "events", "--limit", "-1"}, "--limit -1"},
		{[]string{"get", "events", "--min-score", "101"}, "--min-score 101"},
		{[]string{"get", "scores", "--user", "ava"}, "--user does not apply to scores"},
		{[]string{"get", "users", "--ip", "203.0.113.9"}, "--ip does not apply to users"},
		{[]string{"get", "events", "--nope"}, "flag provided but not defined"},
	} {
		code, out, errOut := runCmd(t, append(c.args, "--config", cfg)...)
		// A mistake and the usage go to stderr: stdout, which a script
		// reads as the data, stays empty.
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "Usage: risktop get") || out != "" {
			t.Errorf("risktop %s: exit %d, want 2 and %q:\n%s%s", strings.Join(c.args, " "), code, c.want, out, errOut)
		}
	}
	if code, out, _ := runCmd(t, "get", "--help"); code != 0 || !strings.Contains(out, "Exit status") || !strings.Contains(out, "-min-score") {
		t.Errorf("get --help: exit %d:\n%s", code, out)
	}
	if code, _, errOut := runCmd(t, "get", "events", "--config", filepath.Join(t.TempDir(), "none.yaml")); code != 2 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("missing config: exit %d, %s", code, errOut)
	}
}

// TestGetUsersSaysTheVendorsWordWhereItDiffers: a view without a score
// reads as the level, with the vendor's own word beside it only where it
// says something else.
func TestGetUsersSaysTheVendorsWordWhereItDiffers(t *testing.T) {
	tb := usersTable([]model.UserRisk{
		{Vendor: "casb", Level: model.LevelNone, RawLevel: "Normal", Score: model.NoScore},
		{Vendor: "cloudflare", Level: model.LevelHigh, RawLevel: "high", Score: model.NoScore},
	})
	if got := []string{tb.rows[0].view[0], tb.rows[1].view[0]}; got[0] != "None (Oracle CASB Normal)" || got[1] != "High" {
		t.Fatalf("risk %q", got)
	}
}

// --since all reads the whole store, as the dashboard's since:all does;
// without it events default to the last day.
func TestGetSinceAll(t *testing.T) {
	cfg := getFixture(t) // events from March 2026
	code, out, errOut := runCmd(t, "get", "events", "--since", "all", "--json", "--config", cfg)
	if code != 0 || strings.Count(out, `"vendor"`) != 3 {
		t.Fatalf("--since all: exit %d, %d events\n%s%s", code, strings.Count(out, `"vendor"`), out, errOut)
	}
	if _, out, _ := runCmd(t, "get", "events", "--json", "--config", cfg); strings.Contains(out, `"vendor"`) {
		t.Fatalf("without --since, events older than a day were printed:\n%s", out)
	}
}

// TestGetAlerts: alerts newest first as a table, JSON and CSV, by state;
// a back-filled one is marked; evidence lists go whole to JSON.
func TestGetAlerts(t *testing.T) {
	cfg := getFixture(t)
	db := strings.TrimSuffix(cfg, "risktop.yaml") + "risktop.db"
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	burst := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Key: "burst:203.0.113.0/24",
		Title: "Burst of failed sign-ins from 203.0.113.0/24", Subject: "203.0.113.0/24", FirstSeen: t1, LastSeen: t1.Add(3 * time.Minute),
		Incident: &model.Incident{Range: "203.0.113.0/24", Addresses: 2, People: 2, Failures: 135, From: t1, To: t1.Add(3 * time.Minute)},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	burst.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: "ol-2"})
	burst.Evidence.AddAddress("203.0.113.9")
	burst.Evidence.AddAddress("203.0.113.10")
	burst.Evidence.AddPerson("=cmd@example.com")
	rise := model.Alert{Rule: "rise", Kind: model.KindLevelRise, Severity: model.LevelHigh, Key: "rise:ava.chen@example.com:cloudflare",
		Title: "ava.chen@example.com rose from Low to High in cloudflare", Subject: "ava.chen@example.com",
		FirstSeen: t1.Add(-time.Hour), LastSeen: t1.Add(-time.Hour), Backfilled: true,
		Response: model.Response{Kind: model.ResponsePushPerson, Level: model.LevelHigh}}
	rise.Evidence.AddPerson("ava.chen@example.com")
	stored, err := st.PutAlerts(ctx, t1, []model.Alert{rise, burst}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetAlertState(ctx, stored[0].ID, model.AlertAcknowledged, "os:ana@host", t1.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "alerts", "--config", cfg}, `
ID  STATE                       SEVERITY  LAST SEEN            COUNT  TITLE                                                     INCIDENT                                                      RESPONSE
2   open                        High      2026-03-02 09:03:00  1      Burst of failed sign-ins from 203.0.113.0/24              203.0.113.0/24: 2 addresses, 2 people, 135 failures in 3 min  push the addresses to Okta at High
1   acknowledged (back-filled)  High      2026-03-02 08:00:00  1      ava.chen@example.com rose from Low to High in cloudflare  -                                                             push the person's risk to Okta at High
`},
		{[]string{"get", "alerts", "--state", "open", "--json", "--config", cfg}, `
[
{"id":2,"state":"open","severity":"high","rule":"burst","kind":"failed_burst","title":"Burst of failed sign-ins from 203.0.113.0/24","subject":"203.0.113.0/24","first_seen":"2026-03-02T09:00:00Z","last_seen":"2026-03-02T09:03:00Z","count":1,"incident":"203.0.113.0/24: 2 addresses, 2 people, 135 failures in 3 min","response":"push_range high","backfilled":false,"events_total":1,"people_total":1,"addresses_total":2,"events":["onelogin/ol-2"],"people":["=cmd@example.com"],"addresses":["203.0.113.9","203.0.113.10"],"acknowledged_by":"","acknowledged_at":null,"resolved_by":"","resolved_at":null,"seq":2}
]
`},
		{[]string{"get", "alerts", "--state", "ack", "--csv", "--config", cfg}, `
id,state,severity,rule,kind,title,subject,first_seen,last_seen,count,incident,response,backfilled,events_total,people_total,addresses_total,events,people,addresses,acknowledged_by,acknowledged_at,resolved_by,resolved_at,seq
1,acknowledged,high,rise,level_rise,ava.chen@example.com rose from Low to High in cloudflare,ava.chen@example.com,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z,1,,push_person high,true,0,1,0,,ava.chen@example.com,,os:ana@host,2026-03-02T10:00:00Z,,,3
`},
	} {
		code, out, errOut := runCmd(t, c.args...)
		if code != 0 || out != strings.TrimPrefix(c.want, "\n") {
			t.Errorf("risktop %s: exit %d\n--- stdout\n%s--- want\n%s--- stderr\n%s", strings.Join(c.args, " "), code, out, strings.TrimPrefix(c.want, "\n"), errOut)
		}
	}
	code, out, errOut := runCmd(t, "get", "alerts", "--state", "resolved", "--config", cfg)
	if code != 0 || out != "" || !strings.Contains(errOut, "no alerts match") {
		t.Errorf("no resolved alerts: exit %d, %q, %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "get", "alerts", "--since", "1h", "--json", "--config", cfg)
	if code != 0 || out != "[]\n" {
		t.Errorf("--since 1h: exit %d, %q", code, out)
	}
}
