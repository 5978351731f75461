package model

import (
	"testing"
	"time"
)

func TestIncidentSummary(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   Incident
		want string
	}{
		{Incident{Range: "203.0.113.0/24", Addresses: 57, People: 40, Failures: 135, From: t0, To: t0.Add(3*time.Minute + 10*time.Second)},
			"203.0.113.0/24: 57 addresses, 40 people, 135 failures in 3 min"},
		{Incident{Range: "2001:db8:beef::/48", Addresses: 1, People: 1, Failures: 1, From: t0, To: t0},
			"2001:db8:beef::/48: 1 address, 1 person, 1 failure in 0 s"},
		{Incident{Range: "192.0.2.0/24", Addresses: 2, People: 3, Failures: 400, From: t0, To: t0.Add(125 * time.Minute)},
			"192.0.2.0/24: 2 addresses, 3 people, 400 failures in 2 h 5 min"},
	} {
		if got := tc.in.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}

func TestResponseAndStateWords(t *testing.T) {
	if got := (Response{Kind: ResponsePushRange, Level: LevelHigh}).String(); got != "push_range high" {
		t.Errorf("String = %q", got)
	}
	if got := (Response{Kind: ResponseResetCloudflare, Level: LevelHigh}).String(); got != "reset_cloudflare" {
		t.Errorf("String = %q", got)
	}
	if got := (Response{}).Label(); got != "none" {
		t.Errorf("Label = %q", got)
	}
	if s, ok := ParseAlertState("ACK"); !ok || s != AlertAcknowledged || !s.Live() || AlertResolved.Live() {
		t.Errorf("ParseAlertState(ACK) = %v, %v", s, ok)
	}
	var e Evidence
	for i := range MaxEvidence + 3 {
		e.AddAddress(string(rune('a' + i%26)))
	}
	if len(e.Addresses) != MaxEvidence || e.AddressesTotal != MaxEvidence+3 {
		t.Errorf("evidence %d of %d", len(e.Addresses), e.AddressesTotal)
	}
}

func TestAlertWhat(t *testing.T) {
	for _, c := range []struct{ title, subject, want string }{
		{"zoe@example.com is High or above in Oracle CASB and Cloudflare", "zoe@example.com", "High or above in Oracle CASB and Cloudflare"},
		{"zoe@example.com rose from Medium to Critical in Cloudflare", "zoe@example.com", "Rose from Medium to Critical in Cloudflare"},
		{"Burst of failed sign-ins from 203.0.113.0/24", "203.0.113.0/24", "Burst of failed sign-ins"},
		{"203.0.113.9 used by 12 people", "203.0.113.9", "Used by 12 people"},
		{"Something else", "zoe@example.com", "Something else"},
		{"zoe@example.com", "zoe@example.com", "zoe@example.com"},
	} {
		if got := (Alert{Title: c.title, Subject: c.subject}).What(); got != c.want {
			t.Errorf("What of %q = %q, want %q", c.title, got, c.want)
		}
	}
}
