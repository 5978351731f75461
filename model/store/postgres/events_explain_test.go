package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
)

// Free text is answered from the pg_trgm index (issue 17): on 200,000
// events, a word in a few of them is found through events_search, for a
// count and for a page, not by reading the table.
func TestFreeTextUsesTrigramIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Rows made by the server: varied text (a piece of an md5 each), a rare name in
	// one row of 2,000. The index is built after them from its own
	// definition (as a bulk build: inserting into it row by row takes
	// far longer).
	var indexDef string
	if err := s.pool.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'events_search'`).Scan(&indexDef); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `DROP INDEX events_search`); err != nil {
		t.Fatal(err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO events (seq, vendor, id, type, type_name, ip, score, level, app, reasons, fields, search_text)
		SELECT (1767225600000 + i * 1000) << 20, 'onelogin', i::text, 5, 'event type 5', '192.0.2.' || (i % 250), i % 101, 0, 'Slack',
			'New device: ' || left(md5(i::text), 8), '',
			'event type 5' || chr(31) || CASE WHEN i % 2000 = 0 THEN 'ada kowalski' ELSE 'user ' || left(md5((i * 7)::text), 10) END ||
			chr(31) || '192.0.2.' || (i % 250) || chr(31) || 'slack' || chr(31) || 'new device: ' || left(md5(i::text), 8)
		FROM generate_series(1, 100000) AS i`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, indexDef); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	p, err := s.plan(ctx, store.EventFilter{Text: "Kowalski"})
	if err != nil {
		t.Fatal(err)
	}
	for name, query := range map[string]string{
		"count": `SELECT count(*) FROM events e` + p.where(),
		"page":  eventSelect + p.where() + ` ORDER BY ` + eventOrder(store.ByTime, false) + ` LIMIT 51`,
	} {
		plan := explain(t, s, query, p.args...)
		t.Logf("%s:\n%s", name, plan)
		if !strings.Contains(plan, "events_search") {
			t.Errorf("%s: the plan does not use events_search:\n%s", name, plan)
		}
	}
	if n, err := s.CountEvents(ctx, store.EventFilter{Text: "KOWALSKI"}); err != nil || n != 50 {
		t.Errorf("count = %d, %v; want 50", n, err)
	}
}

func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
