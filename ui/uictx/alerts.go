package uictx

import (
	"context"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sanitize"
)

// AlertSummary is the alerts as the whole dashboard shows them: the
// header's badge and the Users list's marks of who is rising.
type AlertSummary struct {
	Open, Acknowledged int
	// Worst is the highest severity among the open alerts (LevelUnknown
	// when none is open).
	Worst model.Level
	// Risen are the people rising, by person key: in an open or
	// acknowledged alert's evidence, or whose level rose in the last hour.
	Risen map[string]Rise
	At    time.Time // when it was read
}

// Rise is why a person is marked as rising.
type Rise struct {
	From, To model.Level // the latest rise (From LevelUnknown: none seen, only an alert)
	Vendor   string      // where it rose ("" when only an alert names them)
	At       time.Time
	Alert    int64 // the newest live alert naming them (0: none)
}

// SetAlerts replaces the alerts' summary; it returns the change to tell
// the screens.
func (d *Data) SetAlerts(s AlertSummary) Change {
	d.Alerts = s
	d.Version++
	return Change{Risen: true}
}

// Risen reports whether the person with key is rising, and why.
func (d *Data) Risen(key string) (Rise, bool) {
	r, ok := d.Alerts.Risen[key]
	if !ok {
		if k := model.NormalizeEmail(key); k != "" && k != key {
			r, ok = d.Alerts.Risen[k]
		}
	}
	return r, ok
}

// The alerts' text comes from vendor data (addresses, people's keys) and
// from whoever writes the store: cleaned as every other row is.

func (s cleanStore) Alerts(ctx context.Context, q store.AlertQuery) ([]model.Alert, error) {
	as, err := s.Store.Alerts(ctx, q)
	cleanAlerts(as)
	return as, err
}

func (s cleanStore) Alert(ctx context.Context, id int64) (model.Alert, error) {
	a, err := s.Store.Alert(ctx, id)
	cleanAlert(&a)
	return a, err
}

func (s cleanStore) AlertChanges(ctx context.Context, afterSeq int64, limit int) ([]model.Alert, error) {
	as, err := s.Store.AlertChanges(ctx, afterSeq, limit)
	cleanAlerts(as)
	return as, err
}

func (s cleanStore) LiveAlerts(ctx context.Context, keys []string) (map[string]model.Alert, error) {
	m, err := s.Store.LiveAlerts(ctx, keys)
	for k, a := range m {
		cleanAlert(&a)
		m[k] = a
	}
	return m, err
}

func cleanAlerts(as []model.Alert) {
	for i := range as {
		cleanAlert(&as[i])
	}
}

func cleanAlert(a *model.Alert) {
	for _, p := range []*string{&a.Rule, &a.Key, &a.Title, &a.Subject, &a.AckedBy, &a.ResolvedBy} {
		*p = sanitize.Line(*p)
	}
	a.Kind, a.State = model.RuleKind(sanitize.Line(string(a.Kind))), model.AlertState(sanitize.Line(string(a.State)))
	cleanLines(a.Evidence.People)
	cleanLines(a.Evidence.Addresses)
	for i := range a.Evidence.Events {
		e := &a.Evidence.Events[i]
		e.Vendor, e.ID = sanitize.Line(e.Vendor), sanitize.Line(e.ID)
	}
	if a.Incident != nil {
		in := *a.Incident
		in.Range = sanitize.Line(in.Range)
		a.Incident = &in
	}
}
