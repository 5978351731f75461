// Package migrate copies a SQLite store into an empty PostgreSQL store,
// for a team moving from one jump host to a shared database (risktop
// migrate). Events go through the PostgreSQL store's PutEvents, so their
// identities, free-text column, feed numbers and rollups are built as
// the pollers build them; every other table is copied row for row, ids
// kept (the audit log's and the outbox's included), and each count is
// compared at the end.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/postgres"
)

// Count is one table's rows in the SQLite store and in PostgreSQL after
// the copy.
type Count struct {
	Table    string
	From, To int
}

// Report is what a copy did.
type Report struct {
	Counts []Count
}

// Mismatched lists the tables whose counts differ.
func (r Report) Mismatched() []Count {
	var out []Count
	for _, c := range r.Counts {
		if c.From != c.To {
			out = append(out, c)
		}
	}
	return out
}

// copied are the tables copied row for row, in an order that keeps
// references whole. events, users and the rollups built from events
// (event_hours, ip_ranges) come through PutEvents; sessions name the
// old host's processes and are left behind.
var copied = []string{
	"cursors", "user_risks", "risk_history", "person_peaks", "scores", "saved_views", "prefs", "change_marks",
	"health_changes", "audit", "outbox", "deliveries", "alerts",
}

// eventBatch is how many events one PutEvents takes.
const eventBatch = 2000

// Options are a copy's knobs.
type Options struct {
	// Progress is told each table as it starts, and the events copied so
	// far (may be nil).
	Progress func(table string, done, total int)
}

// Copy copies the SQLite store at path into dst, which must be empty (a
// fresh database that Open migrated). src is the same store opened
// through risktop's SQLite store, for its events.
func Copy(ctx context.Context, path string, src *store.SQLite, dst *postgres.Store, o Options) (Report, error) {
	progress := o.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return Report{}, err
	}
	defer db.Close()
	pool := dst.Pool()
	if err := mustBeEmpty(ctx, pool); err != nil {
		return Report{}, err
	}
	var rep Report

	total, err := src.CountEvents(ctx, store.EventFilter{})
	if err != nil {
		return rep, fmt.Errorf("count the events: %w", err)
	}
	progress("events", 0, total)
	done, err := copyEvents(ctx, src, dst, func(n int) { progress("events", n, total) })
	if err != nil {
		return rep, fmt.Errorf("events: %w", err)
	}
	got, err := countRows(ctx, pool, "events")
	if err != nil {
		return rep, err
	}
	rep.Counts = append(rep.Counts, Count{Table: "events", From: total, To: got})
	_ = done

	for _, table := range copied {
		progress(table, 0, 0)
		from, err := copyTable(ctx, db, pool, table)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", table, err)
		}
		to, err := countRows(ctx, pool, table)
		if err != nil {
			return rep, err
		}
		rep.Counts = append(rep.Counts, Count{Table: table, From: from, To: to})
	}
	if err := fixCounters(ctx, db, dst); err != nil {
		return rep, err
	}
	return rep, nil
}

// mustBeEmpty refuses a database that already holds a store's data: a
// copy adds to nothing, so a second run cannot double anything.
func mustBeEmpty(ctx context.Context, pool *pgxpool.Pool) error {
	for _, t := range append([]string{"events"}, copied...) {
		var any bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
			return fmt.Errorf("read %s: %w", t, err)
		}
		if any {
			return fmt.Errorf("the PostgreSQL store already holds data (%s is not empty): migrate copies into an empty database only", t)
		}
	}
	return nil
}

// copyEvents pages through every event, oldest first, into dst.
func copyEvents(ctx context.Context, src *store.SQLite, dst store.Store, progress func(int)) (int, error) {
	q := store.EventQuery{Sort: store.ByTime, Limit: store.MaxPageSize, Last: true}
	n := 0
	var batch []model.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := dst.PutEvents(ctx, batch); err != nil {
			return err
		}
		n += len(batch)
		batch = batch[:0]
		progress(n)
		return nil
	}
	for {
		page, err := src.Events(ctx, q)
		if err != nil {
			return n, err
		}
		// Pages are newest first; the last page first, then upwards.
		for i := len(page.Events) - 1; i >= 0; i-- {
			batch = append(batch, page.Events[i])
		}
		if len(batch) >= eventBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
		if !page.HasPrev || page.First == nil {
			break
		}
		q = store.EventQuery{Sort: store.ByTime, Limit: store.MaxPageSize, Before: page.First}
	}
	return n, flush()
}

// copyTable copies a table's rows, the columns both stores have, with
// COPY; values change type where PostgreSQL's column wants another
// (SQLite keeps booleans as integers).
func copyTable(ctx context.Context, db *sql.DB, pool *pgxpool.Pool, table string) (int, error) {
	pgTypes, err := columnTypes(ctx, pool, table)
	if err != nil {
		return 0, err
	}
	srcCols, err := sqliteColumns(ctx, db, table)
	if err != nil {
		return 0, err
	}
	var cols []string
	for _, c := range srcCols {
		if _, ok := pgTypes[c]; ok {
			cols = append(cols, c)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var data [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for i, c := range cols {
			if vals[i], err = convert(vals[i], pgTypes[c]); err != nil {
				return 0, fmt.Errorf("column %s: %w", c, err)
			}
		}
		data = append(data, vals)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(data) == 0 {
		return 0, nil
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(data)); err != nil {
			return err
		}
		// Ids were copied as they were: the sequences behind them move
		// past them, so the next row gets a new one.
		for c := range pgTypes {
			var seq *string
			if err := tx.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, $2)`, table, c).Scan(&seq); err != nil {
				return err
			}
			if seq == nil {
				continue
			}
			if _, err := tx.Exec(ctx, `SELECT setval($1, GREATEST((SELECT max(`+pgx.Identifier{c}.Sanitize()+`) FROM `+table+`), 1))`, *seq); err != nil {
				return err
			}
		}
		return nil
	})
	return len(data), err
}

// convert makes a SQLite value what PostgreSQL's column of type typ takes.
func convert(v any, typ string) (any, error) {
	switch typ {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case nil:
			return nil, nil
		}
		return nil, fmt.Errorf("%T is not a boolean", v)
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	case "text":
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case float64:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	}
	return v, nil
}

func columnTypes(ctx context.Context, pool *pgxpool.Pool, table string) (map[string]string, error) {
	rows, err := pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = typ
	}
	if len(out) == 0 && rows.Err() == nil {
		return nil, fmt.Errorf("the PostgreSQL store has no table %s", table)
	}
	return out, rows.Err()
}

func sqliteColumns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	if len(cols) == 0 && rows.Err() == nil {
		return nil, errors.New("the SQLite store has no such table (a store from an older risktop: open it with this one first)")
	}
	return cols, rows.Err()
}

func countRows(ctx context.Context, pool *pgxpool.Pool, table string) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	return n, err
}

// fixCounters carries the alerts' change sequence over, and points the
// detection engine's events cursor at PostgreSQL's feed head: the copied
// alerts already judged every copied event, and the feed was numbered
// anew.
func fixCounters(ctx context.Context, db *sql.DB, dst *postgres.Store) error {
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT n FROM counters WHERE name = 'alert_seq'`).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the alerts' sequence: %w", err)
	}
	if _, err := dst.Pool().Exec(ctx, `UPDATE counters SET n = $1 WHERE name = 'alert_seq'`, seq); err != nil {
		return fmt.Errorf("carry the alerts' sequence: %w", err)
	}
	old, err := dst.Cursor(ctx, "detect/events")
	if err != nil || old == "" {
		return err
	}
	head, err := dst.FeedHead(ctx)
	if err != nil {
		return err
	}
	_, ms, _ := strings.Cut(old, " ")
	return dst.SetCursor(ctx, "detect/events", strconv.FormatInt(head, 10)+" "+ms)
}
