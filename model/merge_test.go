package model

import (
	"testing"
	"time"
)

func TestMergeJoinsByNormalisedEmailAndKeepsEachView(t *testing.T) {
	t1 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	people := Merge([]UserRisk{
		{Vendor: "cloudflare", UserID: "u-1", Email: "Ava.Chen@Example.com", Name: "Ava Chen", Level: LevelHigh, RawLevel: "high", Score: NoScore, LastSeen: t1},
		{Vendor: "casb", Email: "  ava.chen@example.com ", Level: LevelMedium, RawLevel: "Medium", Score: 55, Context: "SFDC"},
		{Vendor: "casb", Email: "ava.chen@example.com", Level: LevelNone, RawLevel: "Normal", Score: 0, Context: "BOX"},
		{Vendor: "onelogin", UserID: "40000037", Name: "ava  CHEN", Level: LevelCritical, Score: 91, LastSeen: t1.Add(time.Minute)},
		{Vendor: "casb", Email: "ben@example.com", Level: LevelLow, Score: 10},
	}, vendorOrder)
	if len(people) != 2 {
		t.Fatalf("%d people, want 2: %+v", len(people), people)
	}
	ava := people[0]
	if ava.Key != "ava.chen@example.com" || ava.Level != LevelCritical || ava.Score != 91 || ava.Name != "Ava Chen" {
		t.Fatalf("ava = %+v", ava)
	}
	if len(ava.Views) != 4 {
		t.Fatalf("ava has %d views, want all 4 kept", len(ava.Views))
	}
	if v := ava.Views[0]; v.Vendor != "onelogin" || v.JoinedBy != "name" {
		t.Fatalf("riskiest view = %+v, want the OneLogin one joined by name", v)
	}
	if !ava.LastSeen.Equal(t1.Add(time.Minute)) {
		t.Fatalf("last seen %v", ava.LastSeen)
	}
	vendors := map[string]bool{}
	for _, v := range ava.Views {
		vendors[v.Vendor] = true
	}
	if len(vendors) != 3 || !vendors["onelogin"] || !vendors["casb"] || !vendors["cloudflare"] {
		t.Fatalf("vendors = %v", vendors)
	}
}

func TestMergeNeverGuessesAnAmbiguousName(t *testing.T) {
	people := Merge([]UserRisk{
		{Vendor: "cloudflare", Email: "sam.lee@example.com", Name: "Sam Lee", Level: LevelLow},
		{Vendor: "cloudflare", Email: "sam.lee2@example.com", Name: "Sam Lee", Level: LevelLow},
		{Vendor: "onelogin", UserID: "7", Name: "Sam Lee", Level: LevelHigh, Score: 60},
		{Vendor: "onelogin", UserID: "8", Level: LevelLow, Score: 10},
	}, vendorOrder)
	if len(people) != 4 {
		t.Fatalf("%d people, want 4 (two by email, the ambiguous name alone, the nameless alone)", len(people))
	}
	if people[0].Key != "name:sam lee" || people[0].Views[0].JoinedBy != "" {
		t.Fatalf("ambiguous name joined someone: %+v", people[0])
	}
	var nameless bool
	for _, p := range people {
		nameless = nameless || p.Key == "onelogin:8"
	}
	if !nameless {
		t.Fatalf("nameless view lost: %+v", people)
	}
}

func TestNormalizers(t *testing.T) {
	for in, want := range map[string]string{" A@B.COM ": "a@b.com", "nobody": "", "@x": "", "a@": "", "a b@c": ""} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"2001:DB8:0::1": "2001:db8::1", " 203.0.113.7 ": "203.0.113.7", "::ffff:192.0.2.1": "192.0.2.1", "fe80::1%eth0": "fe80::1", "x": ""} {
		if got := NormalizeIP(in); got != want {
			t.Errorf("NormalizeIP(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLevels(t *testing.T) {
	for _, c := range []struct {
		got, want Level
	}{
		{LevelOfScore(4), LevelNone}, {LevelOfScore(5), LevelLow}, {LevelOfScore(26), LevelMedium},
		{LevelOfScore(51), LevelHigh}, {LevelOfScore(76), LevelCritical}, {LevelOfScore(NoScore), LevelUnknown},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	for _, l := range Levels {
		if back, ok := ParseLevel(l.String()); !ok || back != l {
			t.Errorf("ParseLevel(%q) = %s", l, back)
		}
	}
}

func TestProgressFraction(t *testing.T) {
	to := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	p := Progress{From: to.Add(-24 * time.Hour), To: to, Reached: to.Add(-6 * time.Hour)}
	if f := p.Fraction(); f != 0.25 {
		t.Fatalf("fraction %v, want 0.25", f)
	}
	p.Done = true
	if p.Fraction() != 1 {
		t.Fatal("done is not 1")
	}
	if (RateLimit{Known: true, Limit: 5000, Remaining: 1250}).Headroom() != 0.25 || (RateLimit{}).Headroom() != -1 {
		t.Fatal("headroom")
	}
}

// A vendor user name that is not an address (a CASB login, or one cut at
// the length cap) keeps its person apart and still names them.
func TestMergeKeepsUsersWithoutAddressApart(t *testing.T) {
	people := Merge([]UserRisk{
		{Vendor: "casb", Email: `ACME\andy`, Level: LevelHigh},
		{Vendor: "casb", Email: `ACME\bea`, Level: LevelLow},
		{Vendor: "casb", Email: `acme\ANDY `, Level: LevelLow},
	}, vendorOrder)
	if len(people) != 2 || people[0].Name != `ACME\andy` || people[1].Name != `ACME\bea` || len(people[0].Views) != 2 {
		t.Fatalf("%+v", people)
	}
}

// vendorOrder is the registry's display order.
var vendorOrder = []string{"onelogin", "casb", "cloudflare", "okta"}

func TestReadingIsTheViewTheLevelComesFrom(t *testing.T) {
	p := Person{Level: LevelCritical, Score: 90, Views: []View{
		{UserRisk: UserRisk{Vendor: "casb", Level: LevelMedium, Score: 90}},
		{UserRisk: UserRisk{Vendor: "onelogin", Level: LevelCritical, Score: 80}},
		{UserRisk: UserRisk{Vendor: "okta", Level: LevelCritical, Score: 85}},
	}}
	if v, ok := p.Reading(); !ok || v.Vendor != "okta" || v.Score != 85 {
		t.Fatalf("Reading() = %s %d %v, want okta 85", v.Vendor, v.Score, ok)
	}
	p.Views = p.Views[:1]
	if v, ok := p.Reading(); ok {
		t.Fatalf("no view at Critical has a score, yet Reading() = %s %d", v.Vendor, v.Score)
	}
}

// Two OneLogin users who share a display name are two people, and neither
// takes the one person with an address who carries that name.
func TestMergeKeepsNamesakesApart(t *testing.T) {
	people := Merge([]UserRisk{
		{Vendor: "cloudflare", Email: "ava.chen@example.com", Name: "Ava Chen", Level: LevelLow},
		{Vendor: "onelogin", UserID: "7", Name: "Ava Chen", Level: LevelHigh, Score: 60},
		{Vendor: "onelogin", UserID: "9", Name: "ava  chen", Level: LevelMedium, Score: 30},
	}, vendorOrder)
	if len(people) != 3 {
		t.Fatalf("%d people, want 3: %+v", len(people), people)
	}
	for _, p := range people {
		if len(p.Views) != 1 || p.Views[0].JoinedBy == "name" {
			t.Errorf("%s: %+v", p.Key, p.Views)
		}
	}
	// One namesake alone joins the person by name, marked as the guess it is.
	people = Merge([]UserRisk{
		{Vendor: "cloudflare", Email: "ava.chen@example.com", Name: "Ava Chen", Level: LevelLow},
		{Vendor: "onelogin", UserID: "7", Name: "Ava Chen", Level: LevelHigh, Score: 60},
	}, vendorOrder)
	if len(people) != 1 || people[0].Views[0].JoinedBy != "name" {
		t.Fatalf("%+v", people)
	}
}
