package rules

import (
	"slices"
	"time"

	"github.com/risktop/risktop/model"
)

// Merge folds a finding into the live alert of its key (the store's
// AlertMerge). Count adds the finding's occurrences: for windowed rules
// an incident overlapping the alert's own is the same occurrence, grown;
// the alert keeps the latest incident and its evidence. For the other
// rules evidence is the union of both (bounded), and times widen.
// Backfilled stays only while both are.
func Merge(live, f model.Alert) model.Alert {
	out := f
	out.FirstSeen = earliest(live.FirstSeen, f.FirstSeen)
	out.LastSeen = latest(live.LastSeen, f.LastSeen)
	out.Backfilled = live.Backfilled && f.Backfilled
	n := max(f.Count, 1)
	if live.Incident != nil && f.Incident != nil {
		out.Count = live.Count + n
		if overlaps(live.Incident, f.Incident) {
			out.Count--
		}
		if f.Incident.To.Before(live.Incident.To) {
			// An older incident, fetched late: the alert shows its latest.
			out.Incident, out.Evidence, out.Title = live.Incident, live.Evidence, live.Title
		}
		return out
	}
	out.Count = live.Count + n
	out.Evidence = unionEvidence(live.Evidence, f.Evidence)
	return out
}

// Coalesce folds findings of one key into one, keeping the order keys
// first appear; findings of different incidents stay apart, so the store
// counts each.
func Coalesce(fs []model.Alert) []model.Alert {
	var out []model.Alert
	at := map[string]int{}
	for _, f := range fs {
		i, ok := at[f.Key]
		if ok && (f.Incident == nil) == (out[i].Incident == nil) &&
			(f.Incident == nil || overlaps(out[i].Incident, f.Incident)) {
			out[i] = Merge(out[i], f)
			continue
		}
		at[f.Key] = len(out)
		out = append(out, f)
	}
	return out
}

func overlaps(a, b *model.Incident) bool {
	return a.Range == b.Range && !b.From.After(a.To) && !a.From.After(b.To)
}

func unionEvidence(a, b model.Evidence) model.Evidence {
	out := model.Evidence{}
	out.People, out.PeopleTotal = union(a.People, a.PeopleTotal, b.People, b.PeopleTotal)
	out.Addresses, out.AddressesTotal = union(a.Addresses, a.AddressesTotal, b.Addresses, b.AddressesTotal)
	out.Events, out.EventsTotal = union(a.Events, a.EventsTotal, b.Events, b.EventsTotal)
	return out
}

// union adds b's items missing from a; past the lists, totals are added
// as they are (the items are not known). A finding brings an item or two
// to an alert holding up to MaxEvidence: those are looked for in a, not
// a put in a map (a map of a's items each merge was a tenth of storing a
// poll's alerts).
func union[T comparable](a []T, at int, b []T, bt int) ([]T, int) {
	out := append(make([]T, 0, min(len(a)+len(b), max(len(a), model.MaxEvidence))), a...)
	total := at
	var seen map[T]bool
	if len(b) > 8 {
		seen = make(map[T]bool, len(a)+len(b))
		for _, x := range a {
			seen[x] = true
		}
	}
	for i, x := range b {
		if seen != nil {
			if seen[x] {
				continue
			}
			seen[x] = true
		} else if slices.Contains(a, x) || slices.Contains(b[:i], x) {
			continue
		}
		total++
		if len(out) < model.MaxEvidence {
			out = append(out, x)
		}
	}
	return out, total + max(bt-len(b), 0)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
