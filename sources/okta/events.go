package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
)

const (
	eventsPath = "/api/v1/risk/events/ip"

	// MaxEventsPerRequest and MaxSubjectsPerEvent are the documented caps.
	MaxEventsPerRequest = 20
	MaxSubjectsPerEvent = 50
	// MaxMessageLen is the cap on a subject's message, in characters.
	MaxMessageLen = 512

	// TimeLayout is Okta's yyyy-MM-dd'T'HH:mm:ss.SSS'Z', always in UTC.
	TimeLayout = "2006-01-02T15:04:05.000Z"
)

// Level is a subject's riskLevel.
type Level string

const (
	Low    Level = "LOW"
	Medium Level = "MEDIUM"
	High   Level = "HIGH"
)

// rank orders levels for priority; 0 is not a level.
func (l Level) rank() int {
	switch l {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// RiskSubject is one IP and its risk.
type RiskSubject struct {
	IP        string `json:"ip"`
	RiskLevel Level  `json:"riskLevel"`
	Message   string `json:"message,omitempty"`
}

// RiskEvent groups subjects that share a timestamp and an expiry. A zero
// Timestamp or ExpiresAt is left out of the JSON; without expiresAt Okta
// expires the event 24 hours after consuming it.
type RiskEvent struct {
	Timestamp time.Time
	ExpiresAt time.Time
	Subjects  []RiskSubject
}

type wireEvent struct {
	Timestamp string        `json:"timestamp,omitempty"`
	ExpiresAt string        `json:"expiresAt,omitempty"`
	Subjects  []RiskSubject `json:"subjects"`
}

// MarshalJSON writes the times in UTC with milliseconds, as Okta asks.
func (e RiskEvent) MarshalJSON() ([]byte, error) {
	w := wireEvent{Subjects: e.Subjects}
	if w.Subjects == nil {
		w.Subjects = []RiskSubject{}
	}
	if !e.Timestamp.IsZero() {
		w.Timestamp = FormatTime(e.Timestamp)
	}
	if !e.ExpiresAt.IsZero() {
		w.ExpiresAt = FormatTime(e.ExpiresAt)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads an event as Okta's docs print it.
func (e *RiskEvent) UnmarshalJSON(b []byte) error {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	var out RiskEvent
	var err error
	if w.Timestamp != "" {
		if out.Timestamp, err = time.Parse(time.RFC3339Nano, w.Timestamp); err != nil {
			return fmt.Errorf("timestamp %q: %w", w.Timestamp, err)
		}
	}
	if w.ExpiresAt != "" {
		if out.ExpiresAt, err = time.Parse(time.RFC3339Nano, w.ExpiresAt); err != nil {
			return fmt.Errorf("expiresAt %q: %w", w.ExpiresAt, err)
		}
	}
	out.Subjects = w.Subjects
	*e = out
	return nil
}

// FormatTime renders t as Okta wants it: UTC, milliseconds, a literal Z.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ms is t as it will be sent: UTC, cut to the millisecond.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// Push sends events to POST /api/v1/risk/events/ip. Every documented rule is
// checked first (a *ValidationError lists every problem, and nothing is
// sent). Then Push waits for the request budget: the wait ends early with
// ctx, and a wait that cannot finish before ctx's deadline fails at once
// with a *BudgetError. 202 Accepted is success.
//
// The docs allow only letters, digits, '.', '_' and '-' in a message, yet
// their own example has spaces. Spaces are sent; if Okta answers 400 blaming
// the message, Push retries once with the spaces replaced by '_' and keeps
// doing so for later pushes (SpacesRefused).
//
// With push: ssf, Push sends each subject as an ip-change SET instead
// (see Sender).
func (c *Client) Push(ctx context.Context, events []RiskEvent) error {
	return c.sender.Send(ctx, events)
}

func (c *Client) pushRiskEvents(ctx context.Context, events []RiskEvent) error {
	if c.spacesRefused.Load() {
		events = underscoreSpaces(events)
	}
	if err := Validate(events, c.now()); err != nil {
		return err
	}
	err := c.send(ctx, events)
	if err != nil && blamesMessage(err) && hasSpaces(events) {
		if err = c.send(ctx, underscoreSpaces(events)); err == nil {
			c.spacesRefused.Store(true)
		}
	}
	return err
}

func (c *Client) send(ctx context.Context, events []RiskEvent) error {
	body, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("okta: encoding risk events: %w", err)
	}
	// Credentials first: a refused one must not spend a slot of the budget.
	if err := c.auth.ready(withScope(ctx, ScopeRiskEvents)); err != nil {
		return err
	}
	if err := c.budget.Wait(ctx); err != nil {
		return err
	}
	resp, err := c.do(ctx, ScopeRiskEvents, httpx.Request{
		Method:      http.MethodPost,
		Path:        eventsPath,
		Body:        body,
		ContentType: "application/json",
	}, nil)
	// The budget learns from this endpoint's headers only: other endpoints
	// have buckets of their own.
	if resp != nil {
		c.budget.Observe(resp.RateLimit)
	} else if rl, ok := c.http.RateLimit(); ok && httpx.StatusOf(err) != 0 {
		c.budget.Observe(rl)
	}
	return err
}

// blamesMessage reports a 400 whose summary or causes name the message.
func blamesMessage(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		return false
	}
	if strings.Contains(strings.ToLower(ae.Summary), "message") {
		return true
	}
	for _, c := range ae.Causes {
		if strings.Contains(strings.ToLower(c), "message") {
			return true
		}
	}
	return false
}

func hasSpaces(events []RiskEvent) bool {
	for _, e := range events {
		for _, s := range e.Subjects {
			if strings.Contains(s.Message, " ") {
				return true
			}
		}
	}
	return false
}

// underscoreSpaces returns a copy of events with spaces in messages made '_'.
func underscoreSpaces(events []RiskEvent) []RiskEvent {
	out := make([]RiskEvent, len(events))
	for i, e := range events {
		e.Subjects = append([]RiskSubject(nil), e.Subjects...)
		for j := range e.Subjects {
			e.Subjects[j].Message = strings.ReplaceAll(e.Subjects[j].Message, " ", "_")
		}
		out[i] = e
	}
	return out
}
