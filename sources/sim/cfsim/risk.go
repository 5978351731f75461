package cfsim

import (
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// event is one behavior detection for a user.
type event struct {
	id      string
	key     string // behavior key
	name    string // behavior name at detection
	level   string // behavior level at detection
	at      time.Time
	details map[string]any // clean; the hostile knob is applied on the way out
}

// userState is a user's risk since their last reset.
type userState struct {
	person    int
	events    []event // oldest first, the newest MaxEventsPerUser
	count     int     // every event since the reset, kept or not
	maxRank   int
	last      time.Time
	lastReset *time.Time
}

func rank(level string) int {
	switch level {
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	}
	return 0
}

var levelNames = [...]string{"", "low", "medium", "high"}

// sync turns World activity up to now into events, each judged by the
// behavior configuration at the activity's time. s.mu is held.
func (s *Server) sync() {
	acts := s.World().After(s.cursor, 0)
	people := s.World().People()
	for _, a := range acts {
		s.cursor = a.Seq
		if a.Signal == simkit.SignalNone {
			continue
		}
		b := s.forSignal(a.Signal)
		if b == nil {
			continue
		}
		set := b.at(a.Time)
		if !set.enabled {
			continue
		}
		u := s.users[s.userIDs[a.Person]]
		if u == nil || (u.lastReset != nil && a.Time.Before(*u.lastReset)) {
			continue
		}
		e := event{
			id:      eventID(s.World().Seed(), a.Seq),
			key:     b.spec.key,
			name:    b.spec.name,
			level:   set.level,
			at:      a.Time,
			details: details(a, people[a.Person]),
		}
		u.events = append(u.events, e)
		if len(u.events) > s.opts.MaxEventsPerUser {
			u.events = append(u.events[:0:0], u.events[len(u.events)-s.opts.MaxEventsPerUser:]...)
		}
		u.count++
		u.maxRank = max(u.maxRank, rank(set.level))
		if a.Time.After(u.last) {
			u.last = a.Time
		}
	}
}

// eventID is a UUIDv4 derived from the activity, so runs repeat.
func eventID(seed uint64, seq int64) string {
	return simkit.UUID4(rand.New(rand.NewPCG(seed^0xe7e47, uint64(seq))))
}

var places = []struct{ country, city string }{
	{"PT", "Lisbon"}, {"JP", "Tōkyō"}, {"BR", "São Paulo"}, {"DE", "München"}, {"US", "Austin"},
	{"ZA", "Johannesburg"}, {"NZ", "Auckland"}, {"IS", "Reykjavík"},
}

// details builds event_details. Its shape is free-form and undocumented;
// these keys are INVENTED to look like the logs each behavior comes from,
// with a nested object and a list so clients must flatten.
func details(a simkit.Activity, p simkit.Person) map[string]any {
	switch a.Signal {
	case simkit.SignalTravel:
		// Two different places: that is what makes the travel impossible.
		from := int(uint(p.Index) % uint(len(places)))
		to := (from + 1 + int(uint64(a.Seq)%uint64(len(places)-1))) % len(places)
		place := func(i int) map[string]any {
			return map[string]any{"country": places[i].country, "city": places[i].city}
		}
		return map[string]any{
			"source":              "Access authentication logs",
			"ip_address":          a.IP.String(),
			"previous_ip_address": p.Home.String(),
			"device_id":           a.Device,
			"location":            place(to),
			"previous_location":   place(from),
		}
	case simkit.SignalDLP:
		return map[string]any{
			"source":             "Gateway activity logs",
			"application":        a.App,
			"dlp_profiles":       []any{"Financial Information", "Credentials and Secrets"},
			"matches_per_minute": 15 + int(a.Seq%20),
			"ip_address":         a.IP.String(),
		}
	case simkit.SignalMalware:
		return map[string]any{
			"source":      "Gateway anti-virus",
			"application": a.App,
			"file_name":   "invoice-" + strconv.FormatInt(a.Seq%1000, 10) + ".pdf.exe",
			"blocked":     a.Seq%2 == 0,
		}
	case simkit.SignalDomain:
		return map[string]any{
			"source":     "Gateway DNS logs",
			"domain":     "login-update-" + strconv.FormatInt(a.Seq%97, 10) + ".example",
			"categories": []any{"Security Risks", "Phishing"},
			"blocked":    true,
		}
	}
	return nil
}

// hostile applies the hostile knob to every string in event_details.
func (s *Server) hostile(v any) any {
	switch t := v.(type) {
	case string:
		return s.Faults().Text(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = s.hostile(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = s.hostile(x)
		}
		return out
	}
	return v
}

type summaryUserJSON struct {
	UserID       string `json:"user_id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	EventCount   int    `json:"event_count"`
	LastEvent    string `json:"last_event"`
	MaxRiskLevel string `json:"max_risk_level"`
}

// summaryRows is every user with events since their reset: highest level
// first, then the most recent. s.mu is held.
func (s *Server) summaryRows() []*userState {
	var rows []*userState
	for _, u := range s.users {
		if u.count > 0 {
			rows = append(rows, u)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.maxRank != b.maxRank {
			return a.maxRank > b.maxRank
		}
		if !a.last.Equal(b.last) {
			return a.last.After(b.last)
		}
		return a.person < b.person
	})
	return rows
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) {
	page, perPage := 1, 0
	if s.opts.SummaryPageSize > 0 {
		perPage = s.opts.SummaryPageSize
		var ok bool
		if page, ok = queryInt(r, "page", 1); !ok {
			s.fail(w, http.StatusBadRequest, codeValidation, "page must be a positive integer")
			return
		}
		if perPage, ok = queryInt(r, "per_page", perPage); !ok {
			s.fail(w, http.StatusBadRequest, codeValidation, "per_page must be a positive integer")
			return
		}
		perPage = min(perPage, 1000)
		if s.opts.SummaryIgnoresPage {
			page = 1
		}
	}
	people := s.World().People()
	s.mu.Lock()
	s.sync()
	rows := s.summaryRows()
	total := len(rows)
	if perPage > 0 {
		from := min((page-1)*perPage, total)
		rows = rows[from:min(from+perPage, total)]
	} else {
		perPage = total
	}
	users := make([]summaryUserJSON, 0, len(rows))
	for _, u := range rows {
		p := people[u.person]
		users = append(users, summaryUserJSON{
			UserID:       p.CloudflareID,
			Email:        p.Email,
			Name:         s.Faults().Text(p.Name()),
			EventCount:   u.count,
			LastEvent:    timeText(u.last),
			MaxRiskLevel: levelNames[u.maxRank],
		})
	}
	s.mu.Unlock()
	s.ok(w, map[string]any{"users": users}, &resultInfo{Count: len(users), Page: page, PerPage: perPage, TotalCount: total})
}

func queryInt(r *http.Request, name string, def int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n > 0
}

type eventJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	RiskLevel    string `json:"risk_level"`
	Timestamp    string `json:"timestamp"`
	EventDetails any    `json:"event_details,omitempty"`
}

type userJSON struct {
	Email         string      `json:"email"`
	Name          string      `json:"name"`
	RiskLevel     string      `json:"risk_level,omitempty"`
	LastResetTime *string     `json:"last_reset_time"`
	Events        []eventJSON `json:"events"`
}

func (s *Server) handleUser(w http.ResponseWriter, id string) {
	people := s.World().People()
	s.mu.Lock()
	s.sync()
	u := s.users[id]
	if u == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, codeNotFound, "User not found")
		return
	}
	p := people[u.person]
	out := userJSON{Email: p.Email, Name: s.Faults().Text(p.Name()), RiskLevel: levelNames[u.maxRank], Events: []eventJSON{}}
	if u.lastReset != nil {
		t := timeText(*u.lastReset)
		out.LastResetTime = &t
	}
	for i := len(u.events) - 1; i >= 0; i-- { // newest first
		e := u.events[i]
		out.Events = append(out.Events, eventJSON{
			ID:           e.id,
			Name:         s.Faults().Text(e.name),
			RiskLevel:    e.level,
			Timestamp:    timeText(e.at),
			EventDetails: s.hostile(e.details),
		})
	}
	s.mu.Unlock()
	n := len(out.Events)
	s.ok(w, out, &resultInfo{Count: n, Page: 1, PerPage: n, TotalCount: n})
}

// Reset is one reset the simulator performed.
type Reset struct {
	UserID string
	At     time.Time
	Events int // events it cleared
}

func (s *Server) handleReset(w http.ResponseWriter, id string) {
	s.mu.Lock()
	s.sync()
	u := s.users[id]
	if u == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, codeNotFound, "User not found")
		return
	}
	now := s.Clock().Now()
	s.resets = append(s.resets, Reset{UserID: id, At: now, Events: u.count})
	*u = userState{person: u.person, lastReset: &now}
	s.mu.Unlock()
	s.ok(w, nil, nil)
}
