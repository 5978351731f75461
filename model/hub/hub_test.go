package hub

import (
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func TestHubCoalescesPerKeyAndNeverBlocks(t *testing.T) {
	h := New()
	slow := h.Subscribe() // never read until the end
	for i := 0; i < 10_000; i++ {
		h.Publish(EventsMsg{Vendor: "onelogin", Inserted: 1, Newest: time.Unix(int64(i), 0)})
		h.Publish(HealthMsg{model.Health{Source: "onelogin", Failures: i}})
	}
	got := slow.Take()
	if len(got) != 2 {
		t.Fatalf("%d messages waiting, want 2 (one per key)", len(got))
	}
	ev := got[0].(EventsMsg)
	if ev.Inserted != 10_000 || ev.Newest != time.Unix(9999, 0) {
		t.Fatalf("coalesced events = %+v, want the sum and the newest", ev)
	}
	if hm := got[1].(HealthMsg); hm.Failures != 9999 {
		t.Fatalf("health = %+v, want the latest", hm)
	}
	if len(slow.Take()) != 0 {
		t.Fatal("Take did not empty the box")
	}
}

func TestLateSubscriberSeesTheCurrentStateAtOnce(t *testing.T) {
	h := New()
	h.Publish(UsersMsg{Vendor: "casb", Views: []model.UserRisk{{Email: "a@x"}}})
	h.Publish(HealthMsg{model.Health{Source: "casb", State: model.StateOK}})
	h.Publish(UsersMsg{Vendor: "casb", Views: []model.UserRisk{{Email: "b@x"}}})
	s := h.Subscribe()
	select {
	case <-s.Ready():
	default:
		t.Fatal("a late subscriber is not ready at once")
	}
	got := s.Take()
	if len(got) != 2 || got[0].(UsersMsg).Views[0].Email != "b@x" {
		t.Fatalf("late subscriber got %+v", got)
	}
	s.Close()
	h.Publish(HealthMsg{model.Health{Source: "casb"}})
	if len(s.Take()) != 0 {
		t.Fatal("closed subscription still receives")
	}
}

// AlertsChanged announcements coalesce into the highest sequence number,
// whatever order they come in.
func TestAlertsChangedCoalesces(t *testing.T) {
	h := New()
	sub := h.Subscribe()
	defer sub.Close()
	h.Publish(AlertsChanged{Seq: 5})
	h.Publish(AlertsChanged{Seq: 9})
	h.Publish(AlertsChanged{Seq: 7})
	got := sub.Take()
	if len(got) != 1 || got[0] != (AlertsChanged{Seq: 9}) {
		t.Fatalf("took %+v", got)
	}
}

// A local-only subscription (a team's bridge) never sees what other
// instances published, live or in its backlog; every other subscriber
// sees both.
func TestSubscribeLocalSkipsRemoteMessages(t *testing.T) {
	h := New()
	h.PublishRemote(HealthMsg{model.Health{Source: "okta", Failures: 1}})
	h.Publish(HealthMsg{model.Health{Source: "casb", Failures: 2}})
	local := h.SubscribeLocal()
	defer local.Close()
	all := h.Subscribe()
	defer all.Close()
	if got := local.Take(); len(got) != 1 || got[0].(HealthMsg).Source != "casb" {
		t.Fatalf("local backlog = %+v, want casb's only", got)
	}
	if got := all.Take(); len(got) != 2 {
		t.Fatalf("backlog = %+v, want both", got)
	}

	h.PublishRemote(EventsMsg{Vendor: "okta", Inserted: 5})
	h.PublishRemote(AlertsChanged{Seq: 3})
	if got := local.Take(); len(got) != 0 {
		t.Fatalf("a local-only subscription was told of remote messages: %+v", got)
	}
	h.Publish(EventsMsg{Vendor: "okta", Inserted: 2})
	if got := local.Take(); len(got) != 1 || got[0].(EventsMsg).Inserted != 2 {
		t.Fatalf("local took %+v, want only the local 2 inserted", got)
	}
	got := all.Take()
	if len(got) != 2 || got[0].(EventsMsg).Inserted != 7 || got[1] != (AlertsChanged{Seq: 3}) {
		t.Fatalf("took %+v, want remote and local events merged and the remote alerts", got)
	}

	// A key whose latest message is remote is left out of a new local
	// subscriber's backlog even though a local one came before it.
	h.PublishRemote(HealthMsg{model.Health{Source: "casb", Failures: 9}})
	late := h.SubscribeLocal()
	defer late.Close()
	for _, m := range late.Take() {
		if hm, ok := m.(HealthMsg); ok && hm.Source == "casb" {
			t.Fatalf("late local subscriber got the remote %+v", hm)
		}
	}
}

func TestFoldAsTheMailboxDoes(t *testing.T) {
	a := EventsMsg{Vendor: "okta", Inserted: 2, Newest: time.Unix(50, 0)}
	b := EventsMsg{Vendor: "okta", Inserted: 3, Newest: time.Unix(40, 0)}
	if got := Fold(a, b).(EventsMsg); got.Inserted != 5 || got.Newest != time.Unix(50, 0) {
		t.Fatalf("Fold(events) = %+v", got)
	}
	if got := Fold(AlertsChanged{Seq: 9}, AlertsChanged{Seq: 4}); got != (AlertsChanged{Seq: 9}) {
		t.Fatalf("Fold(alerts) = %+v", got)
	}
	h := HealthMsg{model.Health{Source: "okta", Failures: 2}}
	if got := Fold(HealthMsg{model.Health{Source: "okta", Failures: 1}}, h).(HealthMsg); got.Failures != 2 {
		t.Fatalf("Fold(health) = %+v, want the later", got)
	}
}
