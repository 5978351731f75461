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
	"log/slog"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/okta"
)

// ErrReadOnly refuses an action while read-only mode is on.
var ErrReadOnly = errors.New("read-only: start risktop with --write or set read_only: false to act")

// ErrNotConfigured refuses an action on a vendor that has no configuration.
var ErrNotConfigured = errors.New("that vendor is not configured")

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
}

// Problem is what is wrong with one field of a PushRequest ("ip", "level",
// "message", "expires"), in words an operator can act on.
type Problem struct {
	Field   string
	Message string
}

var errTODO = errors.New("actions: not built yet")

// Service carries out actions. It is safe for concurrent use: many
// dashboards (SSH sessions) share one.
type Service struct {
	opts Options
}

// New opens the audit file (when configured) and returns the service.
func New(o Options) (*Service, error) { return &Service{opts: o}, errTODO }

// Close closes the audit file.
func (s *Service) Close() error { return nil }

// ReadOnly reports whether actions are refused.
func (s *Service) ReadOnly() bool { return s.opts.ReadOnly }

// CanReset and CanPush report whether the vendor is configured.
func (s *Service) CanReset() bool { return s.opts.Cloudflare != nil }
func (s *Service) CanPush() bool  { return s.opts.Okta != nil }

// ResetUser resets a person's Cloudflare risk score (clears their history).
// Errors are the vendor's own (with its hint), ErrReadOnly or
// ErrNotConfigured. Audited as "reset-user" with the vendor status.
func (s *Service) ResetUser(ctx context.Context, who Actor, t ResetTarget) error {
	return errTODO
}

// OktaLinked reports whether Cloudflare has an active Okta integration, so
// a reset reaches Okta too (for the confirmation's wording).
func (s *Service) OktaLinked(ctx context.Context) (bool, error) { return false, errTODO }

// CheckPush validates a request with Okta's rules (the same as the client's
// Validate) and returns every problem, for a form to show as it is typed.
// It does no I/O.
func (s *Service) CheckPush(r PushRequest) []Problem { return nil }

// QueuePush validates every request (none is queued if any is invalid: the
// error is a *PushError listing the problems by index), stores them in the
// outbox as queued, audits "push-ip" "queued" for each IP, wakes the
// sender and returns the outbox ids in order.
func (s *Service) QueuePush(ctx context.Context, who Actor, reqs []PushRequest) ([]int64, error) {
	return nil, errTODO
}

// RetryPush puts a failed push back in the queue; DropPush gives up on a
// queued or failed one. Both are audited.
func (s *Service) RetryPush(ctx context.Context, who Actor, id int64) error { return errTODO }
func (s *Service) DropPush(ctx context.Context, who Actor, id int64) error  { return errTODO }

// WaitPushes blocks until each outbox item is sent or failed (or ctx ends)
// and returns them. For the headless push-ip.
func (s *Service) WaitPushes(ctx context.Context, ids []int64) ([]model.OutboxItem, error) {
	return nil, errTODO
}

// SaveBehaviors applies changes with a read-modify-write of the full map
// (a PUT of every behavior) and returns the settings now in force.
// Audited as "update-behaviors" with what changed.
func (s *Service) SaveBehaviors(ctx context.Context, who Actor, changes map[string]cloudflare.BehaviorChange) (map[string]cloudflare.BehaviorSetting, error) {
	return nil, errTODO
}

// CreateIntegration, UpdateIntegration and DeleteIntegration manage the
// Cloudflare→Okta risk integrations. Audited.
func (s *Service) CreateIntegration(ctx context.Context, who Actor, in cloudflare.IntegrationCreate) (*cloudflare.Integration, error) {
	return nil, errTODO
}
func (s *Service) UpdateIntegration(ctx context.Context, who Actor, id string, in cloudflare.IntegrationUpdate) (*cloudflare.Integration, error) {
	return nil, errTODO
}
func (s *Service) DeleteIntegration(ctx context.Context, who Actor, id string) error { return errTODO }

// Sender pushes the outbox to Okta. Run one per store.
type Sender struct{}

// NewSender makes the sender for s's store and Okta client.
func (s *Service) NewSender() *Sender { return &Sender{} }

// Run sends until ctx ends: it claims due items, packs them within Okta's
// budget, pushes, and marks each sent or failed. It sleeps when nothing is
// due (no timer runs while the outbox is empty).
func (snd *Sender) Run(ctx context.Context) {}
