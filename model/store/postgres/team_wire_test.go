package postgres

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// wireSamples has one message of every hub.Msg type, every field set.
func wireSamples() []hub.Msg {
	at := time.Date(2026, 12, 5, 19, 45, 1, 123_000_000, time.UTC)
	return []hub.Msg{
		hub.HealthMsg{Health: model.Health{
			Source: "okta", State: model.StateDegraded, LastSuccess: at, LastError: "okta: 429 — slow down ✋",
			LastErrorAt: at.Add(time.Second), Failures: 3, NextPoll: at.Add(time.Minute), Backoff: 90 * time.Second,
			RateLimit: model.RateLimit{Known: true, Limit: 600, Remaining: 17, Reset: at.Add(time.Hour)},
			Backfill:  &model.Progress{From: at.Add(-72 * time.Hour), To: at, Reached: at.Add(-time.Hour), Events: 42, Done: false},
			Note:      "push only",
		}},
		hub.EventsMsg{Vendor: "onelogin", Inserted: 17, Newest: at},
		hub.UsersMsg{Vendor: "casb", At: at, Views: []model.UserRisk{{
			Vendor: "casb", UserID: "u1", Email: "张伟@example.com", Name: "Zhang 🐉", Level: model.LevelCritical,
			RawLevel: "Critical", Score: 97, Events: 5, LastSeen: at,
			Reasons: []model.Reason{{Code: "NETWRK_PREFIX_EVENTS", Text: "new network", Count: 2}},
			Context: "SFDC / publiceventsapi",
		}}},
		hub.ScoresMsg{Scores: model.Scores{Window: 7 * 24 * time.Hour, From: at.Add(-7 * 24 * time.Hour), To: at,
			Counts: [len(model.Buckets)]int{1, 2, 3}, Total: 6, At: at, WindowIgnored: true}},
		hub.ActionsChanged{},
		hub.AlertsChanged{Seq: 12345},
	}
}

func TestNewsWireRoundTripsEveryMessage(t *testing.T) {
	for _, m := range wireSamples() {
		kind, body, err := encodeMsg(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		got, err := decodeMsg(kind, body)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: round trip\n got %#v\nwant %#v", kind, got, m)
		}
	}
	if _, err := decodeMsg("gossip", []byte(`{}`)); err == nil {
		t.Error("an unknown kind decoded")
	}
}

// Every message type model/hub declares has a wire form and a sample
// above, so a new type is not silently kept from the other instances.
func TestNewsWireKnowsEveryHubMessage(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../hub/hub.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	sampled := map[string]bool{}
	for _, m := range wireSamples() {
		sampled[reflect.TypeOf(m).Name()] = true
		if kindOf(m) == "" {
			t.Errorf("%T has no wire kind", m)
		}
	}
	n := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Key" || fn.Recv == nil {
			continue
		}
		recv := fn.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		name := recv.(*ast.Ident).Name
		if !ast.IsExported(name) || strings.HasPrefix(name, "Subscription") {
			continue
		}
		n++
		if !sampled[name] {
			t.Errorf("hub.%s has no wire sample here (and maybe no kind in kindOf)", name)
		}
	}
	if n != len(wireSamples()) {
		t.Errorf("hub.go declares %d message types, the samples cover %d", n, len(wireSamples()))
	}
}

// News is always published; a replay only when newer than anything heard
// or sent for its key, so a former leader's views lose to the current
// one's whatever order the replays come in.
func TestBridgeReplaysOnlyFresherState(t *testing.T) {
	b := newBridge(nil, hub.New(), "jump1", nil)
	if !b.fresh("users/okta", 100, true) {
		t.Fatal("a replay for a key never heard was dropped")
	}
	if b.fresh("users/okta", 50, true) {
		t.Fatal("an older replay was published")
	}
	if b.fresh("users/okta", 100, true) {
		t.Fatal("the same replay was published twice")
	}
	if !b.fresh("users/okta", 40, false) {
		t.Fatal("news older than a replay was dropped (clocks differ; news is news)")
	}
	if !b.fresh("users/okta", 150, true) {
		t.Fatal("a newer replay was dropped")
	}
	b.sent([]hub.Msg{hub.UsersMsg{Vendor: "casb"}}, 200)
	if b.fresh("users/casb", 180, true) {
		t.Fatal("a replay older than what this instance sent was published")
	}
	if !b.fresh("health/casb", 1, true) {
		t.Fatal("keys are not independent")
	}
}
