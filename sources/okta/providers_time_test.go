package okta

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sim/oktasim"
)

// The reference's examples print "2021-01-05 22:18:30"; the schema and the
// SDK say RFC 3339. Both decode, over HTTP, from the simulator answering
// either way.
func TestProvidersDecodeBothTimeForms(t *testing.T) {
	for _, form := range []string{oktasim.ProviderTimesRFC3339, oktasim.ProviderTimesExample} {
		t.Run(form, func(t *testing.T) {
			e := newEnv(t, func(o *oktasim.Options) { o.ProviderTimes = form })
			ps, err := e.oauthClient(t, nil).Providers(context.Background())
			if err != nil {
				t.Fatalf("%s: %v", form, err)
			}
			for _, p := range ps {
				if p.Created.IsZero() || p.LastUpdated.IsZero() || p.Created.Location() != time.UTC {
					t.Fatalf("%s: provider %+v", form, p)
				}
			}
			if !ps[1].LastUpdated.After(ps[1].Created) {
				t.Fatalf("%s: lastUpdated %s not after created %s", form, ps[1].LastUpdated, ps[1].Created)
			}
		})
	}
	// Both forms name the same instants.
	e := newEnv(t, nil)
	c := e.oauthClient(t, nil)
	a, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.sim.SetProviderTimes(oktasim.ProviderTimesExample)
	b, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !a[i].Created.Equal(b[i].Created) || !a[i].LastUpdated.Equal(b[i].LastUpdated) {
			t.Fatalf("provider %d: %s/%s vs %s/%s", i, a[i].Created, a[i].LastUpdated, b[i].Created, b[i].LastUpdated)
		}
	}
}

func TestParseProviderTime(t *testing.T) {
	want := time.Date(2021, 1, 5, 22, 18, 30, 0, time.UTC)
	for _, s := range []string{
		"2021-01-05 22:18:30", // the reference's examples
		"2021-01-05T22:18:30Z",
		"2021-01-05T22:18:30.000Z",
		"2021-01-05T23:18:30+01:00",
		"2021-01-05T22:18:30",
	} {
		got, err := ParseProviderTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: %s %v", s, got, err)
		}
	}
	for s, ns := range map[string]int{
		"2021-01-05T22:18:30.1Z":         100000000,
		"2021-01-05T22:18:30.123456Z":    123456000,
		"2021-01-05T22:18:30.123456789Z": 123456789,
		"2021-01-05 22:18:30.5":          500000000,
	} {
		got, err := ParseProviderTime(s)
		if err != nil || got.Nanosecond() != ns {
			t.Errorf("%q: %s %v, want %d ns", s, got, err, ns)
		}
	}
	for _, s := range []string{"", "yesterday", "2021-01-05", "05/01/2021 22:18:30", "2021-13-05 22:18:30"} {
		if _, err := ParseProviderTime(s); err == nil {
			t.Errorf("%q: accepted", s)
		}
	}
	// In a body: a bad time is an error naming the field; absent is zero.
	var p Provider
	if err := json.Unmarshal([]byte(`{"id":"rkp1","created":"nope"}`), &p); err == nil {
		t.Fatal("a bad created decoded")
	}
	if err := json.Unmarshal([]byte(`{"id":"rkp1","name":"x","clientId":"c","action":"log_only"}`), &p); err != nil || p.ID != "rkp1" || p.ClientID != "c" || !p.Created.IsZero() {
		t.Fatalf("%+v %v", p, err)
	}
}
