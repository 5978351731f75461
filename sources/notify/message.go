// Package notify delivers notifications (a new alert, for one) to the
// places a SOC watches besides the dashboard: a webhook (JSON, or Slack's
// incoming-webhook form) and syslog (RFC 5424 over UDP, TCP or TLS).
// Messages go through a durable outbox in the store (model/store's
// deliveries): Notifier.Notify queues each message once per channel, and
// one Sender per process sends them in order, retrying with back-off
// while a receiver is down, so nothing is lost and nothing is sent twice
// (the message's ID travels with it, so a receiver can drop the one
// duplicate a crash between send and mark can cause).
//
// It knows nothing of alerts: whoever raises one builds a Message.
package notify

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sanitize"
)

// Message is one notification.
type Message struct {
	// ID is stable and unique: the same alert always gives the same ID,
	// which is the outbox's idempotency key and the receiver's.
	ID       string
	At       time.Time
	Severity model.Level // low, medium, high, critical
	Title    string
	Text     string
	// Fields are the evidence, by name: rule, range, people, addresses.
	Fields map[string]string
	// Response is the suggested response, in words.
	Response string
}

// Caps on a message's parts, in runes, so one alert with 10,000 addresses
// stays a message every receiver takes.
const (
	maxID     = 128
	maxTitle  = 256
	maxText   = 4000
	maxField  = 1000
	maxFields = 32
)

// Clean is m made safe to send anywhere: every text stripped of escape
// sequences and control characters (sources/sanitize; the text keeps its
// line breaks), each part capped, at most maxFields fields (the first by
// name), and the time in UTC to the millisecond.
func (m Message) Clean() Message {
	out := Message{
		ID:       sanitize.LineN(m.ID, maxID),
		At:       m.At.UTC().Truncate(time.Millisecond),
		Severity: m.Severity,
		Title:    sanitize.LineN(m.Title, maxTitle),
		Text:     sanitize.Block(m.Text),
		Response: sanitize.LineN(m.Response, maxField),
	}
	if r := []rune(out.Text); len(r) > maxText {
		out.Text = string(r[:maxText]) + sanitize.Ellipsis
	}
	if len(m.Fields) > 0 {
		out.Fields = map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(m.Fields)) {
			ck := sanitize.LineN(k, 64)
			if ck == "" {
				continue
			}
			if len(out.Fields) == maxFields {
				break
			}
			out.Fields[ck] = sanitize.LineN(m.Fields[k], maxField)
		}
	}
	return out
}

// fieldNames are m's field names in order.
func (m Message) fieldNames() []string { return slices.Sorted(maps.Keys(m.Fields)) }

// wire is a message as the webhook's JSON form and the outbox store it.
type wire struct {
	ID       string            `json:"id"`
	At       string            `json:"at"`
	Severity string            `json:"severity"`
	Title    string            `json:"title"`
	Text     string            `json:"text"`
	Fields   map[string]string `json:"fields"`
	Response string            `json:"response,omitempty"`
	Source   string            `json:"source"`
}

// timeFormat is RFC 3339 in UTC with milliseconds (RFC 5424 §6.2.3 takes
// it as it is).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (m Message) wire() wire {
	f := m.Fields
	if f == nil {
		f = map[string]string{}
	}
	return wire{ID: m.ID, At: m.At.UTC().Format(timeFormat), Severity: m.Severity.String(), Title: m.Title,
		Text: m.Text, Fields: f, Response: m.Response, Source: "risktop"}
}

// encode is the message as the outbox stores it (the JSON form).
func encode(m Message) (string, error) {
	b, err := json.Marshal(m.wire())
	return string(b), err
}

// decode reads what encode wrote.
func decode(payload string) (Message, error) {
	var w wire
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		return Message{}, err
	}
	at, err := time.Parse(time.RFC3339Nano, w.At)
	if err != nil {
		return Message{}, err
	}
	sev, _ := model.ParseLevel(w.Severity)
	m := Message{ID: w.ID, At: at, Severity: sev, Title: w.Title, Text: w.Text, Response: w.Response}
	if len(w.Fields) > 0 {
		m.Fields = w.Fields
	}
	return m, nil
}
