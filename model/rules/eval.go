package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// LevelChange is one change of a person's level in one vendor, as the
// store's risk history records it.
type LevelChange struct {
	Key      string // the person: normalised email, or vendor:user id
	Vendor   string
	At       time.Time
	Level    model.Level
	Previous model.Level // LevelUnknown with First
	First    bool        // the vendor's first reading of the person: not a rise
}

// Evaluator runs rules over events and level changes, keeping the little
// state the windowed rules need (the last Within of each range's failures
// and each address's people, and each open incident) and each person's
// latest level per vendor. Findings are alerts to store: a rule firing on
// a subject, keyed "rule:subject". An Evaluator is not safe for
// concurrent use.
type Evaluator struct {
	rules   []Rule
	windows []*window
	levels  map[string]map[string]model.Level // person → vendor → level, for multi_vendor
	// since is when each vendor's history began (its first poll); zero
	// when it began before the evaluator started (seeded).
	since map[string]time.Time
	// vendorName names a vendor in titles (SetVendorNames); default its key.
	vendorName func(string) string
}

// SetVendorNames makes titles name vendors for people ("Oracle CASB"), not
// by their config keys.
func (e *Evaluator) SetVendorNames(name func(string) string) {
	if name != nil {
		e.vendorName = name
	}
}

// New builds an evaluator of the enabled rules among rs.
func New(rs []Rule) *Evaluator {
	e := &Evaluator{levels: map[string]map[string]model.Level{}, since: map[string]time.Time{}, vendorName: func(v string) string { return v }}
	for _, r := range rs {
		if !r.Enabled {
			continue
		}
		e.rules = append(e.rules, r)
		if r.Kind == model.KindFailedBurst || r.Kind == model.KindSharedAddress {
			e.windows = append(e.windows, &window{rule: r, subjects: map[string]*subject{}})
		}
	}
	return e
}

// Rules are the enabled rules it runs.
func (e *Evaluator) Rules() []Rule { return e.rules }

// MaxWithin is the longest window of its rules (0 when none has one).
func (e *Evaluator) MaxWithin() time.Duration {
	var d time.Duration
	for _, w := range e.windows {
		d = max(d, w.rule.Within)
	}
	return d
}

// hit is one event in a window.
type hit struct {
	at     time.Time
	ref    model.EventRef
	person string
	ip     string
	failed bool
}

// window is one windowed rule's state: per subject (a range, an address).
type window struct {
	rule     Rule
	subjects map[string]*subject
	newest   time.Time  // of every hit it saw
	dirty    []string   // subjects whose incident changed since the last flush
	free     []*subject // expired subjects to reuse: most hold a hit or two, and come and go
	// cut is where the last Expire cut the window: a subject gone by it
	// (see gone) is as good as forgotten, and is reset when its key comes
	// back, not deleted and made again (most keys, a person's own
	// address, come back within minutes; deleting and making a few
	// hundred subjects a batch was a fifth of the rules' time). Expire
	// deletes them only when the subjects double.
	cut   time.Time
	swept int // subjects left by the last sweep
}

// maxFreeSubjects bounds a window's free list.
const maxFreeSubjects = 4096

type subject struct {
	// hits[start:] are the recent hits: sorted by time, within
	// rule.Within of newest. The room of those that left the window is
	// reused before the array grows: trimming from the front and
	// appending at the back made append copy the window into a new array
	// every few hits (a third of the rules' time).
	hits   []hit
	start  int
	people personCount // hits in recent per person (shared_address)
	newest time.Time
	inc    *incident // the open incident, nil when none
}

// personCount counts hits per person: a short list (most addresses see a
// person or two), a map past smallPeople.
type personCount struct {
	few  []personHits
	many map[string]int
}

type personHits struct {
	person string
	hits   int
}

const smallPeople = 16

func (c *personCount) len() int {
	if c.many != nil {
		return len(c.many)
	}
	return len(c.few)
}

func (c *personCount) add(person string, n int) {
	if c.many != nil {
		if c.many[person] += n; c.many[person] <= 0 {
			delete(c.many, person)
		}
		return
	}
	for i := range c.few {
		if c.few[i].person == person {
			if c.few[i].hits += n; c.few[i].hits <= 0 {
				c.few = slices.Delete(c.few, i, i+1)
			}
			return
		}
	}
	if n <= 0 {
		return
	}
	if len(c.few) < smallPeople {
		c.few = append(c.few, personHits{person, n})
		return
	}
	c.many = make(map[string]int, 2*smallPeople)
	for _, p := range c.few {
		c.many[p.person] = p.hits
	}
	c.many[person] = n
	c.few = c.few[:0]
}

func (c *personCount) reset() {
	clear(c.few)
	c.few, c.many = c.few[:0], nil
}

// incident accumulates one alerting run of a windowed rule: it starts
// with the hits of the window that crossed the threshold and takes every
// later hit within Within of its last.
type incident struct {
	from, to time.Time
	failures int
	addrs    map[string]bool
	people   map[string]bool
	events   model.Evidence
	dirty    bool
}

func (in *incident) add(h hit) {
	if in.from.IsZero() || h.at.Before(in.from) {
		in.from = h.at
	}
	if h.at.After(in.to) {
		in.to = h.at
	}
	if h.failed {
		in.failures++
	}
	in.events.AddEvent(h.ref)
	if h.ip != "" && !in.addrs[h.ip] {
		in.addrs[h.ip] = true
		in.events.AddAddress(h.ip)
	}
	if h.person != "" && !in.people[h.person] {
		in.people[h.person] = true
		in.events.AddPerson(h.person)
	}
	in.dirty = true
}

// Events evaluates events (in any order; they are taken in time order)
// and returns the findings, at most one per key and incident.
func (e *Evaluator) Events(evs []model.Event) []model.Alert {
	ptrs := make([]*model.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	return e.EventsOf(ptrs)
}

// EventsOf is Events over pointers (an Event is too big to copy a
// thousand of a poll); it reorders evs and reads the events, never
// changes them.
func (e *Evaluator) EventsOf(evs []*model.Event) []model.Alert {
	// Sorted by plain numbers, the place in the batch last (as a stable
	// sort, without its cost), and only when not in order already.
	type byTime struct {
		sec int64 // not UnixNano: that overflows outside 1678–2262
		ns  int32
		at  int32
	}
	compare := func(a, b byTime) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.ns, b.ns), cmp.Compare(a.at, b.at))
	}
	order := make([]byTime, len(evs))
	for i, ev := range evs {
		order[i] = byTime{ev.Time.Unix(), int32(ev.Time.Nanosecond()), int32(i)}
	}
	if !slices.IsSortedFunc(order, compare) {
		slices.SortFunc(order, compare)
		sorted := make([]*model.Event, len(evs))
		for i, o := range order {
			sorted[i] = evs[o.at]
		}
		evs = sorted
	}
	var out []model.Alert
	var late map[*window][]*model.Event
	for _, p := range evs {
		h := hitOf(p)
		for _, w := range e.windows {
			found, ok := w.take(h)
			if !ok {
				if late == nil {
					late = map[*window][]*model.Event{}
				}
				late[w] = append(late[w], p)
			}
			out = append(out, found...)
		}
		for i := range e.rules {
			if r := &e.rules[i]; r.Kind == model.KindHighScore && p.Score >= r.Score {
				out = append(out, scoreFinding(*r, p, e.vendorName))
			}
		}
	}
	for _, w := range e.windows {
		out = append(out, w.flush()...)
		// Events older than a subject's window (fetched late) are judged
		// among themselves, in a fresh window, so a back-filled burst is
		// still one incident without disturbing the live window.
		if evs := late[w]; len(evs) > 0 {
			scratch := &window{rule: w.rule, subjects: map[string]*subject{}}
			for _, ev := range evs {
				found, _ := scratch.take(hitOf(ev))
				out = append(out, found...)
			}
			out = append(out, scratch.flush()...)
		}
	}
	return Coalesce(out)
}

// hitOf is what the windows keep of an event, worked out once for all.
func hitOf(ev *model.Event) hit {
	return hit{at: ev.Time, ref: model.EventRef{Vendor: ev.Vendor, ID: ev.ID}, person: personKey(ev), ip: ev.IP,
		failed: ev.Failed()}
}

// take feeds one event's hit to the window; ok is false when the event
// is older than its subject's window (late), and was left out.
func (w *window) take(h hit) (found []model.Alert, ok bool) {
	r := &w.rule
	var key string
	switch r.Kind {
	case model.KindFailedBurst:
		if !h.failed {
			return nil, true
		}
		key = RangeOf(h.ip)
	case model.KindSharedAddress:
		if h.person == "" {
			return nil, true
		}
		key = h.ip
	}
	if key == "" {
		return nil, true
	}
	s := w.subjects[key]
	if s != nil && w.gone(s) {
		s.reset()
	}
	if s == nil {
		if n := len(w.free); n > 0 {
			s, w.free = w.free[n-1], w.free[:n-1]
		} else {
			s = &subject{hits: make([]hit, 0, 4)}
		}
		w.subjects[key] = s
	}
	if !s.newest.IsZero() && h.at.Before(s.newest.Add(-r.Within)) {
		// Older than the window: it still joins an open incident it is
		// within the window of; otherwise it is late.
		if s.inc != nil && !h.at.Before(s.inc.from.Add(-r.Within)) {
			w.touch(key, s.inc)
			s.inc.add(h)
			return nil, true
		}
		return nil, false
	}
	if s.inc != nil && h.at.After(s.inc.to.Add(r.Within)) {
		// A gap longer than the window ends the incident.
		if f, ok := w.finding(key, s.inc); ok {
			found = append(found, f)
		}
		s.inc = nil
	}
	// Insert in time order (events come sorted; a late one within the
	// window lands inside).
	s.insert(h)
	if r.Kind == model.KindSharedAddress {
		s.people.add(h.person, 1)
	}
	if h.at.After(s.newest) {
		s.newest = h.at
	}
	if h.at.After(w.newest) {
		w.newest = h.at
	}
	cut := s.newest.Add(-r.Within)
	gone := s.trim(cut)
	if r.Kind == model.KindSharedAddress {
		for _, x := range gone {
			s.people.add(x.person, -1)
		}
	}

	if s.inc != nil && r.Kind == model.KindSharedAddress && !w.crossed(s) {
		// An address stays busy (an office): its incident lasts while
		// the window holds enough people, not while anyone uses it.
		if f, ok := w.finding(key, s.inc); ok {
			found = append(found, f)
		}
		s.inc = nil
	}
	if s.inc != nil {
		w.touch(key, s.inc)
		s.inc.add(h)
		return found, true
	}
	if w.crossed(s) {
		s.inc = &incident{addrs: map[string]bool{}, people: map[string]bool{}}
		w.touch(key, s.inc)
		for _, x := range s.recent() {
			s.inc.add(x)
		}
	}
	return found, true
}

func (s *subject) recent() []hit { return s.hits[s.start:] }

// insert puts h among the recent hits in time order (events come sorted:
// most go last; a late one within the window lands inside).
func (s *subject) insert(h hit) {
	rec := s.recent()
	i := s.start + sort.Search(len(rec), func(i int) bool { return rec[i].at.After(h.at) })
	if len(s.hits) == cap(s.hits) && s.start > 0 {
		n := copy(s.hits, rec)
		clear(s.hits[n:]) // let go of what the gone hits name
		s.hits, i, s.start = s.hits[:n], i-s.start, 0
	}
	s.hits = slices.Insert(s.hits, i, h)
}

// trim drops the hits before cut and returns them (valid until the next
// insert).
func (s *subject) trim(cut time.Time) []hit {
	rec := s.recent()
	j := sort.Search(len(rec), func(i int) bool { return !rec[i].at.Before(cut) })
	s.start += j
	return rec[:j]
}

// crossed reports whether a subject's window reaches the rule's threshold.
func (w *window) crossed(s *subject) bool {
	switch w.rule.Kind {
	case model.KindFailedBurst:
		return len(s.hits)-s.start >= w.rule.Failures
	case model.KindSharedAddress:
		return s.people.len() >= w.rule.People
	}
	return false
}

// touch notes that a subject's incident is about to change, so flush
// looks at it (and at no other subject).
func (w *window) touch(key string, in *incident) {
	if !in.dirty {
		w.dirty = append(w.dirty, key)
	}
}

// flush returns a finding for every incident that changed since the
// last, by subject.
func (w *window) flush() []model.Alert {
	var out []model.Alert
	slices.Sort(w.dirty)
	for _, key := range slices.Compact(w.dirty) {
		s := w.subjects[key]
		if s == nil || s.inc == nil {
			continue
		}
		if f, ok := w.finding(key, s.inc); ok {
			out = append(out, f)
		}
	}
	w.dirty = w.dirty[:0]
	return out
}

// finding snapshots an incident as an alert; ok is false when nothing
// changed since the last snapshot.
func (w *window) finding(key string, in *incident) (model.Alert, bool) {
	if !in.dirty {
		return model.Alert{}, false
	}
	in.dirty = false
	r := w.rule
	a := model.Alert{Rule: r.Name, Kind: r.Kind, Severity: r.Severity, Key: r.Name + ":" + key, Subject: key,
		FirstSeen: in.from, LastSeen: in.to, Count: 1, Response: r.Response,
		Incident: &model.Incident{Range: key, Addresses: len(in.addrs), People: len(in.people), Failures: in.failures,
			From: in.from, To: in.to}}
	// The lists share the incident's arrays, capped: the incident only
	// appends past what the finding holds, and an append to the finding
	// copies. (Copying up to 1,500 items a flush was most of the rules'
	// bytes.)
	a.Evidence = in.events
	a.Evidence.Events = slices.Clip(in.events.Events)
	a.Evidence.People = slices.Clip(in.events.People)
	a.Evidence.Addresses = slices.Clip(in.events.Addresses)
	switch r.Kind {
	case model.KindFailedBurst:
		a.Title = "Burst of failed sign-ins from " + key
	case model.KindSharedAddress:
		a.Title = fmt.Sprintf("%s used by %d people", key, len(in.people))
	}
	return a, true
}

// Expire forgets window state no event can join any more: subjects
// whose newest hit is older than their window before the newest hit
// seen, unless an incident is open there (it closes on the next hit, or
// never matters again). It bounds memory; call it after each batch.
func (e *Evaluator) Expire() {
	for _, w := range e.windows {
		w.expire()
	}
}

func (w *window) expire() {
	w.cut = w.newest.Add(-w.rule.Within)
	if len(w.subjects) <= 2*w.swept+minSweep {
		return
	}
	for key, s := range w.subjects {
		if w.gone(s) {
			delete(w.subjects, key)
			if len(w.free) < maxFreeSubjects && cap(s.hits) <= 64 {
				s.reset()
				w.free = append(w.free, s)
			}
		}
	}
	w.swept = len(w.subjects)
}

// minSweep is how many subjects a window holds before Expire deletes the
// gone ones (a variable for tests).
var minSweep = 1024

// gone reports whether the last Expire forgot s, in effect: its newest
// hit is older than the window, and any incident there ended a window
// before that.
func (w *window) gone(s *subject) bool {
	return s.newest.Before(w.cut) && (s.inc == nil || s.inc.to.Before(w.cut.Add(-w.rule.Within)))
}

// reset makes s as new, keeping its room.
func (s *subject) reset() {
	clear(s.hits[:cap(s.hits)]) // let go of what the hits name
	s.people.reset()
	*s = subject{hits: s.hits[:0], people: s.people}
}

func scoreFinding(r Rule, ev *model.Event, name func(string) string) model.Alert {
	person := personKey(ev)
	subj := person
	if subj == "" {
		subj = ev.IP
	}
	a := model.Alert{Rule: r.Name, Kind: r.Kind, Severity: r.Severity, Key: r.Name + ":" + subj, Subject: subj,
		FirstSeen: ev.Time, LastSeen: ev.Time, Count: 1, Response: r.Response,
		Title: subj + " scored " + strconv.Itoa(ev.Score) + " in " + name(ev.Vendor)}
	if person == "" && a.Response.Kind != model.ResponseNone {
		a.Response = model.Response{Kind: model.ResponseNone} // no one to push or reset
	}
	a.Evidence.AddEvent(model.EventRef{Vendor: ev.Vendor, ID: ev.ID})
	if person != "" {
		a.Evidence.AddPerson(person)
	}
	if ev.IP != "" {
		a.Evidence.AddAddress(ev.IP)
	}
	return a
}

// SeedLevels sets each person's latest level per vendor (from the
// store's history, when the engine starts) without finding anything.
func (e *Evaluator) SeedLevels(levels map[string]map[string]model.Level) {
	for key, byVendor := range levels {
		e.levels[key] = maps.Clone(byVendor)
		for v := range byVendor {
			e.since[v] = time.Time{}
		}
	}
}

// Changes evaluates level changes, in the order given (the history's).
// A person's first reading in a vendor is a baseline on that vendor's
// first poll, and a rise from None on any later one.
func (e *Evaluator) Changes(chs []LevelChange) []model.Alert {
	var out []model.Alert
	for _, c := range chs {
		start, known := e.since[c.Vendor]
		if !known {
			start = c.At
			e.since[c.Vendor] = start
		}
		if c.First && c.At.After(start) {
			// New to a vendor that was polled before: a vendor that lists
			// only people at risk (Cloudflare) had them at none. Only the
			// vendor's first poll is a baseline, not a change.
			c.First, c.Previous = false, model.LevelNone
		}
		byVendor := e.levels[c.Key]
		if byVendor == nil {
			byVendor = map[string]model.Level{}
			e.levels[c.Key] = byVendor
		}
		before := maps.Clone(byVendor)
		byVendor[c.Vendor] = c.Level
		for _, r := range e.rules {
			switch r.Kind {
			case model.KindLevelRise:
				if !c.First && c.Level >= r.Level && c.Level > c.Previous {
					out = append(out, riseFinding(r, c, e.vendorName))
				}
			case model.KindMultiVendor:
				was, now := atLeast(before, r.Level), atLeast(byVendor, r.Level)
				if len(was) < r.Vendors && len(now) >= r.Vendors {
					out = append(out, multiFinding(r, c, now, e.vendorName))
				}
			}
		}
	}
	return Coalesce(out)
}

// atLeast lists the vendors at a level or above, by name.
func atLeast(byVendor map[string]model.Level, l model.Level) []string {
	var vs []string
	for v, x := range byVendor {
		if x >= l {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

func riseFinding(r Rule, c LevelChange, name func(string) string) model.Alert {
	a := model.Alert{Rule: r.Name, Kind: r.Kind, Severity: r.Severity, Key: r.Name + ":" + c.Key + ":" + c.Vendor,
		Subject: c.Key, FirstSeen: c.At, LastSeen: c.At, Count: 1, Response: r.Response,
		Title: fmt.Sprintf("%s rose from %s to %s in %s", c.Key, c.Previous.Label(), c.Level.Label(), name(c.Vendor))}
	a.Evidence.AddPerson(c.Key)
	return a
}

func multiFinding(r Rule, c LevelChange, vendors []string, name func(string) string) model.Alert {
	names := make([]string, len(vendors))
	for i, v := range vendors {
		names[i] = name(v)
	}
	a := model.Alert{Rule: r.Name, Kind: r.Kind, Severity: r.Severity, Key: r.Name + ":" + c.Key,
		Subject: c.Key, FirstSeen: c.At, LastSeen: c.At, Count: 1, Response: r.Response,
		Title: fmt.Sprintf("%s is %s or above in %s", c.Key, r.Level.Label(), strings.Join(names, " and "))}
	a.Evidence.AddPerson(c.Key)
	return a
}
