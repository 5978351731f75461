package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Preferences are per owner: one operator's setting is not another's,
// setting again replaces, and a value that is no setting is refused.
func TestPrefsPerOwner(t *testing.T) {
	s, err := Open(":memory:", Options{})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	if v, ok, err := s.Pref(ctx, "ssh:ab12", "notify"); err != nil || ok || v != "" {
		t.Fatalf("never set: %q %v %v", v, ok, err)
	}
	must(t, s.SetPref(ctx, "ssh:ab12", "notify", "off", at))
	must(t, s.SetPref(ctx, "os:zoe", "notify", "osc9", at))
	must(t, s.SetPref(ctx, "ssh:ab12", "notify", "bell", at.Add(time.Minute)))
	for owner, want := range map[string]string{"ssh:ab12": "bell", "os:zoe": "osc9"} {
		if v, ok, err := s.Pref(ctx, owner, "notify"); err != nil || !ok || v != want {
			t.Errorf("%s: %q %v %v, want %q", owner, v, ok, err, want)
		}
	}
	if _, ok, _ := s.Pref(ctx, "os:zoe", "other"); ok {
		t.Error("a setting never set reads as set")
	}
	if err := s.SetPref(ctx, "os:zoe", "notify", strings.Repeat("x", maxPrefValue+1), at); err == nil {
		t.Error("an oversized value was stored")
	}
	if err := s.SetPref(ctx, "os:zoe", "", "x", at); err == nil {
		t.Error("a setting without a name was stored")
	}
}
