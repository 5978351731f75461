// Package poll runs one goroutine per vendor that fetches, stores and
// announces what the vendor knows, with its own interval, jitter and
// back-off, and fans the announcements out to any number of subscribers
// (the dashboard, and later every SSH session) without ever waiting on them.
package hub

import (
	"sync"
	"time"

	"github.com/risktop/risktop/model"
)

// Msg is an announcement. Messages with the same Key supersede each other,
// so a subscriber that falls behind gets the latest of each, not a backlog.
type Msg interface{ Key() string }

// merger is a Msg that folds a superseded message into itself (counts add up).
type merger interface{ merge(prev Msg) Msg }

// HealthMsg is a source's current health.
type HealthMsg struct{ model.Health }

func (m HealthMsg) Key() string { return "health/" + m.Source }

// EventsMsg says new events were stored.
type EventsMsg struct {
	Vendor   string
	Inserted int // new events since the subscriber last heard
	Newest   time.Time
}

func (m EventsMsg) Key() string { return "events/" + m.Vendor }

func (m EventsMsg) merge(prev Msg) Msg {
	if p, ok := prev.(EventsMsg); ok {
		m.Inserted += p.Inserted
		if p.Newest.After(m.Newest) {
			m.Newest = p.Newest
		}
	}
	return m
}

// UsersMsg is a vendor's current set of user-risk views.
type UsersMsg struct {
	Vendor string
	At     time.Time
	Views  []model.UserRisk // shared: read it, never change it
}

func (m UsersMsg) Key() string { return "users/" + m.Vendor }

// ScoresMsg is a OneLogin score-insights reading for one window.
type ScoresMsg struct{ model.Scores }

func (m ScoresMsg) Key() string { return "scores/" + m.Window.String() }

// ActionsChanged says the outbox or the audit log changed (a push was
// queued or sent, an action was audited): dashboards reload those lists.
// Announcements coalesce into one.
type ActionsChanged struct{}

func (ActionsChanged) Key() string { return "actions" }

// AlertsChanged says alerts were added or changed (the detection engine
// found something, an operator acknowledged or resolved one): screens
// reload, and readers ask the store for the changes after the Seq they
// last saw. Seq is the newest change sequence number; announcements
// coalesce into the highest.
type AlertsChanged struct{ Seq int64 }

func (AlertsChanged) Key() string { return "alerts" }

func (m AlertsChanged) merge(prev Msg) Msg {
	if p, ok := prev.(AlertsChanged); ok && p.Seq > m.Seq {
		return p
	}
	return m
}

// Fold is m with prev, an earlier message of the same key, folded in as a
// subscriber's mailbox folds them: counts add up, otherwise m supersedes
// prev. (A team's bridge folds what it could not send yet.)
func Fold(prev, m Msg) Msg {
	if mg, ok := m.(merger); ok {
		return mg.merge(prev)
	}
	return m
}

// Hub fans messages out. Publish never blocks on a subscriber.
type Hub struct {
	mu   sync.Mutex
	last map[string]Msg
	keys []string // first-publish order, so a late subscriber's backlog is stable
	// remote marks the keys whose latest message came from another
	// instance (PublishRemote), which local-only subscribers skip.
	remote map[string]bool
	subs   map[*Subscription]struct{}
}

// New makes an empty hub.
func New() *Hub {
	return &Hub{last: map[string]Msg{}, remote: map[string]bool{}, subs: map[*Subscription]struct{}{}}
}

// Publish records m as the latest for its key and offers it to every
// subscriber.
func (h *Hub) Publish(m Msg) { h.publish(m, false) }

// PublishRemote is Publish for a message another instance published (a
// team's bridge hears it from the database): every subscriber gets it
// but local-only ones (SubscribeLocal), so a bridge does not send back
// what it received.
func (h *Hub) PublishRemote(m Msg) { h.publish(m, true) }

func (h *Hub) publish(m Msg, remote bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := m.Key()
	if _, ok := h.last[k]; !ok {
		h.keys = append(h.keys, k)
	}
	h.last[k] = m
	h.remote[k] = remote
	for s := range h.subs {
		if remote && s.localOnly {
			continue
		}
		s.offer(m)
	}
}

// Subscribe starts a subscription that first holds the latest message of
// every key, so a late joiner sees the current state at once.
func (h *Hub) Subscribe() *Subscription { return h.subscribe(false) }

// SubscribeLocal is Subscribe without the messages of other instances
// (PublishRemote): what this instance has to tell the others.
func (h *Hub) SubscribeLocal() *Subscription { return h.subscribe(true) }

func (h *Hub) subscribe(localOnly bool) *Subscription {
	s := &Subscription{hub: h, localOnly: localOnly, pending: map[string]Msg{}, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.keys {
		if localOnly && h.remote[k] {
			continue
		}
		s.offer(h.last[k])
	}
	h.subs[s] = struct{}{}
	return s
}

// Subscription is one reader's mailbox.
type Subscription struct {
	hub       *Hub
	ready     chan struct{}
	localOnly bool // skips remote messages (SubscribeLocal)

	mu      sync.Mutex
	pending map[string]Msg
	keys    []string
	closed  bool
}

func (s *Subscription) offer(m Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	k := m.Key()
	if prev, ok := s.pending[k]; ok {
		m = Fold(prev, m)
	} else {
		s.keys = append(s.keys, k)
	}
	s.pending[k] = m
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled when messages are waiting.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the waiting messages, oldest key first, and empties the box.
func (s *Subscription) Take() []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Msg, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, s.pending[k])
	}
	clear(s.pending)
	s.keys = s.keys[:0]
	return out
}

// Close stops deliveries; messages still waiting are dropped.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	delete(s.hub.subs, s)
	s.hub.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	clear(s.pending)
	s.keys = nil
	s.mu.Unlock()
}
