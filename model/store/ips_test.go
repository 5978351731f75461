package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func TestDistinctIPs(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	at := fixtureNow.Add(-30 * time.Minute)
	ev := func(id, ip string, score int, age time.Duration) model.Event {
		return model.Event{Vendor: "onelogin", ID: id, Time: at.Add(-age), Type: 5, UserName: "Ada Lovelace",
			UserKey: "ada.lovelace@example.com", IP: ip, Score: score, Level: model.LevelOfScore(score)}
	}
	put(t, s, []model.Event{
		ev("1", "203.0.113.7", 80, 0),
		ev("2", "203.0.113.7", 20, time.Minute), // same address: one entry, its highest score counts
		ev("3", "2001:db8::1", 95, 0),
		ev("4", "2001:DB8:0::1", 10, 2*time.Minute), // the same address, written differently
		ev("5", "198.51.100.4", 76, 0),
		ev("6", "::ffff:192.0.2.9", 50, 0), // IPv4-mapped: stored as 192.0.2.9
		ev("7", "not-an-ip", 99, 0),        // never returned: it cannot be pushed
		ev("8", "", 99, 0),
		ev("9", "198.51.100.200", 30, 3*time.Hour), // outside the last hour
	})

	ips, total, err := s.DistinctIPs(ctx, EventFilter{}, 100)
	must(t, err)
	want := []string{"2001:db8::1", "203.0.113.7", "198.51.100.4", "192.0.2.9", "198.51.100.200"}
	if !slices.Equal(ips, want) || total != 5 {
		t.Fatalf("all: %v (%d), want %v (5)", ips, total, want)
	}

	// The filter is the Events screen's: a window and a minimum score.
	f := EventFilter{From: fixtureNow.Add(-time.Hour), MinScore: 76}
	ips, total, err = s.DistinctIPs(ctx, f, 100)
	must(t, err)
	if want := []string{"2001:db8::1", "203.0.113.7", "198.51.100.4"}; !slices.Equal(ips, want) || total != 3 {
		t.Fatalf("score>=76 in the last hour: %v (%d), want %v (3)", ips, total, want)
	}

	// A limit keeps the riskiest and still counts them all.
	ips, total, err = s.DistinctIPs(ctx, EventFilter{}, 2)
	must(t, err)
	if want := []string{"2001:db8::1", "203.0.113.7"}; !slices.Equal(ips, want) || total != 5 {
		t.Fatalf("limit 2: %v (%d)", ips, total)
	}

	// Limit 0 only counts.
	ips, total, err = s.DistinctIPs(ctx, EventFilter{IP: "203.0.113.0/24"}, 0)
	must(t, err)
	if ips != nil || total != 1 {
		t.Fatalf("count only: %v (%d)", ips, total)
	}

	// A user nobody is: nothing, and no error.
	ips, total, err = s.DistinctIPs(ctx, EventFilter{User: "nobody@example.com"}, 10)
	must(t, err)
	if len(ips) != 0 || total != 0 {
		t.Fatalf("unknown user: %v (%d)", ips, total)
	}

	// A bad filter says so.
	if _, _, err := s.DistinctIPs(ctx, EventFilter{IP: "999.1.1.1"}, 10); err == nil {
		t.Fatal("a bad IP filter gave no error")
	}
}

func TestDistinctIPsMany(t *testing.T) {
	s := openMem(t)
	var evs []model.Event
	for i := range 1500 {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint(i), Time: fixtureNow.Add(-time.Duration(i) * time.Second),
			IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250), Score: i % 101, UserKey: "x@example.com"})
	}
	put(t, s, evs)
	ips, total, err := s.DistinctIPs(context.Background(), EventFilter{}, 1000)
	must(t, err)
	if len(ips) != 1000 || total != 1500 {
		t.Fatalf("got %d of %d, want 1000 of 1500", len(ips), total)
	}
	seen := map[string]bool{}
	for _, ip := range ips {
		if seen[ip] {
			t.Fatalf("%s twice", ip)
		}
		seen[ip] = true
	}
}
