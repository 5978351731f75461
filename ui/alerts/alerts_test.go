package alerts

import (
	"testing"
	"time"
)

// Seen says today's times with how long ago and older ones with their
// date, in the zone shown: a time of yesterday in UTC may be today in
// another zone.
func TestSeen(t *testing.T) {
	now := time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	for _, c := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{now.Add(-8 * time.Minute), time.UTC, "14:22 (8m)"},
		{now.Add(-40 * time.Second), time.UTC, "14:29 (40s)"},
		{time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC), time.UTC, "Nov 20 23:00"},
		{time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC), tokyo, "08:00 (15h)"},
		{time.Time{}, time.UTC, "–"},
	} {
		if got := Seen(c.at, now, c.loc); got != c.want {
			t.Errorf("Seen(%v in %v) = %q, want %q", c.at, c.loc, got, c.want)
		}
	}
}

// A subject is an address or a range to filter the events by, or a
// person's key, which is neither.
func TestIsAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"203.0.113.7": true, "203.0.113.0/24": true, "2001:db8:beef::/48": true, "2001:db8::1": true,
		"zoe@example.com": false, "okta:00u1abcd": false, "casb:user:42": false, "": false,
	} {
		if got := isAddress(s); got != want {
			t.Errorf("isAddress(%q) = %v", s, got)
		}
	}
}
