package model

import (
	"fmt"
	"strings"
	"time"
)

// AlertState is where an alert stands. An alert is open until an operator
// acknowledges it (someone is on it) or resolves it (done); a resolved
// alert never changes again, and its rule firing on the same subject
// later starts a new alert.
type AlertState string

const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// AlertStates in the order a list shows them.
var AlertStates = [...]AlertState{AlertOpen, AlertAcknowledged, AlertResolved}

// Live reports whether the alert can still change: open or acknowledged.
func (s AlertState) Live() bool { return s == AlertOpen || s == AlertAcknowledged }

// Label is the state's name for people.
func (s AlertState) Label() string {
	switch s {
	case AlertOpen:
		return "Open"
	case AlertAcknowledged:
		return "Acknowledged"
	case AlertResolved:
		return "Resolved"
	}
	return "—"
}

// ParseAlertState reads a state's key ("open", "acknowledged" or "ack",
// "resolved"), case-insensitively.
func ParseAlertState(s string) (AlertState, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "open":
		return AlertOpen, true
	case "acknowledged", "ack", "acked":
		return AlertAcknowledged, true
	case "resolved":
		return AlertResolved, true
	}
	return "", false
}

// RuleKind is what a detection rule looks for.
type RuleKind string

const (
	// KindFailedBurst: N failed sign-ins from one range (/24 IPv4, /48
	// IPv6) within M minutes. Its alerts carry an Incident.
	KindFailedBurst RuleKind = "failed_burst"
	// KindSharedAddress: one address used by N people within M minutes.
	KindSharedAddress RuleKind = "shared_address"
	// KindLevelRise: a person's level in one vendor rose to a level or
	// above (from the store's risk history).
	KindLevelRise RuleKind = "level_rise"
	// KindHighScore: an event scored at least N.
	KindHighScore RuleKind = "high_score"
	// KindMultiVendor: a person at a level or above in N vendors at once.
	KindMultiVendor RuleKind = "multi_vendor"
)

// RuleKinds is every kind, for config errors and help.
var RuleKinds = [...]RuleKind{KindFailedBurst, KindSharedAddress, KindLevelRise, KindHighScore, KindMultiVendor}

// ResponseKind is what an alert suggests doing about it; the Alerts screen
// offers it on one key, through the same confirmation, outbox and audit as
// every other action.
type ResponseKind string

const (
	ResponseNone ResponseKind = "none"
	// ResponsePushRange pushes the addresses in the alert's evidence (a
	// range's, or one address) to Okta at Response.Level.
	ResponsePushRange ResponseKind = "push_range"
	// ResponsePushPerson pushes the person's risk to Okta at
	// Response.Level (a user-risk-change over SSF).
	ResponsePushPerson ResponseKind = "push_person"
	// ResponseResetCloudflare resets the person's Cloudflare risk.
	ResponseResetCloudflare ResponseKind = "reset_cloudflare"
)

// ResponseKinds is every kind, for config errors and help.
var ResponseKinds = [...]ResponseKind{ResponseNone, ResponsePushRange, ResponsePushPerson, ResponseResetCloudflare}

// Response is an alert's suggested response.
type Response struct {
	Kind  ResponseKind
	Level Level // for pushes: low, medium, high (a person's may be critical); else LevelUnknown
}

// String is the response as config writes it: "push_range high", "none".
func (r Response) String() string {
	if r.Kind == "" {
		return string(ResponseNone)
	}
	if r.Level != LevelUnknown && (r.Kind == ResponsePushRange || r.Kind == ResponsePushPerson) {
		return string(r.Kind) + " " + r.Level.String()
	}
	return string(r.Kind)
}

// Label says the response in words: "push the addresses to Okta at High".
func (r Response) Label() string {
	switch r.Kind {
	case ResponsePushRange:
		return "push the addresses to Okta at " + r.Level.Label()
	case ResponsePushPerson:
		return "push the person's risk to Okta at " + r.Level.Label()
	case ResponseResetCloudflare:
		return "reset the person's Cloudflare risk"
	}
	return "none"
}

// EventRef names one stored event (see Store.Event).
type EventRef struct {
	Vendor string
	ID     string
}

// MaxEvidence bounds each list of an alert's evidence; the totals count
// past it.
const MaxEvidence = 500

// Evidence is what an alert rests on: the first MaxEvidence events, people
// and addresses, each with its full count.
type Evidence struct {
	Events         []EventRef
	EventsTotal    int
	People         []string // person keys: normalised email, or vendor:user id
	PeopleTotal    int
	Addresses      []string // canonical addresses
	AddressesTotal int
}

// AddEvent, AddPerson and AddAddress count one more item and keep it
// while the list has room; callers add each distinct item once.
func (e *Evidence) AddEvent(r EventRef) {
	e.EventsTotal++
	if len(e.Events) < MaxEvidence {
		e.Events = append(e.Events, r)
	}
}

func (e *Evidence) AddPerson(key string) {
	e.PeopleTotal++
	if len(e.People) < MaxEvidence {
		e.People = append(e.People, key)
	}
}

func (e *Evidence) AddAddress(ip string) {
	e.AddressesTotal++
	if len(e.Addresses) < MaxEvidence {
		e.Addresses = append(e.Addresses, ip)
	}
}

// Incident is one burst of a range rule: the failed sign-ins from one
// range where each came within the rule's window of the one before.
type Incident struct {
	Range     string // "203.0.113.0/24", "2001:db8:beef::/48"
	Addresses int    // distinct addresses
	People    int    // distinct people
	Failures  int    // failed sign-ins
	From, To  time.Time
}

// Span is how long the incident lasted.
func (i Incident) Span() time.Duration { return i.To.Sub(i.From) }

// Summary is the incident in one line: "203.0.113.0/24: 57 addresses, 40
// people, 135 failures in 3 min".
func (i Incident) Summary() string {
	return fmt.Sprintf("%s: %s, %s, %s in %s", i.Range, countOf(i.Addresses, "address", "addresses"),
		countOf(i.People, "person", "people"), countOf(i.Failures, "failure", "failures"), spanWords(i.Span()))
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// spanWords rounds a span for people: "40 s", "3 min", "2 h 5 min".
func spanWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// Alert is one rule firing on one subject, kept until an operator
// resolves it. While it is open or acknowledged, the rule firing again on
// the same subject (the same Key) updates it: LastSeen moves, Count
// grows, Evidence and Incident are the latest.
type Alert struct {
	ID       int64
	Rule     string // the rule's name ("burst")
	Kind     RuleKind
	Severity Level // low, medium, high or critical
	State    AlertState
	// Key is the rule and the subject ("burst:203.0.113.0/24",
	// "rise:zoe@example.com:cloudflare"): at most one live alert has it.
	Key     string
	Title   string // plain words: "Burst of failed sign-ins from 203.0.113.0/24"
	Subject string // a range, an address or a person key
	// FirstSeen and LastSeen are the times of the evidence (event or
	// change times), not when risktop noticed.
	FirstSeen, LastSeen time.Time
	// Count is how often the rule fired on the subject while the alert
	// was live: bursts for a range rule, rises, events for a score rule.
	Count    int
	Evidence Evidence
	Incident *Incident // range rules only; the latest burst
	Response Response
	// Backfilled marks an alert on history older than the engine's
	// horizon (events fetched late, or a first sync of 90 days): it is
	// listed, but never notified. A fresh finding on the same subject
	// resolves it (by "risktop") and starts a new alert.
	Backfilled bool

	AckedBy    string
	AckedAt    time.Time
	ResolvedBy string
	ResolvedAt time.Time

	// Created and Updated are when the store wrote it (wall clock).
	Created, Updated time.Time
	// Seq is the alert's change sequence: every insert or update of any
	// alert takes the next number, so a reader that has seen everything
	// up to N asks for the changes after N and misses nothing.
	Seq int64
}

// Live reports whether the alert can still change.
func (a Alert) Live() bool { return a.State.Live() }

// What is the alert's title without its subject, for a list that shows
// the subject in a column of its own: "High or above in Oracle CASB and
// Cloudflare", "Rose from Medium to Critical in Cloudflare", "Burst of
// failed sign-ins". A title that does not name the subject is whole.
func (a Alert) What() string {
	t := a.Title
	if a.Subject == "" {
		return t
	}
	switch {
	case strings.HasPrefix(t, a.Subject+" "):
		t = strings.TrimPrefix(strings.TrimPrefix(t, a.Subject+" "), "is ")
	case strings.HasSuffix(t, " from "+a.Subject):
		t = strings.TrimSuffix(t, " from "+a.Subject)
	default:
		return t
	}
	if t == "" {
		return a.Title
	}
	return strings.ToUpper(t[:1]) + t[1:]
}
