package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
)

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// An event's seq is its time in unix milliseconds shifted left by
// seqShift, plus a tiebreak below that: unique, and ordered by time first,
// so the events table (whose rowid it is) is stored in time order.
const (
	seqShift   = 20
	seqTieMask = 1<<seqShift - 1
	// maxEventMs keeps seq within 63 bits: times up to the year 2109.
	maxEventMs = 1 << 42
)

func seqOf(ms, tie int64) int64 { return ms<<seqShift | tie&seqTieMask }

// firstSeq is the smallest seq at or after t (clamped, so a far-off time
// bounds nothing rather than overflowing).
func firstSeq(t time.Time) int64 {
	switch ms := t.UnixMilli(); {
	case ms >= maxEventMs:
		return math.MaxInt64
	case ms < -maxEventMs:
		return math.MinInt64
	default:
		return ms << seqShift
	}
}

// tieOf spreads events of one millisecond by a hash of their identity;
// the rare clash moves to the next free tiebreak.
func tieOf(vendor, id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(vendor))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return int64(h.Sum64() & seqTieMask)
}

// identity is how a vendor named a user: one row of the users table.
type identity struct {
	vendor, userID, name, key string
}

// uidCache remembers users rows, so a batch from known users does not
// query the users table at all.
type uidCache struct {
	mu sync.Mutex
	m  map[identity]int64
}

// maxCachedUIDs bounds the cache; past it the cache starts over.
const maxCachedUIDs = 200_000

func (c *uidCache) get(id identity) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid, ok := c.m[id]
	return uid, ok
}

func (c *uidCache) add(found map[identity]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(found) > maxCachedUIDs {
		c.m = make(map[identity]int64, len(found))
	}
	for id, uid := range found {
		c.m[id] = uid
	}
}

// eventRow is an event as PutEvents binds it.
type eventRow struct {
	e      *model.Event
	ms     int64
	ip     string
	ipBin  any // []byte or nil
	fields string
}

// PutEvents stores a batch in one transaction with prepared statements;
// events already stored (same vendor and id) are left alone. Times are
// kept to the millisecond.
func (s *SQLite) PutEvents(ctx context.Context, events []model.Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	rows := make([]eventRow, len(events))
	var buf []byte
	for i := range events {
		e := &events[i]
		if e.Vendor == "" || e.ID == "" {
			return 0, fmt.Errorf("store: put events: event %d has no vendor or id", i)
		}
		ms := e.Time.UnixMilli()
		if ms < -maxEventMs || ms >= maxEventMs {
			return 0, fmt.Errorf("store: put events: event %s/%s: time %v is out of range", e.Vendor, e.ID, e.Time)
		}
		r := eventRow{e: e, ms: ms, ip: e.IP}
		if a, err := netip.ParseAddr(strings.TrimSpace(e.IP)); err == nil {
			a = a.Unmap().WithZone("")
			r.ip = a.String()
			b := a.As16()
			r.ipBin = b[:]
		}
		if len(e.Fields) > 0 {
			buf = appendFieldsJSON(buf[:0], e.Fields)
			r.fields = string(buf)
		}
		rows[i] = r
	}
	inserted := 0
	var added []eventRow // for the rollups (changes.go)
	var firstFeed int64  // added[i] is feed number firstFeed+i

	newUIDs := map[identity]int64{}
	mark := s.feedTail.Mark() // before: a prune after the commit voids the batch
	err := s.inTx(ctx, "put events", func(tx *sql.Tx) error {
		clear(newUIDs)
		uids := uidResolver{tx: tx, cache: &s.uids, found: newUIDs}
		defer uids.close()
		resolved := make([]any, len(rows))
		for i, r := range rows {
			e := r.e
			uid, err := uids.resolve(ctx, identity{e.Vendor, e.UserID, e.UserName, e.UserKey})
			if err != nil {
				return err
			}
			resolved[i] = uid
		}
		// feed numbers events in the order they were stored (feed.go).
		var feed int64
		if err := tx.QueryRowContext(ctx, `SELECT n FROM counters WHERE name = 'event_feed'`).Scan(&feed); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO events
			(seq, vendor, id, uid, type, type_name, ip, ip_bin, score, level, app, reasons, fields, feed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (vendor, id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		added, firstFeed = added[:0], feed+1
		for i, r := range rows {
			e := r.e
			n, err := insertEvent(ctx, ins, r, resolved[i], feed+1)
			if err != nil {
				return fmt.Errorf("event %s/%s: %w", e.Vendor, e.ID, err)
			}
			if n == 0 {
				continue // already stored
			}
			inserted++
			feed++
			added = append(added, r)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE counters SET n = ? WHERE name = 'event_feed'`, feed); err != nil {
			return err
		}
		return addRollups(ctx, tx, added)
	})
	if err != nil {
		return 0, err
	}
	s.uids.add(newUIDs)
	s.feedTail.Add(mark, feedEventsOf(added, firstFeed))
	return inserted, nil
}

// feedEventsOf is rows as the feed reads them back (queryFeed): the
// stored millisecond and address, and only the columns it selects.
func feedEventsOf(rows []eventRow, firstFeed int64) []FeedEvent {
	out := make([]FeedEvent, len(rows))
	for i, r := range rows {
		e := r.e
		out[i] = FeedEvent{Feed: firstFeed + int64(i), Event: model.Event{Vendor: e.Vendor, ID: e.ID,
			Time: time.UnixMilli(r.ms).UTC(), TypeName: e.TypeName, UserID: e.UserID, UserName: e.UserName,
			UserKey: e.UserKey, IP: r.ip, Score: e.Score}}
	}
	return out
}

// insertEvent inserts one row, moving to the next tiebreak when another
// event of the same millisecond holds this one. n is 0 when the event was
// already stored.
func insertEvent(ctx context.Context, ins *sql.Stmt, r eventRow, uid any, feed int64) (n int64, err error) {
	e := r.e
	tie := tieOf(e.Vendor, e.ID)
	for range 64 {
		res, err := ins.ExecContext(ctx, seqOf(r.ms, tie), e.Vendor, e.ID, uid, e.Type, e.TypeName, r.ip, r.ipBin,
			e.Score, int(e.Level), e.App, e.Reasons, r.fields, feed)
		if isPrimaryKeyClash(err) {
			tie++
			continue
		}
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return 0, errors.New("no free tiebreak in its millisecond")
}

func isPrimaryKeyClash(err error) bool {
	var coded interface{ Code() int }
	const sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	return err != nil && errors.As(err, &coded) && coded.Code() == sqliteConstraintPrimaryKey
}

// uidResolver finds or adds users rows within a PutEvents transaction.
type uidResolver struct {
	tx          *sql.Tx
	cache       *uidCache
	found       map[identity]int64 // rows this transaction looked up or added
	find, store *sql.Stmt
}

func (u *uidResolver) resolve(ctx context.Context, id identity) (any, error) {
	if id.userID == "" && id.name == "" && id.key == "" {
		return nil, nil
	}
	if uid, ok := u.found[id]; ok {
		return uid, nil
	}
	if uid, ok := u.cache.get(id); ok {
		return uid, nil
	}
	var err error
	if u.find == nil {
		if u.find, err = u.tx.PrepareContext(ctx, `SELECT uid FROM users
			WHERE vendor = ? AND user_id = ? AND user_name = ? AND user_key = ?`); err != nil {
			return nil, err
		}
		if u.store, err = u.tx.PrepareContext(ctx, `INSERT INTO users
			(vendor, user_id, user_name, user_key, user_fold) VALUES (?, ?, ?, ?, ?) RETURNING uid`); err != nil {
			return nil, err
		}
	}
	var uid int64
	err = u.find.QueryRowContext(ctx, id.vendor, id.userID, id.name, id.key).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		err = u.store.QueryRowContext(ctx, id.vendor, id.userID, id.name, id.key, strings.ToLower(id.name)).Scan(&uid)
	}
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", id.name, err)
	}
	u.found[id] = uid
	return uid, nil
}

// close closes the statements prepared so far: a context ending between
// the two prepares leaves store nil.
func (u *uidResolver) close() {
	for _, st := range []*sql.Stmt{u.find, u.store} {
		if st != nil {
			st.Close()
		}
	}
}

// eventSelect reads what scanEvents scans; callers add WHERE and ORDER BY.
const eventSelect = `SELECT e.seq, e.vendor, e.id, e.type, e.type_name,
	coalesce(u.user_id, ''), coalesce(u.user_name, ''), coalesce(u.user_key, ''),
	e.ip, e.score, e.level, e.app, e.reasons, e.fields
	FROM events e LEFT JOIN users u ON u.uid = e.uid`

// Event returns one event.
func (s *SQLite) Event(ctx context.Context, vendor, id string) (model.Event, error) {
	rows, err := s.read.QueryContext(ctx, eventSelect+` WHERE e.vendor = ? AND e.id = ?`, vendor, id)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: event: %w", err)
	}
	evs, _, err := scanEvents(rows)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: event: %w", err)
	}
	if len(evs) == 0 {
		return model.Event{}, fmt.Errorf("store: event %s/%s: %w", vendor, id, ErrNotFound)
	}
	return evs[0], nil
}

// NewestEvent is the newest stored event of a vendor.
func (s *SQLite) NewestEvent(ctx context.Context, vendor string) (model.Event, error) {
	// The (vendor, id) index answers "none" at once; otherwise walking the
	// table from its newest end meets the vendor's newest event soon, as
	// every vendor keeps adding events at the head.
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM events WHERE vendor = ? LIMIT 1`, vendor).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Event{}, fmt.Errorf("store: newest event of %s: %w", vendor, ErrNotFound)
	}
	if err != nil {
		return model.Event{}, fmt.Errorf("store: newest event: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, eventSelect+` WHERE e.vendor = ? ORDER BY e.seq DESC LIMIT 1`, vendor)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: newest event: %w", err)
	}
	evs, _, err := scanEvents(rows)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: newest event: %w", err)
	}
	if len(evs) == 0 {
		return model.Event{}, fmt.Errorf("store: newest event of %s: %w", vendor, ErrNotFound)
	}
	return evs[0], nil
}

// Events returns one page, by keyset pagination: a page continues from
// the key of a row, so page 1,000 costs what page 1 does and rows added
// meanwhile never shift a page. Before and Last walk the order backwards
// and flip the rows back. HasNext and HasPrev come from fetching one row
// more than the page; the side a key came from is taken to have rows
// (After: HasPrev, Before: HasNext). Paging back from the last page ends
// on a short first page, as keyset paging does.
//
// A page takes two queries: the keys of the page's rows, which touch only
// what the filter and order need, then those rows.
func (s *SQLite) Events(ctx context.Context, q EventQuery) (EventPage, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return EventPage{}, fmt.Errorf("store: events: page size %d is not within 1–%d", q.Limit, MaxPageSize)
	}
	if q.After != nil && q.Before != nil || q.Last && (q.After != nil || q.Before != nil) {
		return EventPage{}, errors.New("store: events: give at most one of After, Before and Last")
	}
	if q.Sort != ByTime && q.Sort != ByScore {
		return EventPage{}, fmt.Errorf("store: events: unknown sort %d", q.Sort)
	}
	p, err := s.plan(ctx, q.EventFilter, q.Sort, forPage)
	if err != nil {
		return EventPage{}, fmt.Errorf("store: events: %w", err)
	}
	if p.none {
		return EventPage{}, nil
	}
	reverse := q.Before != nil || q.Last
	switch {
	case q.After != nil:
		p.keyset(q.Sort, "<", q.After)
	case q.Before != nil:
		p.keyset(q.Sort, ">", q.Before)
	}
	query := `SELECT e.seq, e.score ` + p.from() + p.w.sql() + ` ORDER BY ` + p.order(q.Sort, reverse) + ` LIMIT ?`
	keys, err := s.pageKeys(ctx, query, append(p.w.args, limit+1)...)
	if err != nil {
		return EventPage{}, fmt.Errorf("store: events: %w", err)
	}
	more := len(keys) > limit
	if more {
		keys = keys[:limit]
	}
	var page EventPage
	if reverse {
		slices.Reverse(keys)
		page.HasPrev = more
		page.HasNext = q.Before != nil
	} else {
		page.HasNext = more
		page.HasPrev = q.After != nil
	}
	if len(keys) == 0 {
		return page, nil
	}
	page.Events, err = s.eventsBySeq(ctx, keys)
	if err != nil {
		return EventPage{}, fmt.Errorf("store: events: %w", err)
	}
	first, last := keys[0], keys[len(keys)-1]
	page.First, page.LastKey = &first, &last
	return page, nil
}

func (s *SQLite) pageKeys(ctx context.Context, query string, args ...any) ([]PageKey, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []PageKey
	for rows.Next() {
		var k PageKey
		if err := rows.Scan(&k.Seq, &k.Score); err != nil {
			return nil, err
		}
		k.Time = k.Seq >> seqShift
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// eventsBySeq reads the rows of keys, in keys' order.
func (s *SQLite) eventsBySeq(ctx context.Context, keys []PageKey) ([]model.Event, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k.Seq
	}
	rows, err := s.read.QueryContext(ctx, eventSelect+` WHERE e.seq IN (`+marks(len(keys))+`)`, args...)
	if err != nil {
		return nil, err
	}
	evs, seqs, err := scanEvents(rows)
	if err != nil {
		return nil, err
	}
	at := make(map[int64]int, len(seqs))
	for i, seq := range seqs {
		at[seq] = i
	}
	out := make([]model.Event, 0, len(keys))
	for _, k := range keys {
		if i, ok := at[k.Seq]; ok { // a row pruned in between is left out
			out = append(out, evs[i])
		}
	}
	return out, nil
}

// CountEvents counts the events matching f.
func (s *SQLite) CountEvents(ctx context.Context, f EventFilter) (int, error) {
	p, err := s.plan(ctx, f, ByTime, forAll)
	if err != nil {
		return 0, fmt.Errorf("store: count events: %w", err)
	}
	if p.none {
		return 0, nil
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) `+p.from()+p.w.sql(), p.w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count events: %w", err)
	}
	return n, nil
}

// CountPage counts what CountEvents does, and in the same pass the
// matches before q.First in q.Sort's order and those newer than q.Since.
func (s *SQLite) CountPage(ctx context.Context, q CountQuery) (PageCount, error) {
	if q.Sort != ByTime && q.Sort != ByScore {
		return PageCount{}, fmt.Errorf("store: count page: unknown sort %d", q.Sort)
	}
	p, err := s.plan(ctx, q.EventFilter, q.Sort, forAll)
	if err != nil {
		return PageCount{}, fmt.Errorf("store: count page: %w", err)
	}
	if p.none {
		return PageCount{}, nil
	}
	sel, args := []string{"count(*)", "max(e.seq)"}, []any{}
	if k := q.First; k != nil {
		if q.Sort == ByScore {
			sel = append(sel, "coalesce(sum((e.score, e.seq) > (?, ?)), 0)")
			args = append(args, k.Score, k.Seq)
		} else {
			sel = append(sel, "coalesce(sum(e.seq > ?), 0)")
			args = append(args, k.Seq)
		}
	} else {
		sel = append(sel, "0")
	}
	if k := q.Since; k != nil {
		sel = append(sel, "coalesce(sum(e.seq > ?), 0)")
		args = append(args, k.Seq)
	} else {
		sel = append(sel, "0")
	}
	var (
		c    PageCount
		head sql.NullInt64
	)
	err = s.read.QueryRowContext(ctx, `SELECT `+strings.Join(sel, ", ")+` `+p.from()+p.w.sql(), append(args, p.w.args...)...).
		Scan(&c.Total, &head, &c.Before, &c.Newer)
	if err != nil {
		return PageCount{}, fmt.Errorf("store: count page: %w", err)
	}
	if head.Valid {
		c.Head = &PageKey{Seq: head.Int64, Time: head.Int64 >> seqShift}
	}
	return c, nil
}

// where collects the terms of a WHERE clause and their arguments.
type where struct {
	terms []string
	args  []any
}

func (w *where) add(term string, args ...any) {
	w.terms = append(w.terms, term)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.terms) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.terms, " AND ")
}

func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// eventPlan is a filter turned into SQL over events e.
type eventPlan struct {
	w    where
	use  planUse
	none bool // nothing can match (an unknown user)
}

// sortableMatches is how many matches of an index term a page may sort;
// past it, walking the page order and testing each row is cheaper (at
// 2,000 matches in 1M events, about one row in 500 matches).
const sortableMatches = 2000

// indexTerm adds a term one of the indexes answers. For a count, or when
// the index walks the matches in the page's order (ordered), it is used.
// Otherwise the page is sorted from every match, which is quick for a few
// matches and slow for many: the term is probed, and past
// sortableMatches it is written as +column, which SQLite cannot answer
// from an index, so the page walks its order and stops when full.
func (s *SQLite) indexTerm(ctx context.Context, p *eventPlan, ordered bool, term string, args ...any) error {
	if p.use == forAll || ordered {
		p.w.add(term, args...)
		return nil
	}
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events e WHERE `+term+` LIMIT ?)`,
		append(args, sortableMatches)...).Scan(&n)
	if err != nil {
		return err
	}
	if n < sortableMatches {
		p.w.add(term, args...)
	} else {
		p.w.add("+"+term, args...)
	}
	return nil
}

func (p *eventPlan) from() string { return `FROM events e` }

func (p *eventPlan) order(by Sort, reverse bool) string {
	dir := " DESC"
	if reverse {
		dir = ""
	}
	if by == ByScore {
		return "e.score" + dir + ", e.seq" + dir
	}
	return "e.seq" + dir
}

// keyset adds the bound that continues after (op "<") or before (">") a key.
func (p *eventPlan) keyset(by Sort, op string, k *PageKey) {
	if by == ByScore {
		p.w.add("(e.score, e.seq) "+op+" (?, ?)", k.Score, k.Seq)
		return
	}
	p.w.add("e.seq "+op+" ?", k.Seq)
}

// maxTypes bounds the Types filter, far below SQLite's limit on
// parameters.
const maxTypes = 200

// planUse says what a plan is for: a page wants its first rows in order
// soon; a count or a chart reads every match anyway.
type planUse int

const (
	forPage planUse = iota
	forAll
)

// plan turns a filter into SQL. It looks users up first, so the events
// query compares integers, and it chooses between the indexes and the
// page order itself (see indexTerm) rather than leave that to SQLite,
// whose estimates do not weigh the LIMIT.
func (s *SQLite) plan(ctx context.Context, f EventFilter, by Sort, use planUse) (eventPlan, error) {
	p := eventPlan{use: use}
	w := &p.w
	if f.Vendor != "" {
		w.add("e.vendor = ?", f.Vendor)
	}
	if !f.From.IsZero() {
		w.add("e.seq >= ?", firstSeq(f.From))
	}
	if !f.To.IsZero() {
		w.add("e.seq < ?", firstSeq(f.To))
	}
	if len(f.Types)+len(f.TypeNames) > 0 {
		if len(f.Types)+len(f.TypeNames) > maxTypes {
			return p, fmt.Errorf("too many event types (%d, at most %d)", len(f.Types)+len(f.TypeNames), maxTypes)
		}
		var terms []string
		var args []any
		if len(f.Types) > 0 {
			terms = append(terms, "e.type IN ("+marks(len(f.Types))+")")
			for _, t := range f.Types {
				args = append(args, t)
			}
		}
		for _, n := range f.TypeNames {
			terms = append(terms, `e.type_name LIKE ? ESCAPE '\'`)
			args = append(args, "%"+likeEscaper.Replace(n)+"%")
		}
		w.add("("+strings.Join(terms, " OR ")+")", args...)
	}
	if who := f.users(); len(who) > 0 {
		var uids []any
		seen := map[any]bool{}
		for _, u := range who {
			found, err := s.userIDs(ctx, u)
			if err != nil {
				return p, err
			}
			for _, uid := range found {
				if !seen[uid] {
					seen[uid] = true
					uids = append(uids, uid)
				}
			}
		}
		if len(uids) > maxUserIDs {
			return p, fmt.Errorf("user filter %q names more than %d users", strings.Join(who, ", "), maxUserIDs)
		}
		if len(uids) == 0 {
			p.none = true
			return p, nil
		}
		// One user in time order is a walk of the uid index; anything else
		// is sorted from all the user's events, or walks the order instead.
		var err error
		if len(uids) == 1 {
			err = s.indexTerm(ctx, &p, use == forPage && by == ByTime, "e.uid = ?", uids...)
		} else {
			err = s.indexTerm(ctx, &p, false, "e.uid IN ("+marks(len(uids))+")", uids...)
		}
		if err != nil {
			return p, err
		}
	}
	if ip := strings.TrimSpace(f.IP); ip != "" {
		lo, hi, err := ipRange(ip)
		if err != nil {
			return p, err
		}
		if lo == hi {
			err = s.indexTerm(ctx, &p, use == forPage && by == ByTime, "e.ip_bin = ?", lo[:])
		} else {
			err = s.indexTerm(ctx, &p, false, "e.ip_bin BETWEEN ? AND ?", lo[:], hi[:])
		}
		if err != nil {
			return p, err
		}
	}
	if f.MinScore > 0 {
		// A score range is many rows (a quarter of them score 50 or more),
		// so SQLite should walk it only for the riskiest-first order, or to
		// count over all time. Otherwise walking time order and skipping low
		// scores is cheaper: a page stops when full and a window is short.
		// SQLite picks the range otherwise: it cannot see the LIMIT and
		// misjudges rowid ranges.
		if by == ByScore && use == forPage || use == forAll && f.From.IsZero() && f.To.IsZero() {
			w.add("e.score >= ?", f.MinScore)
		} else {
			w.add("+e.score >= ?", f.MinScore)
		}
	}
	if text := strings.TrimSpace(f.Text); text != "" {
		textFilter(w, text)
	}
	return p, nil
}

// maxUserIDs bounds how many users rows one user filter may stand for.
const maxUserIDs = 500

// users are the user filter's alternatives, blanks left out.
func (f EventFilter) users() []string {
	var out []string
	for _, u := range append([]string{f.User}, f.Users...) {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// userIDs finds the users rows a user filter names: by email, vendor id,
// or name regardless of case.
func (s *SQLite) userIDs(ctx context.Context, u string) ([]any, error) {
	lower := strings.ToLower(u)
	rows, err := s.read.QueryContext(ctx, `SELECT uid FROM users WHERE user_key = ? OR user_id = ? OR user_fold = ? LIMIT ?`,
		lower, u, lower, maxUserIDs+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var uids []any
	for rows.Next() {
		var uid int64
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		uids = append(uids, uid)
	}
	if len(uids) > maxUserIDs {
		return nil, fmt.Errorf("user filter %q names more than %d users", u, maxUserIDs)
	}
	return uids, rows.Err()
}

// ipRange reads an address or CIDR prefix as the first and last address
// it covers, 16 bytes each (IPv4 mapped, as ip_bin stores them), so any
// prefix length is one range of the ip index.
func ipRange(s string) (lo, hi [16]byte, err error) {
	bad := fmt.Errorf("bad IP filter %q: want an address like 203.0.113.7 or a prefix like 203.0.113.0/24", s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return lo, hi, bad
		}
		p = p.Masked()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		lo = p.Addr().As16()
		hi = lo
		for i := bits; i < 128; i++ {
			hi[i/8] |= 0x80 >> (i % 8)
		}
		return lo, hi, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return lo, hi, bad
	}
	lo = a.Unmap().WithZone("").As16()
	return lo, lo, nil
}

// scanEvents reads rows of eventSelect and each row's seq.
func scanEvents(rows *sql.Rows) ([]model.Event, []int64, error) {
	defer rows.Close()
	var (
		evs  []model.Event
		seqs []int64
	)
	for rows.Next() {
		var (
			e      model.Event
			seq    int64
			level  int
			fields string
		)
		if err := rows.Scan(&seq, &e.Vendor, &e.ID, &e.Type, &e.TypeName, &e.UserID, &e.UserName,
			&e.UserKey, &e.IP, &e.Score, &level, &e.App, &e.Reasons, &fields); err != nil {
			return nil, nil, err
		}
		e.Time = time.UnixMilli(seq >> seqShift).UTC()
		e.Level = model.Level(level)
		if fields != "" {
			var err error
			if e.Fields, err = parseFieldsJSON(fields); err != nil {
				return nil, nil, fmt.Errorf("event %s/%s: fields: %w", e.Vendor, e.ID, err)
			}
		}
		evs = append(evs, e)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return evs, seqs, nil
}
