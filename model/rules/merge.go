package rules

import (
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
	out.People, out.PeopleTotal = unionStrings(a.People, a.PeopleTotal, b.People, b.PeopleTotal)
	out.Addresses, out.AddressesTotal = unionStrings(a.Addresses, a.AddressesTotal, b.Addresses, b.AddressesTotal)
	seen := make(map[model.EventRef]bool, len(a.Events))
	out.Events = append(make([]model.EventRef, 0, len(a.Events)), a.Events...)
	for _, r := range a.Events {
		seen[r] = true
	}
	out.EventsTotal = a.EventsTotal
	for _, r := range b.Events {
		if seen[r] {
			continue
		}
		seen[r] = true
		out.EventsTotal++
		if len(out.Events) < model.MaxEvidence {
			out.Events = append(out.Events, r)
		}
	}
	out.EventsTotal += max(b.EventsTotal-len(b.Events), 0)
	return out
}

// unionStrings adds b's items missing from a; past the lists, totals are
// added as they are (the items are not known).
func unionStrings(a []string, at int, b []string, bt int) ([]string, int) {
	seen := make(map[string]bool, len(a))
	out := append(make([]string, 0, len(a)), a...)
	for _, x := range a {
		seen[x] = true
	}
	total := at
	for _, x := range b {
		if seen[x] {
			continue
		}
		seen[x] = true
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
