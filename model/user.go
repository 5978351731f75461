package model

import (
	"strings"
	"time"
)

// UserRisk is one vendor's view of one person: what that vendor says, kept
// as the vendor said it so the drill-down can show where each part came
// from. A vendor may hold several views of a person (CASB: one per app).
type UserRisk struct {
	Vendor   string
	UserID   string // the vendor's id (Cloudflare's UUID, OneLogin's user_id)
	Email    string // as the vendor spells it
	Name     string
	Level    Level
	RawLevel string // the vendor's own word: "Normal", "high", a OneLogin bucket
	Score    int    // 0–100, or NoScore
	Events   int    // events behind this view, when the vendor counts them
	LastSeen time.Time
	Reasons  []Reason
	Context  string // where the view applies, e.g. "SFDC / publiceventsapi"
}

// Reason is one contributing factor as a vendor reports it.
type Reason struct {
	Code  string // vendor code, e.g. NETWRK_PREFIX_EVENTS; "" when the vendor has none
	Text  string
	Count int // occurrences, 0 when not reported
}

// Key is the view's join key: the normalised email, or "" when the vendor
// gave no address (OneLogin events carry a name).
func (u UserRisk) Key() string { return NormalizeEmail(u.Email) }

// LocalKey names a view within its vendor when it has no address to join
// on: its user id, else the vendor's user name as sent (a CASB user name
// that is not an address), so two such users never become one.
func (u UserRisk) LocalKey() string {
	id := u.UserID
	if id == "" {
		id = strings.ToLower(strings.TrimSpace(u.Email))
	}
	return u.Vendor + ":" + id
}

// IPRisk is what risktop knows of one address.
type IPRisk struct {
	IP       string
	Level    Level
	MaxScore int // highest OneLogin score seen from it, or NoScore
	Events   int
	Users    int // distinct users seen from it
	LastSeen time.Time
}

// Scores are OneLogin's score-insight counts for one window.
type Scores struct {
	Window time.Duration // 24h, 7d, 30d or 90d
	From   time.Time
	To     time.Time
	Counts [len(Buckets)]int
	Total  int
	At     time.Time // when it was fetched
	// WindowIgnored: the server answered its own window whatever was asked
	// (OneLogin ignoring before/after), so the counts are not this
	// window's and every window reads the same.
	WindowIgnored bool
}

// RiskPoint is one person's risk at one moment, for the drill-down
// sparkline.
type RiskPoint struct {
	At     time.Time
	Vendor string
	Level  Level
	Score  int
}
