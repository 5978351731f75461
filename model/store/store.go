// Package store keeps what risktop learns: events, user-risk and score
// snapshots, per-source cursors, the audit log of operator actions and the
// outbox of IP-risk pushes. Store is the interface the rest of risktop
// uses; Open gives the SQLite implementation, and a shared PostgreSQL one
// for teams can be added behind the same interface.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/risktop/risktop/model"
)

// Store is everything risktop persists. Implementations are safe for
// concurrent use; every method honours ctx.
type Store interface {
	// PutEvents inserts events keyed by (vendor, id); an event already
	// stored is left as it is, so re-fetching a page never duplicates.
	// Times are kept to the millisecond.
	PutEvents(ctx context.Context, events []model.Event) (inserted int, err error)
	// Events returns one page of events, using keyset pagination (see
	// EventQuery).
	Events(ctx context.Context, q EventQuery) (EventPage, error)
	// CountEvents counts the events matching f, for the pager. It reads
	// every match, so it can take far longer than a page.
	CountEvents(ctx context.Context, f EventFilter) (int, error)
	// CountPage places a page among the events its filter matches: how
	// many match, how many come before its first row, how many are newer
	// than a mark. One pass over the matches, as CountEvents.
	CountPage(ctx context.Context, q CountQuery) (PageCount, error)
	// Event returns one event.
	Event(ctx context.Context, vendor, id string) (model.Event, error)
	// NewestEvent is the newest stored event of a vendor (ErrNotFound when none).
	NewestEvent(ctx context.Context, vendor string) (model.Event, error)
	// EventRate counts events per step between from and to (the overview's
	// events-per-minute chart). Steps with no events are zero.
	EventRate(ctx context.Context, f EventFilter, from, to time.Time, step time.Duration) ([]int, error)
	// TopIPs ranks addresses seen since a time by risk, then events.
	TopIPs(ctx context.Context, since time.Time, limit int) ([]model.IPRisk, error)
	// DistinctIPs lists the distinct addresses of the events matching f,
	// riskiest first, up to limit, and counts them all (see ips.go).
	DistinctIPs(ctx context.Context, f EventFilter, limit int) (ips []string, total int, err error)
	// EventUsers folds a vendor's events since a time into one view per
	// user (highest score and its level, events, last seen), so people who
	// only appear in sign-in events join the Users view.
	EventUsers(ctx context.Context, vendor string, since time.Time) ([]model.UserRisk, error)

	// PutUserRisks replaces a vendor's current views with views observed at
	// at, and appends to each person's history the views whose level or
	// score changed (for the drill-down sparkline).
	PutUserRisks(ctx context.Context, vendor string, at time.Time, views []model.UserRisk) error
	// UserRisks returns a vendor's current views ("" for every vendor).
	UserRisks(ctx context.Context, vendor string) ([]model.UserRisk, error)
	// RiskHistory returns the recorded changes of one person's risk (by
	// normalised email, or vendor:userID for a view without one: see
	// HistoryKey), oldest first.
	RiskHistory(ctx context.Context, key string, since time.Time) ([]model.RiskPoint, error)

	// PutScores records one score-insights reading.
	PutScores(ctx context.Context, s model.Scores) error
	// LatestScores returns the newest reading for a window (ErrNotFound when none).
	LatestScores(ctx context.Context, window time.Duration) (model.Scores, error)
	// ScoresHistory returns the readings of a window since a time, oldest first.
	ScoresHistory(ctx context.Context, window time.Duration, since time.Time) ([]model.Scores, error)

	// Cursor returns a named cursor ("" when never set); SetCursor stores it.
	Cursor(ctx context.Context, name string) (string, error)
	SetCursor(ctx context.Context, name, value string) error

	// AppendAudit adds an entry to the append-only audit log.
	AppendAudit(ctx context.Context, e model.AuditEntry) (int64, error)
	// AppendAudits adds entries in order, in one transaction.
	AppendAudits(ctx context.Context, es []model.AuditEntry) ([]int64, error)
	// Audit lists entries newest first, before an id (0: from the newest).
	Audit(ctx context.Context, beforeID int64, limit int) ([]model.AuditEntry, error)

	// Enqueue stores pushes as queued before any request is sent.
	Enqueue(ctx context.Context, items []model.OutboxItem) ([]int64, error)
	// EnqueueOnce stores pushes as queued unless (not forced) their
	// address already has a live item at the same or a higher level:
	// queued, sending, or sent and live at Okta (until its expiry, or ttl
	// after it was sent without one). Check and insert are one transaction.
	EnqueueOnce(ctx context.Context, pushes []Push, now time.Time, ttl time.Duration) ([]Enqueued, error)
	// LivePushes reads the items EnqueueOnce would find live for each
	// address at now (Covering picks the one covering a level).
	LivePushes(ctx context.Context, ips []string, now time.Time, ttl time.Duration) (map[string][]model.OutboxItem, error)
	// LatestPersonPush is the newest outbox item of a person's subject, in
	// any state; false when none (an alert's pane says whether its person
	// response was done).
	LatestPersonPush(ctx context.Context, subject string) (model.OutboxItem, bool, error)
	// ClaimDue marks up to limit queued items whose NextTry has come as
	// sending and returns them; items left sending by a crash are due again.
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error)
	// MarkSent, MarkFailed (with the next try, or zero to stop retrying),
	// Requeue and Drop move items along.
	MarkSent(ctx context.Context, ids []int64, at time.Time) error
	MarkFailed(ctx context.Context, ids []int64, errText string, nextTry time.Time) error
	Requeue(ctx context.Context, id int64, at time.Time) error
	Drop(ctx context.Context, id int64) error
	// Outbox lists items newest first, optionally in one state.
	Outbox(ctx context.Context, state model.OutboxState, limit int) ([]model.OutboxItem, error)
	// OutboxItems returns items by id, in the order asked.
	OutboxItems(ctx context.Context, ids []int64) ([]model.OutboxItem, error)
	// NextOutboxDue is when ClaimDue will next hand something out; false
	// when nothing is queued or sending.
	NextOutboxDue(ctx context.Context) (time.Time, bool, error)

	// Notification deliveries (issue 16, notify; see deliveries.go):
	// EnqueueDeliveries queues messages for channels once per (message,
	// channel); ClaimDeliveries hands out a channel's due rows in order;
	// MarkDelivered, MarkDeliveryRetry, MarkDeliveryFailed and
	// ReleaseDeliveries move them along; NextDeliveryDue says when the
	// channel next has one due; Deliveries lists them.
	EnqueueDeliveries(ctx context.Context, msgs []DeliveryMessage, channels []string, now time.Time) (int, error)
	ClaimDeliveries(ctx context.Context, channel string, now time.Time, limit int) ([]Delivery, error)
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	MarkDeliveryRetry(ctx context.Context, id int64, errText string, next time.Time) error
	MarkDeliveryFailed(ctx context.Context, id int64, reason string, at time.Time) error
	ReleaseDeliveries(ctx context.Context, ids []int64) error
	NextDeliveryDue(ctx context.Context, channel string) (time.Time, bool, error)
	Deliveries(ctx context.Context, state DeliveryState, limit int) ([]Delivery, error)

	// SaveView stores a named Events view for its owner, replacing one of
	// the same name; SavedViews lists an owner's views by name.
	SaveView(ctx context.Context, owner string, v SavedView) error
	SavedViews(ctx context.Context, owner string) ([]SavedView, error)

	// Detections (issue 16: the engine and the alerts; see alerts.go, feed.go).
	//
	// PutAlerts stores rule findings (a live alert of the same Key is
	// updated through merge, else a new open alert starts) and cursors, in
	// one transaction; every insert or update takes the next change
	// sequence number.
	PutAlerts(ctx context.Context, now time.Time, findings []model.Alert, merge AlertMerge, cursors map[string]string) ([]model.Alert, error)
	// Alerts lists a page of alerts newest first; Alert returns one.
	Alerts(ctx context.Context, q AlertQuery) ([]model.Alert, error)
	Alert(ctx context.Context, id int64) (model.Alert, error)
	// AlertChanges returns the alerts changed after a sequence number, in
	// change order; AlertSeq is the newest number.
	AlertChanges(ctx context.Context, afterSeq int64, limit int) ([]model.Alert, error)
	AlertSeq(ctx context.Context) (int64, error)
	// LiveAlerts returns the open and acknowledged alerts of keys (nil: all).
	LiveAlerts(ctx context.Context, keys []string) (map[string]model.Alert, error)
	// CountAlerts counts alerts by state.
	CountAlerts(ctx context.Context) (map[model.AlertState]int, error)
	// SetAlertState acknowledges or resolves an alert (ErrAlertState for
	// an impossible change).
	SetAlertState(ctx context.Context, id int64, to model.AlertState, actor string, at time.Time) (model.Alert, error)
	// PruneAlerts deletes alerts resolved before a time.
	PruneAlerts(ctx context.Context, before time.Time) (int, error)
	// EventFeed, FeedHead and FeedEventsFrom read events in the order they
	// were stored; HistoryFeed, HistoryHead and LatestLevels read the risk
	// history so (see feed.go). EventFeed's events may be shared with
	// other readers: read them, do not change them.
	EventFeed(ctx context.Context, after int64, limit int) ([]FeedEvent, error)
	FeedHead(ctx context.Context) (int64, error)
	FeedEventsFrom(ctx context.Context, from time.Time, upTo int64, limit int) ([]FeedEvent, error)
	HistoryFeed(ctx context.Context, after int64, limit int) ([]LevelChange, error)
	HistoryHead(ctx context.Context) (int64, error)
	LatestLevels(ctx context.Context, upTo int64) (map[string]map[string]model.Level, error)

	// Per-operator preferences (issue 16, the Alerts tab; see prefs.go):
	// Pref reads owner's setting (false when never set), SetPref stores it.
	Pref(ctx context.Context, owner, name string) (string, bool, error)
	SetPref(ctx context.Context, owner, name, value string, at time.Time) error
	// Rises lists the level rises recorded since a time, newest first
	// (rises.go): the Users list marks who is rising.
	Rises(ctx context.Context, since time.Time, limit int) ([]Rise, error)

	// Prune deletes events, history, snapshots and sent pushes older than
	// before (the audit log and unsent pushes are kept). Scheduling is the
	// caller's: see PruneEvery and DefaultRetention.
	Prune(ctx context.Context, before time.Time) (PruneStats, error)
	Close() error

	// Changes and trends (issue 16: the Changes panel, the Overview's
	// trends; see changes.go and trends.go).
	//
	// Changes reads what changed in a window: level changes, people new at
	// High or Critical, new busy address ranges, health changes.
	Changes(ctx context.Context, q ChangesQuery) (model.Changes, error)
	// ChangeMark is what an operator last saw of the changes (zero: never);
	// SetChangeMark moves it (never back).
	ChangeMark(ctx context.Context, owner string) (model.SeenMark, error)
	SetChangeMark(ctx context.Context, owner string, m model.SeenMark) error
	// RecordHealth stores a source's health state change.
	RecordHealth(ctx context.Context, h model.HealthChange) error
	// Trends counts events per step and score bucket from the hourly rollup.
	Trends(ctx context.Context, q TrendQuery) (model.Trend, error)
}

// ErrNotFound is returned when a single item asked for does not exist.
var ErrNotFound = errors.New("not found")

// Sort orders an event page.
type Sort int

const (
	ByTime  Sort = iota // newest first
	ByScore             // riskiest first, then newest
)

// EventFilter narrows events. The zero value matches everything.
type EventFilter struct {
	Vendor   string
	From, To time.Time // From <= Time < To; zero: unbounded
	Types    []int     // any of these event types…
	// …or a type whose name holds one of these (ASCII letters in any
	// case): "failed" is USER_FAILED_ONELOGIN_LOGIN among others.
	TypeNames []string
	User      string   // a user key (email), vendor user id or exact name, any case…
	Users     []string // …or any of these, the same way (a person's email and names)
	IP        string   // an address, or a CIDR prefix of any length like 203.0.113.0/24
	MinScore  int      // events scoring at least this; 0: no bound
	// Text is a substring of the event type's name, the user name, email,
	// IP, app or reasons (ASCII letters in any case). It scans: bound it with From when you
	// can (see text.go).
	Text string
}

// EventQuery asks for one page.
type EventQuery struct {
	EventFilter
	Sort  Sort
	Limit int // rows a page, 1–500; 0 means DefaultPageSize
	// After continues below a page (the next page); Before continues above
	// it (the previous page). At most one is set; neither gives the first
	// page. Last asks for the last page. Paging back from the last page
	// can end on a short first page.
	After  *PageKey
	Before *PageKey
	Last   bool
}

// PageKey is where a page ends, opaque to callers.
type PageKey struct {
	Time  int64 // unix ms
	Score int
	Seq   int64 // the row's unique position in time order (its rowid)
}

// CountQuery asks where a page stands (CountPage).
type CountQuery struct {
	EventFilter
	Sort  Sort
	First *PageKey // the page's first row; nil: count none before it
	// Since counts the events newer (by time, whatever the Sort) than
	// this key; nil: count none.
	Since *PageKey
}

// PageCount is CountPage's answer.
type PageCount struct {
	Total  int      // events matching the filter
	Before int      // of them, ahead of First in the Sort's order
	Newer  int      // of them, newer than Since
	Head   *PageKey // the newest of them by time (a Since for later); nil when none
}

// EventPage is one page, in the query's order. HasPrev and HasNext say
// whether rows lie before First and after LastKey; the side a page was
// reached from counts as having rows.
type EventPage struct {
	Events  []model.Event
	First   *PageKey // key of the first row, for Before
	LastKey *PageKey // key of the last row, for After
	HasPrev bool
	HasNext bool
}

// SavedView is an Events filter line and order an operator named.
type SavedView struct {
	Name   string
	Filter string
	Sort   Sort
	Saved  time.Time
}

// PruneStats says what Prune removed.
type PruneStats struct {
	Events, History, Scores int
	Outbox                  int // sent pushes
	Deliveries              int // notifications delivered or given up on
}
