// Package words says numbers, durations and names the way every screen
// of the dashboard says them (a vendor's names are its own:
// uictx.Vendors).
package words

import (
	"fmt"
	"strings"
	"time"
)

// Coarse shows a duration to the minute, so the header changes at most
// once a minute and no timer has to tick every second.
func Coarse(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// Age shows how long ago something was, to the second under a minute
// ("12s"), else as Coarse does ("3m", "2h", "4d"): the header's ages, which
// an operator reads to see that a source still answers.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return Coarse(d)
}

// AgeStep is how long until Age(d) shows something else.
func AgeStep(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return -d + time.Second
	case d < time.Minute:
		return time.Second - d%time.Second
	case d < time.Hour:
		return time.Minute - d%time.Minute
	case d < 48*time.Hour:
		return time.Hour - d%time.Hour
	}
	return 24*time.Hour - d%(24*time.Hour)
}

// Thousands writes n with thousands separated by commas.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Plural is n and the noun, plural unless n is 1: "1 event", "2 events",
// "1,200 people". Every count in a message goes through it; no "(s)".
func Plural(n int, noun string) string { return Thousands(n) + " " + Noun(n, noun) }

// Noun is the noun alone, plural unless n is 1 (for "N sessions are").
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	if p, ok := irregular[noun]; ok {
		return p
	}
	if strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey") {
		return noun[:len(noun)-1] + "ies"
	}
	if strings.HasSuffix(noun, "s") || strings.HasSuffix(noun, "x") || strings.HasSuffix(noun, "ch") {
		return noun + "es"
	}
	return noun + "s"
}

var irregular = map[string]string{"person": "people"}

// YesNo says a boolean.
func YesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// FirstNonEmpty is the first of s that is not empty.
func FirstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
