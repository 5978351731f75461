package onelogin

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/ingest"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Cursor names in the store: CursorHead holds a HeadCursor, CursorBackfill
// a model.Progress.
const (
	CursorHead     = "onelogin/head"
	CursorBackfill = "onelogin/backfill"
)

// SourceOptions tune the OneLogin source.
type SourceOptions struct {
	Backfill    time.Duration // history fetched on the first run; default 24h
	ScoresEvery time.Duration // how often score insights are read; default 5m
	// BackfillPace is the pause between back-fill pages while the budget
	// is known to be healthy; default 500ms. When the vendor sends no
	// rate-limit headers the pause is slowBackfillPace, which keeps the
	// back-fill under a fifth of OneLogin's hourly budget by itself.
	BackfillPace time.Duration
}

const (
	slowBackfillPace = 3600 * time.Millisecond // 1,000 pages an hour
	// The back-fill leaves a fifth of the account's budget to other
	// integrations sharing it, on top of what the live head will need
	// before the budget resets.
	reserveFraction = 0.2
)

// Source polls OneLogin: new events since the stored head cursor on every
// poll, history back-filled in the background, and score insights.
type Source struct {
	client *Client
	store  vendorkit.Store
	hub    vendorkit.Publisher
	opts   SourceOptions

	mu         sync.Mutex
	started    time.Time
	headCalls  []time.Time // requests the live head made in the last hour
	head       HeadCursor
	loaded     bool
	backfill   model.Progress
	lastScores time.Time
	// Whether OneLogin ignores the score window, and when that was found.
	windowIgnored   bool
	windowVerdictAt time.Time
	lastUsers       time.Time
	usersStale      bool          // events arrived since the users were last folded
	ready           chan struct{} // closed once the cursors are loaded

	people    peopleCache
	rowErrors int      // malformed event rows skipped since the start
	lastRow   RowError // the latest of them
}

// HeadCursor is how far the live head has stored.
type HeadCursor struct {
	Time time.Time `json:"time"`
	ID   int64     `json:"id"`
}

// NewSource builds the source.
func NewSource(c *Client, st vendorkit.Store, bus vendorkit.Publisher, opts SourceOptions) *Source {
	if opts.Backfill <= 0 {
		opts.Backfill = 24 * time.Hour
	}
	opts.Backfill = min(opts.Backfill, MaxScoreLookback)
	if opts.ScoresEvery <= 0 {
		opts.ScoresEvery = 5 * time.Minute
	}
	if opts.BackfillPace <= 0 {
		opts.BackfillPace = 500 * time.Millisecond
	}
	return &Source{client: c, store: st, hub: bus, opts: opts, ready: make(chan struct{})}
}

func (o *Source) Name() string { return vendorName }

// RateLimit is the account budget from the last response.
func (o *Source) RateLimit() (httpx.RateLimit, bool) { return o.client.RateLimit() }

// Progress is the back-fill's progress while it runs.
func (o *Source) Progress() *model.Progress {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.loaded || o.backfill.Done {
		return nil
	}
	p := o.backfill
	return &p
}

// load reads the cursors, or starts them on a first run: the head at now
// and a back-fill of the configured window behind it. A head older than
// the window (risktop was off for days) moves up to the window's start:
// what is older than the back-fill window is not wanted.
func (o *Source) load(ctx context.Context) error {
	o.mu.Lock()
	loaded := o.loaded
	o.mu.Unlock()
	if loaded {
		return nil
	}
	now := time.Now().UTC()
	var head HeadCursor
	var bf model.Progress
	if raw, err := o.store.Cursor(ctx, CursorHead); err != nil {
		return fmt.Errorf("read cursor: %w", err)
	} else if raw != "" {
		if err := json.Unmarshal([]byte(raw), &head); err != nil {
			return fmt.Errorf("cursor %s is corrupt: %w", CursorHead, err)
		}
	}
	if raw, err := o.store.Cursor(ctx, CursorBackfill); err != nil {
		return fmt.Errorf("read cursor: %w", err)
	} else if raw != "" {
		if err := json.Unmarshal([]byte(raw), &bf); err != nil {
			return fmt.Errorf("cursor %s is corrupt: %w", CursorBackfill, err)
		}
	}
	if head.Time.IsZero() {
		head = HeadCursor{Time: now}
		bf = model.Progress{From: now.Add(-o.opts.Backfill), To: now, Reached: now}
		if err := o.save(ctx, CursorBackfill, bf); err != nil {
			return err
		}
		if err := o.save(ctx, CursorHead, head); err != nil {
			return err
		}
	}
	floor := now.Add(-o.opts.Backfill)
	if head.Time.Before(floor) {
		head.Time = floor
	}
	if bf.From.After(floor) {
		// The window was widened since the last run: fetch the extra
		// history behind what was already back-filled.
		if bf.Done {
			bf.Reached, bf.Done = bf.From, false
		}
		bf.From = floor
		if err := o.save(ctx, CursorBackfill, bf); err != nil {
			return err
		}
	}
	o.mu.Lock()
	o.head, o.backfill, o.loaded = head, bf, true
	o.mu.Unlock()
	select {
	case <-o.ready: // loaded again after a Reload
	default:
		close(o.ready)
	}
	return nil
}

// Reload drops the cursors held in memory: the next poll reads them from
// the store, where another instance sharing it may have moved them while
// this one was not polling.
func (o *Source) Reload() {
	o.mu.Lock()
	o.loaded = false
	o.mu.Unlock()
}

func (o *Source) save(ctx context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := o.store.SetCursor(ctx, name, string(b)); err != nil {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	return nil
}

// Poll fetches the events after the head cursor, oldest first, storing and
// moving the cursor page by page so an interrupted poll resumes where it
// stopped. OneLogin compares since to the second, so the query overlaps
// the cursor by a second and the store drops what it already has.
func (o *Source) Poll(ctx context.Context) (string, error) {
	if err := o.load(ctx); err != nil {
		return "", err
	}
	types := o.eventTypes(ctx)
	o.mu.Lock()
	head := o.head
	o.mu.Unlock()
	q := Query{Since: head.Time.Add(-time.Second), Sort: "+id"}
	pl := ingest.Start(ctx, o.store)
	var fetchErr error
	for page, err := range o.client.EventPages(ctx, q) {
		o.countHeadCalls(1)
		if err != nil {
			fetchErr = err
			break
		}
		for _, e := range page.Events {
			if e.CreatedAt.After(head.Time) || (e.CreatedAt.Equal(head.Time) && e.ID > head.ID) {
				head = HeadCursor{Time: e.CreatedAt, ID: e.ID}
			}
		}
		at := head
		job := o.job(ctx, page, types, func() error {
			if err := o.save(ctx, CursorHead, at); err != nil {
				return err
			}
			o.mu.Lock()
			o.head = at
			o.mu.Unlock()
			return nil
		})
		if fetchErr = pl.Put(ctx, job); fetchErr != nil {
			break
		}
	}
	// What was fetched is stored, and the cursor moved past it, even when
	// a later page failed: the next poll starts from there.
	if err := pl.Close(); err != nil {
		return "", err
	}
	if fetchErr != nil {
		return "", fetchErr
	}
	if err := o.publishUsers(ctx); err != nil {
		return "", err
	}
	return joinNotes(o.scores(ctx), o.people.note(time.Now()), o.rowNote()), nil
}

// countRowErrors counts a page's malformed rows.
func (o *Source) countRowErrors(errs []RowError) {
	if len(errs) == 0 {
		return
	}
	o.mu.Lock()
	o.rowErrors += len(errs)
	o.lastRow = errs[len(errs)-1]
	o.mu.Unlock()
}

// rowNote is the health line's word on malformed rows, which the log
// records as the note changes.
func (o *Source) rowNote() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.rowErrors == 0 {
		return ""
	}
	return fmt.Sprintf("%s skipped since the start (latest: %s)", words(o.rowErrors, "malformed event row"), o.lastRow.Error())
}

func words(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

// eventTypes returns the catalogue (the client caches it for a day), or nil
// when it cannot be read: events then show their type by number.
func (o *Source) eventTypes(ctx context.Context) *EventTypeCatalog {
	cat, err := o.client.EventTypes(ctx)
	if err != nil {
		return nil
	}
	return cat
}

// job maps a page onto the model for the pipeline; after it is stored,
// the page's events are announced and then saved runs (a cursor moves).
func (o *Source) job(ctx context.Context, page EventPage, types *EventTypeCatalog, saved func() error) ingest.Job {
	events := page.Events
	o.countRowErrors(page.RowErrors)
	users := o.resolve(ctx, events)
	batch := make([]model.Event, len(events))
	var newest time.Time
	for i, e := range events {
		batch[i] = MapEvent(e, types)
		enrich(&batch[i], e, users)
		if e.CreatedAt.After(newest) {
			newest = e.CreatedAt
		}
	}
	return ingest.Job{Events: batch, Done: func(inserted int) error {
		if inserted > 0 {
			o.mu.Lock()
			o.usersStale = true
			o.mu.Unlock()
			o.hub.Publish(hub.EventsMsg{Vendor: vendorName, Inserted: inserted, Newest: newest})
		}
		return saved()
	}}
}

// usersWindow is how far back sign-in events count towards a person's
// OneLogin view in the Users screen; usersEvery bounds how often that fold
// (a scan of the window) runs.
const (
	usersWindow = 24 * time.Hour
	usersEvery  = time.Minute
)

// publishUsers folds the window's events into one view per person when
// new events arrived, at most once every usersEvery.
func (o *Source) publishUsers(ctx context.Context) error {
	now := time.Now()
	o.mu.Lock()
	due := o.lastUsers.IsZero() || (o.usersStale && now.Sub(o.lastUsers) >= usersEvery)
	o.mu.Unlock()
	if !due {
		return nil
	}
	views, err := o.store.EventUsers(ctx, vendorName, now.Add(-usersWindow))
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.lastUsers, o.usersStale = now, false
	o.mu.Unlock()
	o.hub.Publish(hub.UsersMsg{Vendor: vendorName, At: now, Views: views})
	return nil
}

// windowVerdictTTL is how long a verdict on whether OneLogin honours the
// score window stands before it is asked again.
const windowVerdictTTL = 6 * time.Hour

// scores reads score insights for every window when they are due. A
// failure is a note, not a failed poll: events still flow without them
// (accounts without SmartFactor have no scores at all).
//
// When every window answers the same non-zero counts, a disjoint window
// long ago tells a server that ignores the window (WindowIgnored) from an
// account with no older sign-ins. Once known to ignore it, one read
// without a window stands for every window, flagged, so the Overview
// labels it for what it is and no calls go on identical answers.
func (o *Source) scores(ctx context.Context) string {
	now := time.Now()
	o.mu.Lock()
	due := o.lastScores.IsZero() || now.Sub(o.lastScores) >= o.opts.ScoresEvery
	ignored := o.windowIgnored && now.Sub(o.windowVerdictAt) < windowVerdictTTL
	o.mu.Unlock()
	if !due {
		return ""
	}
	var readings []model.Scores
	if ignored {
		o.countHeadCalls(1)
		si, err := o.client.ScoreInsights(ctx, ScoreQuery{})
		if err != nil {
			return "score insights unavailable: " + err.Error()
		}
		for _, w := range model.ScoreWindows {
			readings = append(readings, model.Scores{Window: w, Counts: si.Scores, Total: si.Total, At: now, WindowIgnored: true})
		}
	} else {
		var first ScoreInsights
		same := true
		for i, w := range model.ScoreWindows {
			o.countHeadCalls(1)
			si, err := o.client.ScoreInsights(ctx, ScoreQuery{After: now.Add(-w), Before: now})
			if err != nil {
				return "score insights unavailable: " + err.Error()
			}
			if i == 0 {
				first = si
			} else if si.Total != first.Total || si.Scores != first.Scores {
				same = false
			}
			readings = append(readings, model.Scores{Window: w, From: si.After, To: si.Before, Counts: si.Scores, Total: si.Total, At: now})
		}
		verdict, known := false, true
		if same && first.Total > 0 {
			o.countHeadCalls(1)
			var err error
			if verdict, known, err = o.client.WindowIgnored(ctx, first); err != nil {
				known = false
			}
		}
		if known {
			o.mu.Lock()
			o.windowIgnored, o.windowVerdictAt = verdict, now
			o.mu.Unlock()
		}
		for i := range readings {
			if verdict {
				readings[i].WindowIgnored = true
				readings[i].From, readings[i].To = time.Time{}, time.Time{}
			}
		}
	}
	for _, s := range readings {
		if err := o.store.PutScores(ctx, s); err != nil {
			return "score insights not stored: " + err.Error()
		}
		o.hub.Publish(hub.ScoresMsg{Scores: s})
	}
	o.mu.Lock()
	o.lastScores = now
	o.mu.Unlock()
	return ""
}

// Background back-fills history from the head's start back to the start
// of the window, newest first, one page at a time, saving how far it got
// after every page so a restart resumes instead of re-paging. It paces
// itself and steps aside when the account budget runs low, so the live
// head and other integrations always have calls left.
func (o *Source) Background(ctx context.Context, changed func()) {
	select {
	case <-o.ready:
	case <-ctx.Done():
		return
	}
	wait := time.Duration(0)
	failures := 0
	for {
		if httpx.Sleep(ctx, wait) != nil {
			return
		}
		o.mu.Lock()
		bf := o.backfill
		o.mu.Unlock()
		if bf.Done {
			return
		}
		err := o.backfillPages(ctx, bf, changed)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			return
		}
		failures++
		wait = poll.Backoff(failures, httpx.RetryAfterOf(err), rand.Float64)
	}
}

func (o *Source) backfillPages(ctx context.Context, bf model.Progress, changed func()) error {
	types := o.eventTypes(ctx)
	// until is exclusive to the second: overlap by a second, the store
	// drops the repeats.
	q := Query{Since: bf.From, Until: bf.Reached.Add(time.Second), Sort: "-id"}
	pl := ingest.Start(ctx, o.store)
	var fetchErr error
	for page, err := range o.client.EventPages(ctx, q) {
		if err != nil {
			fetchErr = err
			break
		}
		for _, e := range page.Events {
			if e.CreatedAt.Before(bf.Reached) {
				bf.Reached = e.CreatedAt
			}
		}
		bf.Events += len(page.Events)
		at := bf
		if fetchErr = pl.Put(ctx, o.job(ctx, page, types, func() error { return o.setBackfill(ctx, at, changed) })); fetchErr != nil {
			break
		}
		if !page.Last() && httpx.Sleep(ctx, o.pace()) != nil {
			fetchErr = ctx.Err()
			break
		}
	}
	if err := pl.Close(); err != nil {
		return err
	}
	if fetchErr != nil {
		return fetchErr
	}
	bf.Done, bf.Reached = true, bf.From
	return o.setBackfill(ctx, bf, changed)
}

func (o *Source) setBackfill(ctx context.Context, bf model.Progress, changed func()) error {
	if err := o.save(ctx, CursorBackfill, bf); err != nil {
		return err
	}
	o.mu.Lock()
	o.backfill = bf
	o.mu.Unlock()
	changed()
	return nil
}

func (o *Source) countHeadCalls(n int) {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started.IsZero() {
		o.started = now
	}
	cut := 0
	for cut < len(o.headCalls) && now.Sub(o.headCalls[cut]) > time.Hour {
		cut++
	}
	o.headCalls = o.headCalls[cut:]
	for range n {
		o.headCalls = append(o.headCalls, now)
	}
}

// headRate is the live head's requests per hour, measured over the last
// hour (or since it started, but over at least a minute, so the first
// poll's token and score reads make the estimate cautious, not small).
func (o *Source) headRate() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started.IsZero() {
		return 0
	}
	span := min(max(time.Since(o.started), time.Minute), time.Hour)
	return float64(len(o.headCalls)) / span.Hours()
}

// pace is the pause before the next back-fill page: short while the
// budget is known to be healthy, long while it is unknown, and until the
// budget resets once what is left is the reserve: a fifth of the budget
// for the other integrations on the account, plus what the live head is
// expected to spend before the reset.
func (o *Source) pace() time.Duration {
	rl, ok := o.client.RateLimit()
	if !ok || rl.Limit <= 0 {
		return slowBackfillPace
	}
	untilReset := max(time.Until(rl.Reset), 0)
	if !o.budgetLow() {
		return o.opts.BackfillPace
	}
	if untilReset > 0 {
		return untilReset
	}
	return slowBackfillPace
}

// budgetLow reports that what is left of the account's budget is the
// reserve: a fifth for the other integrations on the account, plus what
// the live head is expected to spend before the reset. Unknown is not low.
func (o *Source) budgetLow() bool {
	rl, ok := o.client.RateLimit()
	if !ok || rl.Limit <= 0 {
		return false
	}
	untilReset := max(time.Until(rl.Reset), 0)
	reserve := float64(rl.Limit)*reserveFraction + o.headRate()*untilReset.Hours()
	return float64(rl.Remaining) <= reserve
}

// MapEvent maps a OneLogin event onto the shared model. The client has
// already sanitized every string.
func MapEvent(e Event, types *EventTypeCatalog) model.Event {
	ev := model.Event{
		Vendor:   vendorName,
		ID:       strconv.FormatInt(e.ID, 10),
		Time:     e.CreatedAt,
		Type:     e.EventTypeID,
		UserName: e.UserName,
		UserKey:  model.NormalizeEmail(e.UserName), // OneLogin gives the email when a user has no name
		IP:       model.NormalizeIP(e.IPAddr),
		Score:    model.NoScore,
		App:      e.AppName,
		Reasons:  e.RiskReasons,
	}
	if types != nil {
		ev.TypeName = types.Name(e.EventTypeID)
	} else {
		ev.TypeName = UnknownEventTypeName(e.EventTypeID)
	}
	if e.UserID != nil {
		ev.UserID = strconv.FormatInt(*e.UserID, 10)
	}
	if e.RiskScore != nil {
		ev.Score = *e.RiskScore
		ev.Level = model.LevelOfScore(*e.RiskScore)
	}
	f := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	putID := func(k string, v *int64) {
		if v != nil {
			f[k] = strconv.FormatInt(*v, 10)
		}
	}
	put("actor_user_name", e.ActorUserName)
	putID("actor_user_id", e.ActorUserID)
	putID("assuming_acting_user_id", e.AssumingActingUserID)
	put("actor_system", e.ActorSystem)
	putID("app_id", e.AppID)
	put("role_name", e.RoleName)
	put("group_name", e.GroupName)
	put("policy_name", e.PolicyName)
	put("otp_device_name", e.OTPDeviceName)
	putID("directory_id", e.DirectoryID)
	put("client_id", e.ClientID)
	put("proxy_ip", e.ProxyIP)
	put("notes", e.Notes)
	put("custom_message", e.CustomMessage)
	put("error_description", e.ErrorDescription)
	put("operation_name", e.OperationName)
	put("resolution", e.Resolution)
	put("risk_cookie_id", e.RiskCookieID)
	put("browser_fingerprint", e.BrowserFingerprint)
	if e.AccountID != 0 {
		f["account_id"] = strconv.FormatInt(e.AccountID, 10)
	}
	if len(f) > 0 {
		ev.Fields = f
	}
	return ev
}
