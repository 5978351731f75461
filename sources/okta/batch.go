package okta

import (
	"net/netip"
	"sort"
	"time"
)

// Signal is one IP risk risktop wants Okta to know.
type Signal struct {
	IP        string
	Level     Level
	Message   string    // any text; Pack cleans it with CleanMessage
	ExpiresAt time.Time // zero: Okta expires it 24 h after consuming it
}

// RejectedSignal is a signal that can never be sent, and why.
type RejectedSignal struct {
	Signal Signal
	Reason string
}

// Plan is what Pack decided.
type Plan struct {
	// Requests are payloads for Push, highest risk first; each passes Validate.
	Requests [][]RiskEvent
	// Deferred did not fit in the budget, HIGH first; send them later.
	Deferred []Signal
	// Rejected are invalid or already expired.
	Rejected []RejectedSignal
	// Merged counts signals folded into another for the same IP.
	Merged int
}

// Subjects counts the subjects in the planned requests.
func (p Plan) Subjects() int {
	n := 0
	for _, req := range p.Requests {
		for _, e := range req {
			n += len(e.Subjects)
		}
	}
	return n
}

// defaultExpiry is Okta's expiry for an event without expiresAt, used only
// to compare such a signal with one that has an explicit expiry.
const defaultExpiry = 24 * time.Hour

// Pack puts signals into at most budget requests, as few as possible:
// 50 subjects an event, 20 events a request, one expiry per event. The same
// IP is sent once, at its highest level (on a tie, the later expiry wins).
// When the budget is short, HIGH goes first, then MEDIUM, then LOW; a lower
// signal is still sent if it fits into an event already opened, since that
// costs no request. Events carry now as their timestamp. Pack is pure.
func Pack(signals []Signal, budget int, now time.Time) Plan {
	return pack(signals, budget, now, MaxSubjectsPerEvent, MaxEventsPerRequest)
}

// pack is Pack with perEvent subjects an event and perRequest events a
// request (SSF: one and one, a SET carrying one IP).
func pack(signals []Signal, budget int, now time.Time, perEvent, perRequest int) Plan {
	var plan Plan
	type candidate struct {
		Signal
		order int
	}
	byIP := map[netip.Addr]int{}
	var kept []candidate
	for i, s := range signals {
		reason := ""
		if msg := checkIP(s.IP); msg != "" {
			reason = "ip: " + msg
		} else if msg := checkLevel(s.Level); msg != "" {
			reason = "riskLevel: " + msg
		} else if !s.ExpiresAt.IsZero() && !ms(s.ExpiresAt).After(ms(now)) {
			reason = "expiresAt: " + FormatTime(s.ExpiresAt) + " has passed"
		}
		if reason != "" {
			plan.Rejected = append(plan.Rejected, RejectedSignal{Signal: s, Reason: reason})
			continue
		}
		addr := netip.MustParseAddr(s.IP)
		s.IP = addr.String() // one spelling per address, so duplicates meet
		s.Message = CleanMessage(s.Message)
		if !s.ExpiresAt.IsZero() {
			s.ExpiresAt = ms(s.ExpiresAt)
		}
		if j, ok := byIP[addr]; ok {
			plan.Merged++
			if better(s, kept[j].Signal, now) {
				kept[j].Signal = s
			}
			continue
		}
		byIP[addr] = len(kept)
		kept = append(kept, candidate{s, i})
	}
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].Level.rank() > kept[b].Level.rank() })

	capacity := max(budget, 0) * perRequest
	var events []RiskEvent
	open := map[int64]int{} // expiry (Unix ms; zero time too) → index of its last event
	stamp := ms(now)
	for _, c := range kept {
		key := c.ExpiresAt.UnixMilli()
		sub := RiskSubject{IP: c.IP, RiskLevel: c.Level, Message: c.Message}
		if i, ok := open[key]; ok && len(events[i].Subjects) < perEvent {
			events[i].Subjects = append(events[i].Subjects, sub)
			continue
		}
		if len(events) >= capacity {
			plan.Deferred = append(plan.Deferred, c.Signal)
			continue
		}
		open[key] = len(events)
		events = append(events, RiskEvent{Timestamp: stamp, ExpiresAt: c.ExpiresAt, Subjects: []RiskSubject{sub}})
	}
	for len(events) > 0 {
		n := min(len(events), perRequest)
		plan.Requests = append(plan.Requests, events[:n:n])
		events = events[n:]
	}
	return plan
}

// better reports whether a should replace b for the same IP.
func better(a, b Signal, now time.Time) bool {
	if a.Level.rank() != b.Level.rank() {
		return a.Level.rank() > b.Level.rank()
	}
	return effectiveExpiry(a, now).After(effectiveExpiry(b, now))
}

func effectiveExpiry(s Signal, now time.Time) time.Time {
	if s.ExpiresAt.IsZero() {
		return now.Add(defaultExpiry)
	}
	return s.ExpiresAt
}
