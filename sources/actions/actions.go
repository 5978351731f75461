// Package actions carries out operator actions on the vendors: resetting a
// Cloudflare user's risk, pushing IP risk to Okta through the store's
// outbox, editing Cloudflare behaviors and integrations. Every attempt is
// checked against read-only mode and appended to the audit log (the store,
// and a JSON-lines file when configured) with its result. The dashboard,
// `risktop serve` and the headless commands all act through a Service.
package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/privfile"
)

// ErrReadOnly refuses an action while read-only mode is on.
var ErrReadOnly = errors.New("read-only: start risktop with --write or set read_only: false to act")

// ErrNotConfigured refuses an action on a vendor that has no configuration.
var ErrNotConfigured = errors.New("that vendor is not configured")

// Audit log action names.
const (
	ActionResetUser         = "reset-user"
	ActionPushIP            = "push-ip"
	ActionRetryPush         = "retry-push"
	ActionDropPush          = "drop-push"
	ActionUpdateBehaviors   = "update-behaviors"
	ActionCreateIntegration = "create-integration"
	ActionUpdateIntegration = "update-integration"
	ActionDeleteIntegration = "delete-integration"
)

// Audit log results. An action is "ok", "failed" or "refused"; a push is
// "queued", then "sent", "retry" (back in the queue) or "failed", or
// "skipped" when the address was already queued, sending or sent.
const (
	ResultOK      = "ok"
	ResultFailed  = "failed"
	ResultRefused = "refused"
	ResultQueued  = "queued"
	ResultSent    = "sent"
	ResultRetry   = "retry"
	ResultSkipped = "skipped"
)

// Options build a Service.
type Options struct {
	Store      store.Store
	Cloudflare *cloudflare.Client // nil: Cloudflare actions are refused with ErrNotConfigured
	Okta       *okta.Client       // nil: pushes are refused with ErrNotConfigured
	ReadOnly   bool
	AuditFile  string           // "" for none; else JSON lines appended (created 0600)
	Now        func() time.Time // default time.Now
	Log        *slog.Logger     // default discards
	// Changed is called (never while holding a lock, never blocking for
	// long) after the outbox or the audit log changed, so views reload.
	Changed func()
	// AlertsChanged is called after an alert was acknowledged or
	// resolved, with its new change sequence number (see alerts.go).
	AlertsChanged func(seq int64)
	// NewTimer makes the sender's timers (default time.NewTimer); tests
	// pass a fake clock's, together with Now.
	NewTimer func(d time.Duration) (c <-chan time.Time, stop func() bool)
	// AllowDocumentationRanges accepts pushes of addresses in the
	// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
	// 2001:db8::/32), which the simulator's world uses for everyone. An
	// Okta client configured with okta.Config.AllowDocumentationRanges
	// (the config key okta.allow_documentation_ranges) turns it on too.
	AllowDocumentationRanges bool
	// OutboxPoll, when set, is the longest the sender waits before it
	// looks at the outbox again. A store shared by several instances
	// needs it: what another instance (or risktop push-ip) queues, and
	// what a killed instance had claimed, wakes no sender here.
	OutboxPoll time.Duration
}

// Actor says who acts: the OS user, or an SSH key's fingerprint and comment.
type Actor string

// ResetTarget names the person whose Cloudflare risk is reset.
type ResetTarget struct {
	UserID string // the Access user id (required)
	Email  string // for the audit log and messages
	Name   string
	Level  model.Level // the level before the reset, for the audit detail
}

// PushRequest is one IP risk to push to Okta, as an operator entered it.
type PushRequest struct {
	IP      string
	Level   string        // LOW, MEDIUM or HIGH (any case)
	Message string        // optional
	Expires time.Duration // 0: Okta's default (24 h after it consumes it)
	// AllowPrivate says the operator confirmed an address in a private
	// range (RFC 1918, CGNAT, ULA); without it such a push is refused.
	AllowPrivate bool
	// Force queues the push even when the address is already queued,
	// sending, or sent and live at Okta (see QueuePush).
	Force bool
}

// Problem is what is wrong with one field of a PushRequest ("ip", "level",
// "message", "expires"), in words an operator can act on.
type Problem struct {
	Field   string
	Message string
	// Confirm marks a problem the operator may accept: an address in a
	// private range (PushRequest.AllowPrivate accepts it).
	Confirm bool
}

// Service carries out actions. It is safe for concurrent use: many
// dashboards (SSH sessions) share one.
type Service struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	newTimer func(time.Duration) (<-chan time.Time, func() bool)

	auditMu sync.Mutex // one audit entry at a time, store then file
	fileMu  sync.Mutex
	file    *os.File // nil: no audit file, or closed
	closed  bool

	wake    chan struct{} // capacity 1: the sender has work
	running atomic.Bool   // a Sender runs

	mu      sync.Mutex
	settled chan struct{} // closed (and replaced) when outbox items moved

	// onWait, when set (tests), is told each time the sender goes to
	// sleep: for d when timed, else until woken.
	onWait func(d time.Duration, timed bool)
}

// New opens the audit file (when configured) and returns the service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("actions: no store")
	}
	if o.Okta != nil && o.Okta.AllowsDocumentationRanges() {
		o.AllowDocumentationRanges = true
	}
	s := &Service{opts: o, now: o.Now, log: o.Log, newTimer: o.NewTimer,
		wake: make(chan struct{}, 1), settled: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.newTimer == nil {
		s.newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	if o.AuditFile != "" {
		// Never through a symlink, nor where another user can write: the
		// audit log is evidence.
		f, err := privfile.OpenAppend(o.AuditFile)
		if err != nil {
			return nil, fmt.Errorf("actions: audit log: %w", err)
		}
		s.file = f
	}
	return s, nil
}

// Close closes the audit file. Actions after Close still reach the store's
// audit log, and report that the file could not be written.
func (s *Service) Close() error {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	s.closed = true
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if err != nil {
		return fmt.Errorf("actions: audit log: %w", err)
	}
	return nil
}

// ReadOnly reports whether actions are refused.
func (s *Service) ReadOnly() bool { return s.opts.ReadOnly }

// CanReset and CanPush report whether the vendor is configured.
func (s *Service) CanReset() bool { return s.opts.Cloudflare != nil }
func (s *Service) CanPush() bool  { return s.opts.Okta != nil }

// ResetUser resets a person's Cloudflare risk score (clears their history).
// Errors are the vendor's own (with its hint), ErrReadOnly or
// ErrNotConfigured. Audited as "reset-user" with the vendor status.
func (s *Service) ResetUser(ctx context.Context, who Actor, t ResetTarget) error {
	e := s.resetEntry(who, t)
	if err := s.gate(ctx, e, s.opts.Cloudflare != nil); err != nil {
		return err
	}
	if strings.TrimSpace(t.UserID) == "" {
		return s.refuse(ctx, e, errors.New("no Cloudflare user id to reset (the Access user id from the summary)"))
	}
	err := s.opts.Cloudflare.Reset(ctx, t.UserID)
	return s.finish(ctx, e, http.StatusOK, err)
}

// resetEntry starts the audit entry of a reset.
func (s *Service) resetEntry(who Actor, t ResetTarget) model.AuditEntry {
	target := t.Email
	if target == "" {
		target = t.UserID
	}
	var parts []string
	if t.Name != "" {
		parts = append(parts, t.Name)
	}
	if t.UserID != "" {
		parts = append(parts, "user id "+t.UserID)
	}
	if t.Level != model.LevelUnknown {
		parts = append(parts, "level "+t.Level.String()+" before")
	}
	return s.entry(who, ActionResetUser, ResetIn.Name, target, strings.Join(parts, ", "))
}

// ResetsForwarded reports whether Cloudflare has an active Okta integration, so
// a reset reaches Okta too (for the confirmation's wording).
func (s *Service) ResetsForwarded(ctx context.Context) (bool, error) {
	if s.opts.Cloudflare == nil {
		return false, notConfigured(ResetIn.Name)
	}
	ins, err := s.opts.Cloudflare.Integrations(ctx)
	if err != nil {
		return false, err
	}
	for _, in := range ins {
		if in.Active && strings.EqualFold(in.IntegrationType, cloudflare.IntegrationTypeOkta) {
			return true, nil
		}
	}
	return false, nil
}

// SaveBehaviors applies changes with a read-modify-write of the full map
// (a PUT of every behavior) and returns the settings now in force.
// Audited as "update-behaviors" with what changed.
func (s *Service) SaveBehaviors(ctx context.Context, who Actor, changes map[string]BehaviorChange) (map[string]BehaviorSetting, error) {
	e := s.behaviorsEntry(who, changes)
	if err := s.gate(ctx, e, s.opts.Cloudflare != nil); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, s.refuse(ctx, e, errors.New("no behavior changes to save"))
	}
	cfChanges := make(map[string]cloudflare.BehaviorChange, len(changes))
	for k, c := range changes {
		cfChanges[k] = c.cloudflare()
	}
	settings, err := s.opts.Cloudflare.UpdateBehaviors(ctx, cfChanges)
	var out map[string]BehaviorSetting
	if settings != nil {
		out = make(map[string]BehaviorSetting, len(settings))
		for k, v := range settings {
			out[k] = BehaviorSetting{Enabled: v.Enabled, RiskLevel: string(v.RiskLevel)}
		}
	}
	return out, s.finish(ctx, e, http.StatusOK, err)
}

// behaviorsEntry starts the audit entry of a behaviors save: what changed.
func (s *Service) behaviorsEntry(who Actor, changes map[string]BehaviorChange) model.AuditEntry {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		ch := changes[k]
		var what []string
		if ch.Enabled != nil {
			what = append(what, map[bool]string{true: "enabled", false: "disabled"}[*ch.Enabled])
		}
		if ch.RiskLevel != "" {
			what = append(what, "level "+ch.RiskLevel)
		}
		if len(what) == 0 {
			what = append(what, "unchanged")
		}
		parts = append(parts, k+": "+strings.Join(what, ", "))
	}
	return s.entry(who, ActionUpdateBehaviors, ResetIn.Name, strings.Join(keys, ", "), strings.Join(parts, "; "))
}

// CreateIntegration, UpdateIntegration and DeleteIntegration manage the
// Cloudflare→Okta risk integrations. Audited.
func (s *Service) CreateIntegration(ctx context.Context, who Actor, in IntegrationCreate) (*Integration, error) {
	e := s.createEntry(who, in)
	if err := s.gate(ctx, e, s.opts.Cloudflare != nil); err != nil {
		return nil, err
	}
	created, err := s.opts.Cloudflare.CreateIntegration(ctx, in.cloudflare())
	var out *Integration
	if err == nil {
		e.Detail = "id " + created.ID + ", " + e.Detail
		x := integrationOf(created)
		out = &x
	}
	return out, s.finish(ctx, e, http.StatusOK, err)
}

func (s *Service) UpdateIntegration(ctx context.Context, who Actor, id string, in IntegrationUpdate) (*Integration, error) {
	e := s.updateEntry(who, id, in)
	if err := s.gate(ctx, e, s.opts.Cloudflare != nil); err != nil {
		return nil, err
	}
	updated, err := s.opts.Cloudflare.UpdateIntegration(ctx, id, in.cloudflare())
	var out *Integration
	if updated != nil {
		x := integrationOf(updated)
		out = &x
	}
	return out, s.finish(ctx, e, http.StatusOK, err)
}

func (s *Service) DeleteIntegration(ctx context.Context, who Actor, id string) error {
	e := s.entry(who, ActionDeleteIntegration, ResetIn.Name, id, "")
	if err := s.gate(ctx, e, s.opts.Cloudflare != nil); err != nil {
		return err
	}
	err := s.opts.Cloudflare.DeleteIntegration(ctx, id)
	return s.finish(ctx, e, http.StatusOK, err)
}

func (s *Service) createEntry(who Actor, in IntegrationCreate) model.AuditEntry {
	typ := in.IntegrationType
	if typ == "" {
		typ = cloudflare.IntegrationTypeOkta
	}
	return s.entry(who, ActionCreateIntegration, ResetIn.Name, in.TenantURL,
		fmt.Sprintf("type %s, tenant_url %s, reference_id %q", typ, in.TenantURL, in.ReferenceID))
}

func (s *Service) updateEntry(who Actor, id string, in IntegrationUpdate) model.AuditEntry {
	return s.entry(who, ActionUpdateIntegration, ResetIn.Name, id,
		fmt.Sprintf("active %t, tenant_url %s, reference_id %q", in.Active, in.TenantURL, in.ReferenceID))
}

// entry starts an audit entry.
func (s *Service) entry(who Actor, action, vendor, target, detail string) model.AuditEntry {
	return model.AuditEntry{Actor: string(who), Action: action, Vendor: vendor, Target: target, Detail: detail}
}

func notConfigured(vendor string) error {
	return fmt.Errorf("%s: %w (add sources.%s to the config)", vendor, ErrNotConfigured, vendor)
}

// gate refuses (and audits) an action in read-only mode or on a vendor
// that is not configured; nil lets it through.
func (s *Service) gate(ctx context.Context, e model.AuditEntry, configured bool) error {
	switch {
	case s.opts.ReadOnly:
		return s.refuse(ctx, e, ErrReadOnly)
	case !configured:
		return s.refuse(ctx, e, notConfigured(e.Vendor))
	}
	return nil
}

// refuse audits e as refused because of why and returns why.
func (s *Service) refuse(ctx context.Context, e model.AuditEntry, why error) error {
	e.Result = ResultRefused
	e.Detail = joinDetail(e.Detail, why.Error())
	auditErr := s.audit(ctx, e)
	s.changed()
	return withAudit(why, auditErr)
}

// finish audits the outcome of a vendor call: ok with okStatus, or failed
// with the status and text of err.
func (s *Service) finish(ctx context.Context, e model.AuditEntry, okStatus int, err error) error {
	if err == nil {
		e.Result, e.VendorStatus = ResultOK, okStatus
	} else {
		e.Result, e.VendorStatus = ResultFailed, httpx.StatusOf(err)
		e.Detail = joinDetail(e.Detail, err.Error())
	}
	auditErr := s.audit(ctx, e)
	s.changed()
	return withAudit(err, auditErr)
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

// withAudit adds a failed audit write to an action's own error (nil when
// the action succeeded), so the write is never silently lost.
func withAudit(err, auditErr error) error {
	switch {
	case auditErr == nil:
		return err
	case err == nil:
		return auditErr
	}
	return errors.Join(err, auditErr)
}

func (s *Service) changed() {
	if s.opts.Changed != nil {
		s.opts.Changed()
	}
}
