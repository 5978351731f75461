package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/model"
)

// alertsSchema is the detections' migration: the alerts, the counters
// behind their change sequence and the event feed, and the events' feed
// column (see feed.go).
var alertsSchema = `
CREATE TABLE counters (
	name TEXT    PRIMARY KEY,
	n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, n) VALUES ('alert_seq', 0), ('event_feed', 0);

CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rule        TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	severity    INTEGER NOT NULL,
	state       TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
	dedupe      TEXT    NOT NULL, -- rule and subject: one live alert each
	title       TEXT    NOT NULL,
	subject     TEXT    NOT NULL,
	first_ms    INTEGER NOT NULL,
	last_ms     INTEGER NOT NULL,
	count       INTEGER NOT NULL,
	evidence    TEXT    NOT NULL, -- JSON (alertEvidence): the lists
	events_total    INTEGER NOT NULL, -- the evidence's totals, apart: they change
	people_total    INTEGER NOT NULL, -- on every update, the lists stop at 500
	addresses_total INTEGER NOT NULL,
	incident    TEXT    NOT NULL, -- JSON (alertIncident); '' when none
	response    TEXT    NOT NULL, -- model.Response.String()
	backfilled  INTEGER NOT NULL,
	acked_by    TEXT    NOT NULL,
	acked_ms    INTEGER NOT NULL,
	resolved_by TEXT    NOT NULL,
	resolved_ms INTEGER NOT NULL,
	created_ms  INTEGER NOT NULL,
	updated_ms  INTEGER NOT NULL,
	seq         INTEGER NOT NULL  -- the change sequence: counters.alert_seq when last written
);
-- Upserts find the live alert of a key; the index also keeps it unique.
CREATE UNIQUE INDEX alerts_live ON alerts (dedupe) WHERE state != 'resolved';
-- Readers ask for the changes after a sequence number.
CREATE UNIQUE INDEX alerts_seq ON alerts (seq);
-- Lists by state, newest first, page by id.
CREATE INDEX alerts_state ON alerts (state, id);

-- The order events were stored in (see feed.go): the seq rowid is time
-- ordered, so an event fetched late sorts before events stored earlier.
ALTER TABLE events ADD COLUMN feed INTEGER;
CREATE INDEX events_feed ON events (feed) WHERE feed IS NOT NULL;
`

// ErrAlertState refuses a state change an alert cannot make (resolving a
// resolved alert, acknowledging an acknowledged one).
var ErrAlertState = errors.New("alert state change not possible")

// AlertQuery asks for one page of alerts, newest first.
type AlertQuery struct {
	// States lists the states wanted; none means every state.
	States []model.AlertState
	// BeforeID continues below a page: the last alert's ID (0: the first page).
	BeforeID int64
	Limit    int // 1–500; 0 means DefaultPageSize
	// ByLastSeen orders by the evidence's last time, newest first, then
	// by id (the Alerts tab: what is happening now on top, however late a
	// back-fill found old alerts); BeforeLast with BeforeID continue
	// below a page's last alert.
	ByLastSeen bool
	BeforeLast time.Time
}

// AlertMerge folds a rule's new finding into the live alert of the same
// key, returning what to store. Only the finding's fields count (rule,
// kind, severity, title, subject, times, count, evidence, incident,
// response, backfilled); state, acknowledgement and ids are the store's.
type AlertMerge func(live, finding model.Alert) model.Alert

// alertEvidence is model.Evidence's lists as stored (the totals have
// columns of their own).
type alertEvidence struct {
	Events    []string `json:"e,omitempty"` // vendor/id (a vendor's name has no slash)
	People    []string `json:"p,omitempty"`
	Addresses []string `json:"a,omitempty"`
}

// alertIncident is model.Incident as stored.
type alertIncident struct {
	Range     string `json:"range"`
	Addresses int    `json:"addresses"`
	People    int    `json:"people"`
	Failures  int    `json:"failures"`
	FromMs    int64  `json:"from_ms"`
	ToMs      int64  `json:"to_ms"`
}

const alertColumns = `id, rule, kind, severity, state, dedupe, title, subject, first_ms, last_ms, count,
	evidence, events_total, people_total, addresses_total, incident, response, backfilled, acked_by, acked_ms, resolved_by, resolved_ms, created_ms, updated_ms, seq`

type rowScanner interface{ Scan(dest ...any) error }

func scanAlert(r rowScanner) (model.Alert, error) {
	var (
		a                                model.Alert
		severity                         int
		state, kind, evidence, inc, resp string
		firstMs, lastMs, ackMs, resMs    int64
		createdMs, updatedMs             int64
		backfilled                       bool
	)
	if err := r.Scan(&a.ID, &a.Rule, &kind, &severity, &state, &a.Key, &a.Title, &a.Subject, &firstMs, &lastMs,
		&a.Count, &evidence, &a.Evidence.EventsTotal, &a.Evidence.PeopleTotal, &a.Evidence.AddressesTotal, &inc, &resp, &backfilled, &a.AckedBy, &ackMs, &a.ResolvedBy, &resMs,
		&createdMs, &updatedMs, &a.Seq); err != nil {
		return model.Alert{}, err
	}
	a.Kind, a.Severity, a.State = model.RuleKind(kind), model.Level(severity), model.AlertState(state)
	a.FirstSeen, a.LastSeen = timeOfMs(firstMs), timeOfMs(lastMs)
	a.AckedAt, a.ResolvedAt = timeOfMs(ackMs), timeOfMs(resMs)
	a.Created, a.Updated = timeOfMs(createdMs), timeOfMs(updatedMs)
	a.Backfilled = backfilled
	a.Response = parseResponse(resp)
	if err := decodeAlertJSON(&a, evidence, inc); err != nil {
		return model.Alert{}, err
	}
	return a, nil
}

// decodeAlertJSON fills a's evidence lists and incident from their
// columns ("" for none).
func decodeAlertJSON(a *model.Alert, evidence, inc string) error {
	if evidence != "" {
		var ev alertEvidence
		if err := json.Unmarshal([]byte(evidence), &ev); err != nil {
			return fmt.Errorf("alert %d: evidence: %w", a.ID, err)
		}
		a.Evidence.People, a.Evidence.Addresses = ev.People, ev.Addresses
		if len(ev.Events) > 0 {
			a.Evidence.Events = make([]model.EventRef, len(ev.Events))
			for i, e := range ev.Events {
				v, id, _ := strings.Cut(e, "/")
				a.Evidence.Events[i] = model.EventRef{Vendor: v, ID: id}
			}
		}
	}
	if inc != "" {
		var in alertIncident
		if err := json.Unmarshal([]byte(inc), &in); err != nil {
			return fmt.Errorf("alert %d: incident: %w", a.ID, err)
		}
		a.Incident = &model.Incident{Range: in.Range, Addresses: in.Addresses, People: in.People,
			Failures: in.Failures, From: timeOfMs(in.FromMs), To: timeOfMs(in.ToMs)}
	}
	return nil
}

// parseResponse reads model.Response.String().
func parseResponse(s string) model.Response {
	kind, level, _ := strings.Cut(s, " ")
	r := model.Response{Kind: model.ResponseKind(kind)}
	if r.Kind == "" {
		r.Kind = model.ResponseNone
	}
	if l, ok := model.ParseLevel(level); ok {
		r.Level = l
	}
	return r
}

func encodeEvidence(e model.Evidence) (string, error) {
	ev := alertEvidence{People: e.People, Addresses: e.Addresses}
	if len(e.Events) > 0 {
		ev.Events = make([]string, len(e.Events))
		for i, r := range e.Events {
			ev.Events[i] = r.Vendor + "/" + r.ID
		}
	}
	b, err := json.Marshal(ev)
	return string(b), err
}

func encodeIncident(in *model.Incident) (string, error) {
	if in == nil {
		return "", nil
	}
	b, err := json.Marshal(alertIncident{Range: in.Range, Addresses: in.Addresses, People: in.People,
		Failures: in.Failures, FromMs: unixMs(in.From), ToMs: unixMs(in.To)})
	return string(b), err
}

// PutAlerts stores rule findings and, in the same transaction, the named
// cursors (so an engine that restarts resumes exactly where its alerts
// stand). A finding whose Key has a live alert (open or acknowledged)
// updates it through merge (nil: the finding's fields replace the
// alert's); otherwise it is a new open alert. A back-filled live alert
// does not absorb a fresh (not back-filled) finding: it is resolved by
// SystemActor and the finding starts a new alert, so news is never hidden
// in an old alert. Every insert and update takes the next change sequence
// number. It returns the alerts as stored, in the order of findings (a
// superseded alert just before the alert that superseded it).
func (s *SQLite) PutAlerts(ctx context.Context, now time.Time, findings []model.Alert, merge AlertMerge,
	cursors map[string]string) ([]model.Alert, error) {
	for i, f := range findings {
		if f.Key == "" || f.Rule == "" {
			return nil, fmt.Errorf("store: put alerts: finding %d has no key or rule", i)
		}
	}
	prepared, err := s.prepared.prepare(ctx, s.write, alertQueries)
	if err != nil {
		return nil, fmt.Errorf("store: put alerts: %w", err)
	}
	out := make([]model.Alert, 0, len(findings))
	var (
		wrote map[string]model.Alert // this transaction's writes, for the cache once committed
		seq   int64                  // the change sequence once committed
	)
	s.alerts.Lock()
	defer s.alerts.Unlock()
	err = s.inTx(ctx, "put alerts", func(tx *sql.Tx) error {
		// The statements run to their end: the driver watches a context
		// that can end with a goroutine and a progress handler on every
		// statement (0.1–0.3 ms of a poll's 36 writes). The transaction
		// still waits for the lock at BEGIN, and rolls back if ctx ends
		// in between, under ctx.
		ctx := context.WithoutCancel(ctx)
		out = out[:0]
		wrote = map[string]model.Alert{}
		st := &alertStmts{tx: tx, prepared: prepared}
		defer st.close()
		lives, err := s.liveAlerts(ctx, st, findings)
		if err != nil {
			return err
		}
		// New alerts are inserted together, in one statement, when the
		// batch ends or a later finding needs one of them (about 30 a poll:
		// one statement each was a third of the store's time).
		var pending []newAlert
		flush := func() error {
			if err := st.insertAlerts(ctx, now, pending); err != nil {
				return err
			}
			for _, p := range pending {
				out[p.at] = p.a
				wrote[p.a.Key] = p.a
			}
			pending = pending[:0]
			return nil
		}
		isPending := func(key string) bool {
			for _, p := range pending {
				if p.a.Key == key {
					return true
				}
			}
			return false
		}
		for _, f := range findings {
			if isPending(f.Key) {
				if err := flush(); err != nil {
					return err
				}
			}
			live, err := liveAlert(f.Key, wrote, lives)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				a, err := st.newAlert(ctx, now, f)
				if err != nil {
					return err
				}
				pending = append(pending, newAlert{a: a, at: len(out)})
				out = append(out, a)
				continue
			case err != nil:
				return err
			}
			if live.Backfilled && !f.Backfilled {
				// History does not absorb news: the back-filled alert is
				// resolved, and the fresh finding starts an alert of its own.
				old, err := st.resolve(ctx, now, live, SystemActor)
				if err != nil {
					return err
				}
				a, err := st.newAlert(ctx, now, f)
				if err != nil {
					return err
				}
				out = append(out, old)
				pending = append(pending, newAlert{a: a, at: len(out)})
				out = append(out, a)
				continue
			}
			next := f
			if merge != nil {
				next = merge(live, f)
			}
			a, changed, err := st.updateAlert(ctx, now, live, next)
			if err != nil {
				return err
			}
			if changed {
				out = append(out, a)
				wrote[a.Key] = a
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if err := st.saveSeq(ctx); err != nil {
			return err
		}
		seq = st.seq
		for name, value := range cursors {
			put, err := st.stmt(ctx, &st.cursor, qPutCursor)
			if err != nil {
				return err
			}
			if _, err := put.ExecContext(ctx, name, value, unixMs(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.alerts.Forget()
		return nil, err
	}
	s.alerts.Put(wrote, seq)
	return out, nil
}

// SystemActor resolves a back-filled alert that a fresh finding
// supersedes (see PutAlerts).
const SystemActor = "risktop"

// resolve marks a live alert resolved by actor.
func (st *alertStmts) resolve(ctx context.Context, now time.Time, a model.Alert, actor string) (model.Alert, error) {
	seq, err := st.nextSeq(ctx)
	if err != nil {
		return model.Alert{}, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	a.State, a.ResolvedBy, a.ResolvedAt, a.Updated, a.Seq = model.AlertResolved, actor, now, now, seq
	resolv, err := st.stmt(ctx, &st.resolv, qResolveAlert)
	if err != nil {
		return model.Alert{}, err
	}
	_, err = resolv.ExecContext(ctx, actor, unixMs(now), unixMs(now), seq, a.ID)
	return a, err
}

// sqliteAlertLister reads the list of live alerts for AlertCache.Sync,
// in PutAlerts' transaction.
type sqliteAlertLister struct{ tx *sql.Tx }

func (l sqliteAlertLister) AlertsChanged(ctx context.Context, after int64, yield func(AlertRef)) error {
	return l.refs(ctx, yield, `SELECT dedupe, id, seq, state FROM alerts WHERE seq > ? ORDER BY seq`, after)
}

func (l sqliteAlertLister) LiveAlertCount(ctx context.Context) (int, error) {
	var n int
	err := l.tx.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE state != 'resolved'`).Scan(&n)
	return n, err
}

func (l sqliteAlertLister) LiveAlertRefs(ctx context.Context, yield func(AlertRef)) error {
	return l.refs(ctx, yield, `SELECT dedupe, id, seq, state FROM alerts WHERE state != 'resolved'`)
}

func (l sqliteAlertLister) refs(ctx context.Context, yield func(AlertRef), query string, args ...any) error {
	rows, err := l.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return ScanAlertRefs(rows, yield)
}

// liveAlerts are the live alerts of the findings' keys, by key: from the
// cache when it lists every live alert (reading only those it holds no
// current copy of); else in two queries, the stored seq of those the
// cache holds (an acknowledgement, another process or a prune changes or
// removes it), then the rows of the rest.
func (s *SQLite) liveAlerts(ctx context.Context, st *alertStmts, findings []model.Alert) (map[string]model.Alert, error) {
	n, err := st.storedSeq(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.alerts.Sync(ctx, n, sqliteAlertLister{st.tx}); err != nil {
		return nil, err
	}
	found := s.alerts.Find(findings)
	out := found.Live
	read := make([]string, 0, len(found.Read)+len(found.Check))
	for _, r := range found.Read {
		read = append(read, r.Key)
	}
	if len(found.Check) > 0 {
		cached := make(map[int64]model.Alert, len(found.Check))
		ids := make([]int64, len(found.Check))
		for i, a := range found.Check {
			cached[a.ID], ids[i] = a, a.ID
		}
		q, err := st.stmt(ctx, &st.seqs, qCachedSeqs)
		if err != nil {
			return nil, err
		}
		arg, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		rows, err := q.QueryContext(ctx, string(arg))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			if a := cached[id]; a.Seq == seq {
				out[a.Key] = a
				delete(cached, id)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		for _, a := range cached {
			read = append(read, a.Key) // changed or gone: read it
		}
	}
	if err := s.readLiveAlerts(ctx, st, read, out); err != nil {
		return nil, err
	}
	return out, nil
}

// readLiveAlerts reads the live alerts of keys into out (none for a key
// without one), and keeps them in the cache.
func (s *SQLite) readLiveAlerts(ctx context.Context, st *alertStmts, keys []string, out map[string]model.Alert) error {
	// JSON would make invalid UTF-8 U+FFFD: such keys are read one by one.
	var odd []string
	keys = slices.DeleteFunc(keys, func(k string) bool {
		if utf8.ValidString(k) {
			return false
		}
		odd = append(odd, k)
		return true
	})
	for _, k := range odd {
		q, err := st.stmt(ctx, &st.findOne, qFindAlert)
		if err != nil {
			return err
		}
		a, err := scanAlert(q.QueryRowContext(ctx, k))
		switch {
		case err == nil:
			out[k] = a
			s.alerts.Keep(a)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	if len(keys) == 0 {
		return nil
	}
	q, err := st.stmt(ctx, &st.find, qFindAlerts)
	if err != nil {
		return err
	}
	arg, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, string(arg))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return err
		}
		out[a.Key] = a
		s.alerts.Keep(a)
	}
	return rows.Err()
}

// liveAlert is the live alert of key (sql.ErrNoRows when none): from this
// transaction's writes, else as liveAlerts found it.
func liveAlert(key string, wrote, lives map[string]model.Alert) (model.Alert, error) {
	if a, ok := wrote[key]; ok {
		return a, nil
	}
	if a, ok := lives[key]; ok {
		return a, nil
	}
	return model.Alert{}, sql.ErrNoRows
}

// PutAlerts' queries.
const (
	qFindAlert    = `SELECT ` + alertColumns + ` FROM alerts WHERE dedupe = ? AND state != 'resolved'`
	qFindAlerts   = `SELECT ` + alertColumns + ` FROM alerts WHERE state != 'resolved' AND dedupe IN (SELECT value FROM json_each(?))`
	qCachedSeqs   = `SELECT a.id, a.seq FROM json_each(?) j JOIN alerts a ON a.id = j.value WHERE a.state != 'resolved'`
	qResolveAlert = `UPDATE alerts SET state = 'resolved', resolved_by = ?, resolved_ms = ?, updated_ms = ?, seq = ?
		WHERE id = ?`
	qInsertAlert = `INSERT INTO alerts
		(rule, kind, severity, state, dedupe, title, subject, first_ms, last_ms, count, evidence,
		 events_total, people_total, addresses_total, incident, response,
		 backfilled, seq, acked_by, acked_ms, resolved_by, resolved_ms, created_ms, updated_ms)
		VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, '', 0, '', 0, ?18, ?18)
		RETURNING id`
	// qInsertAlerts inserts the rows of a JSON array, each qInsertAlert's
	// first 17 arguments; ?1 is now.
	qInsertAlerts = `INSERT INTO alerts
		(rule, kind, severity, state, dedupe, title, subject, first_ms, last_ms, count, evidence,
		 events_total, people_total, addresses_total, incident, response,
		 backfilled, seq, acked_by, acked_ms, resolved_by, resolved_ms, created_ms, updated_ms)
		SELECT value->>0, value->>1, value->>2, 'open', value->>3, value->>4, value->>5, value->>6, value->>7,
		 value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16,
		 '', 0, '', 0, ?1, ?1
		FROM json_each(?2) ORDER BY key
		RETURNING id, seq`
)

// The change sequence's counter, and the engine's cursors.
const (
	qReadSeq   = `SELECT n FROM counters WHERE name = 'alert_seq'`
	qSaveSeq   = `UPDATE counters SET n = ? WHERE name = 'alert_seq'`
	qPutCursor = `INSERT INTO cursors (name, value, updated_ms) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`
)

var alertQueries = []string{qFindAlert, qFindAlerts, qCachedSeqs, qResolveAlert, qInsertAlert, qInsertAlerts,
	qReadSeq, qSaveSeq, qPutCursor,
	updateAll + updateRest + updateLists + updateWhere, updateAll + updateRest + updateWhere,
	updateTouch + updateRest + updateLists + updateWhere, updateTouch + updateRest + updateWhere}

// preparedStmts are statements prepared once on the writer and lent to each
// transaction (Tx.StmtContext reuses a statement already prepared on its
// connection): preparing them in every PutAlerts was about a tenth of a
// poll's store work. They are prepared before a transaction, which holds
// the writer's only connection.
type preparedStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepare returns the statements of queries, preparing those not yet.
func (w *preparedStmts) prepare(ctx context.Context, db *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*sql.Stmt{}
	}
	for _, q := range queries {
		if w.m[q] != nil {
			continue
		}
		p, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		w.m[q] = p
	}
	return w.m, nil
}

// one returns the statement of query, preparing it when not yet.
func (w *preparedStmts) one(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.m[query]; p != nil {
		return p, nil
	}
	p, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if w.m == nil {
		w.m = map[string]*sql.Stmt{}
	}
	w.m[query] = p
	return p, nil
}

func (w *preparedStmts) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.m {
		p.Close()
	}
	w.m = nil
}

// alertStmts are PutAlerts' statements, each prepared once a transaction
// when first used, and its change sequence, read once and stored once.
type alertStmts struct {
	tx                                                                     *sql.Tx
	prepared                                                               map[string]*sql.Stmt
	find, insert, insertMany, update, updateKeep, touch, touchKeep, resolv *sql.Stmt
	seqs, findOne, readSeq, saveSeqs, cursor                               *sql.Stmt
	seq, seqRead                                                           int64 // seqRead: as stored; 0 until read
}

// stmt is query's statement in this transaction: the writer's, prepared
// once (see preparedStmts), or prepared now.
func (st *alertStmts) stmt(ctx context.Context, p **sql.Stmt, query string) (*sql.Stmt, error) {
	if *p == nil {
		if parent := st.prepared[query]; parent != nil {
			*p = st.tx.StmtContext(ctx, parent)
		} else {
			var err error
			if *p, err = st.tx.PrepareContext(ctx, query); err != nil {
				return nil, err
			}
		}
	}
	return *p, nil
}

func (st *alertStmts) close() {
	for _, s := range []*sql.Stmt{st.find, st.insert, st.insertMany, st.update, st.updateKeep, st.touch, st.touchKeep, st.resolv,
		st.seqs, st.findOne, st.readSeq, st.saveSeqs, st.cursor} {
		if s != nil {
			s.Close()
		}
	}
}

// storedSeq is the change sequence number as stored when the
// transaction began.
func (st *alertStmts) storedSeq(ctx context.Context) (int64, error) {
	if st.seqRead == 0 {
		read, err := st.stmt(ctx, &st.readSeq, qReadSeq)
		if err != nil {
			return 0, err
		}
		if err := read.QueryRowContext(ctx).Scan(&st.seq); err != nil {
			return 0, err
		}
		st.seqRead = st.seq + 1 // never 0
	}
	return st.seqRead - 1, nil
}

// nextSeq takes the next change sequence number (the writer holds the
// lock from BEGIN, so no one else takes one meanwhile).
func (st *alertStmts) nextSeq(ctx context.Context) (int64, error) {
	if _, err := st.storedSeq(ctx); err != nil {
		return 0, err
	}
	st.seq++
	return st.seq, nil
}

// saveSeq stores the numbers taken.
func (st *alertStmts) saveSeq(ctx context.Context) error {
	if st.seqRead == 0 || st.seq == st.seqRead-1 {
		return nil
	}
	save, err := st.stmt(ctx, &st.saveSeqs, qSaveSeq)
	if err != nil {
		return err
	}
	_, err = save.ExecContext(ctx, st.seq)
	return err
}

// newAlert is an alert to insert, at out[at] of PutAlerts.
type newAlert struct {
	a  model.Alert
	at int
}

// newAlert is finding f as a new open alert, with the next change
// sequence number; insertAlerts stores it and gives it its id.
func (st *alertStmts) newAlert(ctx context.Context, now time.Time, f model.Alert) (model.Alert, error) {
	seq, err := st.nextSeq(ctx)
	if err != nil {
		return model.Alert{}, err
	}
	a := f
	a.State = model.AlertOpen
	a.FirstSeen, a.LastSeen = msTime(a.FirstSeen), msTime(a.LastSeen) // as stored
	if a.Incident != nil {
		in := *a.Incident
		in.From, in.To = msTime(in.From), msTime(in.To)
		a.Incident = &in
	}
	a.AckedBy, a.AckedAt, a.ResolvedBy, a.ResolvedAt = "", time.Time{}, "", time.Time{}
	a.Created, a.Updated, a.Seq = now.UTC().Truncate(time.Millisecond), now.UTC().Truncate(time.Millisecond), seq
	if a.Count <= 0 {
		a.Count = 1
	}
	return a, nil
}

// insertAlerts inserts new alerts and sets their ids: in one statement
// (their rows as one JSON array), or one by one when a text is not
// valid UTF-8 (JSON would make it U+FFFD).
func (st *alertStmts) insertAlerts(ctx context.Context, now time.Time, as []newAlert) error {
	rows := make([][]any, len(as))
	one := len(as) == 1
	for i := range as {
		a := &as[i].a
		ev, err := encodeEvidence(a.Evidence)
		if err != nil {
			return err
		}
		inc, err := encodeIncident(a.Incident)
		if err != nil {
			return err
		}
		rows[i] = []any{a.Rule, string(a.Kind), int(a.Severity), a.Key, a.Title, a.Subject,
			unixMs(a.FirstSeen), unixMs(a.LastSeen), a.Count, ev, a.Evidence.EventsTotal, a.Evidence.PeopleTotal,
			a.Evidence.AddressesTotal, inc, a.Response.String(), a.Backfilled, a.Seq}
		for _, v := range rows[i] {
			if t, ok := v.(string); ok && !utf8.ValidString(t) {
				one = true
			}
		}
	}
	if len(as) == 0 {
		return nil
	}
	if one {
		insert, err := st.stmt(ctx, &st.insert, qInsertAlert)
		if err != nil {
			return err
		}
		for i, r := range rows {
			if err := insert.QueryRowContext(ctx, append(r, unixMs(now))...).Scan(&as[i].a.ID); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range rows {
		if r[15] == true { // JSON has no booleans for SQLite's integer column
			r[15] = 1
		} else {
			r[15] = 0
		}
	}
	arg, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	insert, err := st.stmt(ctx, &st.insertMany, qInsertAlerts)
	if err != nil {
		return err
	}
	res, err := insert.QueryContext(ctx, unixMs(now), string(arg))
	if err != nil {
		return err
	}
	defer res.Close()
	bySeq := make(map[int64]*model.Alert, len(as))
	for i := range as {
		bySeq[as[i].a.Seq] = &as[i].a
	}
	n := 0
	for res.Next() {
		var id, seq int64
		if err := res.Scan(&id, &seq); err != nil {
			return err
		}
		if a := bySeq[seq]; a != nil {
			a.ID = id
			n++
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	if n != len(as) {
		return fmt.Errorf("inserted %d alerts of %d", n, len(as))
	}
	return nil
}

// The alert updates: every column a finding sets, or (touch) only those
// a finding of the same occurrence moves; each with or without the
// evidence's lists.
const (
	updateAll = `UPDATE alerts SET rule = ?, kind = ?, severity = ?, title = ?, subject = ?, first_ms = ?,
		incident = ?, response = ?, backfilled = ?, `
	updateTouch = `UPDATE alerts SET `
	updateRest  = `last_ms = ?, count = ?, events_total = ?, people_total = ?, addresses_total = ?, updated_ms = ?, seq = ?`
	updateLists = `, evidence = ?`
	updateWhere = ` WHERE id = ?`
)

// updateAlert writes next over live, unless it changes nothing the
// operator sees (changed false: no write, no sequence number).
func (st *alertStmts) updateAlert(ctx context.Context, now time.Time, live, next model.Alert) (a model.Alert, changed bool, err error) {
	a = next
	a.ID, a.Key, a.State = live.ID, live.Key, live.State
	a.AckedBy, a.AckedAt, a.ResolvedBy, a.ResolvedAt = live.AckedBy, live.AckedAt, live.ResolvedBy, live.ResolvedAt
	a.Created, a.Updated, a.Seq = live.Created, live.Updated, live.Seq
	if a.Count <= 0 {
		a.Count = live.Count
	}
	// Times are stored to the millisecond.
	a.FirstSeen, a.LastSeen = msTime(a.FirstSeen), msTime(a.LastSeen)
	if a.Incident != nil {
		in := *a.Incident
		in.From, in.To = msTime(in.From), msTime(in.To)
		a.Incident = &in
	}
	keepLists := sameLists(live.Evidence, a.Evidence)
	same := sameHead(live, a)
	if same && keepLists && a.LastSeen.Equal(live.LastSeen) && a.Count == live.Count &&
		a.Evidence.EventsTotal == live.Evidence.EventsTotal && a.Evidence.PeopleTotal == live.Evidence.PeopleTotal &&
		a.Evidence.AddressesTotal == live.Evidence.AddressesTotal {
		return live, false, nil
	}
	seq, err := st.nextSeq(ctx)
	if err != nil {
		return model.Alert{}, false, err
	}
	a.Updated, a.Seq = now.UTC().Truncate(time.Millisecond), seq
	var (
		args  []any
		query string
		p     **sql.Stmt
	)
	if same {
		query, p = updateTouch, &st.touch
	} else {
		inc, err := encodeIncident(a.Incident)
		if err != nil {
			return model.Alert{}, false, err
		}
		args = []any{a.Rule, string(a.Kind), int(a.Severity), a.Title, a.Subject, unixMs(a.FirstSeen), inc,
			a.Response.String(), a.Backfilled}
		query, p = updateAll, &st.update
	}
	args = append(args, unixMs(a.LastSeen), a.Count, a.Evidence.EventsTotal, a.Evidence.PeopleTotal,
		a.Evidence.AddressesTotal, unixMs(now), seq)
	query += updateRest
	if keepLists {
		// Lists that stopped growing (they hold 500 at most) are not
		// written again.
		if same {
			p = &st.touchKeep
		} else {
			p = &st.updateKeep
		}
	} else {
		ev, err := encodeEvidence(a.Evidence)
		if err != nil {
			return model.Alert{}, false, err
		}
		query += updateLists
		args = append(args, ev)
	}
	stmt, err := st.stmt(ctx, p, query+updateWhere)
	if err != nil {
		return model.Alert{}, false, err
	}
	_, err = stmt.ExecContext(ctx, append(args, a.ID)...)
	return a, true, err
}

// sameHead reports whether an update leaves the columns that name and
// describe an alert (all but its times, count and evidence) as stored.
func sameHead(live, a model.Alert) bool {
	return live.Rule == a.Rule && live.Kind == a.Kind && live.Severity == a.Severity && live.Title == a.Title &&
		live.Subject == a.Subject && live.FirstSeen.Equal(a.FirstSeen) && live.Response == a.Response &&
		live.Backfilled == a.Backfilled && sameIncident(live.Incident, a.Incident)
}

func sameIncident(a, b *model.Incident) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Range == b.Range && a.Addresses == b.Addresses && a.People == b.People && a.Failures == b.Failures &&
		a.From.Equal(b.From) && a.To.Equal(b.To)
}

// msTime is t as stored (unixMs, timeOfMs).
func msTime(t time.Time) time.Time { return timeOfMs(unixMs(t)) }

// sameLists reports whether two evidences hold the same lists (totals
// aside).
func sameLists(a, b model.Evidence) bool {
	return slices.Equal(a.Events, b.Events) && slices.Equal(a.People, b.People) && slices.Equal(a.Addresses, b.Addresses)
}

// Alerts lists one page of alerts, newest first (by id), in the states
// asked.
func (s *SQLite) Alerts(ctx context.Context, q AlertQuery) ([]model.Alert, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return nil, fmt.Errorf("store: alerts: page size %d is not within 1–%d", q.Limit, MaxPageSize)
	}
	var w where
	if len(q.States) > 0 {
		args := make([]any, len(q.States))
		for i, st := range q.States {
			args[i] = string(st)
		}
		w.add(`state IN (`+marks(len(args))+`)`, args...)
	}
	order := ` ORDER BY id DESC`
	switch {
	case q.ByLastSeen && q.BeforeID > 0:
		ms := unixMs(q.BeforeLast)
		w.add(`(last_ms < ? OR (last_ms = ? AND id < ?))`, ms, ms, q.BeforeID)
	case q.BeforeID > 0:
		w.add(`id < ?`, q.BeforeID)
	}
	if q.ByLastSeen {
		order = ` ORDER BY last_ms DESC, id DESC`
	}
	return s.queryAlerts(ctx, "alerts", `SELECT `+alertColumns+` FROM alerts`+w.sql()+order+` LIMIT ?`,
		append(w.args, limit)...)
}

// Alert returns one alert by id.
func (s *SQLite) Alert(ctx context.Context, id int64) (model.Alert, error) {
	a, err := scanAlert(s.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Alert{}, fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return model.Alert{}, fmt.Errorf("store: alert %d: %w", id, err)
	}
	return a, nil
}

// AlertChanges returns up to limit alerts whose latest change is after
// seq, in change order. Each alert comes once, as it is now; a reader that
// keeps the Seq of the last one it got and asks again misses nothing.
func (s *SQLite) AlertChanges(ctx context.Context, afterSeq int64, limit int) ([]model.Alert, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	return s.queryAlerts(ctx, "alert changes", `SELECT `+alertColumns+` FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?`,
		afterSeq, limit)
}

// AlertSeq is the newest change sequence number (0 when no alert was ever
// written): a reader that starts now and wants only what comes next
// starts there.
func (s *SQLite) AlertSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT n FROM counters WHERE name = 'alert_seq'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: alert seq: %w", err)
	}
	return n, nil
}

// LiveAlerts returns the live (open or acknowledged) alerts of the given
// keys, by key; all of them when keys is nil.
func (s *SQLite) LiveAlerts(ctx context.Context, keys []string) (map[string]model.Alert, error) {
	query := `SELECT ` + alertColumns + ` FROM alerts WHERE state != 'resolved'`
	var args []any
	if keys != nil {
		if len(keys) == 0 {
			return map[string]model.Alert{}, nil
		}
		for _, k := range keys {
			args = append(args, k)
		}
		query += ` AND dedupe IN (` + marks(len(keys)) + `)`
	}
	as, err := s.queryAlerts(ctx, "live alerts", query, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]model.Alert, len(as))
	for _, a := range as {
		out[a.Key] = a
	}
	return out, nil
}

// CountAlerts counts alerts by state.
func (s *SQLite) CountAlerts(ctx context.Context) (map[model.AlertState]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT state, count(*) FROM alerts GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count alerts: %w", err)
	}
	defer rows.Close()
	out := map[model.AlertState]int{}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count alerts: %w", err)
		}
		out[model.AlertState(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count alerts: %w", err)
	}
	return out, nil
}

func (s *SQLite) queryAlerts(ctx context.Context, op, query string, args ...any) ([]model.Alert, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	defer rows.Close()
	var out []model.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// SetAlertState moves an alert to acknowledged or resolved, recording who
// and when: open → acknowledged, open or acknowledged → resolved. Any
// other change (a resolved alert, acknowledging twice, back to open) is
// refused with ErrAlertState. It takes the next change sequence number.
func (s *SQLite) SetAlertState(ctx context.Context, id int64, to model.AlertState, actor string, at time.Time) (model.Alert, error) {
	var out model.Alert
	err := s.inTx(ctx, "set alert state", func(tx *sql.Tx) error {
		a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("alert %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := alertTransition(a.State, to); err != nil {
			return fmt.Errorf("alert %d: %w", id, err)
		}
		var seq int64
		err = tx.QueryRowContext(ctx, `UPDATE counters SET n = n + 1 WHERE name = 'alert_seq' RETURNING n`).Scan(&seq)
		if err != nil {
			return err
		}
		at = at.UTC().Truncate(time.Millisecond)
		applyAlertState(&a, to, actor, at, seq)
		_, err = tx.ExecContext(ctx, `UPDATE alerts SET state = ?, acked_by = ?, acked_ms = ?, resolved_by = ?,
			resolved_ms = ?, updated_ms = ?, seq = ? WHERE id = ?`,
			string(a.State), a.AckedBy, unixMs(a.AckedAt), a.ResolvedBy, unixMs(a.ResolvedAt), unixMs(at), seq, id)
		out = a
		return err
	})
	return out, err
}

// alertTransition says why an alert cannot go from one state to another
// (nil when it can).
func alertTransition(from, to model.AlertState) error {
	switch {
	case from == model.AlertResolved:
		return fmt.Errorf("%w: it is resolved already", ErrAlertState)
	case to == model.AlertAcknowledged && from == model.AlertAcknowledged:
		return fmt.Errorf("%w: it is acknowledged already", ErrAlertState)
	case to == model.AlertAcknowledged, to == model.AlertResolved:
		return nil
	}
	return fmt.Errorf("%w: an alert cannot be set %s", ErrAlertState, to)
}

// applyAlertState records a change alertTransition allowed: who and when,
// the state, and its change sequence number.
func applyAlertState(a *model.Alert, to model.AlertState, actor string, at time.Time, seq int64) {
	switch to {
	case model.AlertAcknowledged:
		a.AckedBy, a.AckedAt = actor, at
	case model.AlertResolved:
		a.ResolvedBy, a.ResolvedAt = actor, at
	}
	a.State, a.Updated, a.Seq = to, at, seq
}

// PruneAlerts deletes resolved alerts resolved before a time, in batches
// (live alerts stay whatever their age). It returns how many went.
func (s *SQLite) PruneAlerts(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.inTx(ctx, "prune alerts", func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE id IN (
				SELECT id FROM alerts WHERE state = 'resolved' AND resolved_ms < ? LIMIT ?)`, unixMs(before), s.pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < int64(s.pruneBatch) {
			return total, nil
		}
	}
}
