package okta

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Problem is one broken rule, with the JSON path of the value that broke it.
type Problem struct {
	Path    string // events[0].subjects[3].ip
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem found in a payload.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	noun := "problems"
	if len(parts) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("okta: risk events not sent, %d %s: %s", len(parts), noun, strings.Join(parts, "; "))
}

// Validate checks events against every documented rule and returns a
// *ValidationError naming all violations, or nil. now decides whether an
// expiresAt is in the future.
func Validate(events []RiskEvent, now time.Time) error {
	var v validator
	switch {
	case len(events) == 0:
		v.add("events", "no risk events to send")
	case len(events) > MaxEventsPerRequest:
		v.add("events", fmt.Sprintf("%d events; at most %d per request", len(events), MaxEventsPerRequest))
	}
	for i, e := range events {
		v.event(fmt.Sprintf("events[%d]", i), e, now)
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct{ problems []Problem }

func (v *validator) add(path, msg string) { v.problems = append(v.problems, Problem{path, msg}) }

func (v *validator) event(path string, e RiskEvent, now time.Time) {
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"timestamp", e.Timestamp}, {"expiresAt", e.ExpiresAt}} {
		if !t.at.IsZero() {
			if y := t.at.UTC().Year(); y < 1 || y > 9999 {
				v.add(path+"."+t.name, fmt.Sprintf("year %d cannot be written as yyyy-MM-dd", y))
			}
		}
	}
	if !e.ExpiresAt.IsZero() {
		exp := ms(e.ExpiresAt)
		if !e.Timestamp.IsZero() && !exp.After(ms(e.Timestamp)) {
			v.add(path+".expiresAt", fmt.Sprintf("%s is not after timestamp %s", FormatTime(exp), FormatTime(e.Timestamp)))
		}
		if !exp.After(ms(now)) {
			v.add(path+".expiresAt", fmt.Sprintf("%s is not in the future (now %s)", FormatTime(exp), FormatTime(now)))
		}
	}
	switch n := len(e.Subjects); {
	case n == 0:
		v.add(path+".subjects", "no subjects; each event needs at least one")
	case n > MaxSubjectsPerEvent:
		v.add(path+".subjects", fmt.Sprintf("%d subjects; at most %d per event", n, MaxSubjectsPerEvent))
	}
	for j, s := range e.Subjects {
		p := fmt.Sprintf("%s.subjects[%d]", path, j)
		if msg := checkIP(s.IP); msg != "" {
			v.add(p+".ip", msg)
		}
		if msg := checkLevel(s.RiskLevel); msg != "" {
			v.add(p+".riskLevel", msg)
		}
		if msg := checkMessage(s.Message); msg != "" {
			v.add(p+".message", msg)
		}
	}
}

// CheckIP, CheckLevel and CheckMessage are Validate's rules for one field,
// for forms that check as the operator types: "" when the value passes,
// else what is wrong with it.
func CheckIP(ip string) string     { return checkIP(ip) }
func CheckLevel(l Level) string    { return checkLevel(l) }
func CheckMessage(m string) string { return checkMessage(m) }

// checkIP accepts a bare IPv4 or IPv6 address.
func checkIP(ip string) string {
	if ip == "" {
		return "required (an IPv4 or IPv6 address)"
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return quote(ip) + " is not an IPv4 or IPv6 address"
	}
	if a.Zone() != "" {
		return quote(ip) + " has a zone; send the bare address"
	}
	return ""
}

func checkLevel(l Level) string {
	switch {
	case l == "":
		return "required (LOW, MEDIUM or HIGH)"
	case l.rank() == 0 && Level(strings.ToUpper(string(l))).rank() > 0:
		return quote(string(l)) + " is not LOW, MEDIUM or HIGH (levels are upper case)"
	case l.rank() == 0:
		return quote(string(l)) + " is not LOW, MEDIUM or HIGH"
	}
	return ""
}

func checkMessage(m string) string {
	var msgs []string
	if n := utf8.RuneCountInString(m); n > MaxMessageLen {
		msgs = append(msgs, fmt.Sprintf("%d characters; at most %d", n, MaxMessageLen))
	}
	var bad []string
	seen := map[rune]bool{}
	for _, r := range m {
		if !messageRune(r) && !seen[r] {
			seen[r] = true
			if len(bad) < 8 {
				bad = append(bad, strconv.QuoteRune(r))
			}
		}
	}
	if len(bad) > 0 {
		noun := "character " + bad[0] + " is"
		if len(seen) > 1 {
			noun = "characters " + strings.Join(bad, " ") + " are"
			if len(seen) > len(bad) {
				noun = "characters " + strings.Join(bad, " ") + " … are"
			}
		}
		msgs = append(msgs, noun+" not allowed (letters, digits, '.', '_', '-' and space; CleanMessage removes the rest)")
	}
	return strings.Join(msgs, "; ")
}

// messageRune is the documented set (ASCII letters, digits, '.', '_', '-')
// plus the space the docs' own example uses.
func messageRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r == '.', r == '_', r == '-', r == ' ':
		return true
	}
	return false
}

// CleanMessage makes any text a valid message: accents are folded
// ("Zoë" → "Zoe"), every other character outside the allowed set becomes a
// space, runs of spaces collapse, and the result is cut to MaxMessageLen.
func CleanMessage(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(s, " ")) {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent left over from NFKD
		}
		if !messageRune(r) || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > MaxMessageLen {
		out = strings.TrimRight(out[:MaxMessageLen], " ")
	}
	return out
}

// quote shows a value in a problem safely and briefly.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64]) + "…"
	}
	return strconv.Quote(s)
}
