package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/risktop/risktop/model"
)

// changesSchema is issue 16's Changes and Trends: the hourly rollup of
// events by vendor and score bucket, kept by triggers so every insert and
// every delete (PutEvents, Prune) updates it in the same transaction and
// the Trends chart never scans events; risk history by time, for the
// changes of a window; sources' health changes; each operator's mark.
var changesSchema = `
CREATE TABLE event_hours (
	hour   INTEGER NOT NULL, -- unix hours: (seq >> 20) / 3600000
	vendor TEXT    NOT NULL,
	bucket INTEGER NOT NULL, -- model.BucketOf(score), -1 without a score
	n      INTEGER NOT NULL,
	PRIMARY KEY (hour, vendor, bucket)
) WITHOUT ROWID;
INSERT INTO event_hours (hour, vendor, bucket, n)
	SELECT (seq >> 20) / 3600000, vendor, ` + bucketSQL("score") + `, count(*) FROM events GROUP BY 1, 2, 3;
CREATE TRIGGER event_hours_add AFTER INSERT ON events BEGIN
	INSERT INTO event_hours (hour, vendor, bucket, n)
		VALUES ((NEW.seq >> 20) / 3600000, NEW.vendor, ` + bucketSQL("NEW.score") + `, 1)
		ON CONFLICT (hour, vendor, bucket) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_hours_remove AFTER DELETE ON events BEGIN
	UPDATE event_hours SET n = n - 1
		WHERE hour = (OLD.seq >> 20) / 3600000 AND vendor = OLD.vendor AND bucket = ` + bucketSQL("OLD.score") + `;
	DELETE FROM event_hours
		WHERE hour = (OLD.seq >> 20) / 3600000 AND vendor = OLD.vendor AND bucket = ` + bucketSQL("OLD.score") + ` AND n <= 0;
END;

CREATE INDEX risk_history_at ON risk_history (at_ms);

CREATE TABLE health_changes (
	at_ms  INTEGER NOT NULL,
	source TEXT    NOT NULL,
	from_state INTEGER NOT NULL, -- model.State
	to_state   INTEGER NOT NULL,
	error  TEXT    NOT NULL
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

// levelChanges reads the window's history rows, each with the level of
// the row before it (same person and vendor); a person's first row is
// not a change but may make them new at High or Critical.
func (s *SQLite) levelChanges(ctx context.Context, q ChangesQuery) ([]model.LevelChange, []model.NewPerson, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT h.key, h.vendor, h.at_ms, h.level, h.score,
		(SELECT p.level FROM risk_history p WHERE p.key = h.key AND p.vendor = h.vendor
			AND (p.at_ms < h.at_ms OR p.at_ms = h.at_ms AND p.rowid < h.rowid)
			ORDER BY p.at_ms DESC, p.rowid DESC LIMIT 1)
		FROM risk_history h WHERE h.at_ms >= ? AND h.at_ms < ? ORDER BY h.at_ms, h.rowid`,
		unixMs(q.Since), unixMs(q.Until))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var all []model.LevelChange
	top := map[string]model.NewPerson{} // each person's highest reading in the window
	for rows.Next() {
		var (
			c           model.LevelChange
			atMs        int64
			level       int
			prev        sql.NullInt64
			score       int
			key, vendor string
		)
		if err := rows.Scan(&key, &vendor, &atMs, &level, &score, &prev); err != nil {
			return nil, nil, err
		}
		c = model.LevelChange{Key: key, Vendor: vendor, At: timeOfMs(atMs), To: model.Level(level), Score: score}
		if prev.Valid && model.Level(prev.Int64) != c.To {
			c.From = model.Level(prev.Int64)
			all = append(all, c)
		}
		if c.To >= model.LevelHigh {
			if t, ok := top[key]; !ok || c.To > t.Level {
				top[key] = model.NewPerson{Key: key, Vendor: vendor, At: c.At, Level: c.To}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close()
	levels := model.PersonChanges(all)
	listed := map[string]bool{}
	for _, c := range levels {
		if c.Rise() {
			listed[c.Key] = true
		}
	}
	// New at a level: no reading of theirs before the window that high.
	// A person whose rise is listed already is not listed twice.
	before, err := s.read.PrepareContext(ctx, `SELECT coalesce(max(level), 0) FROM risk_history WHERE key = ? AND at_ms < ?`)
	if err != nil {
		return nil, nil, err
	}
	defer before.Close()
	var fresh []model.NewPerson
	for key, p := range top {
		if listed[key] {
			continue
		}
		var was int
		if err := before.QueryRowContext(ctx, key, unixMs(q.Since)).Scan(&was); err != nil {
			return nil, nil, err
		}
		if model.Level(was) < p.Level {
			fresh = append(fresh, p)
		}
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

// rangeSQL is an event's range as bytes of ip_bin: the first 15 (the
// IPv4-mapped prefix and three octets: a /24) or the first 6 (a /48).
const rangeSQL = `(CASE WHEN substr(e.ip_bin, 1, 12) = X'00000000000000000000FFFF'
	THEN substr(e.ip_bin, 1, 15) ELSE substr(e.ip_bin, 1, 6) END)`

// newRanges groups the window's events by range and keeps the busy ones
// no event came from before the window.
func (s *SQLite) newRanges(ctx context.Context, q ChangesQuery) ([]model.RangeActivity, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+rangeSQL+` AS r, count(*), coalesce(sum(e.type_name LIKE '%fail%'), 0),
		count(DISTINCT e.ip_bin), count(DISTINCT e.uid), min(e.seq), max(e.seq)
		FROM events e WHERE e.seq >= ? AND e.seq < ? AND e.ip_bin IS NOT NULL
		GROUP BY r HAVING sum(e.type_name LIKE '%fail%') >= ? OR count(DISTINCT e.uid) >= ?`,
		firstSeq(q.Since), firstSeq(q.Until), q.MinFailures, q.MinPeople)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type found struct {
		r      model.RangeActivity
		lo, hi [16]byte
	}
	var busy []found
	for rows.Next() {
		var (
			raw           []byte
			f             found
			first, latest int64
		)
		if err := rows.Scan(&raw, &f.r.Events, &f.r.Failures, &f.r.Addresses, &f.r.People, &first, &latest); err != nil {
			return nil, err
		}
		copy(f.lo[:], raw)
		f.hi = f.lo
		for i := len(raw); i < 16; i++ {
			f.hi[i] = 0xff
		}
		a := netip.AddrFrom16(f.lo)
		bits := len(raw) * 8
		if a.Is4In6() {
			a, bits = a.Unmap(), bits-96
		}
		p, _ := a.Prefix(bits)
		f.r.Prefix = p.String()
		f.r.First, f.r.Last = timeOfMs(first>>seqShift), timeOfMs(latest>>seqShift)
		busy = append(busy, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// +seq: walk the address index (oldest row of each address first),
	// not every event before the window.
	older, err := s.read.PrepareContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events e
		WHERE e.ip_bin BETWEEN ? AND ? AND +e.seq < ? LIMIT 1)`)
	if err != nil {
		return nil, err
	}
	defer older.Close()
	var out []model.RangeActivity
	for _, f := range busy {
		var n int
		if err := older.QueryRowContext(ctx, f.lo[:], f.hi[:], firstSeq(q.Since)).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			out = append(out, f.r)
		}
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
