package cloudflare

import (
	"fmt"
	"strings"
	"time"
)

// Level is a risk level: low, medium or high. A value Cloudflare adds later
// is kept as sent (sanitized) rather than rejected.
type Level string

const (
	LevelLow    Level = "low"
	LevelMedium Level = "medium"
	LevelHigh   Level = "high"
)

// Valid reports whether l is one of the three documented levels.
func (l Level) Valid() bool { return l.Rank() > 0 }

// Rank orders levels: 0 for none or unknown, then low < medium < high.
func (l Level) Rank() int {
	switch l {
	case LevelLow:
		return 1
	case LevelMedium:
		return 2
	case LevelHigh:
		return 3
	}
	return 0
}

// ParseLevel reads "low", "Medium", " HIGH " and the like.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if !l.Valid() {
		return "", fmt.Errorf("cloudflare: risk level %q is not low, medium or high", s)
	}
	return l, nil
}

// parseTime reads the API's date-times: RFC 3339, or without a zone (taken
// as UTC) in case a value comes back that way.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// maxNotes bounds the non-fatal notes a result carries.
const maxNotes = 20

// notes collects non-fatal observations about an answer.
type notes struct {
	list    []string
	dropped int
}

func (n *notes) add(format string, args ...any) {
	if len(n.list) >= maxNotes {
		n.dropped++
		return
	}
	n.list = append(n.list, fmt.Sprintf(format, args...))
}

func (n *notes) result() []string {
	if n.dropped > 0 {
		return append(n.list, fmt.Sprintf("and %d more notes", n.dropped))
	}
	return n.list
}

// timeField parses a required date-time and notes a bad one instead of
// failing the whole answer: one odd row must not blank the dashboard.
func (n *notes) timeField(where, field, v string) time.Time {
	if v == "" {
		n.add("%s: %s is missing", where, field)
		return time.Time{}
	}
	t, ok := parseTime(v)
	if !ok {
		n.add("%s: %s %q is not a date-time", where, field, v)
	}
	return t
}
