package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendors"
)

const getSynopsis = `
Print what the pollers stored, for scripts and runbooks: a table by
default, --json (an array of objects) or --csv (a header row, then one row
each). Nothing is fetched from the vendors: run the dashboard (risktop) to
keep the store filled.

  scores   OneLogin score insights: users per risk bucket for each window
           (the latest reading; with --since, every reading since then)
  events   risk events, newest first (--since 24h, --user, --ip, --min-score,
           --type, --limit)
  users    each vendor's current view of each person, riskiest first
           (--user, --min-score, --since on the last event, --limit)
  alerts   what the detection rules found, newest first (--state open,
           acknowledged, resolved or all; --since on the last evidence,
           --limit); back-filled ones (old history) are marked

Exit status: 0 (also when nothing matches), 1 on failure, 2 on bad
arguments or config.`

type getOptions struct {
	config   string
	json     bool
	csv      bool
	since    string
	user     string
	ip       string
	minScore int
	types    string
	limit    int
	state    string
}

func runGet(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("get scores|events|users|alerts [flags]", getSynopsis, out, errOut)
	var o getOptions
	fs.StringVar(&o.config, "config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	fs.BoolVar(&o.json, "json", false, "print a JSON array")
	fs.BoolVar(&o.csv, "csv", false, "print CSV with a header row")
	fs.StringVar(&o.since, "since", "", "only what happened within this long, like 1h, 24h or 7d, or all (events: default 24h)")
	fs.StringVar(&o.user, "user", "", "one person: an email, a vendor user id or an exact name")
	fs.StringVar(&o.ip, "ip", "", "events from an address or a CIDR prefix, like 203.0.113.0/24")
	fs.IntVar(&o.minScore, "min-score", 0, "only risk scores of at least this (0-100)")
	fs.StringVar(&o.types, "type", "", "events of these types only (OneLogin event type ids, comma-separated)")
	fs.IntVar(&o.limit, "limit", 100, "at most this many rows; 0 for all")
	fs.StringVar(&o.state, "state", "", "alerts in this state: open, acknowledged, resolved or all (default all)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "name one of scores, events, users or alerts")
	}
	what := pos[0]
	q, err := o.query(fs, what)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(o.config, errOut)
	if err != nil {
		return err
	}
	st, err := openExistingStore(cfg)
	if errors.Is(err, errNoStore) {
		return emptyStore(out, errOut, o, cfg, what)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	q.now = time.Now()
	var t table
	switch what {
	case "scores":
		t, err = getScores(ctx, st, q)
	case "events":
		t, err = getEvents(ctx, st, q)
	case "users":
		t, err = getUsers(ctx, st, q)
	case "alerts":
		t, err = getAlerts(ctx, st, q)
	}
	if err != nil {
		return err
	}
	if len(t.rows) == 0 {
		stored, err := storeHasData(ctx, st, what)
		if err != nil {
			return err
		}
		if !stored {
			return emptyStore(out, errOut, o, cfg, what)
		}
		fmt.Fprintf(errOut, "risktop: no %s match\n", what)
	}
	return t.print(out, o)
}

// getQuery is a get's filter, checked.
type getQuery struct {
	since    time.Duration // 0: no bound (events: 24h)
	user     string
	ip       string
	minScore int
	types    []int
	limit    int
	states   []model.AlertState // alerts; none: every state
	now      time.Time
}

// query checks the flags for what is asked; errors are usage errors.
func (o getOptions) query(fs *cmdFlags, what string) (getQuery, error) {
	q := getQuery{user: strings.TrimSpace(o.user), ip: strings.TrimSpace(o.ip), minScore: o.minScore, limit: o.limit}
	switch what {
	case "scores", "events", "users", "alerts":
	default:
		return q, usageError(fs, "unknown %q: name one of scores, events, users or alerts", what)
	}
	if o.state != "" {
		if what != "alerts" {
			return q, usageError(fs, "--state applies to alerts only")
		}
		if !strings.EqualFold(o.state, "all") {
			st, ok := model.ParseAlertState(o.state)
			if !ok {
				return q, usageError(fs, "--state %q: give open, acknowledged, resolved or all", o.state)
			}
			q.states = []model.AlertState{st}
		}
	}
	if o.json && o.csv {
		return q, usageError(fs, "--json and --csv: choose one")
	}
	if o.limit < 0 {
		return q, usageError(fs, "--limit %d: give 0 (all) or more", o.limit)
	}
	if o.minScore < 0 || o.minScore > 100 {
		return q, usageError(fs, "--min-score %d: scores run from 0 to 100", o.minScore)
	}
	if strings.EqualFold(o.since, "all") {
		// The whole store, as the dashboard's since:all.
	} else if o.since != "" {
		d, err := config.ParseDuration(o.since)
		if err != nil || d <= 0 {
			return q, usageError(fs, "--since %q: give a positive duration like 1h, 24h or 7d, or all", o.since)
		}
		q.since = d
	} else if what == "events" {
		q.since = 24 * time.Hour
	}
	if q.ip != "" {
		if _, err := netip.ParsePrefix(q.ip); err != nil {
			if _, err := netip.ParseAddr(q.ip); err != nil {
				return q, usageError(fs, "--ip %q: give an address or a CIDR prefix like 203.0.113.0/24", o.ip)
			}
		}
	}
	for _, f := range strings.Split(o.types, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return q, usageError(fs, "--type %q: give event type ids like 5 or 5,6", o.types)
		}
		q.types = append(q.types, n)
	}
	// Filters that mean nothing for what is asked are refused rather than
	// silently ignored.
	notFor := map[string][]struct {
		flag string
		set  bool
	}{
		"scores": {{"--user", q.user != ""}, {"--ip", q.ip != ""}, {"--min-score", q.minScore != 0}, {"--type", len(q.types) > 0}},
		"users":  {{"--ip", q.ip != ""}, {"--type", len(q.types) > 0}},
		"alerts": {{"--user", q.user != ""}, {"--ip", q.ip != ""}, {"--min-score", q.minScore != 0}, {"--type", len(q.types) > 0}},
	}
	for _, f := range notFor[what] {
		if f.set {
			return q, usageError(fs, "%s does not apply to %s", f.flag, what)
		}
	}
	return q, nil
}

// table is what a get prints: every field under its key for JSON and
// CSV, and fewer, shorter columns for people.
type table struct {
	keys     []string // JSON and CSV
	headings []string // the text table
	rows     []row
}

type row struct {
	cells []cell   // one per key
	view  []string // one per heading
}

type cell struct {
	text string // CSV
	json any    // JSON; nil prints null
}

func textCell(s string) cell { s = sanitize.Line(s); return cell{s, s} }

func intCell(n int) cell { return cell{strconv.Itoa(n), n} }

// scoreCell leaves out a missing score.
func scoreCell(n int) cell {
	if n == model.NoScore {
		return cell{"", nil}
	}
	return intCell(n)
}

func timeCell(t time.Time) cell {
	if t.IsZero() {
		return cell{"", nil}
	}
	return cell{t.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339Nano)}
}

func (t table) print(out io.Writer, o getOptions) error {
	switch {
	case o.json:
		return t.printJSON(out)
	case o.csv:
		w := csv.NewWriter(out)
		if err := w.Write(t.keys); err != nil {
			return err
		}
		for _, r := range t.rows {
			rec := make([]string, len(r.cells))
			for i, c := range r.cells {
				rec[i] = csvSafe(c.text)
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	if len(t.rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.headings, "\t"))
	for _, r := range t.rows {
		cells := make([]string, len(r.view))
		for i, c := range r.view {
			cells[i] = c
			if c == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printJSON writes an array with one object a line, keys in column order:
// easy to read and to diff.
func (t table) printJSON(out io.Writer) error {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range t.rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n{")
		for j, k := range t.keys {
			if j > 0 {
				b.WriteString(",")
			}
			kb, err := json.Marshal(k)
			if err != nil {
				return err
			}
			vb, err := json.Marshal(r.cells[j].json)
			if err != nil {
				return err
			}
			b.Write(kb)
			b.WriteString(":")
			b.Write(vb)
		}
		b.WriteString("}")
	}
	if len(t.rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(out, b.String())
	return err
}

// csvSafe keeps a spreadsheet from running a vendor-supplied value as a
// formula (a name like "=HYPERLINK(…)"); numbers and addresses pass.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// emptyStore says the store holds nothing yet and how to fill it. The
// machine formats still print an empty result.
func emptyStore(out, errOut io.Writer, o getOptions, cfg *config.Config, what string) error {
	fmt.Fprintf(errOut, "risktop: no %s stored yet in %s: the pollers fill the store while the dashboard runs "+
		"(run risktop, or risktop sync for one pass without a dashboard; risktop check tests the sources)\n", what, cfg.StoreName())
	var t table
	switch what {
	case "scores":
		t = scoresTable(nil)
	case "events":
		t = eventsTable(nil)
	case "users":
		t = usersTable(nil)
	case "alerts":
		t = alertsTable(nil)
	}
	return t.print(out, o)
}

// storeHasData reports whether anything of the kind was ever stored.
func storeHasData(ctx context.Context, st store.Store, what string) (bool, error) {
	switch what {
	case "scores":
		for _, w := range model.ScoreWindows {
			if _, err := st.LatestScores(ctx, w); err == nil {
				return true, nil
			} else if !errors.Is(err, store.ErrNotFound) {
				return false, err
			}
		}
		return false, nil
	case "events", "alerts":
		// No alert with events stored is an answer, not an empty store.
		page, err := st.Events(ctx, store.EventQuery{Limit: 1})
		return len(page.Events) > 0, err
	}
	views, err := st.UserRisks(ctx, "")
	return len(views) > 0, err
}

func getScores(ctx context.Context, st store.Store, q getQuery) (table, error) {
	var all []model.Scores
	for _, w := range model.ScoreWindows {
		if q.since > 0 {
			h, err := st.ScoresHistory(ctx, w, q.now.Add(-q.since))
			if err != nil {
				return table{}, err
			}
			all = append(all, h...)
			continue
		}
		s, err := st.LatestScores(ctx, w)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return table{}, err
		}
		all = append(all, s)
	}
	if q.limit > 0 && len(all) > q.limit {
		all = all[:q.limit]
	}
	return scoresTable(all), nil
}

func scoresTable(all []model.Scores) table {
	t := table{keys: []string{"window"}, headings: []string{"WINDOW"}}
	for _, b := range model.Buckets {
		t.keys = append(t.keys, b.String())
		t.headings = append(t.headings, strings.ToUpper(b.Label()))
	}
	t.keys = append(t.keys, "total", "from", "to", "fetched")
	t.headings = append(t.headings, "TOTAL", "FETCHED")
	for _, s := range all {
		r := row{cells: []cell{textCell(config.FormatDuration(s.Window))}, view: []string{config.FormatDuration(s.Window)}}
		for i := range model.Buckets {
			r.cells = append(r.cells, intCell(s.Counts[i]))
			r.view = append(r.view, strconv.Itoa(s.Counts[i]))
		}
		r.cells = append(r.cells, intCell(s.Total), timeCell(s.From), timeCell(s.To), timeCell(s.At))
		r.view = append(r.view, strconv.Itoa(s.Total), localTime(s.At))
		t.rows = append(t.rows, r)
	}
	return t
}

// tableZone is the text table's time zone: the operator's; tests pin it.
var tableZone = func() *time.Location { return time.Local }

// localTime is a time for the text table, in the operator's zone.
func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(tableZone()).Format("2006-01-02 15:04:05")
}

// eventPage is the most a get reads at once (the store's page cap).
const eventPage = 500

func getEvents(ctx context.Context, st store.Store, q getQuery) (table, error) {
	f := store.EventFilter{User: q.user, IP: q.ip, MinScore: q.minScore, Types: q.types}
	if q.since > 0 {
		f.From = q.now.Add(-q.since)
	}
	var events []model.Event
	query := store.EventQuery{EventFilter: f, Sort: store.ByTime}
	for {
		query.Limit = eventPage
		if q.limit > 0 {
			query.Limit = min(eventPage, q.limit-len(events))
		}
		page, err := st.Events(ctx, query)
		if err != nil {
			return table{}, err
		}
		events = append(events, page.Events...)
		if !page.HasNext || len(page.Events) == 0 || (q.limit > 0 && len(events) >= q.limit) {
			break
		}
		query.After = page.LastKey
	}
	return eventsTable(events), nil
}

func eventsTable(events []model.Event) table {
	t := table{
		keys:     []string{"time", "vendor", "id", "type", "type_name", "user_id", "user_name", "email", "ip", "risk", "score", "level", "app", "reasons"},
		headings: []string{"TIME", "VENDOR", "USER", "IP", "RISK", "TYPE", "APP"},
	}
	for _, e := range events {
		// risk in the dashboard's words; score and level apart for scripts.
		risk := e.Level.Describe(vendorDisplay(e.Vendor), e.Score)
		r := row{cells: []cell{timeCell(e.Time), textCell(e.Vendor), textCell(e.ID), intCell(e.Type), textCell(e.TypeName),
			textCell(e.UserID), textCell(e.UserName), textCell(e.UserKey), textCell(e.IP), textCell(risk), scoreCell(e.Score),
			textCell(e.Level.String()), textCell(e.App), textCell(strings.ReplaceAll(strings.TrimSpace(e.Reasons), "\n", "; "))}}
		user := e.UserKey
		if user == "" {
			user = e.UserName
		}
		if user == "" {
			user = e.UserID
		}
		r.view = []string{localTime(e.Time), e.Vendor, user, e.IP, risk, e.TypeName, e.App}
		for i := range r.view {
			r.view[i] = sanitize.LineN(r.view[i], maxColumn)
		}
		t.rows = append(t.rows, r)
	}
	return t
}

// vendorDisplay is a vendor's name for people (the registry's), as the
// dashboard writes it beside a score.
func vendorDisplay(name string) string {
	for _, v := range vendors.Infos() {
		if v.Name == name {
			return v.Display
		}
	}
	return name
}

// maxColumn keeps one long value from widening a whole text table.
const maxColumn = 48

func getUsers(ctx context.Context, st store.Store, q getQuery) (table, error) {
	views, err := st.UserRisks(ctx, "")
	if err != nil {
		return table{}, err
	}
	var kept []model.UserRisk
	want := strings.ToLower(q.user)
	for _, u := range views {
		if want != "" && strings.ToLower(u.Email) != want && model.NormalizeEmail(u.Email) != model.NormalizeEmail(q.user) &&
			strings.ToLower(u.UserID) != want && strings.ToLower(u.Name) != want {
			continue
		}
		if q.minScore > 0 && u.Score < q.minScore {
			continue
		}
		if q.since > 0 && u.LastSeen.Before(q.now.Add(-q.since)) {
			continue
		}
		kept = append(kept, u)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if a.Level != b.Level {
			return a.Level > b.Level
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Email != b.Email {
			return strings.ToLower(a.Email) < strings.ToLower(b.Email)
		}
		return a.Vendor < b.Vendor
	})
	if q.limit > 0 && len(kept) > q.limit {
		kept = kept[:q.limit]
	}
	return usersTable(kept), nil
}

func usersTable(views []model.UserRisk) table {
	t := table{
		keys:     []string{"risk", "level", "score", "events", "vendor", "email", "name", "last_seen", "user_id", "raw_level", "context"},
		headings: []string{"RISK", "EVENTS", "VENDOR", "EMAIL", "NAME", "LAST SEEN", "USER ID"},
	}
	for _, u := range views {
		// risk in the dashboard's words; level, score and the vendor's
		// own word apart for scripts.
		risk := u.Level.DescribeWord(vendorDisplay(u.Vendor), u.RawLevel)
		if u.Score >= 0 {
			risk = u.Level.Describe(vendorDisplay(u.Vendor), u.Score)
		}
		r := row{cells: []cell{textCell(risk), textCell(u.Level.String()), scoreCell(u.Score), intCell(u.Events), textCell(u.Vendor),
			textCell(u.Email), textCell(u.Name), timeCell(u.LastSeen), textCell(u.UserID), textCell(u.RawLevel), textCell(u.Context)}}
		r.view = []string{risk, strconv.Itoa(u.Events), u.Vendor, u.Email, u.Name, localTime(u.LastSeen), u.UserID}
		for i := range r.view {
			r.view[i] = sanitize.LineN(r.view[i], maxColumn)
		}
		t.rows = append(t.rows, r)
	}
	return t
}

func getAlerts(ctx context.Context, st store.Store, q getQuery) (table, error) {
	var kept []model.Alert
	aq := store.AlertQuery{States: q.states, Limit: eventPage}
	for {
		page, err := st.Alerts(ctx, aq)
		if err != nil {
			return table{}, err
		}
		for _, a := range page {
			if q.since > 0 && a.LastSeen.Before(q.now.Add(-q.since)) {
				continue
			}
			kept = append(kept, a)
		}
		if len(page) < aq.Limit || (q.limit > 0 && len(kept) >= q.limit) {
			break
		}
		aq.BeforeID = page[len(page)-1].ID
	}
	if q.limit > 0 && len(kept) > q.limit {
		kept = kept[:q.limit]
	}
	return alertsTable(kept), nil
}

func alertsTable(alerts []model.Alert) table {
	t := table{
		keys: []string{"id", "state", "severity", "rule", "kind", "title", "subject", "first_seen", "last_seen", "count",
			"incident", "response", "backfilled", "events_total", "people_total", "addresses_total", "events", "people",
			"addresses", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at", "seq"},
		headings: []string{"ID", "STATE", "SEVERITY", "LAST SEEN", "COUNT", "TITLE", "INCIDENT", "RESPONSE"},
	}
	list := func(xs []string) cell {
		clean := make([]string, len(xs))
		for i, x := range xs {
			clean[i] = sanitize.Line(x)
		}
		return cell{strings.Join(clean, " "), clean}
	}
	for _, a := range alerts {
		incident := ""
		if a.Incident != nil {
			incident = a.Incident.Summary()
		}
		refs := make([]string, len(a.Evidence.Events))
		for i, r := range a.Evidence.Events {
			refs[i] = r.Vendor + "/" + r.ID
		}
		r := row{cells: []cell{cell{strconv.FormatInt(a.ID, 10), a.ID}, textCell(string(a.State)), textCell(a.Severity.String()),
			textCell(a.Rule), textCell(string(a.Kind)), textCell(a.Title), textCell(a.Subject), timeCell(a.FirstSeen),
			timeCell(a.LastSeen), intCell(a.Count), textCell(incident), textCell(a.Response.String()),
			cell{strconv.FormatBool(a.Backfilled), a.Backfilled}, intCell(a.Evidence.EventsTotal),
			intCell(a.Evidence.PeopleTotal), intCell(a.Evidence.AddressesTotal), list(refs), list(a.Evidence.People),
			list(a.Evidence.Addresses), textCell(a.AckedBy), timeCell(a.AckedAt), textCell(a.ResolvedBy),
			timeCell(a.ResolvedAt), cell{strconv.FormatInt(a.Seq, 10), a.Seq}}}
		state := string(a.State)
		if a.Backfilled {
			state += " (back-filled)"
		}
		r.view = []string{strconv.FormatInt(a.ID, 10), state, a.Severity.Label(), localTime(a.LastSeen), strconv.Itoa(a.Count),
			a.Title, incident, a.Response.Label()}
		for i := range r.view {
			r.view[i] = sanitize.LineN(r.view[i], maxColumn*2)
		}
		t.rows = append(t.rows, r)
	}
	return t
}
