package model

import "time"

// AuditEntry is one operator action attempt, kept forever (append-only).
type AuditEntry struct {
	ID           int64
	At           time.Time
	Actor        string // the OS user, or an SSH key's fingerprint and comment
	Action       string // "reset-user", "push-ip", "update-behaviors", …
	Vendor       string
	Target       string // what was acted on: an email, an IP, an integration id
	Result       string // "ok", "failed", "refused", "queued"
	VendorStatus int    // the vendor's HTTP status, 0 when no request was sent
	Detail       string // the vendor's error, or what changed
}

// OutboxState is where a queued IP-risk push stands.
type OutboxState string

const (
	OutboxQueued  OutboxState = "queued"
	OutboxSending OutboxState = "sending"
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed"
	OutboxDropped OutboxState = "dropped"
)

// OutboxItem is one push to Okta, stored before any request is sent so a
// crash loses nothing. An item is either an address's risk (IP set,
// Subject empty) or a person's (Subject set, IP empty): sent as a
// user-risk-change over the Shared Signals Framework.
type OutboxItem struct {
	ID      int64
	Created time.Time
	IP      string // the address; "" for a person
	// Subject is the person's email; "" for an address.
	Subject string
	// Previous is a person's level Okta was last told (LevelUnknown:
	// none); Source the vendor whose rating Level is. Persons only.
	Previous  Level
	Source    string
	Level     Level // low, medium or high; a person's may be critical (sent as Okta's high)
	Message   string
	ExpiresAt time.Time // zero: Okta's default of 24 h after it consumes it
	Actor     string
	State     OutboxState
	Attempts  int
	NextTry   time.Time // when a queued or failed item may be sent again
	LastError string
	SentAt    time.Time
}

// Person reports whether the item is a person's risk (Subject set)
// rather than an address's.
func (it OutboxItem) Person() bool { return it.Subject != "" }

// Target is what the item pushes the risk of: the address, or the
// person's email.
func (it OutboxItem) Target() string {
	if it.Subject != "" {
		return it.Subject
	}
	return it.IP
}
