package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// changesSchema is issue 16's Changes and Trends. PutEvents adds to it in
// its transaction (addRollups: a few statements a batch; a trigger a row
// doubled PutEvents' time), triggers keep it on every insert of history,
// and no query of the panel scans the events of a window:
//   - event_hours: events an hour and vendor, a column a score bucket
//     (one row for six counts: a 90-day trend reads 2,160 rows a vendor).
//     Since migration 9 it outlives the events by RollupsOutlive: a
//     trigger took pruned events off it, so a 90-day trend never had
//     the 90 days before to compare with;
//   - ip_ranges: each address range (/24, /48) with its first event and
//     its events and failures since, so a new busy range is an index
//     lookup (its first event is kept when older events are pruned: a
//     range seen before stays not new);
//   - risk_history.prev_level: the level of the row before (same person
//     and vendor), so a window's level changes are a range of one index;
//   - person_peaks: when a person first reached High and Critical in any
//     vendor (kept when history is pruned), for "new at a level";
//   - health_changes and change_marks, written by RecordHealth and
//     SetChangeMark.
var changesSchema = `
CREATE TABLE event_hours (
	hour   INTEGER NOT NULL, -- unix hours: (seq >> 20) / 3600000
	vendor TEXT    NOT NULL,
	n0 INTEGER NOT NULL, n1 INTEGER NOT NULL, n2 INTEGER NOT NULL, -- by model.BucketOf(score)
	n3 INTEGER NOT NULL, n4 INTEGER NOT NULL,
	nx INTEGER NOT NULL, -- without a score
	PRIMARY KEY (hour, vendor)
) WITHOUT ROWID;
INSERT INTO event_hours (hour, vendor, n0, n1, n2, n3, n4, nx)
	SELECT h, vendor, sum(b = 0), sum(b = 1), sum(b = 2), sum(b = 3), sum(b = 4), sum(b = -1)
	FROM (SELECT (seq >> 20) / 3600000 AS h, vendor, ` + bucketSQL("score") + ` AS b FROM events) GROUP BY h, vendor;
CREATE TRIGGER event_hours_remove AFTER DELETE ON events BEGIN
	UPDATE event_hours SET n0 = n0 - ` + bucketIs("OLD.score", 0) + `, n1 = n1 - ` + bucketIs("OLD.score", 1) + `,
		n2 = n2 - ` + bucketIs("OLD.score", 2) + `, n3 = n3 - ` + bucketIs("OLD.score", 3) + `,
		n4 = n4 - ` + bucketIs("OLD.score", 4) + `, nx = nx - (OLD.score < 0)
		WHERE hour = (OLD.seq >> 20) / 3600000 AND vendor = OLD.vendor;
	DELETE FROM event_hours WHERE hour = (OLD.seq >> 20) / 3600000 AND vendor = OLD.vendor
		AND n0 + n1 + n2 + n3 + n4 + nx <= 0;
END;

CREATE TABLE ip_ranges (
	range     BLOB    PRIMARY KEY, -- the first 15 bytes of ip_bin (an IPv4 /24) or 6 (an IPv6 /48)
	first_seq INTEGER NOT NULL,    -- its first event's
	events    INTEGER NOT NULL,    -- since it was first seen
	failures  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ip_ranges_first ON ip_ranges (first_seq);
INSERT INTO ip_ranges (range, first_seq, events, failures)
	SELECT ` + rangeOf("ip_bin") + ` AS r, min(seq), count(*), sum(type_name LIKE '%fail%')
	FROM events WHERE ip_bin IS NOT NULL GROUP BY r;

ALTER TABLE risk_history ADD COLUMN prev_level INTEGER; -- NULL: the first row of its person and vendor
UPDATE risk_history AS h SET prev_level = (SELECT p.level FROM risk_history p
	WHERE p.key = h.key AND p.vendor = h.vendor AND (p.at_ms < h.at_ms OR p.at_ms = h.at_ms AND p.rowid < h.rowid)
	ORDER BY p.at_ms DESC, p.rowid DESC LIMIT 1);
-- Covering: a window's changes are read from the index alone.
CREATE INDEX risk_history_at ON risk_history (at_ms, prev_level, level, key, vendor, score);
CREATE TRIGGER risk_history_prev AFTER INSERT ON risk_history BEGIN
	UPDATE risk_history SET prev_level = (SELECT p.level FROM risk_history p
		WHERE p.key = NEW.key AND p.vendor = NEW.vendor AND (p.at_ms < NEW.at_ms OR p.at_ms = NEW.at_ms AND p.rowid < NEW.rowid)
		ORDER BY p.at_ms DESC, p.rowid DESC LIMIT 1) WHERE rowid = NEW.rowid;
END;

CREATE TABLE person_peaks (
	key      TEXT    NOT NULL,
	level    INTEGER NOT NULL, -- High or Critical
	first_ms INTEGER NOT NULL,
	PRIMARY KEY (key, level)
) WITHOUT ROWID;
CREATE INDEX person_peaks_first ON person_peaks (first_ms);
INSERT INTO person_peaks (key, level, first_ms)
	SELECT key, level, min(at_ms) FROM risk_history WHERE level >= 4 GROUP BY key, level;
CREATE TRIGGER person_peaks_add AFTER INSERT ON risk_history WHEN NEW.level >= 4 BEGIN
	INSERT INTO person_peaks (key, level, first_ms) VALUES (NEW.key, NEW.level, NEW.at_ms)
		ON CONFLICT (key, level) DO UPDATE SET first_ms = excluded.first_ms WHERE excluded.first_ms < first_ms;
END;

CREATE TABLE health_changes (
	at_ms      INTEGER NOT NULL,
	source     TEXT    NOT NULL,
	from_state INTEGER NOT NULL, -- model.State
	to_state   INTEGER NOT NULL,
	error      TEXT    NOT NULL
);
CREATE INDEX health_changes_at ON health_changes (at_ms);

CREATE TABLE change_marks (
	owner TEXT    PRIMARY KEY, -- the actor: the OS user, or the SSH key's name
	at_ms INTEGER NOT NULL,
	seen  TEXT    NOT NULL     -- JSON object: history key → level shown
) WITHOUT ROWID;
`

// bucketSQL is model.BucketOf over a score column, -1 for no score.
func bucketSQL(col string) string {
	return fmt.Sprintf(`(CASE WHEN %[1]s < 0 THEN -1 WHEN %[1]s < 5 THEN 0 WHEN %[1]s < 26 THEN 1 WHEN %[1]s < 51 THEN 2 WHEN %[1]s < 76 THEN 3 ELSE 4 END)`, col)
}

// bucketIs is 1 when a score is in bucket b, else 0.
func bucketIs(col string, b int) string {
	return fmt.Sprintf("(%s = %d)", bucketSQL(col), b)
}

// addRollups adds a PutEvents batch's new rows to event_hours and
// ip_ranges, in its transaction: one statement an hour and vendor, and
// one a range, of the batch.
func addRollups(ctx context.Context, tx *sql.Tx, rows []eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	type hourKey struct {
		hour   int64
		vendor string
	}
	type rangeCount struct {
		first            int64
		events, failures int
	}
	hours := map[hourKey]*[model.Unscored + 1]int{}
	ranges := map[string]*rangeCount{}
	for _, r := range rows {
		k := hourKey{r.ms / 3_600_000, r.e.Vendor}
		h := hours[k]
		if h == nil {
			h = new([model.Unscored + 1]int)
			hours[k] = h
		}
		if r.e.Score < 0 {
			h[model.Unscored]++
		} else {
			h[model.BucketOf(r.e.Score)]++
		}
		bin, ok := r.ipBin.([]byte)
		if !ok {
			continue
		}
		key := string(rangeBytes(bin))
		c := ranges[key]
		if c == nil {
			c = &rangeCount{first: seqOf(r.ms, 0)}
			ranges[key] = c
		}
		c.first = min(c.first, seqOf(r.ms, 0))
		c.events++
		if model.FailedType(r.e.TypeName) {
			c.failures++
		}
	}
	// One statement each, of many rows: a statement's run costs more
	// than a row's here.
	var args []any
	for k, n := range hours {
		args = append(args, k.hour, k.vendor, n[0], n[1], n[2], n[3], n[4], n[model.Unscored])
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO event_hours (hour, vendor, n0, n1, n2, n3, n4, nx)
		VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", len(hours)), ", ")+`
		ON CONFLICT (hour, vendor) DO UPDATE SET n0 = n0 + excluded.n0, n1 = n1 + excluded.n1, n2 = n2 + excluded.n2,
		n3 = n3 + excluded.n3, n4 = n4 + excluded.n4, nx = nx + excluded.nx`, args...); err != nil {
		return fmt.Errorf("hourly rollup: %w", err)
	}
	const perStatement = 200 // rows: 800 parameters, far below SQLite's limit
	args = args[:0]
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ip_ranges (range, first_seq, events, failures)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ")+`
			ON CONFLICT (range) DO UPDATE SET first_seq = min(first_seq, excluded.first_seq),
			events = events + excluded.events, failures = failures + excluded.failures`, args...)
		args, n = args[:0], 0
		if err != nil {
			return fmt.Errorf("ranges: %w", err)
		}
		return nil
	}
	for k, c := range ranges {
		args = append(args, []byte(k), c.first, c.events, c.failures)
		if n++; n == perStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// v4Mapped starts an IPv4 address in ip_bin's 16 bytes.
var v4Mapped = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}

// rangeBytes is rangeOf in Go: the first 15 bytes of an IPv4-mapped
// address (its /24), else the first 6 (a /48).
func rangeBytes(bin []byte) []byte {
	if len(bin) == 16 && string(bin[:12]) == string(v4Mapped) {
		return bin[:15]
	}
	return bin[:min(6, len(bin))]
}

// rangeOf is an address's range as bytes of ip_bin: the first 15 (the
// IPv4-mapped prefix and three octets: a /24) or the first 6 (a /48).
func rangeOf(col string) string {
	return fmt.Sprintf(`(CASE WHEN substr(%[1]s, 1, 12) = X'00000000000000000000FFFF' THEN substr(%[1]s, 1, 15) ELSE substr(%[1]s, 1, 6) END)`, col)
}

// Range thresholds: a range is worth a line with this many failed
// sign-ins, or this many people, in the window.
const (
	DefaultRangeFailures = 20
	DefaultRangePeople   = 10
)

// ChangesQuery asks what changed in [Since, Until).
type ChangesQuery struct {
	Since, Until time.Time
	// A range is listed with at least MinFailures failed sign-ins or
	// MinPeople people in the window (0: the defaults), and only when no
	// event came from it before Since.
	MinFailures, MinPeople int
	// Limit bounds each list (0: 200).
	Limit int
}

const maxChangeLines = 200

// Changes reads what changed in a window: level changes from the risk
// history (one a person), people new at High or Critical, new ranges busy
// with failures or people, and sources' health changes.
func (s *SQLite) Changes(ctx context.Context, q ChangesQuery) (model.Changes, error) {
	if q.Until.IsZero() || !q.Since.Before(q.Until) {
		return model.Changes{}, fmt.Errorf("store: changes: empty window %v–%v", q.Since, q.Until)
	}
	if q.MinFailures <= 0 {
		q.MinFailures = DefaultRangeFailures
	}
	if q.MinPeople <= 0 {
		q.MinPeople = DefaultRangePeople
	}
	if q.Limit <= 0 {
		q.Limit = maxChangeLines
	}
	out := model.Changes{Since: q.Since, Until: q.Until}
	var err error
	if out.Levels, out.NewPeople, err = s.levelChanges(ctx, q); err != nil {
		return model.Changes{}, fmt.Errorf("store: changes: levels: %w", err)
	}
	if out.Ranges, err = s.newRanges(ctx, q); err != nil {
		return model.Changes{}, fmt.Errorf("store: changes: ranges: %w", err)
	}
	if out.Health, err = s.healthChanges(ctx, q); err != nil {
		return model.Changes{}, fmt.Errorf("store: changes: health: %w", err)
	}
	return out, nil
}

// levelChanges reads the window's changes from the history (each row
// knows the level before it: prev_level), and the people who first
// reached High or Critical in it (person_peaks), leaving out those whose
// rise is listed already.
func (s *SQLite) levelChanges(ctx context.Context, q ChangesQuery) ([]model.LevelChange, []model.NewPerson, error) {
	since, until := unixMs(q.Since), unixMs(q.Until)
	// One change a person, picked in SQL as model.PersonChanges picks it
	// (a rise over a fall, then the bigger move, then the newer: the bare
	// columns come from the row with the largest rank), then rises first,
	// newest first, Limit of them: a busy week reads its changes once
	// from the covering index and returns a page, not thousands of rows.
	rows, err := s.read.QueryContext(ctx, `SELECT key, vendor, at_ms, level, score, prev_level,
			max((level > prev_level) << 50 | abs(level - prev_level) << 45 | at_ms) AS rank
		FROM risk_history WHERE at_ms >= ? AND at_ms < ? AND prev_level IS NOT NULL AND prev_level != level
		GROUP BY key ORDER BY rank >> 50 DESC, at_ms DESC, key LIMIT ?`, since, until, q.Limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var all []model.LevelChange
	for rows.Next() {
		var (
			c           model.LevelChange
			atMs        int64
			level, prev int
		)
		var rank int64
		if err := rows.Scan(&c.Key, &c.Vendor, &atMs, &level, &c.Score, &prev, &rank); err != nil {
			return nil, nil, err
		}
		c.At, c.From, c.To = timeOfMs(atMs), model.Level(prev), model.Level(level)
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close()
	levels := model.PersonChanges(all) // in the same order; one a person already
	// New at a level: first reached in the window, and no higher level
	// reached before it; not whoever rose in the window (their rise is
	// listed). The vendor is the one whose reading it was.
	peaks, err := s.read.QueryContext(ctx, `SELECT p.key, p.level, p.first_ms,
		coalesce((SELECT h.vendor FROM risk_history h WHERE h.key = p.key AND h.at_ms = p.first_ms AND h.level = p.level LIMIT 1), '')
		FROM person_peaks p WHERE p.first_ms >= ?1 AND p.first_ms < ?2
		AND NOT EXISTS (SELECT 1 FROM person_peaks o WHERE o.key = p.key AND o.level > p.level AND o.first_ms < ?1)
		AND NOT EXISTS (SELECT 1 FROM risk_history r WHERE r.key = p.key AND r.at_ms >= ?1 AND r.at_ms < ?2 AND r.prev_level < r.level)`,
		since, until)
	if err != nil {
		return nil, nil, err
	}
	defer peaks.Close()
	top := map[string]model.NewPerson{}
	for peaks.Next() {
		var (
			p     model.NewPerson
			level int
			atMs  int64
		)
		if err := peaks.Scan(&p.Key, &level, &atMs, &p.Vendor); err != nil {
			return nil, nil, err
		}
		p.Level, p.At = model.Level(level), timeOfMs(atMs)
		if t, ok := top[p.Key]; !ok || p.Level > t.Level {
			top[p.Key] = p
		}
	}
	if err := peaks.Err(); err != nil {
		return nil, nil, err
	}
	fresh := make([]model.NewPerson, 0, len(top))
	for _, p := range top {
		fresh = append(fresh, p)
	}
	slices.SortFunc(fresh, func(a, b model.NewPerson) int {
		if a.Level != b.Level {
			return int(b.Level) - int(a.Level)
		}
		if !a.At.Equal(b.At) {
			return b.At.Compare(a.At)
		}
		return compareStrings(a.Key, b.Key)
	})
	return levels[:min(len(levels), q.Limit)], fresh[:min(len(fresh), q.Limit)], nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// newRanges finds the ranges first seen in the window with enough
// failures, or enough events to have enough people (ip_ranges), then
// counts each one's addresses and people over the address index: all its
// events are in the window, as it is new.
func (s *SQLite) newRanges(ctx context.Context, q ChangesQuery) ([]model.RangeActivity, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT range FROM ip_ranges
		WHERE first_seq >= ? AND first_seq < ? AND (failures >= ? OR events >= ?)`,
		firstSeq(q.Since), firstSeq(q.Until), q.MinFailures, q.MinPeople)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ranges [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		ranges = append(ranges, raw)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	count, err := s.read.PrepareContext(ctx, `SELECT count(*), coalesce(sum(e.type_name LIKE '%fail%'), 0),
		count(DISTINCT e.ip_bin), count(DISTINCT e.uid), coalesce(min(e.seq), 0), coalesce(max(e.seq), 0)
		FROM events e WHERE e.ip_bin BETWEEN ? AND ? AND +e.seq >= ? AND +e.seq < ?`)
	if err != nil {
		return nil, err
	}
	defer count.Close()
	var out []model.RangeActivity
	for _, raw := range ranges {
		var lo, hi [16]byte
		copy(lo[:], raw)
		hi = lo
		for i := len(raw); i < 16; i++ {
			hi[i] = 0xff
		}
		var (
			r             model.RangeActivity
			first, latest int64
		)
		if err := count.QueryRowContext(ctx, lo[:], hi[:], firstSeq(q.Since), firstSeq(q.Until)).
			Scan(&r.Events, &r.Failures, &r.Addresses, &r.People, &first, &latest); err != nil {
			return nil, err
		}
		if r.Failures < q.MinFailures && r.People < q.MinPeople {
			continue
		}
		a := netip.AddrFrom16(lo)
		bits := len(raw) * 8
		if a.Is4In6() {
			a, bits = a.Unmap(), bits-96
		}
		p, _ := a.Prefix(bits)
		r.Prefix = p.String()
		r.First, r.Last = timeOfMs(first>>seqShift), timeOfMs(latest>>seqShift)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b model.RangeActivity) int {
		if a.Failures != b.Failures {
			return b.Failures - a.Failures
		}
		if a.People != b.People {
			return b.People - a.People
		}
		return compareStrings(a.Prefix, b.Prefix)
	})
	return out[:min(len(out), q.Limit)], nil
}

func (s *SQLite) healthChanges(ctx context.Context, q ChangesQuery) ([]model.HealthChange, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT at_ms, source, from_state, to_state, error FROM health_changes
		WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC, rowid DESC LIMIT ?`, unixMs(q.Since), unixMs(q.Until), q.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.HealthChange
	seen := map[string]bool{}
	for rows.Next() {
		var (
			h        model.HealthChange
			atMs     int64
			from, to int
		)
		if err := rows.Scan(&atMs, &h.Source, &from, &to, &h.Error); err != nil {
			return nil, err
		}
		// One line a source: its newest change.
		if seen[h.Source] {
			continue
		}
		seen[h.Source] = true
		h.At, h.From, h.To = timeOfMs(atMs), model.State(from), model.State(to)
		out = append(out, h)
	}
	return out, rows.Err()
}

// RecordHealth stores a source's health state change.
func (s *SQLite) RecordHealth(ctx context.Context, h model.HealthChange) error {
	if h.Source == "" {
		return errors.New("store: record health: no source")
	}
	return s.inTx(ctx, "record health", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_changes (at_ms, source, from_state, to_state, error) VALUES (?, ?, ?, ?, ?)`,
			unixMs(h.At), h.Source, int(h.From), int(h.To), h.Error)
		return err
	})
}

// maxMarkPeople bounds what one mark remembers.
const maxMarkPeople = 5000

// ChangeMark is what owner last saw of the changes (the zero mark when
// they never looked).
func (s *SQLite) ChangeMark(ctx context.Context, owner string) (model.SeenMark, error) {
	var (
		atMs int64
		seen string
	)
	err := s.read.QueryRowContext(ctx, `SELECT at_ms, seen FROM change_marks WHERE owner = ?`, owner).Scan(&atMs, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SeenMark{}, nil
	}
	if err != nil {
		return model.SeenMark{}, fmt.Errorf("store: change mark: %w", err)
	}
	m := model.SeenMark{At: timeOfMs(atMs)}
	if err := json.Unmarshal([]byte(seen), &m.People); err != nil {
		return model.SeenMark{}, fmt.Errorf("store: change mark of %s: %w", owner, err)
	}
	return m, nil
}

// SetChangeMark stores owner's mark, replacing the one before; a mark
// older than the stored one is ignored, so a late write never moves it
// back.
func (s *SQLite) SetChangeMark(ctx context.Context, owner string, m model.SeenMark) error {
	if m.At.IsZero() {
		return errors.New("store: set change mark: no time")
	}
	people := m.People
	if len(people) > maxMarkPeople {
		people = make(map[string]model.Level, maxMarkPeople)
		for k, l := range m.People {
			if len(people) == maxMarkPeople {
				break
			}
			people[k] = l
		}
	}
	if people == nil {
		people = map[string]model.Level{}
	}
	seen, err := json.Marshal(people)
	if err != nil {
		return fmt.Errorf("store: set change mark: %w", err)
	}
	return s.inTx(ctx, "set change mark", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO change_marks (owner, at_ms, seen) VALUES (?, ?, ?)
			ON CONFLICT (owner) DO UPDATE SET at_ms = excluded.at_ms, seen = excluded.seen WHERE excluded.at_ms >= change_marks.at_ms`,
			owner, unixMs(m.At), string(seen))
		return err
	})
}
