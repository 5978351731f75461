package cfsim

import (
	"sort"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Read-only views for tests and the demo. Each one first brings events up
// to the clock's now, like a request would; none passes text through the
// hostile knob, so tests can compare against clean values.

// Event is a detection as the simulator holds it.
type Event struct {
	ID       string
	Behavior string // key
	Name     string
	Level    string
	At       time.Time
	Details  map[string]any
}

// UserLevel returns a user's current level ("" with no events since the
// last reset), how many events count toward it, and whether the user exists.
func (s *Server) UserLevel(userID string) (level string, events int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sync()
	u := s.users[userID]
	if u == nil {
		return "", 0, false
	}
	return levelNames[u.maxRank], u.count, true
}

// UserEvents returns the user's kept events since the last reset, oldest
// first. The Details maps are shared: read them, do not change them.
func (s *Server) UserEvents(userID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sync()
	u := s.users[userID]
	if u == nil {
		return nil
	}
	out := make([]Event, 0, len(u.events))
	for _, e := range u.events {
		out = append(out, Event{ID: e.id, Behavior: e.key, Name: e.name, Level: e.level, At: e.at, Details: e.details})
	}
	return out
}

// LastReset is when the user was last reset (zero: never).
func (s *Server) LastReset(userID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil && u.lastReset != nil {
		return *u.lastReset
	}
	return time.Time{}
}

// RiskyUsers returns the ids the summary lists now, in its order.
func (s *Server) RiskyUsers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sync()
	people := s.World().People()
	var ids []string
	for _, u := range s.summaryRows() {
		ids = append(ids, people[u.person].CloudflareID)
	}
	return ids
}

// Resets returns every reset performed, in order.
func (s *Server) Resets() []Reset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reset(nil), s.resets...)
}

// Behavior is a behavior's current configuration.
type Behavior struct {
	Key, Name, Description string
	Enabled                bool
	Level                  string
}

// Behaviors returns the behaviors map as it stands, sorted by key.
func (s *Server) Behaviors() []Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Behavior, 0, len(s.behaviors))
	for key, b := range s.behaviors {
		cur := b.current()
		out = append(out, Behavior{Key: key, Name: b.spec.name, Description: b.spec.description, Enabled: cur.enabled, Level: cur.level})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// BehaviorFor returns the key of the behavior a World signal triggers
// ("" for none), so tests can check events against the World.
func (s *Server) BehaviorFor(signal simkit.Signal) string {
	for _, c := range catalog() {
		if c.signal == signal && signal != simkit.SignalNone {
			return c.key
		}
	}
	return ""
}

// Integration is an integration as the simulator holds it.
type Integration struct {
	ID, Type, ReferenceID, TenantURL string
	Active                           bool
	Created                          time.Time
}

// Integrations returns every integration, oldest first.
func (s *Server) Integrations() []Integration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Integration, 0, len(s.integrations))
	for _, in := range s.integrations {
		out = append(out, Integration{ID: in.id, Type: in.typ, ReferenceID: in.referenceID, TenantURL: in.tenantURL, Active: in.active, Created: in.created})
	}
	return out
}
