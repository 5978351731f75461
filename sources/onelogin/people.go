package onelogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
)

// OneLogin events name a person by display name ("first last", or the
// email when both are empty: the event resource page,
// https://developers.onelogin.com/api-docs/1/events/event-resource), and
// two people may share one. The people cache resolves an event's user_id
// to the user's email and username through Get User (users.go), so the
// person merge joins OneLogin by email; the name join stays only for
// what could not be resolved, and the screen marks it as a guess.
const (
	peopleMax         = 20_000         // ids remembered; the oldest go first
	peopleTTL         = 24 * time.Hour // a user's email may change: ask again after a day
	peopleMissTTL     = time.Hour      // an id Get User does not know (404)
	peopleRefusedWait = time.Hour      // after a 401/403, before asking again
	// lookupShare bounds Get User calls to this share of the account's
	// hourly budget (5,000 → 500 an hour), so a back-fill of a large
	// account never spends the budget other integrations share; ids not
	// looked up yet join by name until a later page looks them up.
	lookupShare      = 0.1
	lookupCapUnknown = 300 // an hour, while the budget is unknown
)

type personEntry struct {
	user    User
	missing bool // Get User answered 404
	at      time.Time
}

// peopleCache is bounded (peopleMax, oldest evicted first) and expires
// entries; one request per unknown id, never one per event.
type peopleCache struct {
	lookup sync.Mutex // one resolver at a time: the head and the back-fill never ask for the same id twice

	mu           sync.Mutex
	entries      map[int64]personEntry
	order        []int64 // insertion order, for eviction
	calls        []time.Time
	refusedUntil time.Time
	refused      string // why Get User is refused, for the health note
	lookups      int    // requests made, ever (tests)
}

func (p *peopleCache) get(id int64, now time.Time) (personEntry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[id]
	if !ok {
		return e, false
	}
	ttl := peopleTTL
	if e.missing {
		ttl = peopleMissTTL
	}
	return e, now.Sub(e.at) < ttl
}

func (p *peopleCache) put(id int64, e personEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[int64]personEntry{}
	}
	if _, ok := p.entries[id]; !ok {
		p.order = append(p.order, id)
	}
	p.entries[id] = e
	for len(p.entries) > peopleMax && len(p.order) > 0 {
		delete(p.entries, p.order[0])
		p.order = p.order[1:]
	}
}

// allow reports whether one more Get User call fits the hourly share.
func (p *peopleCache) allow(now time.Time, rl httpx.RateLimit, known bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.refusedUntil) {
		return false
	}
	cut := 0
	for cut < len(p.calls) && now.Sub(p.calls[cut]) > time.Hour {
		cut++
	}
	p.calls = p.calls[cut:]
	limit := lookupCapUnknown
	if known && rl.Limit > 0 {
		limit = int(float64(rl.Limit) * lookupShare)
	}
	if len(p.calls) >= limit {
		return false
	}
	p.calls = append(p.calls, now)
	p.lookups++
	return true
}

// note says why people join by name, "" when nothing is wrong.
func (p *peopleCache) note(now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.refusedUntil) {
		return p.refused
	}
	return ""
}

// resolve returns the users behind events' user_ids, from the cache or
// Get User; what cannot be resolved now (budget, refusal, failure) is
// left out, and those events join by name. It never fails the page.
func (o *Source) resolve(ctx context.Context, events []Event) map[int64]User {
	p := &o.people
	p.lookup.Lock()
	defer p.lookup.Unlock()
	out := map[int64]User{}
	for _, e := range events {
		if e.UserID == nil || *e.UserID <= 0 {
			continue
		}
		id := *e.UserID
		if _, done := out[id]; done {
			continue
		}
		now := time.Now()
		if ent, fresh := p.get(id, now); fresh {
			if !ent.missing {
				out[id] = ent.user
			}
			continue
		}
		if o.budgetLow() {
			return out
		}
		rl, known := o.client.RateLimit()
		if !p.allow(now, rl, known) {
			return out
		}
		// Not counted as the head's calls: lookups have their own share
		// (lookupShare), and come in bursts the head's rate would misread.
		u, err := o.client.GetUser(ctx, id)
		switch st := httpx.StatusOf(err); {
		case err == nil:
			p.put(id, personEntry{user: u, at: now})
			out[id] = u
		case errors.Is(err, ErrNoSuchUser):
			p.put(id, personEntry{missing: true, at: now})
		case st == http.StatusUnauthorized || st == http.StatusForbidden:
			p.mu.Lock()
			p.refusedUntil = now.Add(peopleRefusedWait)
			p.refused = fmt.Sprintf("people joined by name, a guess: the Users API refused (%d); %s", st, hintUsersScope)
			p.mu.Unlock()
			return out
		default:
			return out // a failing or canceled call: try again on a later page
		}
	}
	return out
}

// enrich gives a mapped event its user's email (the join key) and
// username, when the user was resolved.
func enrich(ev *model.Event, e Event, users map[int64]User) {
	if e.UserID == nil {
		return
	}
	u, ok := users[*e.UserID]
	if !ok {
		return
	}
	if key := model.NormalizeEmail(u.Email); key != "" {
		ev.UserKey = key
	}
	if ev.Fields == nil {
		ev.Fields = map[string]string{}
	}
	if u.Email != "" {
		ev.Fields["email"] = u.Email
	}
	if u.Username != "" {
		ev.Fields["username"] = u.Username
	}
}
