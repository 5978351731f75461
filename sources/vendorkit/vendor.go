// Package vendorkit holds the types a vendor describes itself with: its
// config section, how its client is built, its polls, its level mapping,
// its `risktop check` steps and how the dashboard shows it (Info). Each
// vendor's package fills a Descriptor beside its client
// (sources/<vendor>.Vendor) and sources/vendors lists them; config, the
// wiring, the commands and the dashboard iterate over that list instead of
// naming vendors. It imports no vendor client, so config may use it.
package vendorkit

import (
	"context"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
)

// Descriptor is everything the rest of risktop knows about one vendor.
type Descriptor struct {
	// Info names the vendor and says how the dashboard shows it.
	Info

	Config Schema
	// Schedule paces the vendor's polls. A polled vendor's section holds
	// its interval (a key of the Interval kind); a push-only one runs at
	// Default.
	Schedule Schedule

	// New builds the client from a decoded section; it sends no request.
	New func(s *Section, opts httpx.Options) (any, error)
	// Sources are the polls the runner schedules, made from what New
	// returned.
	Sources func(client any, s *Section, deps Deps) []Source
	// Level maps the vendor's own risk level (and score, where it has
	// one) onto the shared scale.
	Level func(raw string, score int) model.Level
	// Check runs `risktop check`'s steps: a few cheap calls that show
	// whether the source is reachable, authenticated, permitted, and how
	// much of its rate-limit budget is left.
	Check func(ctx context.Context, s *Section, opts httpx.Options) CheckResult
	// Summary describes a section without credentials, for a log line.
	Summary func(s *Section) string
	// Tenant names what a section points at, for the dashboard's title.
	// own is true when the name is the organisation's own host, which
	// says more than a shared API host or an account.
	Tenant func(s *Section) (name string, own bool)
}

// Interval is how often to poll the vendor configured by s: its section's
// interval (a key of the Interval kind), else the schedule's default.
func (d Descriptor) Interval(s *Section) time.Duration {
	for _, k := range d.Config.Keys {
		if k.Kind == Interval {
			return s.Duration(k.Name)
		}
	}
	return d.Schedule.Default
}

// Schedule is a vendor's poll interval.
type Schedule struct {
	// Default is the interval when the config gives none (never below the
	// config's refresh); Min is the safe minimum, and Why the reason an
	// interval below it is refused.
	Default, Min time.Duration
	Why          string
}

// Source is one poll the runner schedules (sources/poll.Source): fetch
// what is new, store it, announce it. Note is a remark for the health
// line ("" when none).
type Source interface {
	Name() string
	Poll(ctx context.Context) (note string, err error)
}

// Deps are what a vendor's sources store into and announce on.
type Deps struct {
	Store Store
	Hub   Publisher
}

// Publisher announces news to every view (model/hub.Hub).
type Publisher interface {
	Publish(m hub.Msg)
}

// Store is the part of model/store.Store the sources write and read.
type Store interface {
	PutEvents(ctx context.Context, events []model.Event) (inserted int, err error)
	EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error)
	PutUserRisks(ctx context.Context, vendor string, at time.Time, views []model.UserRisk) error
	UserRisks(ctx context.Context, vendor string) ([]model.UserRisk, error)
	PutScores(ctx context.Context, s model.Scores) error
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error
}
