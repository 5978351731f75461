// Package export writes a screen's table, or every event a filter
// matches, as CSV or JSON: e writes CSV, E JSON.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/privfile"
	"github.com/risktop/risktop/ui/words"
)

// An export goes into Options.Dir (created 0700; each file 0600, never
// overwriting one, never through a symlink; a directory another user could
// write, swap or redirect is refused). Events export every row the filter
// matches, in the screen's order, read a page at a time in a command, up to
// MaxEvents. Every file write happens in a command, one export at a
// time, and only while the disk keeps its floor free (diskFloor). A
// dashboard's Limits (a viewer's under serve) bound how often it
// exports, how much in all, and how many events at once.

// Format is CSV or JSON.
type Format int

// The formats.
const (
	CSV Format = iota
	JSON
)

func (f Format) ext() string {
	if f == JSON {
		return "json"
	}
	return "csv"
}

// MaxEvents caps an events export.
const MaxEvents = 100_000

// Limits bound one dashboard's exports, where several people share
// a host's disk (risktop serve). The zero value bounds nothing beyond
// what every dashboard has: the events cap, one export at a time, the
// disk's floor.
type Limits struct {
	Who    string        // whom the limits are for, in a refusal ("viewers")
	Files  int           // at most this many exports started in any Per (0: no rate limit)
	Per    time.Duration // the rate limit's window
	Bytes  int64         // what one session may write in all (0: no limit)
	Events int           // rows one events export holds at most (0: MaxEvents)
}

// ViewerLimits are the limits risktop serve gives a viewer's session:
// five exports every ten minutes, 20,000 events at most in one (about
// 9 MB of JSON, 6 MB of CSV of sign-ins like the tests'), 64 MB in the
// whole session: enough for a handover or an investigation's evidence,
// not for copying the store to the jump host's disk again and again. An
// operator's session and the local dashboard keep the zero value.
func ViewerLimits() Limits {
	return Limits{Who: "viewers", Files: 5, Per: 10 * time.Minute, Bytes: 64_000_000, Events: 20_000}
}

// exportLedger is what this dashboard has exported, against its limits.
type exportLedger struct {
	started []time.Time // starts within the rate limit's window, oldest first
	written int64       // bytes of the files kept
	running bool        // an export is being written
}

// Bytes one exported row is taken to need when an export's size is
// estimated before writing: an event's JSON row is about 450 bytes with
// its reasons and fields (CSV about 300), more with a vendor's extra
// fields; a list row is smaller.
const exportRowBytes = 1 << 10

// diskFloor is what an export leaves free on the disk that holds it: 5%
// of the disk, at least 100 MiB and at most 1 GiB. The store, its
// write-ahead log and the logs often share that disk with the exports;
// they fail when it fills, and every session's dashboard with them. The
// 5% scales with the disk (where 100 MiB is a moment's growth); the 1 GiB
// cap keeps a big disk's 5% from refusing exports with plenty free.
func diskFloor(size uint64) uint64 {
	return min(max(size/20, 100<<20), 1<<30)
}

// diskCheckEvery is how often (in bytes written) an export looks at the
// free space again: other writers share the disk.
const diskCheckEvery = 8 << 20

// errAllowance stops an export at the session's allowance (the file is
// kept, marked).
var errAllowance = errors.New("the session's export allowance is used up")

// lowDisk refuses or stops an export for want of free space (a stopped
// export's file is removed).
type lowDisk string

func (e lowDisk) Error() string { return string(e) }

func isLowDisk(err error) bool {
	var l lowDisk
	return errors.As(err, &l)
}

// exportPage is how many events one read of an export takes.
const exportPage = store.MaxPageSize

// Table is a table to export: field names, and rows of values
// (string, int, int64, bool, nil, or map[string]string), and the filter
// and order the screen shows them in (for a JSON file's header).
type Table struct {
	Fields       []string
	Rows         [][]any
	Filter, Sort string
}

// exportMeta says what a file holds; JSON files carry it.
type exportMeta struct {
	screen string
	filter string
	sort   string
	at     time.Time
}

// Done is the result of an export.
type Done struct {
	what      string // what count counted: "event" (plural adds the s), "person"
	path      string
	count     int
	capped    bool  // stopped at the events cap: the filter matches more
	allowance bool  // stopped at the session's allowance
	bytes     int64 // the file's size
	refused   bool  // err is a refusal (an unsafe directory, a full disk), not a failure
	err       error
}

// Exporter writes one dashboard's exports, one at a time, within its
// limits; it keeps what the dashboard has exported.
type Exporter struct {
	// Cap is the most events one export writes (MaxEvents; tests lower it).
	Cap    int
	opts   Options
	ledger exportLedger
}

// Options are what an Exporter writes where, for whom and within which
// limits.
type Options struct {
	Dir       string // "": the state directory's exports
	Limits    Limits
	FreeSpace func(dir string) (free, size uint64, err error) // nil: statfs(2)
	Log       *slog.Logger
	Actor     string
	Now       func() time.Time
	// VendorName is a vendor's name for people, for the risk column
	// ("Critical (OneLogin 99)"); nil: the name as stored.
	VendorName func(name string) string
}

// New is an Exporter that has exported nothing yet.
func New() *Exporter { return &Exporter{Cap: MaxEvents} }

// Set changes where and how the Exporter writes; what it has exported
// still counts.
func (x *Exporter) Set(o Options) { x.opts = o }

// Done records a finished export (or its failure) and says how it went.
func (x *Exporter) Done(m Done) (text string, isErr bool) {
	x.ledger.running = false
	x.ledger.written += m.bytes
	if m.err != nil {
		// Nothing was kept: the rate limit counts files written.
		if k := len(x.ledger.started); k > 0 {
			x.ledger.started = x.ledger.started[:k-1]
		}
		x.opts.Log.Warn("export not written", "actor", x.opts.Actor, "err", m.err)
		if m.refused {
			return "export refused: " + m.err.Error(), true
		}
		return "export failed: " + m.err.Error(), true
	}
	x.opts.Log.Info("exported", "actor", x.opts.Actor, "path", m.path, "rows", m.count, "bytes", m.bytes)
	n := words.Plural(m.count, m.what)
	if m.what == "person" && m.count != 1 {
		n = words.Thousands(m.count) + " people"
	}
	switch {
	case m.allowance:
		return fmt.Sprintf("exported the first %s (this session's %s of exports for %s is now used up) to %s",
			n, byteSize(x.opts.Limits.Bytes), x.opts.Limits.Who, m.path), false
	case m.capped:
		return fmt.Sprintf("exported the first %s (the cap; the filter matches more, narrow it for the rest) to %s", n, m.path), false
	}
	return fmt.Sprintf("exported %s to %s", n, m.path), false
}

// start applies the dashboard's export limits in Update: a refusal (why,
// and when exporting is possible again), or the start recorded and what
// this export may write (0: no limit).
func (x *Exporter) start() (budget int64, refusal string) {
	l, now := x.opts.Limits, x.opts.Now()
	if x.ledger.running {
		return 0, "an export is still being written: wait for its notice, then export again"
	}
	if l.Files > 0 && l.Per > 0 {
		recent := x.ledger.started[:0]
		for _, t := range x.ledger.started {
			if now.Sub(t) < l.Per {
				recent = append(recent, t)
			}
		}
		x.ledger.started = recent
		if len(recent) >= l.Files {
			next := recent[0].Add(l.Per)
			return 0, fmt.Sprintf("export refused: %s may export %s every %s; the next at %s (in %s)",
				l.Who, words.Plural(l.Files, "file"), config.FormatDuration(l.Per), next.Local().Format("15:04:05"), untilText(next.Sub(now)))
		}
	}
	if l.Bytes > 0 {
		if x.ledger.written >= l.Bytes {
			return 0, fmt.Sprintf("export refused: this session has exported %s, the most %s may in one session (a new session starts a new allowance)",
				byteSize(x.ledger.written), l.Who)
		}
		budget = l.Bytes - x.ledger.written
	}
	x.ledger.started = append(x.ledger.started, now)
	x.ledger.running = true
	return budget, ""
}

// untilText is a wait to the second, rounded up: "6m40s", "12s".
func untilText(d time.Duration) string {
	d = (d + time.Second - 1).Truncate(time.Second)
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return d.String()
}

// byteSize is a size for people: "64 MB", "820 kB", "312 bytes"
// (decimal units, as df -H and file managers show).
func byteSize(n int64) string {
	switch {
	case n >= 10_000_000_000:
		return fmt.Sprintf("%d GB", n/1_000_000_000)
	case n >= 1_000_000_000:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 10_000_000:
		return fmt.Sprintf("%d MB", n/1_000_000)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%d kB", n/1_000)
	}
	return words.Plural(int(n), "byte")
}

// exportSpace is what an export's command needs to keep to its limits.
type exportSpace struct {
	free     func(dir string) (free, size uint64, err error)
	estimate int64 // the most the export is expected to write
	budget   int64 // the most it may write (0: no limit)
	log      *slog.Logger
}

func (x *Exporter) space(budget int64, rows int) exportSpace {
	est := int64(rows) * exportRowBytes
	if budget > 0 {
		est = min(est, budget)
	}
	free := x.opts.FreeSpace
	if free == nil {
		free = statfsFree
	}
	return exportSpace{free: free, estimate: est, budget: budget, log: x.opts.Log}
}

// Table writes an in-memory table (a list screen's rows, as shown), in
// a command; or says why not.
func (x *Exporter) Table(screen string, d Table, format Format) (tea.Cmd, string) {
	meta := exportMeta{screen: screen, filter: d.Filter, sort: d.Sort, at: x.opts.Now()}
	what := map[string]string{"users": "person", "behaviors": "behavior", "integrations": "integration",
		"outbox": "push", "audit": "audit entry"}[screen]
	budget, refusal := x.start()
	if refusal != "" {
		return nil, refusal
	}
	dir, space := x.opts.Dir, x.space(budget, len(d.Rows))
	return func() tea.Msg {
		done := writeExport(dir, meta, format, d.Fields, space, func(emit func([]any) error) (bool, error) {
			for _, r := range d.Rows {
				if err := emit(r); err != nil {
					return false, err
				}
			}
			return false, nil
		})
		done.what = what
		return done
	}, ""
}

// eventFields are an events export's columns: risk in the words every
// screen uses (model.Level.Describe), and the level and the vendor's
// score apart for machines.
var eventFields = []string{"time", "vendor", "id", "type", "type_name", "user", "email", "user_id", "ip",
	"risk", "score", "level", "app", "reasons", "fields"}

func eventRecord(e model.Event, vendorName func(string) string) []any {
	display := e.Vendor
	if vendorName != nil {
		display = vendorName(e.Vendor)
	}
	var score any
	if e.Score >= 0 {
		score = e.Score
	}
	var fields any
	if len(e.Fields) > 0 {
		fields = e.Fields
	}
	return []any{TimeCell(e.Time), e.Vendor, e.ID, e.Type, e.TypeName, e.UserName, e.UserKey, e.UserID, e.IP,
		e.Level.Describe(display, e.Score), score, e.Level.Label(), e.App, e.Reasons, fields}
}

// Events writes every event matching f in the given order, read a page
// at a time from st, up to the cap, in a command; or says why not.
// matching is how many the filter matches when counted (-1 when not
// known), for the estimate of the export's size.
func (x *Exporter) Events(ctx context.Context, st store.Store, f store.EventFilter, by store.Sort, describe string,
	format Format, matching int) (tea.Cmd, string) {
	limit := x.Cap
	if n := x.opts.Limits.Events; n > 0 {
		limit = min(limit, n)
	}
	rows := limit
	if matching >= 0 {
		rows = min(matching, limit)
	}
	budget, refusal := x.start()
	if refusal != "" {
		return nil, refusal
	}
	space := x.space(budget, rows)
	sortName := "newest first"
	if by == store.ByScore {
		sortName = "riskiest first"
	}
	meta := exportMeta{screen: "events", filter: describe, sort: sortName, at: x.opts.Now()}
	dir, vendorName := x.opts.Dir, x.opts.VendorName
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		done := writeExport(dir, meta, format, eventFields, space, func(emit func([]any) error) (bool, error) {
			q := store.EventQuery{EventFilter: f, Sort: by}
			n := 0
			for {
				q.Limit = min(exportPage, limit-n)
				page, err := st.Events(ctx, q)
				if err != nil {
					return false, fmt.Errorf("reading the events: %w", err)
				}
				for _, e := range page.Events {
					if err := emit(eventRecord(e, vendorName)); err != nil {
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
		done.what = "event"
		return done
	}, ""
}

// writeExport makes the directory (refusing one another user could
// write, swap or redirect), checks the disk has room for the export and
// its floor, creates the file and writes the rows rows emits; it stops
// early at space's budget, and removes the file on an error or when the
// disk reaches its floor meanwhile. done has the file's absolute path,
// the rows written and whether rows reported a cap.
func writeExport(dir string, meta exportMeta, format Format, fields []string, space exportSpace,
	rows func(emit func([]any) error) (capped bool, err error)) (done Done) {
	dir, err := resolveExportDir(dir, os.Getenv, os.UserHomeDir)
	if err != nil {
		return Done{err: err}
	}
	if err := privfile.MkdirPrivate(dir); err != nil {
		return Done{err: fmt.Errorf("the export directory: %w", err), refused: errors.Is(err, privfile.ErrUnsafe)}
	}
	disk := diskWatch{dir: dir, free: space.free}
	if err := disk.check(space.estimate, false); isLowDisk(err) {
		return Done{err: err, refused: true}
	} else if err != nil && space.log != nil {
		// Not known here (no statfs): the export goes ahead.
		space.log.Warn("export: free space not checked", "dir", dir, "err", err)
	}
	file, path, err := createExport(dir, meta.screen, meta.at, format.ext())
	if err != nil {
		return Done{err: err}
	}
	cw := &countingWriter{w: file, disk: &disk}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var w tableWriter
	if format == JSON {
		w = &jsonTable{w: bw, meta: meta, fields: fields}
	} else {
		w = &csvTable{w: csv.NewWriter(bw)}
	}
	n := 0
	fail := func(err error) Done {
		file.Close()
		os.Remove(path)
		if isLowDisk(err) {
			return Done{err: err, refused: true}
		}
		return Done{err: fmt.Errorf("writing %s: %w", path, err)}
	}
	if err := w.begin(fields); err != nil {
		return fail(err)
	}
	capped, err := rows(func(r []any) error {
		if space.budget > 0 && cw.n+int64(bw.Buffered()) >= space.budget {
			return errAllowance
		}
		n++
		return w.row(r)
	})
	allowance := errors.Is(err, errAllowance)
	switch {
	case allowance:
		capped = true
	case isLowDisk(err):
		return fail(err)
	case err != nil:
		file.Close()
		os.Remove(path)
		return Done{err: err}
	}
	note := ""
	switch {
	case allowance:
		note = fmt.Sprintf("only the first %s: this session's export allowance is used up", words.Plural(n, "row"))
	case capped:
		note = fmt.Sprintf("only the first %s: the filter matches more; narrow it for the rest", words.Plural(n, "row"))
	}
	if err := w.end(n, note); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := file.Close(); err != nil {
		os.Remove(path)
		return Done{err: fmt.Errorf("writing %s: %w", path, err)}
	}
	return Done{path: path, count: n, capped: capped && !allowance, allowance: allowance, bytes: cw.n}
}

// diskWatch checks the free space of the disk an export is written to.
type diskWatch struct {
	dir  string
	free func(dir string) (free, size uint64, err error)
}

// check refuses (lowDisk, naming the directory and the figures) when
// writing need more bytes would leave the disk below its floor; writing
// says the export is under way.
func (d *diskWatch) check(need int64, writing bool) error {
	free, size, err := d.free(d.dir)
	if err != nil {
		return err
	}
	floor := diskFloor(size)
	if free >= floor && free-floor >= uint64(max(need, 0)) {
		return nil
	}
	have, keep := byteSize(int64(min(free, 1<<62))), byteSize(int64(floor))
	if writing {
		return lowDisk(fmt.Sprintf("the disk holding %s was down to %s free while writing, and risktop keeps %s free there for the store and logs: the part written is removed; free some space or set export_dir to another disk",
			d.dir, have, keep))
	}
	return lowDisk(fmt.Sprintf("the disk holding %s has %s free; this export needs up to %s and risktop keeps %s free there for the store and logs; free some space or set export_dir to another disk",
		d.dir, have, byteSize(need), keep))
}

// countingWriter counts what reaches the file, and looks at the disk's
// free space again every diskCheckEvery bytes.
type countingWriter struct {
	w       io.Writer
	n       int64
	checked int64 // n at the last look
	disk    *diskWatch
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p))-c.checked >= diskCheckEvery {
		c.checked = c.n
		if err := c.disk.check(int64(len(p)), true); isLowDisk(err) {
			return 0, err
		}
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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

// createExport makes a new file in dir (0600, not through a symlink) named
// risktop-<screen>-<UTC yyyymmdd-hhmmss>.<ext>, with -2, -3… when that
// name is taken: an export never overwrites a file.
func createExport(dir, screen string, at time.Time, ext string) (*os.File, string, error) {
	base := "risktop-" + screen + "-" + at.UTC().Format("20060102-150405")
	for i := 1; i <= 100; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		path := filepath.Join(dir, name+"."+ext)
		f, err := privfile.CreateNew(path)
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
	// end closes the table; note says why it holds only the first count
	// rows ("" when it holds all).
	end(count int, note string) error
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

func (c *csvTable) end(int, string) error {
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

func (j *jsonTable) end(count int, note string) error {
	end := "\n  ]"
	if count == 0 {
		end = "]"
	}
	capped := note != ""
	if capped {
		note = fmt.Sprintf(",\n  \"note\": %q", note)
	}
	_, err := fmt.Fprintf(j.w, "%s,\n  \"count\": %d,\n  \"capped\": %v%s\n}\n", end, count, capped, note)
	return err
}

// TimeCell is a time as RFC 3339 in UTC with milliseconds; nil when zero.
func TimeCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
