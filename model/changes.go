package model

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// FailedType reports whether an event type's name is a failed sign-in:
// it holds FAIL in any case (USER_FAILED_ONELOGIN_LOGIN, "login failed").
// The Changes panel and the detections count failures with it.
func FailedType(name string) bool {
	for i := 0; i+4 <= len(name); i++ {
		if name[i]|0x20 == 'f' && strings.EqualFold(name[i:i+4], "fail") {
			return true
		}
	}
	return false
}

// Failed reports whether the event is a failed sign-in (see FailedType).
func (e Event) Failed() bool { return FailedType(e.TypeName) }

// RangeOf is the address range an address is counted in: its /24 for
// IPv4, its /48 for IPv6; the zero prefix for something not an address.
func RangeOf(ip string) netip.Prefix {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// LevelChange is one person's level in one vendor moving from one level
// to another (risk history: the row before it, same person and vendor,
// held From).
type LevelChange struct {
	Key    string // the person's history key (normalised email, or vendor:id)
	Vendor string
	At     time.Time
	From   Level
	To     Level
	Score  int // the vendor's score after it, or NoScore
}

// Rise reports whether the change made the person riskier.
func (c LevelChange) Rise() bool { return c.To > c.From }

// NewPerson is a person first seen at a level (High or Critical) in a
// window: no earlier reading of any vendor had them that high.
type NewPerson struct {
	Key    string
	Vendor string // the vendor whose reading it is
	At     time.Time
	Level  Level
}

// RangeActivity is an address range's sign-ins in a window.
type RangeActivity struct {
	Prefix    string // 203.0.113.0/24, 2001:db8:1::/48
	Addresses int    // distinct addresses
	People    int    // distinct users, as the vendors named them
	Failures  int    // failed sign-ins (FailedType)
	Events    int
	First     time.Time
	Last      time.Time
}

// HealthChange is a source's health state changing.
type HealthChange struct {
	Source string
	At     time.Time
	From   State
	To     State
	Error  string // the error that came with it, if any
}

// Changes is what changed in a window: level moves (one per person, their
// biggest rise, else their biggest fall; rises first, then newest first),
// people new at High or Critical, new busy ranges and health changes.
type Changes struct {
	Since, Until time.Time
	Levels       []LevelChange
	NewPeople    []NewPerson
	Ranges       []RangeActivity
	Health       []HealthChange
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Levels)+len(c.NewPeople)+len(c.Ranges)+len(c.Health) == 0
}

// SeenMark is what one operator last saw of the changes: when, and the
// people shown with their levels, so "new" means new to them.
type SeenMark struct {
	At     time.Time
	People map[string]Level // by history key
}

// Unseen drops the new people the mark already showed at their level or
// higher: they are not new to whoever saw it.
func (c *Changes) Unseen(m SeenMark) {
	c.NewPeople = slices.DeleteFunc(c.NewPeople, func(p NewPerson) bool {
		l, ok := m.People[p.Key]
		return ok && l >= p.Level
	})
}

// PersonChanges folds every level change of a window into one a person:
// the biggest rise (the newest of equal ones), else the biggest fall;
// rises come first, each part newest first.
func PersonChanges(all []LevelChange) []LevelChange {
	best := map[string]LevelChange{}
	for _, c := range all {
		if c.From == c.To {
			continue
		}
		b, ok := best[c.Key]
		if !ok || better(c, b) {
			best[c.Key] = c
		}
	}
	out := make([]LevelChange, 0, len(best))
	for _, c := range best {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b LevelChange) int {
		switch {
		case a.Rise() != b.Rise():
			if a.Rise() {
				return -1
			}
			return 1
		case !a.At.Equal(b.At):
			return b.At.Compare(a.At)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// better reports whether a says more than b of one person: a rise over a
// fall, a bigger move, then the newer.
func better(a, b LevelChange) bool {
	switch {
	case a.Rise() != b.Rise():
		return a.Rise()
	case a.Rise() && a.To-a.From != b.To-b.From:
		return a.To-a.From > b.To-b.From
	case !a.Rise() && a.From-a.To != b.From-b.To:
		return a.From-a.To > b.From-b.To
	}
	return a.At.After(b.At)
}

// Trend is event counts per step (an hour or a day) and score bucket over
// a window, and the window before it in total, for "↑ +35% vs the 24h
// before".
type Trend struct {
	From, To time.Time
	Step     time.Duration
	// Counts[i][b] is the events of step i (from From) in bucket b;
	// b == len(Buckets) counts events without a score.
	Counts   [][len(Buckets) + 1]int
	Total    [len(Buckets) + 1]int
	Previous [len(Buckets) + 1]int // the same span just before From
	// Earliest is the hour since which every vendor's events (or the
	// vendor asked's) are stored; zero when none. Before it the counts
	// are not "no events" but unknown.
	Earliest time.Time
}

// Unscored indexes a Trend's events without a score.
const Unscored = len(Buckets)
