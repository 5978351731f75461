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

// OutboxItem is one IP-risk push, stored before any request is sent so a
// crash loses nothing.
type OutboxItem struct {
	ID        int64
	Created   time.Time
	IP        string
	Level     Level // low, medium or high
	Message   string
	ExpiresAt time.Time // zero: Okta's default of 24 h after it consumes it
	Actor     string
	State     OutboxState
	Attempts  int
	NextTry   time.Time // when a queued or failed item may be sent again
	LastError string
	SentAt    time.Time
}
