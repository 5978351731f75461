package ui

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// Export: e writes the current screen's table as CSV, E as JSON, into
// Deps.ExportDir (created 0700; each file 0600, never overwriting one).
// Events export every row the filter matches, in the screen's order, read
// a page at a time in a command, up to maxExportEvents. Every file write
// happens in a command.

type exportFormat int

const (
	csvFormat exportFormat = iota
	jsonFormat
)

func (f exportFormat) ext() string {
	if f == jsonFormat {
		return "json"
	}
	return "csv"
}

// maxExportEvents caps an events export.
const maxExportEvents = 100_000

// exportPage is how many events one read of an export takes.
const exportPage = store.MaxPageSize

// exportData is a table to export: field names, and rows of values
// (string, int, int64, bool, nil, or map[string]string).
type exportData struct {
	fields []string
	rows   [][]any
}

// exportMeta says what a file holds; JSON files carry it.
type exportMeta struct {
	screen string
	filter string
	sort   string
	at     time.Time
}

// exportDone is the result of an export.
type exportDone struct {
	what   string // what count counted: "event" (plural adds the s), "person"
	path   string
	count  int
	capped bool
	err    error
}

func (a *App) onExported(m exportDone) tea.Cmd {
	if m.err != nil {
		return a.sayErr("export failed: " + m.err.Error())
	}
	n := plural(m.count, m.what)
	if m.what == "person" && m.count != 1 {
		n = thousands(m.count) + " people"
	}
	if m.capped {
		return a.say(fmt.Sprintf("exported the first %s (the cap; the filter matches more, narrow it for the rest) to %s", n, m.path))
	}
	return a.say(fmt.Sprintf("exported %s to %s", n, m.path))
}

// exportTable writes an in-memory table (a list screen's rows, as shown).
func (a *App) exportTable(screen string, d exportData, format exportFormat) tea.Cmd {
	meta := exportMeta{screen: screen, at: a.deps.Now()}
	what := map[string]string{"users": "person", "behaviors": "behavior", "integrations": "integration",
		"outbox": "push", "audit": "audit entry"}[screen]
	if u, ok := a.screens[tabUsers].(*usersScreen); ok && screen == "users" {
		meta.filter, meta.sort = u.text, "by "+userSorts[u.sortBy]
	}
	dir := a.deps.ExportDir
	return func() tea.Msg {
		path, n, _, err := writeExport(dir, meta, format, d.fields, func(emit func([]any) error) (bool, error) {
			for _, r := range d.rows {
				if err := emit(r); err != nil {
					return false, err
				}
			}
			return false, nil
		})
		return exportDone{what: what, path: path, count: n, err: err}
	}
}

// eventFields are an events export's columns.
var eventFields = []string{"time", "vendor", "id", "type", "type_name", "user", "email", "user_id", "ip",
	"score", "level", "app", "reasons", "fields"}

func eventRecord(e model.Event) []any {
	var score any
	if e.Score >= 0 {
		score = e.Score
	}
	var fields any
	if len(e.Fields) > 0 {
		fields = e.Fields
	}
	return []any{timeCell(e.Time), e.Vendor, e.ID, e.Type, e.TypeName, e.UserName, e.UserKey, e.UserID, e.IP,
		score, e.Level.Label(), e.App, e.Reasons, fields}
}

// exportEvents writes every event matching f in the given order, read a
// page at a time, up to the cap.
func (a *App) exportEvents(f store.EventFilter, by store.Sort, describe string, format exportFormat) tea.Cmd {
	st := a.deps.Store
	if st == nil {
		return a.sayErr("no store to export from")
	}
	sortName := "newest first"
	if by == store.ByScore {
		sortName = "riskiest first"
	}
	meta := exportMeta{screen: "events", filter: describe, sort: sortName, at: a.deps.Now()}
	dir, ctx, limit := a.deps.ExportDir, a.ctx, a.exportCap
	return tea.Batch(a.say("exporting the events…"), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		path, n, capped, err := writeExport(dir, meta, format, eventFields, func(emit func([]any) error) (bool, error) {
			q := store.EventQuery{EventFilter: f, Sort: by}
			n := 0
			for {
				q.Limit = min(exportPage, limit-n)
				page, err := st.Events(ctx, q)
				if err != nil {
					return false, fmt.Errorf("reading the events: %w", err)
				}
				for _, e := range page.Events {
					if err := emit(eventRecord(e)); err != nil {
						return false, err
					}
				}
				n += len(page.Events)
				if !page.HasNext || page.LastKey == nil {
					return false, nil
				}
				if n >= limit {
					return true, nil
				}
				q.After = page.LastKey
			}
		})
		return exportDone{what: "event", path: path, count: n, capped: capped, err: err}
	})
}

// writeExport creates the file and writes the rows rows emits; on error it
// removes what it wrote. It returns the file's absolute path, the rows
// written, and whether rows reported a cap.
func writeExport(dir string, meta exportMeta, format exportFormat, fields []string,
	rows func(emit func([]any) error) (capped bool, err error)) (string, int, bool, error) {
	dir, err := resolveExportDir(dir, os.Getenv, os.UserHomeDir)
	if err != nil {
		return "", 0, false, err
	}
	file, path, err := createExport(dir, meta.screen, meta.at, format.ext())
	if err != nil {
		return "", 0, false, err
	}
	bw := bufio.NewWriterSize(file, 64<<10)
	var w tableWriter
	if format == jsonFormat {
		w = &jsonTable{w: bw, meta: meta, fields: fields}
	} else {
		w = &csvTable{w: csv.NewWriter(bw)}
	}
	n := 0
	fail := func(err error) (string, int, bool, error) {
		file.Close()
		os.Remove(path)
		return "", 0, false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.begin(fields); err != nil {
		return fail(err)
	}
	capped, err := rows(func(r []any) error {
		n++
		return w.row(r)
	})
	if err != nil {
		file.Close()
		os.Remove(path)
		return "", 0, false, err
	}
	if err := w.end(n, capped); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := file.Close(); err != nil {
		os.Remove(path)
		return "", 0, false, fmt.Errorf("writing %s: %w", path, err)
	}
	return path, n, capped, nil
}

// resolveExportDir is the configured directory, else
// $XDG_STATE_HOME/risktop/exports, else ~/.local/state/risktop/exports.
func resolveExportDir(dir string, getenv func(string) string, home func() (string, error)) (string, error) {
	if dir == "" {
		if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
			dir = filepath.Join(x, "risktop", "exports")
		} else {
			h, err := home()
			if err != nil {
				return "", fmt.Errorf("no export directory: set one in the config (no home directory: %v)", err)
			}
			dir = filepath.Join(h, ".local", "state", "risktop", "exports")
		}
	} else if rest, ok := strings.CutPrefix(dir, "~/"); ok {
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("export directory %s: no home directory: %v", dir, err)
		}
		dir = filepath.Join(h, rest)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("export directory %s: %w", dir, err)
	}
	return abs, nil
}

// createExport makes dir (0700) and a new file in it (0600) named
// risktop-<screen>-<UTC yyyymmdd-hhmmss>.<ext>, with -2, -3… when that
// name is taken: an export never overwrites a file.
func createExport(dir, screen string, at time.Time, ext string) (*os.File, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("creating the export directory: %w", err)
	}
	base := "risktop-" + screen + "-" + at.UTC().Format("20060102-150405")
	for i := 1; i <= 100; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		path := filepath.Join(dir, name+"."+ext)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("creating the export file: %w", err)
		}
		return f, path, nil
	}
	return nil, "", fmt.Errorf("creating the export file: %s.%s and 99 more names are taken in %s", base, ext, dir)
}

// tableWriter writes a table in one format.
type tableWriter interface {
	begin(fields []string) error
	row(vals []any) error
	end(count int, capped bool) error
}

type csvTable struct{ w *csv.Writer }

func (c *csvTable) begin(fields []string) error { return c.w.Write(fields) }

func (c *csvTable) row(vals []any) error {
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = csvCell(v)
	}
	return c.w.Write(rec)
}

func (c *csvTable) end(int, bool) error {
	c.w.Flush()
	return c.w.Error()
}

// csvCell is a value as CSV text. Text a spreadsheet would read as a
// formula (starting with = + - @, or a tab or CR) gets a leading ' so it
// stays text: vendor data is attacker-influenced.
func csvCell(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		s = v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case map[string]string:
		b, _ := json.Marshal(v) // sorted keys
		s = string(b)
	default:
		s = fmt.Sprint(v)
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type jsonTable struct {
	w      io.Writer
	meta   exportMeta
	fields []string
	n      int
}

func (j *jsonTable) begin(fields []string) error {
	var b strings.Builder
	b.WriteString("{\n")
	for _, kv := range [][2]string{{"screen", j.meta.screen}, {"filter", j.meta.filter}, {"sort", j.meta.sort},
		{"exported_at", j.meta.at.UTC().Format(time.RFC3339)}} {
		v, _ := json.Marshal(kv[1])
		fmt.Fprintf(&b, "  %q: %s,\n", kv[0], v)
	}
	f, _ := json.Marshal(fields)
	fmt.Fprintf(&b, "  \"fields\": %s,\n  \"rows\": [", f)
	_, err := io.WriteString(j.w, b.String())
	return err
}

func (j *jsonTable) row(vals []any) error {
	var b strings.Builder
	if j.n > 0 {
		b.WriteString(",")
	}
	j.n++
	b.WriteString("\n    {")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(j.fields[i])
		b.Write(k)
		b.WriteString(": ")
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	b.WriteString("}")
	_, err := io.WriteString(j.w, b.String())
	return err
}

func (j *jsonTable) end(count int, capped bool) error {
	end := "\n  ]"
	if count == 0 {
		end = "]"
	}
	note := ""
	if capped {
		note = fmt.Sprintf(",\n  \"note\": %q", fmt.Sprintf("only the first %d rows: the filter matches more; narrow it for the rest", count))
	}
	_, err := fmt.Fprintf(j.w, "%s,\n  \"count\": %d,\n  \"capped\": %v%s\n}\n", end, count, capped, note)
	return err
}

// timeCell is a time as RFC 3339 in UTC with milliseconds; nil when zero.
func timeCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// exportRows are the people shown (filter and sort applied).
func (u *usersScreen) exportRows() exportData {
	d := exportData{fields: []string{"level", "score", "name", "email", "sources", "cloudflare_level", "casb_level", "last_seen"}}
	for _, p := range u.shown {
		var score any
		if p.Score >= 0 {
			score = p.Score
		}
		cf, casb := model.LevelUnknown, model.LevelUnknown
		for _, v := range p.Views {
			switch v.Vendor {
			case model.VendorCloudflare:
				cf = model.Max(cf, v.Level)
			case model.VendorCASB:
				casb = model.Max(casb, v.Level)
			}
		}
		vendors := p.Vendors()
		sort.Strings(vendors)
		d.rows = append(d.rows, []any{p.Level.Label(), score, p.Name, p.Email, strings.Join(vendors, " "),
			levelCell(cf), levelCell(casb), timeCell(p.LastSeen)})
	}
	return d
}

func levelCell(l model.Level) any {
	if l == model.LevelUnknown {
		return nil
	}
	return l.Label()
}
