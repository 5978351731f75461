package model

import (
	"net/netip"
	"strings"
	"time"
)

// NoScore marks an event or view without a 0–100 risk score.
const NoScore = -1

// Event is one thing a vendor saw: a OneLogin sign-in, a Cloudflare
// behaviour detection. Every text field has already been sanitized.
type Event struct {
	Vendor   string
	ID       string // unique within the vendor
	Time     time.Time
	Type     int    // the vendor's event type (OneLogin event_type_id); 0 when none
	TypeName string // its name, or "event type N"
	UserID   string // the vendor's id for the user
	UserName string // as the vendor shows it (OneLogin: first and last name)
	UserKey  string // NormalizeEmail of the user's email, when known
	IP       string // canonical form, "" when none
	Score    int    // 0–100, or NoScore
	Level    Level
	App      string
	Reasons  string // multi-line, one reason a line
	// Fields holds every other field the vendor sent, for the detail pane.
	Fields map[string]string
}

// NormalizeEmail is the join key for one person across vendors: trimmed and
// lower-cased. It returns "" for something that is not an address.
func NormalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t") {
		return ""
	}
	return s
}

// NormalizeIP returns the canonical form of an address ("" if it is not
// one), so 2001:DB8::1 and 2001:db8:0::1 are the same key.
func NormalizeIP(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}
