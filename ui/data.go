package ui

import (
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// data is the live picture the hub delivers: health, vendor views, the
// people merged from them and the score readings. Views read it; only the
// root's Update changes it, and only by replacing whole values, so a
// screen never sees a half-applied update.
type data struct {
	health  map[string]model.Health
	views   map[string][]model.UserRisk // by vendor
	people  []model.Person              // merged across vendors, riskiest first
	scores  map[time.Duration]model.Scores
	events  int       // events announced since start
	newest  time.Time // newest event announced
	version int       // bumped on every change, for render caches
}

func newData() *data {
	return &data{health: map[string]model.Health{}, views: map[string][]model.UserRisk{}, scores: map[time.Duration]model.Scores{}}
}

// change says what a batch of hub messages touched, so screens refresh only
// what depends on it.
type change struct {
	health, users, scores, events bool
	actions                       bool // the outbox or the audit log
	inserted                      int
}

func (c change) any() bool { return c.health || c.users || c.scores || c.events || c.actions }

// apply folds hub messages into the data.
func (d *data) apply(msgs []hub.Msg) change {
	var c change
	for _, m := range msgs {
		switch m := m.(type) {
		case hub.HealthMsg:
			d.health[m.Source] = m.Health
			c.health = true
		case hub.UsersMsg:
			d.views[m.Vendor] = cleanViews(m.Views)
			c.users = true
		case hub.ScoresMsg:
			d.scores[m.Window] = m.Scores
			c.scores = true
		case hub.EventsMsg:
			d.events += m.Inserted
			if m.Newest.After(d.newest) {
				d.newest = m.Newest
			}
			c.events = true
			c.inserted += m.Inserted
		case hub.ActionsChanged:
			c.actions = true
		}
	}
	if c.users {
		var all []model.UserRisk
		for _, v := range model.Vendors {
			all = append(all, d.views[v]...)
		}
		d.people = model.Merge(all)
	}
	if c.any() {
		d.version++
	}
	return c
}

// person finds a merged person by key or email.
func (d *data) person(key string) (model.Person, bool) {
	k := model.NormalizeEmail(key)
	for _, p := range d.people {
		if p.Key == key || (k != "" && p.Key == k) {
			return p, true
		}
	}
	return model.Person{}, false
}
