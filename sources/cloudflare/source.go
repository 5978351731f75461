package cloudflare

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// SourceOptions tune the Cloudflare source.
type SourceOptions struct {
	// DetailsPerPoll caps the user-detail calls a poll makes for people
	// whose risk changed; default 20. Cloudflare's 1,200 requests per 5
	// minutes are shared with every other tool on the same user, so the
	// summary is polled and details are fetched only for what changed.
	DetailsPerPoll int
}

// Source polls the risk-scoring summary, and the detail of users whose
// risk changed, so the drill-down has their behaviour events at hand.
type Source struct {
	client *Client
	store  vendorkit.Store
	hub    vendorkit.Publisher
	opts   SourceOptions

	mu       sync.Mutex
	lastSeen map[string]time.Time // user id → last_event when their detail was fetched
	loaded   bool
	pending  int // users whose detail is due but was left for the next poll (the cap)
}

// NewSource builds the source.
func NewSource(c *Client, st vendorkit.Store, bus vendorkit.Publisher, opts SourceOptions) *Source {
	if opts.DetailsPerPoll <= 0 {
		opts.DetailsPerPoll = 20
	}
	return &Source{client: c, store: st, hub: bus, opts: opts, lastSeen: map[string]time.Time{}}
}

func (c *Source) Name() string { return vendorName }

// RateLimit is the per-user budget from the last response.
func (c *Source) RateLimit() (httpx.RateLimit, bool) { return c.client.RateLimit() }

func (c *Source) Poll(ctx context.Context) (string, error) {
	sum, err := c.client.Summary(ctx)
	if err != nil {
		return "", err
	}
	// What was stored before this poll says whose detail is already in;
	// read after this poll's views were written, it would say everyone's.
	c.load(ctx)
	now := time.Now()
	views := make([]model.UserRisk, 0, len(sum.Users))
	for _, u := range sum.Users {
		views = append(views, model.UserRisk{
			Vendor: vendorName, UserID: u.UserID, Email: u.Email, Name: u.Name,
			Level: LevelOf(string(u.MaxRiskLevel)), RawLevel: string(u.MaxRiskLevel),
			Score: model.NoScore, Events: u.EventCount, LastSeen: u.LastEvent,
		})
	}
	if err := c.store.PutUserRisks(ctx, vendorName, now, views); err != nil {
		return "", err
	}
	c.hub.Publish(hub.UsersMsg{Vendor: vendorName, At: now, Views: views})

	var notes []string
	if sum.Incomplete {
		notes = append(notes, "summary incomplete: Cloudflare reported more users than it returned")
	}
	if note := c.details(ctx, sum.Users); note != "" {
		notes = append(notes, note)
	}
	return strings.Join(notes, "; "), nil
}

// details fetches the detail of users whose last event is newer than the
// one seen at their last fetch, riskiest first, up to the cap. A failure
// is a note: the summary is what the poll is for.
func (c *Source) details(ctx context.Context, users []SummaryUser) string {
	c.mu.Lock()
	var due []SummaryUser
	for _, u := range users {
		if seen, ok := c.lastSeen[u.UserID]; !ok || u.LastEvent.After(seen) {
			due = append(due, u)
		}
	}
	c.mu.Unlock()
	sortByRisk(due)
	var fetched int
	c.setPending(max(len(due)-c.opts.DetailsPerPoll, 0))
	for _, u := range due {
		if fetched == c.opts.DetailsPerPoll {
			break
		}
		d, err := c.client.User(ctx, u.UserID)
		if err != nil {
			return "user detail not read: " + err.Error()
		}
		fetched++
		events := make([]model.Event, 0, len(d.Events))
		for _, e := range d.Events {
			events = append(events, MapEvent(u, e))
		}
		if _, err := c.store.PutEvents(ctx, events); err != nil {
			return "user detail not stored: " + err.Error()
		}
		if len(events) > 0 {
			c.hub.Publish(hub.EventsMsg{Vendor: vendorName, Inserted: len(events), Newest: u.LastEvent})
		}
		c.mu.Lock()
		c.lastSeen[u.UserID] = u.LastEvent
		c.mu.Unlock()
	}
	return ""
}

// Reload forgets whose detail was stored: the next poll reads it from the
// store again, where another instance sharing it may have stored more.
func (c *Source) Reload() {
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}

// load reads, once, whose detail an earlier run stored: after a restart,
// people whose events are already stored need no fetch until they change
// again.
func (c *Source) load(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return
	}
	c.loaded = true
	if prev, err := c.store.UserRisks(ctx, vendorName); err == nil {
		for _, v := range prev {
			c.lastSeen[v.UserID] = v.LastSeen
		}
	}
}

func (c *Source) setPending(n int) {
	c.mu.Lock()
	c.pending = n
	c.mu.Unlock()
}

// Pending reports whether the last poll left user details for the next
// one (it fetches at most DetailsPerPoll): a one-shot run polls again.
func (c *Source) Pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending > 0
}

func sortByRisk(users []SummaryUser) {
	rank := func(u SummaryUser) int { return u.MaxRiskLevel.Rank() }
	// Insertion sort: the due list is short and usually almost sorted.
	for i := 1; i < len(users); i++ {
		for j := i; j > 0 && (rank(users[j]) > rank(users[j-1]) ||
			rank(users[j]) == rank(users[j-1]) && users[j].LastEvent.After(users[j-1].LastEvent)); j-- {
			users[j], users[j-1] = users[j-1], users[j]
		}
	}
}

// MapEvent maps one behaviour detection onto the shared model.
func MapEvent(u SummaryUser, e Event) model.Event {
	ev := model.Event{
		Vendor: vendorName, ID: e.ID, Time: e.Timestamp,
		TypeName: e.Name, UserID: u.UserID, UserName: u.Name, UserKey: model.NormalizeEmail(u.Email),
		Score: model.NoScore, Level: LevelOf(string(e.RiskLevel)),
	}
	f := map[string]string{"risk_level": string(e.RiskLevel), "email": u.Email}
	for _, d := range e.Details {
		f[d.Key] = d.Value
		if ip := model.NormalizeIP(d.Value); ip != "" && ev.IP == "" && strings.Contains(strings.ToLower(d.Key), "ip") {
			ev.IP = ip
		}
	}
	if e.DetailsTruncated {
		f["details"] = "truncated"
	}
	ev.Fields = f
	return ev
}
