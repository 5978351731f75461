package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
)

// instance is one risktop's hub bridged through its store.
type instance struct {
	bus    *hub.Hub
	sub    *hub.Subscription // everything the dashboards would see
	status chan postgres.BridgeStatus
}

func bridged(t *testing.T, st *postgres.Store, name string) *instance {
	t.Helper()
	in := &instance{bus: hub.New(), status: make(chan postgres.BridgeStatus, 1000)}
	in.sub = in.bus.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := st.Bridge(ctx, in.bus, name, func(s postgres.BridgeStatus) { in.status <- s }); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		in.sub.Close()
	})
	return in
}

// waitStatus waits for a status with Listening == listening.
func (in *instance) waitStatus(t *testing.T, listening bool, d time.Duration) postgres.BridgeStatus {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case s := <-in.status:
			if s.Listening == listening {
				return s
			}
		case <-deadline:
			t.Fatalf("bridge not listening=%v within %v", listening, d)
		}
	}
}

// collect takes messages from the instance's subscription until one
// satisfies done, and returns them all.
func (in *instance) collect(t *testing.T, d time.Duration, done func(hub.Msg) bool) []hub.Msg {
	t.Helper()
	var got []hub.Msg
	deadline := time.After(d)
	for {
		select {
		case <-in.sub.Ready():
			for _, m := range in.sub.Take() {
				got = append(got, m)
				if done(m) {
					return got
				}
			}
		case <-deadline:
			t.Fatalf("not heard within %v; heard %+v", d, got)
		}
	}
}

func isAlerts(seq int64) func(hub.Msg) bool {
	return func(m hub.Msg) bool { return m == hub.AlertsChanged{Seq: seq} }
}

// manyViews is a users message far over NOTIFY's 8000 bytes.
func manyViews(vendor string, n int) hub.UsersMsg {
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	views := make([]model.UserRisk, n)
	for i := range views {
		views[i] = model.UserRisk{Vendor: vendor, UserID: fmt.Sprint(i), Email: fmt.Sprintf("user%d@example.com", i),
			Name: "Ünïcode 名前", Level: model.LevelHigh, Score: i % 100, LastSeen: at,
			Reasons: []model.Reason{{Text: strings.Repeat("why ", 10)}}}
	}
	return hub.UsersMsg{Vendor: vendor, At: at, Views: views}
}

// A message published on one instance's hub arrives on the other's once,
// and does not come back: the bridge's own subscription skips what it
// received, and its listener skips what its store sent.
func TestBridgeSharesNewsOnceWithoutEcho(t *testing.T) {
	sa, url := openDB(t)
	sb := openURL(t, url)
	a := bridged(t, sa, "jump1")
	b := bridged(t, sb, "jump2")
	a.waitStatus(t, true, 10*time.Second)
	b.waitStatus(t, true, 10*time.Second)

	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	health := hub.HealthMsg{Health: model.Health{Source: "okta", State: model.StateFailing, LastError: "okta: 401", LastErrorAt: at}}
	big := manyViews("casb", 500)
	a.bus.Publish(hub.EventsMsg{Vendor: "okta", Inserted: 3, Newest: at})
	a.bus.Publish(health)
	a.bus.Publish(big)
	a.bus.Publish(hub.AlertsChanged{Seq: 1}) // the marker: news arrives in order
	a.sub.Take()                             // A's dashboards hear A's news once, now

	got := b.collect(t, 10*time.Second, isAlerts(1))
	seen := map[string]hub.Msg{}
	for _, m := range got {
		if prev, ok := seen[m.Key()]; ok {
			t.Errorf("%s heard twice: %+v then %+v", m.Key(), prev, m)
		}
		seen[m.Key()] = m
	}
	if ev, ok := seen["events/okta"].(hub.EventsMsg); !ok || ev.Inserted != 3 || !ev.Newest.Equal(at) {
		t.Errorf("events on B = %+v", seen["events/okta"])
	}
	if h, ok := seen["health/okta"].(hub.HealthMsg); !ok || h.State != model.StateFailing || h.LastError != "okta: 401" {
		t.Errorf("health on B = %+v", seen["health/okta"])
	}
	if u, ok := seen["users/casb"].(hub.UsersMsg); !ok || len(u.Views) != len(big.Views) || u.Views[499].Email != "user499@example.com" || u.Views[7].Name != "Ünïcode 名前" {
		t.Errorf("the large users message did not arrive whole on B")
	}

	// B answers; by the time A hears it, an echo of A's news would have
	// come back before it (notifications arrive in commit order).
	b.bus.Publish(hub.AlertsChanged{Seq: 2})
	b.sub.Take()
	got = a.collect(t, 10*time.Second, isAlerts(2))
	for _, m := range got {
		switch m.(type) {
		case hub.EventsMsg, hub.HealthMsg, hub.UsersMsg:
			t.Errorf("A heard its own %s again", m.Key())
		}
	}
	// Nor does B hear its own answer back.
	a.bus.Publish(hub.EventsMsg{Vendor: "casb", Inserted: 1})
	got = b.collect(t, 10*time.Second, func(m hub.Msg) bool { return m.Key() == "events/casb" })
	for _, m := range got {
		if m.Key() == "alerts" {
			t.Errorf("B heard its own %+v back", m)
		}
	}
}

// After the database restarts, each bridge says it lost the connection,
// listens again, and news flows again.
func TestBridgeListensAgainAfterRestart(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := bridged(t, openURL(t, url), "jump1")
	b := bridged(t, openURL(t, url), "jump2")
	a.waitStatus(t, true, 10*time.Second)
	b.waitStatus(t, true, 10*time.Second)

	a.bus.Publish(hub.AlertsChanged{Seq: 1})
	b.collect(t, 10*time.Second, isAlerts(1))

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if s := b.waitStatus(t, false, 10*time.Second); s.Err == nil || s.RetryIn <= 0 {
		t.Fatalf("lost status = %+v, want the error and when it retries", s)
	}
	a.waitStatus(t, true, 20*time.Second)
	if s := b.waitStatus(t, true, 20*time.Second); s.Err != nil {
		t.Fatalf("listening again with %v", s.Err)
	}
	// Back, B tells its readers to read the store again.
	b.collect(t, 10*time.Second, func(m hub.Msg) bool { return m == hub.ActionsChanged{} })

	a.bus.Publish(hub.AlertsChanged{Seq: 2})
	b.collect(t, 20*time.Second, isAlerts(2))
	b.bus.Publish(hub.AlertsChanged{Seq: 3})
	a.collect(t, 20*time.Second, isAlerts(3))
}

// An instance that joins late hears the others' current state at once
// (their replies to its hello): health, user views, scores, not event
// counts.
func TestBridgeNewcomerHearsTheCurrentState(t *testing.T) {
	sa, url := openDB(t)
	a := bridged(t, sa, "jump1")
	a.waitStatus(t, true, 10*time.Second)
	ctx := context.Background()
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	if _, err := watch.Exec(ctx, "LISTEN risktop"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	a.bus.Publish(hub.EventsMsg{Vendor: "okta", Inserted: 3, Newest: at})
	a.bus.Publish(hub.HealthMsg{Health: model.Health{Source: "okta", State: model.StateOK, LastSuccess: at}})
	a.bus.Publish(manyViews("okta", 300))
	a.bus.Publish(hub.ScoresMsg{Scores: model.Scores{Window: 24 * time.Hour, Total: 9, At: at}})
	a.bus.Publish(hub.AlertsChanged{Seq: 1})
	// A has sent them all live (to no one) when its marker is out.
	for {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := watch.WaitForNotification(wctx)
		cancel()
		if err != nil {
			t.Fatalf("A's news not sent: %v", err)
		}
		if strings.Contains(n.Payload, `"kind":"alerts"`) {
			break
		}
	}
	sb := openURL(t, url)
	b := bridged(t, sb, "jump2")
	got := b.collect(t, 10*time.Second, func(m hub.Msg) bool {
		_, ok := m.(hub.ScoresMsg)
		return ok
	})
	a.bus.Publish(hub.AlertsChanged{Seq: 2}) // sent after the replay
	got = append(got, b.collect(t, 10*time.Second, isAlerts(2))...)
	seen := map[string]int{}
	for _, m := range got {
		seen[m.Key()]++
	}
	want := map[string]int{"health/okta": 1, "users/okta": 1, "scores/24h0m0s": 1, "alerts": 1}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("B heard %s %d times, want %d (heard %v)", k, seen[k], n, seen)
		}
	}
	if seen["events/okta"] != 0 {
		t.Errorf("event counts were replayed: %v", seen)
	}
}
