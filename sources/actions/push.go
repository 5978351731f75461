package actions

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/okta"
)

// PushProblem is a Problem of one request in a QueuePush.
type PushProblem struct {
	Index int    // the request's position, from 0
	IP    string // as it was entered
	Problem
}

// PushError lists every problem of a QueuePush that queued nothing.
type PushError struct{ Problems []PushProblem }

func (e *PushError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = fmt.Sprintf("#%d %s: %s", p.Index+1, p.Field, p.Message)
	}
	return "IP risk not queued: " + strings.Join(parts, "; ")
}

// minExpires is the shortest expiry accepted: Okta wants expiresAt after
// the event's timestamp and in the future when it arrives, to the
// millisecond, and a push spends at least a round trip getting there.
const minExpires = time.Second

// CheckPush validates a request with Okta's rules (the same as the client's
// Validate) and risktop's own on addresses (see ClassifyIP), and returns
// every problem, for a form to show as it is typed. It does no I/O.
func (s *Service) CheckPush(r PushRequest) []Problem {
	return checkPush(r, s.opts.AllowDocumentationRanges)
}

// CheckPush is Service.CheckPush without a service, for a command that
// checks its arguments before it loads a config; allowDocumentation is the
// service's AllowDocumentationRanges.
func CheckPush(r PushRequest, allowDocumentation bool) []Problem {
	return checkPush(r, allowDocumentation)
}

func checkPush(r PushRequest, allowDocumentation bool) []Problem {
	var ps []Problem
	ip := strings.TrimSpace(r.IP)
	if m := okta.CheckIP(ip); m != "" {
		ps = append(ps, Problem{Field: "ip", Message: m})
	} else if m, confirm := checkAddress(netip.MustParseAddr(ip), r.AllowPrivate, allowDocumentation); m != "" {
		ps = append(ps, Problem{Field: "ip", Message: m, Confirm: confirm})
	}
	if m := okta.CheckLevel(oktaLevel(r.Level)); m != "" {
		ps = append(ps, Problem{Field: "level", Message: m})
	}
	if m := okta.CheckMessage(r.Message); m != "" {
		// The client's own advice names a Go function; an operator retypes.
		ps = append(ps, Problem{Field: "message", Message: strings.Replace(m, "; CleanMessage removes the rest)", ")", 1)})
	}
	// Okta has no upper bound: without expiresAt it keeps the event 24 h
	// after consuming it, with one it keeps it until then (vendors.md §4.4).
	switch {
	case r.Expires < 0:
		ps = append(ps, Problem{Field: "expires", Message: "must not be negative; leave it empty for Okta's default (24 h after Okta consumes the event)"})
	case r.Expires > 0 && r.Expires < minExpires:
		ps = append(ps, Problem{Field: "expires", Message: fmt.Sprintf("%s would pass before the event reaches Okta (it must be in the future then); give %s or more, or leave it empty",
			r.Expires, minExpires)})
	}
	return ps
}

// canonicalIP is the one spelling of a valid address the outbox keeps:
// netip's, with an IPv4-mapped IPv6 address as the IPv4 address it is.
func canonicalIP(ip string) string {
	return netip.MustParseAddr(strings.TrimSpace(ip)).Unmap().String()
}

func oktaLevel(s string) okta.Level { return okta.Level(strings.ToUpper(strings.TrimSpace(s))) }

// DefaultPushLife is how long Okta keeps a pushed event without
// expiresAt: 24 h after it consumes it (vendors.md §4.4). A sent push is
// live that long after risktop sent it; one with an expiry until then.
const DefaultPushLife = 24 * time.Hour

// PushOutcome is what QueuePush did with one request.
type PushOutcome struct {
	IP string // the address, in the outbox's one spelling; "" for a person's push
	// Subject is the person's email, for a person's push (PushUserRisk).
	Subject string
	Queued  bool // queued by this call; false: skipped because of Live
	// ID is the outbox item to follow: the one queued, or the live one
	// the request was skipped for.
	ID int64
	// Live is the item already queued, sending or sent that covers the
	// address (ID 0 when none): the reason a request was skipped, or what
	// a forced one was queued over.
	Live model.OutboxItem
	// LiveUntil is when Okta forgets Live, when Live was sent.
	LiveUntil time.Time
	At        time.Time // when the outbox was read
}

// Pending reports whether the outbox item to follow has yet to be sent:
// queued now, or skipped for one queued or being sent.
func (o PushOutcome) Pending() bool {
	return o.Queued || o.Live.State == model.OutboxQueued || o.Live.State == model.OutboxSending
}

// Reason says, in words, what covered the request ("" when nothing did):
// "already queued (outbox #12)", "already being sent (outbox #12)", or
// "already sent at HIGH at 10:04 UTC (outbox #12), live until 10:04 UTC
// tomorrow". Times are in UTC, dated relative to At.
func (o PushOutcome) Reason() string {
	it := o.Live
	switch it.State {
	case "":
		return ""
	case model.OutboxQueued:
		return fmt.Sprintf("already queued (outbox #%d)", it.ID)
	case model.OutboxSending:
		return fmt.Sprintf("already being sent (outbox #%d)", it.ID)
	}
	return fmt.Sprintf("already sent at %s at %s (outbox #%d), live until %s",
		strings.ToUpper(it.Level.String()), clockTime(it.SentAt, o.At), it.ID, clockTime(o.LiveUntil, o.At))
}

// clockTime is t in UTC as a time of day, with the day when it is not
// that of now.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	hm := t.Format("15:04") + " UTC"
	switch days := day(t).Sub(day(now)).Hours() / 24; {
	case days == 0:
		return hm
	case days == 1:
		return hm + " tomorrow"
	case days == -1:
		return hm + " yesterday"
	case t.Year() == now.Year():
		return t.Format("Jan 2 15:04") + " UTC"
	}
	return t.Format("2006-01-02 15:04") + " UTC"
}

// OutboxIDs are the outbox items the outcomes follow, in order.
func OutboxIDs(outs []PushOutcome) []int64 {
	ids := make([]int64, len(outs))
	for i, o := range outs {
		ids[i] = o.ID
	}
	return ids
}

// QueuePush validates every request (none is queued if any is invalid: the
// error is a *PushError listing the problems by index) and stores them in
// the outbox as queued, except a request (not Force) whose address is
// already queued, sending, or sent and live at Okta at the same or a
// higher level: that one is skipped, and its outcome names the item. The
// check and the queueing are one store transaction, so concurrent pushes
// of an address queue it once. Each request is audited ("queued", or
// "skipped" with the reason); the sender is woken. The outcomes come back
// in order.
//
// When only the audit write fails, the pushes are queued: the outcomes
// come back with an *AuditError.
func (s *Service) QueuePush(ctx context.Context, who Actor, reqs []PushRequest) ([]PushOutcome, error) {
	if len(reqs) == 0 {
		return nil, errors.New("no IP risk to push")
	}
	entries := s.pushEntries(who, reqs)
	switch {
	case s.opts.ReadOnly:
		return nil, s.refuseAll(ctx, entries, ErrReadOnly)
	case s.opts.Okta == nil:
		return nil, s.refuseAll(ctx, entries, notConfigured(PushTo.Name))
	}

	var pe PushError
	var refusals []model.AuditEntry
	for i, r := range reqs {
		ps := checkPush(r, s.opts.AllowDocumentationRanges)
		for _, p := range ps {
			pe.Problems = append(pe.Problems, PushProblem{Index: i, IP: r.IP, Problem: p})
		}
		if len(ps) > 0 {
			var texts []string
			for _, p := range ps {
				texts = append(texts, p.Field+": "+p.Message)
			}
			e := entries[i]
			e.Result, e.Detail = ResultRefused, joinDetail(e.Detail, strings.Join(texts, "; "))
			refusals = append(refusals, e)
		}
	}
	if len(pe.Problems) > 0 {
		auditErr := s.auditAll(ctx, refusals)
		s.changed()
		return nil, withAudit(&pe, auditErr)
	}

	now := s.now()
	pushes := make([]store.Push, len(reqs))
	for i, r := range reqs {
		level, _ := model.ParseLevel(r.Level)
		it := model.OutboxItem{
			Created: now, NextTry: now,
			IP:    canonicalIP(r.IP), // one spelling per address
			Level: level, Message: r.Message, Actor: string(who),
		}
		if r.Expires > 0 {
			it.ExpiresAt = now.Add(r.Expires)
		}
		pushes[i] = store.Push{Item: it, Force: r.Force}
	}
	done, err := s.opts.Store.EnqueueOnce(ctx, pushes, now, DefaultPushLife)
	if err != nil {
		err = fmt.Errorf("IP risk not queued: %w", err)
		for i, e := range entries {
			e.Result, e.Detail = ResultFailed, joinDetail(e.Detail, err.Error())
			entries[i] = e
		}
		auditErr := s.auditAll(ctx, entries)
		s.changed()
		return nil, withAudit(err, auditErr)
	}
	outs := make([]PushOutcome, len(reqs))
	for i, e := range entries {
		o := PushOutcome{IP: pushes[i].Item.IP, Queued: !done[i].Skipped(), ID: done[i].ID, Live: done[i].Live, At: now}
		if o.Live.State == model.OutboxSent {
			o.LiveUntil = o.Live.ExpiresAt
			if o.LiveUntil.IsZero() {
				o.LiveUntil = o.Live.SentAt.Add(DefaultPushLife)
			}
		}
		e.Target = o.IP
		switch {
		case !o.Queued:
			o.ID = o.Live.ID
			e.Result, e.Detail = ResultSkipped, o.Reason()+"; "+e.Detail
		case o.Live.ID != 0:
			e.Result, e.Detail = ResultQueued, fmt.Sprintf("outbox #%d, %s; forced: %s", o.ID, e.Detail, o.Reason())
		default:
			e.Result, e.Detail = ResultQueued, fmt.Sprintf("outbox #%d, %s", o.ID, e.Detail)
		}
		outs[i] = o
		entries[i] = e
	}
	auditErr := s.auditAll(ctx, entries)
	s.wakeSender()
	s.settle()
	s.changed()
	if auditErr != nil {
		return outs, auditErr
	}
	return outs, nil
}

// pushEntries start the audit entries of a push, one per IP.
func (s *Service) pushEntries(who Actor, reqs []PushRequest) []model.AuditEntry {
	entries := make([]model.AuditEntry, len(reqs))
	for i, r := range reqs {
		entries[i] = s.entry(who, ActionPushIP, PushTo.Name, strings.TrimSpace(r.IP), pushDetail(r))
	}
	return entries
}

// refuseAll audits every entry as refused because of why and returns why.
func (s *Service) refuseAll(ctx context.Context, entries []model.AuditEntry, why error) error {
	for i, e := range entries {
		e.Result, e.Detail = ResultRefused, joinDetail(e.Detail, why.Error())
		entries[i] = e
	}
	auditErr := s.auditAll(ctx, entries)
	s.changed()
	return withAudit(why, auditErr)
}

// pushDetail describes a request for the audit log.
func pushDetail(r PushRequest) string {
	d := "level " + string(oktaLevel(r.Level))
	if r.Message != "" {
		d += ", message " + strconv.Quote(r.Message)
	}
	if r.Expires > 0 {
		d += ", expires in " + r.Expires.String()
	}
	return d
}

// RetryPush puts a failed push back in the queue; DropPush gives up on a
// queued or failed one. Both are audited.
func (s *Service) RetryPush(ctx context.Context, who Actor, id int64) error {
	e := s.outboxEntry(ctx, who, ActionRetryPush, id)
	if err := s.gate(ctx, e, s.opts.Okta != nil); err != nil {
		return err
	}
	err := s.opts.Store.Requeue(ctx, id, s.now())
	if err == nil {
		s.wakeSender()
		s.settle()
	}
	return s.finish(ctx, e, 0, err)
}

// DropPush needs no vendor, so it works with Okta gone from the config:
// that is when stranded pushes are dropped.
func (s *Service) DropPush(ctx context.Context, who Actor, id int64) error {
	e := s.outboxEntry(ctx, who, ActionDropPush, id)
	if err := s.gate(ctx, e, true); err != nil {
		return err
	}
	err := s.opts.Store.Drop(ctx, id)
	if err == nil {
		s.settle()
	}
	return s.finish(ctx, e, 0, err)
}

// outboxEntry starts the audit entry of an action on an outbox item,
// naming its IP when the item can be read.
func (s *Service) outboxEntry(ctx context.Context, who Actor, action string, id int64) model.AuditEntry {
	target, detail := fmt.Sprintf("outbox #%d", id), fmt.Sprintf("outbox #%d", id)
	if items, err := s.opts.Store.OutboxItems(ctx, []int64{id}); err == nil {
		it := items[0]
		target = it.Target()
		detail += fmt.Sprintf(", %s, level %s, %s", it.State, it.Level, plural(it.Attempts, "attempt", "attempts"))
	}
	return s.entry(who, action, PushTo.Name, target, detail)
}

// waitRecheck is how often WaitPushes reads the outbox again, for a sender
// in another process (its own sender's news arrives at once).
const waitRecheck = 500 * time.Millisecond

// WaitPushes blocks until each outbox item is sent or failed (or ctx ends)
// and returns them. For the headless push-ip. A dropped item counts as
// done too. When ctx ends first, the items as they stand come back with
// ctx's error.
func (s *Service) WaitPushes(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	tick := time.NewTicker(waitRecheck)
	defer tick.Stop()
	// The reads outlive ctx, so the items come back as they stand even
	// when it has ended.
	read := func() ([]model.OutboxItem, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
		defer cancel()
		return s.opts.Store.OutboxItems(rctx, ids)
	}
	for {
		news := s.news()
		items, err := read()
		if err != nil {
			return nil, err
		}
		done := true
		for _, it := range items {
			if it.State == model.OutboxQueued || it.State == model.OutboxSending {
				done = false
				break
			}
		}
		if done {
			return items, nil
		}
		select {
		case <-ctx.Done():
			return items, ctx.Err()
		case <-news:
		case <-tick.C:
		}
	}
}

// news is closed the next time outbox items move in this process.
func (s *Service) news() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settled
}

// settle tells WaitPushes that outbox items moved.
func (s *Service) settle() {
	s.mu.Lock()
	close(s.settled)
	s.settled = make(chan struct{})
	s.mu.Unlock()
}

func (s *Service) wakeSender() {
	select {
	case s.wake <- struct{}{}:
	default: // already woken
	}
}
