package poll

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
)

// CloudflareOptions tune the Cloudflare source.
type CloudflareOptions struct {
	// DetailsPerPoll caps the user-detail calls a poll makes for people
	// whose risk changed; default 20. Cloudflare's 1,200 requests per 5
	// minutes are shared with every other tool on the same user, so the
	// summary is polled and details are fetched only for what changed.
	DetailsPerPoll int
}

// Cloudflare polls the risk-scoring summary, and the detail of users whose
// risk changed, so the drill-down has their behaviour events at hand.
type Cloudflare struct {
	client *cloudflare.Client
	store  store.Store
	hub    *hub.Hub
	opts   CloudflareOptions

	mu       sync.Mutex
	lastSeen map[string]time.Time // user id → last_event when their detail was fetched
	loaded   bool
}

// NewCloudflare builds the source.
func NewCloudflare(c *cloudflare.Client, st store.Store, bus *hub.Hub, opts CloudflareOptions) *Cloudflare {
	if opts.DetailsPerPoll <= 0 {
		opts.DetailsPerPoll = 20
	}
	return &Cloudflare{client: c, store: st, hub: bus, opts: opts, lastSeen: map[string]time.Time{}}
}

func (c *Cloudflare) Name() string { return model.VendorCloudflare }

// RateLimit is the per-user budget from the last response.
func (c *Cloudflare) RateLimit() (httpx.RateLimit, bool) { return c.client.RateLimit() }

func (c *Cloudflare) Poll(ctx context.Context) (string, error) {
	sum, err := c.client.Summary(ctx)
	if err != nil {
		return "", err
	}
	now := time.Now()
	views := make([]model.UserRisk, 0, len(sum.Users))
	for _, u := range sum.Users {
		views = append(views, model.UserRisk{
			Vendor: model.VendorCloudflare, UserID: u.UserID, Email: u.Email, Name: u.Name,
			Level: model.CloudflareLevel(string(u.MaxRiskLevel)), RawLevel: string(u.MaxRiskLevel),
			Score: model.NoScore, Events: u.EventCount, LastSeen: u.LastEvent,
		})
	}
	if err := c.store.PutUserRisks(ctx, model.VendorCloudflare, now, views); err != nil {
		return "", err
	}
	c.hub.Publish(hub.UsersMsg{Vendor: model.VendorCloudflare, At: now, Views: views})

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
func (c *Cloudflare) details(ctx context.Context, users []cloudflare.SummaryUser) string {
	c.mu.Lock()
	if !c.loaded {
		c.loaded = true
		// After a restart, people whose events are already stored need no
		// fetch until they change again.
		if prev, err := c.store.UserRisks(ctx, model.VendorCloudflare); err == nil {
			for _, v := range prev {
				c.lastSeen[v.UserID] = v.LastSeen
			}
		}
	}
	var due []cloudflare.SummaryUser
	for _, u := range users {
		if seen, ok := c.lastSeen[u.UserID]; !ok || u.LastEvent.After(seen) {
			due = append(due, u)
		}
	}
	c.mu.Unlock()
	sortByRisk(due)
	var fetched int
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
			events = append(events, CloudflareEvent(u, e))
		}
		if _, err := c.store.PutEvents(ctx, events); err != nil {
			return "user detail not stored: " + err.Error()
		}
		if len(events) > 0 {
			c.hub.Publish(hub.EventsMsg{Vendor: model.VendorCloudflare, Inserted: len(events), Newest: u.LastEvent})
		}
		c.mu.Lock()
		c.lastSeen[u.UserID] = u.LastEvent
		c.mu.Unlock()
	}
	return ""
}

func sortByRisk(users []cloudflare.SummaryUser) {
	rank := func(u cloudflare.SummaryUser) int { return u.MaxRiskLevel.Rank() }
	// Insertion sort: the due list is short and usually almost sorted.
	for i := 1; i < len(users); i++ {
		for j := i; j > 0 && (rank(users[j]) > rank(users[j-1]) ||
			rank(users[j]) == rank(users[j-1]) && users[j].LastEvent.After(users[j-1].LastEvent)); j-- {
			users[j], users[j-1] = users[j-1], users[j]
		}
	}
}

// CloudflareEvent maps one behaviour detection onto the shared model.
func CloudflareEvent(u cloudflare.SummaryUser, e cloudflare.Event) model.Event {
	ev := model.Event{
		Vendor: model.VendorCloudflare, ID: e.ID, Time: e.Timestamp,
		TypeName: e.Name, UserID: u.UserID, UserName: u.Name, UserKey: model.NormalizeEmail(u.Email),
		Score: model.NoScore, Level: model.CloudflareLevel(string(e.RiskLevel)),
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
