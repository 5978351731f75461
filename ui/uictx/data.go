package uictx

import (
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// Data is the live picture the hub delivers: health, vendor views, the
// people merged from them and the score readings. Views read it; only the
// dashboard's Update changes it, and only by replacing whole values, so a
// screen never sees a half-applied update.
type Data struct {
	Health  map[string]model.Health
	Views   map[string][]model.UserRisk // by vendor
	People  []model.Person              // merged across vendors, riskiest first
	Scores  map[time.Duration]model.Scores
	Events  int       // events announced since start
	Newest  time.Time // newest event announced
	Version int       // bumped on every change, for render caches
	// Alerts is what the header and the Users list show of the alerts
	// (see alerts.go); the dashboard reads it when alerts change.
	Alerts AlertSummary

	vendors Vendors // whose views are merged into People, in this order
}

// NewData is the picture before anything is announced; People are merged
// from the views of vendors.
func NewData(vendors Vendors) *Data {
	return &Data{Health: map[string]model.Health{}, Views: map[string][]model.UserRisk{}, Scores: map[time.Duration]model.Scores{},
		vendors: vendors}
}

// Change says what a batch of hub messages touched, so screens refresh only
// what depends on it.
type Change struct {
	Health, Users, Scores, Events bool
	Actions                       bool // the outbox or the audit log
	Inserted                      int  // events stored
	// Alerts: the detection engine stored new or changed alerts (AlertSeq
	// the newest); Risen: Data.Alerts was read again.
	Alerts, Risen bool
	AlertSeq      int64
}

// Any reports whether anything changed.
func (c Change) Any() bool {
	return c.Health || c.Users || c.Scores || c.Events || c.Actions || c.Alerts || c.Risen
}

// Apply folds hub messages into the data.
func (d *Data) Apply(msgs []hub.Msg) Change {
	var c Change
	for _, m := range msgs {
		switch m := m.(type) {
		case hub.HealthMsg:
			d.Health[m.Source] = m.Health
			c.Health = true
		case hub.UsersMsg:
			d.Views[m.Vendor] = cleanViews(m.Views)
			c.Users = true
		case hub.ScoresMsg:
			d.Scores[m.Window] = m.Scores
			c.Scores = true
		case hub.EventsMsg:
			d.Events += m.Inserted
			if m.Newest.After(d.Newest) {
				d.Newest = m.Newest
			}
			c.Events = true
			c.Inserted += m.Inserted
		case hub.ActionsChanged:
			c.Actions = true
		case hub.AlertsChanged:
			c.Alerts = true
			c.AlertSeq = max(c.AlertSeq, m.Seq)
		}
	}
	if c.Users {
		var all []model.UserRisk
		order := make([]string, len(d.vendors))
		for i, v := range d.vendors {
			all = append(all, d.Views[v.Name]...)
			order[i] = v.Name
		}
		d.People = model.Merge(all, order)
	}
	if c.Any() {
		d.Version++
	}
	return c
}

// Person finds a merged person by key or email.
func (d *Data) Person(key string) (model.Person, bool) {
	k := model.NormalizeEmail(key)
	for _, p := range d.People {
		if p.Key == key || (k != "" && p.Key == k) {
			return p, true
		}
	}
	return model.Person{}, false
}
