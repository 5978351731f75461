package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// aggFixture is a handful of events whose aggregates are worked out by
// hand in the tests below. t0 is 10:00.
func aggFixture(t *testing.T) (*SQLite, time.Time) {
	s := openMem(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	ol := "onelogin"
	put(t, s, []model.Event{
		{Vendor: ol, ID: "1", Time: at(0, 5), UserID: "7", UserName: "Ada Lovelace", UserKey: "ada@example.com", IP: "192.0.2.1", Score: 10, Level: model.LevelLow, Type: 5},
		{Vendor: ol, ID: "2", Time: at(0, 50), UserID: "7", UserName: "Ada Lovelace", UserKey: "ada@example.com", IP: "192.0.2.1", Score: 80, Level: model.LevelCritical, Type: 5},
		{Vendor: ol, ID: "3", Time: at(2, 0), UserID: "8", UserName: "Alan Turing", UserKey: "alan@example.com", IP: "192.0.2.1", Score: 30, Level: model.LevelMedium, Type: 6},
		{Vendor: ol, ID: "4", Time: at(2, 30), UserID: "8", UserName: "Alan Turing", UserKey: "alan@example.com", IP: "198.51.100.9", Score: 80, Level: model.LevelCritical, Type: 5},
		{Vendor: ol, ID: "5", Time: at(4, 59), UserName: "Grace Hopper", IP: "198.51.100.9", Score: model.NoScore, Type: 6},
		{Vendor: ol, ID: "6", Time: at(-1, 0), UserID: "9", UserName: "Old Event", IP: "203.0.113.5", Score: 99, Level: model.LevelCritical, Type: 5},
		{Vendor: "cloudflare", ID: "c1", Time: at(3, 0), UserID: "cf-7", UserKey: "ada@example.com", IP: "192.0.2.1", Score: model.NoScore, Level: model.LevelHigh},
		{Vendor: ol, ID: "7", Time: at(1, 0), UserID: "7", UserName: "Ada L.", IP: "2001:db8::1", Score: 5, Level: model.LevelLow, Type: 5},
	})
	return s, t0
}

func TestEventRate(t *testing.T) {
	s, t0 := aggFixture(t)
	ctx := context.Background()
	// Minutes 10:00–10:05: events 1,2 | 7 | 3,4 | c1 | — | 5; 6 is before.
	got, err := s.EventRate(ctx, EventFilter{}, t0, t0.Add(5*time.Minute), time.Minute)
	if want := []int{2, 1, 2, 1, 1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("rate = %v, %v; want %v", got, err, want)
	}
	got, err = s.EventRate(ctx, EventFilter{Vendor: "onelogin", Types: []int{5}}, t0, t0.Add(5*time.Minute), 2*time.Minute)
	if want := []int{3, 1, 0}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("onelogin sign-ins = %v, %v; want %v", got, err, want)
	}
	// The filter's own window narrows the chart; steps outside are zero.
	got, err = s.EventRate(ctx, EventFilter{From: t0.Add(2 * time.Minute)}, t0.Add(-2*time.Minute), t0.Add(4*time.Minute), time.Minute)
	if want := []int{0, 0, 0, 0, 2, 1}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("narrowed rate = %v, %v; want %v", got, err, want)
	}
	got, err = s.EventRate(ctx, EventFilter{User: "nobody"}, t0, t0.Add(time.Minute), time.Minute)
	if want := []int{0}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("no-match rate = %v, %v", got, err)
	}
	for name, args := range map[string][3]time.Duration{
		"zero step":   {0, time.Minute, 0},
		"empty":       {0, 0, time.Minute},
		"too many":    {0, 24 * time.Hour, time.Millisecond},
		"sub-ms step": {0, time.Minute, time.Microsecond},
	} {
		if _, err := s.EventRate(ctx, EventFilter{}, t0.Add(args[0]), t0.Add(args[1]), args[2]); err == nil ||
			!strings.HasPrefix(err.Error(), "store: event rate: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestTopIPs(t *testing.T) {
	s, t0 := aggFixture(t)
	got, err := s.TopIPs(context.Background(), t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	want := []model.IPRisk{
		// 80 from both; 192.0.2.1 has more events (1,2,3,c1) and people (ada, alan).
		{IP: "192.0.2.1", Level: model.LevelCritical, MaxScore: 80, Events: 4, Users: 2, LastSeen: at(3, 0)},
		{IP: "198.51.100.9", Level: model.LevelCritical, MaxScore: 80, Events: 2, Users: 2, LastSeen: at(4, 59)},
		{IP: "2001:db8::1", Level: model.LevelLow, MaxScore: 5, Events: 1, Users: 1, LastSeen: at(1, 0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("top IPs:\n got %+v\nwant %+v", got, want)
	}
	if got, _ := s.TopIPs(context.Background(), t0, 1); len(got) != 1 || got[0].IP != "192.0.2.1" {
		t.Errorf("top 1 = %+v", got)
	}
}

func TestEventUsers(t *testing.T) {
	s, t0 := aggFixture(t)
	got, err := s.EventUsers(context.Background(), "onelogin", t0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	want := []model.UserRisk{
		// Both at 80 (critical); Ada has three events (1, 2, 7), Alan two.
		// Ada's newest name is "Ada L." (event 7); her email comes from event 1.
		{Vendor: "onelogin", UserID: "7", Email: "ada@example.com", Name: "Ada L.", Level: model.LevelCritical,
			RawLevel: "critical", Score: 80, Events: 3, LastSeen: at(1, 0)},
		{Vendor: "onelogin", UserID: "8", Email: "alan@example.com", Name: "Alan Turing", Level: model.LevelCritical,
			RawLevel: "critical", Score: 80, Events: 2, LastSeen: at(2, 30)},
		// No id or email: known by name, no score.
		{Vendor: "onelogin", Name: "Grace Hopper", Level: model.LevelUnknown, RawLevel: "unknown",
			Score: model.NoScore, Events: 1, LastSeen: at(4, 59)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event users:\n got %+v\nwant %+v", got, want)
	}
	cf, err := s.EventUsers(context.Background(), "cloudflare", t0)
	if err != nil || len(cf) != 1 || cf[0].Level != model.LevelHigh || cf[0].Email != "ada@example.com" {
		t.Errorf("cloudflare users = %+v, %v", cf, err)
	}
	if _, err := s.EventUsers(context.Background(), "", t0); err == nil {
		t.Error("no vendor: no error")
	}
}
