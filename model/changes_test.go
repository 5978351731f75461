package model

import (
	"testing"
	"time"
)

func TestFailedType(t *testing.T) {
	for name, want := range map[string]bool{
		"USER_FAILED_ONELOGIN_LOGIN": true, "login failed": true, "Fail": true, "fAiLuRe": true,
		"USER_LOGGED_INTO_ONELOGIN": false, "": false, "fai": false, "FAI L": false,
	} {
		if got := (Event{TypeName: name}).Failed(); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}

func TestRangeOf(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.57": "203.0.113.0/24", "::ffff:203.0.113.57": "203.0.113.0/24",
		"2001:db8:1:2::7": "2001:db8:1::/48", "not an address": "invalid Prefix",
	} {
		if got := RangeOf(ip).String(); got != want {
			t.Errorf("%q: %s, want %s", ip, got, want)
		}
	}
}

// TestPersonChanges: one change a person, the biggest rise else the
// biggest fall; rises first, then newest first.
func TestPersonChanges(t *testing.T) {
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	got := PersonChanges([]LevelChange{
		{Key: "a", Vendor: "cloudflare", At: at, From: LevelMedium, To: LevelCritical},
		{Key: "a", Vendor: "casb", At: at.Add(time.Minute), From: LevelLow, To: LevelMedium},
		{Key: "a", Vendor: "casb", At: at.Add(2 * time.Minute), From: LevelHigh, To: LevelNone},
		{Key: "b", Vendor: "casb", At: at.Add(3 * time.Minute), From: LevelHigh, To: LevelLow},
		{Key: "b", Vendor: "casb", At: at.Add(4 * time.Minute), From: LevelLow, To: LevelMedium},
		{Key: "c", Vendor: "casb", At: at.Add(5 * time.Minute), From: LevelHigh, To: LevelMedium},
		{Key: "d", Vendor: "casb", At: at.Add(6 * time.Minute), From: LevelHigh, To: LevelHigh},
	})
	want := []string{"b casb Low→Medium", "a cloudflare Medium→Critical", "c casb High→Medium"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, c := range got {
		if s := c.Key + " " + c.Vendor + " " + c.From.Label() + "→" + c.To.Label(); s != want[i] {
			t.Errorf("%d: %s, want %s", i, s, want[i])
		}
	}
}
