package uictx

import (
	"context"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sanitize"
)

// cleanStore cleans the text of every row the dashboard reads. Vendor
// text is sanitized when it enters (sources/), but the store is a file
// other processes write too: the headless commands, other dashboards, the
// SSH server, an older risktop, anyone with sqlite3. What the dashboard
// draws from it must not reach the terminal raw whoever wrote it. Clean
// text (every row risktop wrote itself) costs one pass over its bytes.
type cleanStore struct{ store.Store }

// CleanStore is st with the text of every row it reads cleaned.
func CleanStore(st store.Store) store.Store { return cleanStore{st} }

func (s cleanStore) Events(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	p, err := s.Store.Events(ctx, q)
	cleanEvents(p.Events)
	return p, err
}

func (s cleanStore) Event(ctx context.Context, vendor, id string) (model.Event, error) {
	e, err := s.Store.Event(ctx, vendor, id)
	cleanEvent(&e)
	return e, err
}

func (s cleanStore) NewestEvent(ctx context.Context, vendor string) (model.Event, error) {
	e, err := s.Store.NewestEvent(ctx, vendor)
	cleanEvent(&e)
	return e, err
}

func (s cleanStore) TopIPs(ctx context.Context, since time.Time, limit int) ([]model.IPRisk, error) {
	ips, err := s.Store.TopIPs(ctx, since, limit)
	for i := range ips {
		ips[i].IP = sanitize.Line(ips[i].IP)
	}
	return ips, err
}

func (s cleanStore) DistinctIPs(ctx context.Context, f store.EventFilter, limit int) ([]string, int, error) {
	ips, total, err := s.Store.DistinctIPs(ctx, f, limit)
	cleanLines(ips)
	return ips, total, err
}

func (s cleanStore) EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error) {
	vs, err := s.Store.EventUsers(ctx, vendor, since)
	return cleanViews(vs), err
}

func (s cleanStore) UserRisks(ctx context.Context, vendor string) ([]model.UserRisk, error) {
	vs, err := s.Store.UserRisks(ctx, vendor)
	return cleanViews(vs), err
}

func (s cleanStore) RiskHistory(ctx context.Context, key string, since time.Time) ([]model.RiskPoint, error) {
	ps, err := s.Store.RiskHistory(ctx, key, since)
	for i := range ps {
		ps[i].Vendor = sanitize.Line(ps[i].Vendor)
	}
	return ps, err
}

// Changes cleans what the Changes panel draws: people's keys, vendors,
// sources and their errors.
func (s cleanStore) Changes(ctx context.Context, q store.ChangesQuery) (model.Changes, error) {
	ch, err := s.Store.Changes(ctx, q)
	for i := range ch.Levels {
		c := &ch.Levels[i]
		c.Key, c.Vendor = sanitize.Line(c.Key), sanitize.Line(c.Vendor)
	}
	for i := range ch.NewPeople {
		p := &ch.NewPeople[i]
		p.Key, p.Vendor = sanitize.Line(p.Key), sanitize.Line(p.Vendor)
	}
	for i := range ch.Health {
		h := &ch.Health[i]
		h.Source, h.Error = sanitize.Line(h.Source), sanitize.Line(h.Error)
	}
	return ch, err
}

func (s cleanStore) Audit(ctx context.Context, beforeID int64, limit int) ([]model.AuditEntry, error) {
	es, err := s.Store.Audit(ctx, beforeID, limit)
	for i := range es {
		e := &es[i]
		e.Actor, e.Action, e.Vendor = sanitize.Line(e.Actor), sanitize.Line(e.Action), sanitize.Line(e.Vendor)
		e.Target, e.Result, e.Detail = sanitize.Line(e.Target), sanitize.Line(e.Result), sanitize.Line(e.Detail)
	}
	return es, err
}

func (s cleanStore) Outbox(ctx context.Context, state model.OutboxState, limit int) ([]model.OutboxItem, error) {
	items, err := s.Store.Outbox(ctx, state, limit)
	cleanOutbox(items)
	return items, err
}

func (s cleanStore) OutboxItems(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	items, err := s.Store.OutboxItems(ctx, ids)
	cleanOutbox(items)
	return items, err
}

func cleanOutbox(items []model.OutboxItem) {
	for i := range items {
		it := &items[i]
		it.IP, it.Message, it.Actor = sanitize.Line(it.IP), sanitize.Line(it.Message), sanitize.Line(it.Actor)
		it.Subject, it.Source = sanitize.Line(it.Subject), sanitize.Line(it.Source)
		it.State, it.LastError = model.OutboxState(sanitize.Line(string(it.State))), sanitize.Line(it.LastError)
	}
}

func cleanEvents(es []model.Event) {
	for i := range es {
		cleanEvent(&es[i])
	}
}

func cleanEvent(e *model.Event) {
	for _, p := range []*string{&e.Vendor, &e.ID, &e.TypeName, &e.UserID, &e.UserName, &e.UserKey, &e.IP, &e.App} {
		*p = sanitize.Line(*p)
	}
	e.Reasons = sanitize.Block(e.Reasons)
	e.Fields = cleanFields(e.Fields)
}

// cleanFields returns m itself when it is clean, the common case.
func cleanFields(m map[string]string) map[string]string {
	dirty := false
	for k, v := range m {
		if sanitize.Line(k) != k || sanitize.Line(v) != v {
			dirty = true
			break
		}
	}
	if !dirty {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[sanitize.Line(k)] = sanitize.Line(v)
	}
	return out
}

// cleanViews returns user views with clean text: vs itself when it is
// clean already, else a cleaned copy. Views from the hub are shared by
// every dashboard on it (the OneLogin source folds them out of stored
// events), so they are never changed in place.
func cleanViews(vs []model.UserRisk) []model.UserRisk {
	if viewsClean(vs) {
		return vs
	}
	out := make([]model.UserRisk, len(vs))
	for i, v := range vs {
		for _, p := range []*string{&v.Vendor, &v.UserID, &v.Email, &v.Name, &v.RawLevel, &v.Context} {
			*p = sanitize.Line(*p)
		}
		rs := make([]model.Reason, len(v.Reasons))
		for j, r := range v.Reasons {
			rs[j] = model.Reason{Code: sanitize.Line(r.Code), Text: sanitize.Line(r.Text), Count: r.Count}
		}
		v.Reasons = rs
		out[i] = v
	}
	return out
}

func viewsClean(vs []model.UserRisk) bool {
	clean := func(s string) bool { return sanitize.Line(s) == s }
	for _, v := range vs {
		if !clean(v.Vendor) || !clean(v.UserID) || !clean(v.Email) || !clean(v.Name) || !clean(v.RawLevel) || !clean(v.Context) {
			return false
		}
		for _, r := range v.Reasons {
			if !clean(r.Code) || !clean(r.Text) {
				return false
			}
		}
	}
	return true
}

func cleanLines(ss []string) {
	for i, s := range ss {
		ss[i] = sanitize.Line(s)
	}
}
