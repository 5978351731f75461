package okta

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var bNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// docIP is the i-th address of the documentation ranges (IPv6 past 765).
func docIP(i int) string {
	nets := []string{"192.0.2.", "198.51.100.", "203.0.113."}
	if i < 765 {
		return nets[i/255] + fmt.Sprint(i%255+1)
	}
	return fmt.Sprintf("2001:db8::%x", i)
}

func sigs(n int, level Level, from int, exp time.Time) []Signal {
	out := make([]Signal, n)
	for i := range out {
		out[i] = Signal{IP: docIP(from + i), Level: level, ExpiresAt: exp}
	}
	return out
}

func levelsOf(p Plan) map[Level]int {
	m := map[Level]int{}
	for _, req := range p.Requests {
		for _, e := range req {
			for _, s := range e.Subjects {
				m[s.RiskLevel]++
			}
		}
	}
	return m
}

func shape(p Plan) string {
	var parts []string
	for _, req := range p.Requests {
		var ev []string
		for _, e := range req {
			ev = append(ev, fmt.Sprint(len(e.Subjects)))
		}
		parts = append(parts, "["+strings.Join(ev, ",")+"]")
	}
	return strings.Join(parts, " ")
}

func TestPack(t *testing.T) {
	exp1 := bNow.Add(time.Hour)
	exp2 := bNow.Add(2 * time.Hour)
	mixed := append(append(sigs(400, Low, 0, exp1), sigs(400, Medium, 400, exp1)...), sigs(300, High, 800, exp1)...)
	// Distinct expiries: each signal needs an event of its own.
	var spread []Signal
	for i := 0; i < 21; i++ {
		lvl := []Level{Low, Medium, High}[i%3]
		spread = append(spread, Signal{IP: docIP(i), Level: lvl, ExpiresAt: bNow.Add(time.Duration(i+1) * time.Minute)})
	}

	cases := []struct {
		name     string
		signals  []Signal
		budget   int
		shape    string
		levels   map[Level]int
		deferred map[Level]int
		rejected int
		merged   int
		check    func(t *testing.T, p Plan)
	}{
		{name: "nothing", budget: 3, shape: ""},
		{
			name: "1000 subjects fill one request", signals: sigs(1000, High, 0, exp1), budget: 1,
			shape: "[" + strings.TrimSuffix(strings.Repeat("50,", 20), ",") + "]", levels: map[Level]int{High: 1000},
		},
		{
			name: "1001st subject deferred on a budget of one", signals: sigs(1001, Medium, 0, exp1), budget: 1,
			shape: "[" + strings.TrimSuffix(strings.Repeat("50,", 20), ",") + "]", deferred: map[Level]int{Medium: 1},
		},
		{
			name: "1001 subjects in two requests", signals: sigs(1001, Medium, 0, exp1), budget: 2,
			shape: "[" + strings.TrimSuffix(strings.Repeat("50,", 20), ",") + "] [1]",
		},
		{
			name: "HIGH then MEDIUM then LOW when short", signals: mixed, budget: 1,
			levels: map[Level]int{High: 300, Medium: 400, Low: 300}, deferred: map[Level]int{Low: 100},
			check: func(t *testing.T, p Plan) {
				first := p.Requests[0][0].Subjects
				if first[0].RiskLevel != High || p.Requests[0][5].Subjects[49].RiskLevel != High || p.Requests[0][6].Subjects[0].RiskLevel != Medium {
					t.Fatalf("not HIGH first: %v…", first[:2])
				}
				// Deferred keep their input order within a level.
				if p.Deferred[0].IP != docIP(300) || p.Deferred[99].IP != docIP(399) {
					t.Fatalf("deferred %v … %v", p.Deferred[0], p.Deferred[99])
				}
			},
		},
		{
			name: "budget zero defers all, HIGH first", signals: mixed[395:805], budget: 0,
			deferred: map[Level]int{Low: 5, Medium: 400, High: 5},
			check: func(t *testing.T, p Plan) {
				if p.Deferred[0].Level != High || p.Deferred[4].Level != High || p.Deferred[5].Level != Medium || p.Deferred[409].Level != Low {
					t.Fatalf("deferred order %v %v %v", p.Deferred[0].Level, p.Deferred[5].Level, p.Deferred[409].Level)
				}
			},
		},
		{
			name: "negative budget is zero", signals: sigs(3, Low, 0, exp1), budget: -2, deferred: map[Level]int{Low: 3},
		},
		{
			name: "one event per expiry; the short budget drops the last LOW", signals: spread, budget: 1,
			shape: "[" + strings.TrimSuffix(strings.Repeat("1,", 20), ",") + "]", deferred: map[Level]int{Low: 1},
			check: func(t *testing.T, p Plan) {
				if p.Deferred[0].IP != docIP(18) {
					t.Fatalf("deferred %v, want the last LOW", p.Deferred)
				}
				for i, e := range p.Requests[0] {
					if len(e.Subjects) != 1 || (i < 7) != (e.Subjects[0].RiskLevel == High) {
						t.Fatalf("event %d %+v", i, e)
					}
				}
			},
		},
		{
			// 20 HIGH fill the 20 events; the MEDIUM needs a 21st and waits,
			// while the LOW shares the open event of its expiry for free.
			name: "a LOW still rides in an open event when MEDIUM could not get one",
			signals: func() []Signal {
				var s []Signal
				for i := 0; i < 20; i++ {
					s = append(s, Signal{IP: docIP(i), Level: High, ExpiresAt: bNow.Add(time.Duration(i+1) * time.Minute)})
				}
				return append(s, Signal{IP: docIP(20), Level: Medium, ExpiresAt: exp2}, Signal{IP: docIP(21), Level: Low, ExpiresAt: bNow.Add(time.Minute)})
			}(),
			budget: 1,
			shape:  "[2" + strings.Repeat(",1", 19) + "]", levels: map[Level]int{High: 20, Low: 1}, deferred: map[Level]int{Medium: 1},
		},
		{
			name: "expiry groups, sub-millisecond differences merged, none is its own group",
			signals: []Signal{
				{IP: "192.0.2.1", Level: Low, ExpiresAt: exp1},
				{IP: "192.0.2.2", Level: Low, ExpiresAt: exp2},
				{IP: "192.0.2.3", Level: Low, ExpiresAt: exp1.Add(300 * time.Microsecond)},
				{IP: "192.0.2.4", Level: Low},
				{IP: "192.0.2.5", Level: Low, ExpiresAt: exp2},
			},
			budget: 1, shape: "[2,2,1]",
			check: func(t *testing.T, p Plan) {
				ev := p.Requests[0]
				if !ev[0].ExpiresAt.Equal(exp1) || !ev[1].ExpiresAt.Equal(exp2) || !ev[2].ExpiresAt.IsZero() {
					t.Fatalf("expiries %v %v %v", ev[0].ExpiresAt, ev[1].ExpiresAt, ev[2].ExpiresAt)
				}
				for _, e := range ev {
					if !e.Timestamp.Equal(bNow) {
						t.Fatalf("timestamp %v", e.Timestamp)
					}
				}
			},
		},
		{
			name: "dedupe keeps the highest level and one spelling per address",
			signals: []Signal{
				{IP: "192.0.2.9", Level: Low, Message: "first"},
				{IP: "2001:DB8:0::1", Level: Medium},
				{IP: "192.0.2.9", Level: High, Message: "stuffing: 40 accounts"},
				{IP: "2001:db8::1", Level: Low},
				{IP: "192.0.2.9", Level: Medium},
			},
			budget: 1, shape: "[2]", merged: 3, levels: map[Level]int{High: 1, Medium: 1},
			check: func(t *testing.T, p Plan) {
				s := p.Requests[0][0].Subjects
				if s[0] != (RiskSubject{IP: "192.0.2.9", RiskLevel: High, Message: "stuffing 40 accounts"}) ||
					s[1] != (RiskSubject{IP: "2001:db8::1", RiskLevel: Medium}) {
					t.Fatalf("subjects %+v", s)
				}
			},
		},
		{
			name: "dedupe on a tie keeps the later expiry; none counts as 24 h",
			signals: []Signal{
				{IP: "192.0.2.9", Level: High, ExpiresAt: exp1, Message: "one"},
				{IP: "192.0.2.9", Level: High, ExpiresAt: exp2, Message: "two"},
				{IP: "192.0.2.10", Level: High, ExpiresAt: exp2, Message: "explicit"},
				{IP: "192.0.2.10", Level: High, Message: "default"},
				{IP: "192.0.2.11", Level: High, Message: "default"},
				{IP: "192.0.2.11", Level: High, ExpiresAt: bNow.Add(48 * time.Hour), Message: "two days"},
			},
			budget: 1, merged: 3,
			check: func(t *testing.T, p Plan) {
				got := map[string]string{}
				for _, e := range p.Requests[0] {
					for _, s := range e.Subjects {
						got[s.IP] = s.Message
					}
				}
				if got["192.0.2.9"] != "two" || got["192.0.2.10"] != "default" || got["192.0.2.11"] != "two days" {
					t.Fatalf("kept %v", got)
				}
			},
		},
		{
			name: "invalid and expired signals are rejected, not deferred",
			signals: []Signal{
				{IP: "1.2.3", Level: High},
				{IP: "fe80::1%eth0", Level: High},
				{IP: "192.0.2.1", Level: "high"},
				{IP: "192.0.2.2", Level: High, ExpiresAt: bNow},
				{IP: "192.0.2.3", Level: High, ExpiresAt: bNow.Add(-time.Hour)},
				{IP: "192.0.2.4", Level: Low, ExpiresAt: bNow.Add(time.Millisecond)},
			},
			budget: 0, rejected: 5, deferred: map[Level]int{Low: 1},
			check: func(t *testing.T, p Plan) {
				if !strings.Contains(p.Rejected[0].Reason, `"1.2.3" is not an IPv4`) || !strings.Contains(p.Rejected[3].Reason, "has passed") {
					t.Fatalf("reasons %+v", p.Rejected)
				}
			},
		},
		{
			name: "messages are cleaned", signals: []Signal{{IP: "192.0.2.1", Level: High, Message: "impossible travel: Zoë → 198.51.100.7\x1b[2J"}},
			budget: 1, shape: "[1]",
			check: func(t *testing.T, p Plan) {
				if m := p.Requests[0][0].Subjects[0].Message; m != "impossible travel Zoe 198.51.100.7 2J" {
					t.Fatalf("message %q", m)
				}
			},
		},
		{
			name: "fewest requests for many expiry groups", signals: func() []Signal {
				var s []Signal
				for i := 0; i < 60; i++ {
					s = append(s, sigs(2, Low, 2*i, bNow.Add(time.Duration(i+1)*time.Minute))...)
				}
				return s
			}(),
			budget: 5, shape: "[" + strings.TrimSuffix(strings.Repeat("2,", 20), ",") + "] [" +
				strings.TrimSuffix(strings.Repeat("2,", 20), ",") + "] [" + strings.TrimSuffix(strings.Repeat("2,", 20), ",") + "]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]Signal(nil), tc.signals...)
			p := Pack(tc.signals, tc.budget, bNow)
			for i := range in {
				if in[i] != tc.signals[i] {
					t.Fatal("Pack changed its input")
				}
			}
			if tc.shape != "" || len(p.Requests) == 0 {
				if got := shape(p); got != tc.shape {
					t.Fatalf("shape %s, want %s", got, tc.shape)
				}
			}
			if len(p.Requests) > max(tc.budget, 0) {
				t.Fatalf("%d requests over a budget of %d", len(p.Requests), tc.budget)
			}
			for i, req := range p.Requests {
				if err := Validate(req, bNow); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if tc.levels != nil {
				if got := levelsOf(p); fmt.Sprint(got) != fmt.Sprint(tc.levels) {
					t.Fatalf("sent levels %v, want %v", got, tc.levels)
				}
			}
			dl := map[Level]int{}
			for _, s := range p.Deferred {
				dl[s.Level]++
			}
			if tc.deferred == nil {
				tc.deferred = map[Level]int{}
			}
			if fmt.Sprint(dl) != fmt.Sprint(tc.deferred) {
				t.Fatalf("deferred %v, want %v", dl, tc.deferred)
			}
			if len(p.Rejected) != tc.rejected || p.Merged != tc.merged {
				t.Fatalf("rejected %d merged %d, want %d %d", len(p.Rejected), p.Merged, tc.rejected, tc.merged)
			}
			// Nothing is lost: every distinct valid signal is sent or deferred.
			if got, want := p.Subjects()+len(p.Deferred)+len(p.Rejected)+p.Merged, len(tc.signals); got != want {
				t.Fatalf("accounted for %d of %d signals", got, want)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}
