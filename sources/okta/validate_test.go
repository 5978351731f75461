package okta

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var vNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func subj(ip string) RiskSubject { return RiskSubject{IP: ip, RiskLevel: High} }

func subjects(n int) []RiskSubject {
	out := make([]RiskSubject, n)
	for i := range out {
		out[i] = subj(fmt.Sprintf("192.0.2.%d", i%256))
	}
	return out
}

func evs(n int) []RiskEvent {
	out := make([]RiskEvent, n)
	for i := range out {
		out[i] = RiskEvent{Timestamp: vNow, Subjects: []RiskSubject{subj("198.51.100.1")}}
	}
	return out
}

// withSubject is one event holding s.
func withSubject(s RiskSubject) []RiskEvent {
	return []RiskEvent{{Timestamp: vNow, Subjects: []RiskSubject{s}}}
}

func withMessage(m string) []RiskEvent {
	return withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: Low, Message: m})
}

func withTimes(ts, exp time.Time) []RiskEvent {
	return []RiskEvent{{Timestamp: ts, ExpiresAt: exp, Subjects: []RiskSubject{subj("192.0.2.1")}}}
}

func TestValidateBoundaries(t *testing.T) {
	const p0 = "events[0].subjects[0]"
	cases := []struct {
		name   string
		events []RiskEvent
		want   []string // problem paths; none means valid
		msg    string   // part of the first problem's message
	}{
		// Events per request.
		{"no events", nil, []string{"events"}, "no risk events"},
		{"1 event", evs(1), nil, ""},
		{"20 events", evs(20), nil, ""},
		{"21 events", evs(21), []string{"events"}, "21 events; at most 20"},

		// Subjects per event.
		{"0 subjects", []RiskEvent{{Timestamp: vNow}}, []string{"events[0].subjects"}, "at least one"},
		{"50 subjects", []RiskEvent{{Subjects: subjects(50)}}, nil, ""},
		{"51 subjects", []RiskEvent{{Subjects: subjects(51)}}, []string{"events[0].subjects"}, "51 subjects; at most 50"},

		// IP addresses.
		{"IPv4", withSubject(subj("203.0.113.250")), nil, ""},
		{"IPv6", withSubject(subj("2001:db8::1")), nil, ""},
		{"IPv6 full", withSubject(subj("2001:0db8:0000:0000:0000:0000:0000:0001")), nil, ""},
		{"IPv4-mapped IPv6", withSubject(subj("::ffff:192.0.2.1")), nil, ""},
		{"IPv6 zone", withSubject(subj("fe80::1%eth0")), []string{p0 + ".ip"}, `"fe80::1%eth0" has a zone`},
		{"three octets", withSubject(subj("1.2.3")), []string{p0 + ".ip"}, `"1.2.3" is not an IPv4 or IPv6 address`},
		{"five octets", withSubject(subj("1.2.3.4.5")), []string{p0 + ".ip"}, "not an IPv4 or IPv6"},
		{"octet 256", withSubject(subj("192.0.2.256")), []string{p0 + ".ip"}, "not an IPv4 or IPv6"},
		{"CIDR", withSubject(subj("192.0.2.0/24")), []string{p0 + ".ip"}, "not an IPv4 or IPv6"},
		{"hostname", withSubject(subj("evil.example")), []string{p0 + ".ip"}, "not an IPv4 or IPv6"},
		{"padded", withSubject(subj(" 192.0.2.1")), []string{p0 + ".ip"}, "not an IPv4 or IPv6"},
		{"empty ip", withSubject(subj("")), []string{p0 + ".ip"}, "required"},

		// Levels.
		{"LOW", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: Low}), nil, ""},
		{"MEDIUM", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: Medium}), nil, ""},
		{"HIGH", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: High}), nil, ""},
		{"lower case", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: "high"}), []string{p0 + ".riskLevel"}, "upper case"},
		{"mixed case", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: "Medium"}), []string{p0 + ".riskLevel"}, "upper case"},
		{"unknown level", withSubject(RiskSubject{IP: "192.0.2.1", RiskLevel: "CRITICAL"}), []string{p0 + ".riskLevel"}, `"CRITICAL" is not LOW, MEDIUM or HIGH`},
		{"no level", withSubject(RiskSubject{IP: "192.0.2.1"}), []string{p0 + ".riskLevel"}, "required"},

		// Message length (characters) and characters.
		{"no message", withMessage(""), nil, ""},
		{"512 characters", withMessage(strings.Repeat("a", 512)), nil, ""},
		{"513 characters", withMessage(strings.Repeat("a", 513)), []string{p0 + ".message"}, "513 characters; at most 512"},
		{"allowed set", withMessage("Detected Attack tooling v2.1_beta-3"), nil, ""},
		{"every allowed kind", withMessage("azAZ09._- "), nil, ""},
		{"colon", withMessage("score: 90"), []string{p0 + ".message"}, `character ':' is not allowed`},
		{"slash and comma", withMessage("a/b, c"), []string{p0 + ".message"}, `characters '/' ',' are not allowed`},
		{"accent", withMessage("Zoë"), []string{p0 + ".message"}, `'ë'`},
		{"escape", withMessage("x\x1b[2Jy"), []string{p0 + ".message"}, `'\x1b'`},
		{"newline", withMessage("a\nb"), []string{p0 + ".message"}, `'\n'`},
		{"tab", withMessage("a\tb"), []string{p0 + ".message"}, `'\t'`},
		{"long and dirty", withMessage(strings.Repeat("!", 513)), []string{p0 + ".message"}, "513 characters; at most 512; character '!'"},

		// Times: expiresAt after timestamp, and in the future.
		{"no times", withTimes(time.Time{}, time.Time{}), nil, ""},
		{"expiry 1 ms after timestamp", withTimes(vNow.Add(time.Hour), vNow.Add(time.Hour+time.Millisecond)), nil, ""},
		{"expiry equal to timestamp", withTimes(vNow.Add(time.Hour), vNow.Add(time.Hour)), []string{"events[0].expiresAt"}, "is not after timestamp"},
		{"expiry same millisecond", withTimes(vNow.Add(time.Hour), vNow.Add(time.Hour+999*time.Microsecond)), []string{"events[0].expiresAt"}, "is not after timestamp"},
		{"expiry before timestamp", withTimes(vNow.Add(2*time.Hour), vNow.Add(time.Hour)), []string{"events[0].expiresAt"}, "is not after timestamp"},
		{"expiry 1 ms from now", withTimes(time.Time{}, vNow.Add(time.Millisecond)), nil, ""},
		{"expiry now", withTimes(time.Time{}, vNow), []string{"events[0].expiresAt"}, "is not in the future"},
		{"expiry past, before timestamp", withTimes(vNow, vNow.Add(-time.Minute)), []string{"events[0].expiresAt", "events[0].expiresAt"}, "is not after timestamp"},
		{"timestamp in the past is fine", withTimes(vNow.Add(-48*time.Hour), vNow.Add(time.Hour)), nil, ""},
		{"year 10000", withTimes(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}), []string{"events[0].timestamp"}, "year 10000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.events, vNow)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			var paths []string
			for _, p := range ve.Problems {
				paths = append(paths, p.Path)
			}
			if !slices.Equal(paths, tc.want) {
				t.Fatalf("paths %q, want %q (%v)", paths, tc.want, err)
			}
			if !strings.Contains(ve.Problems[0].Message, tc.msg) {
				t.Fatalf("message %q lacks %q", ve.Problems[0].Message, tc.msg)
			}
		})
	}
}

// Every violation is reported, each with its path, not just the first.
func TestValidateReportsEverything(t *testing.T) {
	events := evs(21)
	events[0] = RiskEvent{
		Timestamp: vNow,
		ExpiresAt: vNow,
		Subjects: []RiskSubject{
			{IP: "192.0.2.1", RiskLevel: High},
			{IP: "192.0.2.2", RiskLevel: "low", Message: "ok"},
			{IP: "192.0.2.3", RiskLevel: Low},
			{IP: "1.2.3", RiskLevel: Medium, Message: "bad: message"},
		},
	}
	events[20].Subjects = subjects(51)
	events[20].Subjects[50].IP = "fe80::1%lo0"
	err := Validate(events, vNow)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	want := []string{
		"events: 21 events; at most 20 per request",
		"events[0].expiresAt: 2026-03-02T09:00:00.000Z is not after timestamp 2026-03-02T09:00:00.000Z",
		"events[0].expiresAt: 2026-03-02T09:00:00.000Z is not in the future (now 2026-03-02T09:00:00.000Z)",
		`events[0].subjects[1].riskLevel: "low" is not LOW, MEDIUM or HIGH (levels are upper case)`,
		`events[0].subjects[3].ip: "1.2.3" is not an IPv4 or IPv6 address`,
		`events[0].subjects[3].message: character ':' is not allowed (letters, digits, '.', '_', '-' and space; CleanMessage removes the rest)`,
		"events[20].subjects: 51 subjects; at most 50 per event",
		`events[20].subjects[50].ip: "fe80::1%lo0" has a zone; send the bare address`,
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(err.Error(), "okta: risk events not sent, 8 problems: events: 21 events") {
		t.Fatalf("error text %q", err)
	}
}

func TestCleanMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Detected Attack tooling", "Detected Attack tooling"},
		{"score: 90/100, from 203.0.113.7", "score 90 100 from 203.0.113.7"},
		{"Zoë Ångström — naïve", "Zoe Angstrom naive"},
		{"  \t lots \n\n of   space  ", "lots of space"},
		{"\x1b[31mred\x1b[0m", "31mred 0m"},
		{"山田太郎 login", "login"},
		{"v1.2_beta-3", "v1.2_beta-3"},
		{"ＦＵＬＬ", "FULL"},
		{"", ""},
		{"!!!", ""},
		{strings.Repeat("ab ", 300), strings.TrimRight(strings.Repeat("ab ", 300)[:512], " ")},
	}
	for _, tc := range cases {
		got := CleanMessage(tc.in)
		if got != tc.want {
			t.Errorf("CleanMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if msg := checkMessage(got); msg != "" {
			t.Errorf("CleanMessage(%q) = %q is still invalid: %s", tc.in, got, msg)
		}
	}
}

// The per-field checks say exactly what Validate says about that field.
func TestFieldChecksMatchValidate(t *testing.T) {
	long := strings.Repeat("a", MaxMessageLen+1)
	for _, s := range []RiskSubject{
		{IP: "192.0.2.1", RiskLevel: High},
		{IP: "", RiskLevel: High},
		{IP: "192.0.2.300", RiskLevel: High},
		{IP: "fe80::1%eth0", RiskLevel: High},
		{IP: "2001:db8::1", RiskLevel: "high"},
		{IP: "2001:db8::1", RiskLevel: "SEVERE"},
		{IP: "192.0.2.1", RiskLevel: Low, Message: "brute force from a botnet"},
		{IP: "192.0.2.1", RiskLevel: Low, Message: "bad; chars!"},
		{IP: "192.0.2.1", RiskLevel: Low, Message: long},
	} {
		want := map[string]string{}
		var ve *ValidationError
		if err := Validate(withSubject(s), vNow); errors.As(err, &ve) {
			for _, p := range ve.Problems {
				want[strings.TrimPrefix(p.Path, "events[0].subjects[0].")] = p.Message
			}
		}
		got := map[string]string{}
		for field, msg := range map[string]string{"ip": CheckIP(s.IP), "riskLevel": CheckLevel(s.RiskLevel), "message": CheckMessage(s.Message)} {
			if msg != "" {
				got[field] = msg
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%+v: field checks %v, Validate %v", s, got, want)
		}
	}
}
