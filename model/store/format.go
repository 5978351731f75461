package store

import (
	"time"

	"github.com/risktop/risktop/model"
)

// The events' storage formats, shared by the stores: PostgreSQL keeps the
// same columns (model/store/postgres), so a PageKey, a seq and a fields
// column mean the same on both.
const (
	SeqShift   = seqShift   // seq is the time in unix ms shifted this far, plus a tiebreak
	MaxEventMs = maxEventMs // the latest time (and minus the earliest) a seq can hold
)

// SeqOf is the seq of an event at ms with tiebreak tie.
func SeqOf(ms, tie int64) int64 { return seqOf(ms, tie) }

// FirstSeq is the smallest seq at or after t, clamped.
func FirstSeq(t time.Time) int64 { return firstSeq(t) }

// TieOf is an event's tiebreak within its millisecond: a hash of its
// identity (a clash moves to the next free one).
func TieOf(vendor, id string) int64 { return tieOf(vendor, id) }

// AppendFieldsJSON writes an event's fields as the fields column holds
// them; ParseFieldsJSON reads them back.
func AppendFieldsJSON(b []byte, fields map[string]string) []byte { return appendFieldsJSON(b, fields) }

// ParseFieldsJSON reads what AppendFieldsJSON writes.
func ParseFieldsJSON(s string) (map[string]string, error) { return parseFieldsJSON(s) }

// An alert's evidence lists, incident and response, as their columns
// hold them.

// EncodeEvidence writes an alert's evidence lists (the totals have
// columns of their own).
func EncodeEvidence(e model.Evidence) (string, error) { return encodeEvidence(e) }

// EncodeIncident writes an alert's incident; "" for none.
func EncodeIncident(in *model.Incident) (string, error) { return encodeIncident(in) }

// DecodeAlertJSON fills a's evidence lists and incident from what
// EncodeEvidence and EncodeIncident wrote.
func DecodeAlertJSON(a *model.Alert, evidence, incident string) error {
	return decodeAlertJSON(a, evidence, incident)
}

// ParseResponse reads model.Response.String().
func ParseResponse(s string) model.Response { return parseResponse(s) }

// Rules both stores follow.

// AlertTransition refuses (with ErrAlertState) a state change an alert
// cannot make; ApplyAlertState records one it can.
func AlertTransition(from, to model.AlertState) error { return alertTransition(from, to) }

// ApplyAlertState records on a an allowed change to state to, by actor at
// at, with its change sequence number.
func ApplyAlertState(a *model.Alert, to model.AlertState, actor string, at time.Time, seq int64) {
	applyAlertState(a, to, actor, at, seq)
}

// CheckOutboxItem says what makes it unfit for the outbox ("" when
// nothing).
func CheckOutboxItem(it model.OutboxItem) string { return checkItem(it) }

// UserTerms are the user filter's names (User and Users), trimmed, empty
// ones left out.
func (f EventFilter) UserTerms() []string { return f.users() }
