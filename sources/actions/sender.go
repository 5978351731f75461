package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
)

// The sender's retry schedule: 10 s doubling to 10 min, or the vendor's
// Retry-After when that is longer, for at most MaxPushAttempts sends.
const (
	MaxPushAttempts = 8
	firstRetry      = 10 * time.Second
	maxRetry        = 10 * time.Minute
	// storeRetry is how long the sender waits after the store failed.
	storeRetry = 30 * time.Second
)

// Sender pushes the outbox to Okta, over the push path the Okta client is
// configured with (okta.Sender: the Risk Events API, or SSF's signed
// SETs). Run one per store.
type Sender struct{ s *Service }

// NewSender makes the sender for s's store and Okta client.
func (s *Service) NewSender() *Sender { return &Sender{s: s} }

// Wake makes a waiting sender look at the outbox now.
func (snd *Sender) Wake() { snd.s.wakeSender() }

// Run sends until ctx ends: it claims due items, packs them within Okta's
// budget, pushes, and marks each sent or failed. It sleeps when nothing is
// due (no timer runs while the outbox is empty).
//
// It returns at once without Okta, in read-only mode (nothing leaves
// risktop then, not even pushes queued earlier), or when another Run of
// the same service is going.
func (snd *Sender) Run(ctx context.Context) {
	s := snd.s
	switch {
	case s.opts.Okta == nil:
		return
	case s.opts.ReadOnly:
		s.log.Info("outbox sender not started: read-only")
		return
	case !s.running.CompareAndSwap(false, true):
		s.log.Warn("outbox sender already running for this store")
		return
	}
	defer s.running.Store(false)
	spun := false
	for ctx.Err() == nil {
		n, err := snd.batch(ctx)
		if n > 0 {
			spun = false
			s.settle()
			s.changed()
			continue // more may be due
		}
		wait, timed := time.Duration(0), false
		if err == nil {
			var next time.Time
			var ok bool
			next, ok, err = s.opts.Store.NextOutboxDue(ctx)
			if err == nil && ok {
				wait, timed = next.Sub(s.now()), true
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("outbox sender: store", "err", err, "retry_in", storeRetry)
			wait, timed = storeRetry, true
		}
		if p := s.opts.OutboxPoll; p > 0 && (!timed || wait > p) {
			wait, timed = p, true
		}
		if timed && wait <= 0 {
			// Due now yet nothing was claimed (the clock moved between
			// the two reads): look once more, then pause rather than spin.
			if !spun {
				spun = true
				continue
			}
			wait = time.Second
		}
		spun = false
		snd.sleep(ctx, wait, timed)
	}
}

// sleep waits for ctx, a wake-up, or (when timed) d.
func (snd *Sender) sleep(ctx context.Context, d time.Duration, timed bool) {
	var fire <-chan time.Time
	if timed {
		c, stop := snd.s.newTimer(d)
		defer stop()
		fire = c
	}
	if snd.s.onWait != nil {
		snd.s.onWait(d, timed) // after the timer exists, so a test may move the clock past it
	}
	select {
	case <-ctx.Done():
	case <-snd.s.wake:
	case <-fire:
	}
}

// batch claims what is due, as much as Okta's budget can take now, and
// pushes it. It returns how many items it claimed.
func (snd *Sender) batch(ctx context.Context) (int, error) {
	s := snd.s
	now := s.now()
	// Over the Risk Events API each item needs at most one event (items
	// share one when their expiries match), so budget×20 items always fit
	// in budget requests; over SSF each request is one SET for one IP.
	budget := max(s.opts.Okta.Available(), 1)
	perRequest := min(s.opts.Okta.SignalsPerRequest(), okta.MaxEventsPerRequest)
	items, err := s.opts.Store.ClaimDue(ctx, now, budget*perRequest)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	byIP := map[string][]model.OutboxItem{}
	var signals []okta.Signal
	var persons []model.OutboxItem
	for _, it := range items {
		reason := ""
		if it.Person() {
			reason = snd.unsendablePerson(it)
		} else {
			reason = unsendable(it, now, s.opts.AllowDocumentationRanges)
		}
		if reason != "" {
			snd.settleItems(ctx, []model.OutboxItem{it}, errors.New(reason))
			continue
		}
		if it.Person() {
			persons = append(persons, it)
			continue
		}
		ip := netip.MustParseAddr(it.IP).String()
		byIP[ip] = append(byIP[ip], it)
		signals = append(signals, okta.Signal{IP: ip, Level: oktaLevel(it.Level.String()), Message: it.Message, ExpiresAt: it.ExpiresAt})
	}
	// A person's item is one request (one user-risk-change SET) from the
	// same budget; persons go first, in the order claimed, and addresses
	// share what is left.
	persons, waiting := persons[:min(len(persons), budget)], persons[min(len(persons), budget):]
	snd.requeue(ctx, waiting, "waiting for Okta's push budget")
	budget -= len(persons)
	plan := s.opts.Okta.PackSignals(signals, budget, now) // the configured push path's (okta.Sender)
	// Neither can happen after unsendable and with that many items; if
	// Pack disagrees, its word is final for the items concerned.
	for _, r := range plan.Rejected {
		snd.settleItems(ctx, byIP[r.Signal.IP], errors.New(r.Reason))
		delete(byIP, r.Signal.IP)
	}
	for _, d := range plan.Deferred {
		snd.requeue(ctx, byIP[d.IP], "waiting for Okta's push budget")
		delete(byIP, d.IP)
	}
	for _, req := range plan.Requests {
		// Pack sent each IP once, at its highest level: every item merged
		// into it shares the request's outcome.
		var sent []model.OutboxItem
		for _, ev := range req {
			for _, sub := range ev.Subjects {
				sent = append(sent, byIP[sub.IP]...)
			}
		}
		if ctx.Err() != nil {
			snd.requeue(ctx, sent, "not sent: risktop stopped first")
			continue
		}
		snd.settleItems(ctx, sent, s.opts.Okta.Push(ctx, req))
	}
	for _, it := range persons {
		if ctx.Err() != nil {
			snd.requeue(ctx, []model.OutboxItem{it}, "not sent: risktop stopped first")
			continue
		}
		snd.settleItems(ctx, []model.OutboxItem{it}, s.opts.Okta.PushUserRisk(ctx, userRisk(it)))
	}
	return len(items), nil
}

// errUserRiskNeedsSSF is why a person's risk cannot go over the Risk
// Events API.
var errUserRiskNeedsSSF = errors.New("a person's risk goes to Okta only over the Shared Signals Framework; set push: ssf (with ssf_issuer, ssf_key_file, ssf_key_id) in the okta section")

// unsendablePerson says why a person's item can never be sent ("" when it
// can): Okta's push path is not SSF (the config changed since it was
// queued), or the item is not a valid user-risk-change.
func (snd *Sender) unsendablePerson(it model.OutboxItem) string {
	if snd.s.opts.Okta.PushPath() != okta.PushSSF {
		return errUserRiskNeedsSSF.Error()
	}
	return okta.CheckUserRisk(userRisk(it))
}

// userRisk is a person's item as Okta's user-risk-change: the event is
// dated when the operator queued it.
func userRisk(it model.OutboxItem) okta.UserRisk {
	r := okta.UserRisk{Email: it.Subject, Current: UserRiskLevel(it.Level), Previous: UserRiskLevel(it.Previous), At: it.Created}
	if it.Source != "" {
		r.Reason = it.Source + " rates " + it.Level.String()
	}
	return r
}

// unsendable says why an item can never be sent ("" when it can): one
// queued before risktop refused its address class (a private address was
// confirmed when it was queued) is refused here.
func unsendable(it model.OutboxItem, now time.Time, allowDocumentation bool) string {
	if m := okta.CheckIP(it.IP); m != "" {
		return "ip: " + m
	}
	if m, _ := checkAddress(netip.MustParseAddr(it.IP), true, allowDocumentation); m != "" {
		return "ip: " + m
	}
	switch it.Level {
	case model.LevelLow, model.LevelMedium, model.LevelHigh:
	default:
		return fmt.Sprintf("level: %s is not LOW, MEDIUM or HIGH", it.Level)
	}
	ms := func(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
	if !it.ExpiresAt.IsZero() && !ms(it.ExpiresAt).After(ms(now)) {
		return "expired at " + okta.FormatTime(it.ExpiresAt) + " before it could be sent"
	}
	return ""
}

// requeue puts items back in the queue, due now, noting why.
func (snd *Sender) requeue(ctx context.Context, items []model.OutboxItem, why string) {
	if len(items) == 0 {
		return
	}
	s := snd.s
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := s.opts.Store.MarkFailed(wctx, ids(items), why, s.now()); err != nil {
		s.log.Error("outbox sender: requeue", "err", err)
	}
}

// settleItems records the outcome of one push for the items it carried:
// sent on success; back in the queue with back-off when Okta may take it
// later (429, 5xx, timeouts, no connection, a garbled answer); failed for
// good otherwise, or
// after MaxPushAttempts. Each item's outcome is audited.
func (snd *Sender) settleItems(ctx context.Context, items []model.OutboxItem, err error) {
	if len(items) == 0 {
		return
	}
	s := snd.s
	at := s.now()
	// Outcomes are written even as risktop stops: the push happened.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	entry := func(it model.OutboxItem, result string, status int, detail string) model.AuditEntry {
		action := ActionPushIP
		if it.Person() {
			action = ActionPushUserRisk
		}
		return model.AuditEntry{At: at, Actor: it.Actor, Action: action, Vendor: PushTo.Name,
			Target: it.Target(), Result: result, VendorStatus: status,
			Detail: fmt.Sprintf("outbox #%d, attempt %d: %s", it.ID, it.Attempts, detail)}
	}
	var entries []model.AuditEntry
	var marks []func() // state changes, made after the audit so whoever waits on the state finds the entries
	switch {
	case err == nil:
		marks = append(marks, func() {
			if serr := s.opts.Store.MarkSent(wctx, ids(items), at); serr != nil {
				s.log.Error("outbox sender: mark sent", "err", serr) // sending again is harmless
			}
		})
		for _, it := range items {
			entries = append(entries, entry(it, ResultSent, http.StatusAccepted, "accepted, level "+sentLevel(it)))
		}
	case ctx.Err() != nil:
		// Stopped mid-request: whether Okta got it is unknown, and a
		// resend of the same risk is harmless (a fresh SET over SSF).
		why := "interrupted before Okta answered; it will be sent again"
		marks = append(marks, func() {
			if serr := s.opts.Store.MarkFailed(wctx, ids(items), why, at); serr != nil {
				s.log.Error("outbox sender: requeue", "err", serr)
			}
		})
		for _, it := range items {
			entries = append(entries, entry(it, ResultRetry, 0, why))
		}
	default:
		retry, after := retryable(err)
		status, text := httpx.StatusOf(err), err.Error()
		groups := map[time.Time][]int64{} // next try (zero: failed) → ids
		for _, it := range items {
			var next time.Time
			detail := text
			switch {
			case retry && it.Attempts < MaxPushAttempts:
				next = at.Add(max(backoff(it.Attempts), after))
				detail += fmt.Sprintf("; next try at %s", next.UTC().Format(time.RFC3339))
				entries = append(entries, entry(it, ResultRetry, status, detail))
			case retry:
				detail = fmt.Sprintf("gave up after %s: %s", plural(it.Attempts, "attempt", "attempts"), text)
				entries = append(entries, entry(it, ResultFailed, status, detail))
			default:
				entries = append(entries, entry(it, ResultFailed, status, detail))
			}
			groups[next] = append(groups[next], it.ID)
		}
		for next, group := range groups {
			msg := text
			if retry && next.IsZero() {
				msg = fmt.Sprintf("gave up after %d attempts: %s", MaxPushAttempts, text)
			}
			marks = append(marks, func() {
				if serr := s.opts.Store.MarkFailed(wctx, group, msg, next); serr != nil {
					s.log.Error("outbox sender: mark failed", "err", serr)
				}
			})
		}
	}
	_ = s.auditAll(wctx, entries) // logged there; the sender has no one else to tell
	for _, mark := range marks {
		mark()
	}
}

// sentLevel is the level an item went to Okta at, in Okta's words: the
// Risk Events API's LOW/MEDIUM/HIGH, or a person's user-risk level.
func sentLevel(it model.OutboxItem) string {
	if it.Person() {
		return string(UserRiskLevel(it.Level))
	}
	return strings.ToUpper(it.Level.String())
}

// retryable reports whether Okta may take the push later, and how long it
// asked us to wait.
func retryable(err error) (bool, time.Duration) {
	var be *okta.BudgetError
	if errors.As(err, &be) {
		return true, be.RetryIn
	}
	switch httpx.KindOf(err) {
	case httpx.KindRateLimited, httpx.KindTimeout, httpx.KindNetwork,
		// A garbled or oversized answer (a proxy's error page, a body cut
		// short, on the token or the push) is the path failing, not Okta
		// refusing the push; a resend is harmless.
		httpx.KindDecode, httpx.KindTooLarge:
		return true, httpx.RetryAfterOf(err)
	case httpx.KindStatus:
		if st := httpx.StatusOf(err); st == http.StatusTooManyRequests || st >= 500 {
			return true, httpx.RetryAfterOf(err)
		}
	}
	return false, 0
}

// backoff is the wait after the attempt-th failed send.
func backoff(attempt int) time.Duration {
	d := firstRetry
	for i := 1; i < attempt && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

func ids(items []model.OutboxItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
