package actions

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/okta"
)

// ActionPushUserRisk is the audit log's name for pushing a person's risk.
const ActionPushUserRisk = "push-user-risk"

// UserRiskTarget is a person whose risk, as another vendor rates it, is
// pushed to Okta as a user-risk-change (the subject by email).
type UserRiskTarget struct {
	Email    string
	Name     string      // for the audit log
	Level    model.Level // the level to push
	Previous model.Level // what Okta was last told, LevelUnknown: none
	Source   string      // the vendor whose rating it is ("cloudflare"), for the reason
}

// UserRiskLevel is level on Okta's user-risk scale (low, medium, high,
// none; Okta's scale has no critical, so Critical goes as high).
func UserRiskLevel(l model.Level) okta.UserRiskLevel {
	switch l {
	case model.LevelCritical, model.LevelHigh:
		return okta.UserRiskHigh
	case model.LevelMedium:
		return okta.UserRiskMedium
	case model.LevelLow:
		return okta.UserRiskLow
	}
	return okta.UserRiskNone
}

// CanPushUserRisk reports whether a person's risk can be pushed: Okta is
// configured with push: ssf.
func (s *Service) CanPushUserRisk() bool {
	return s.opts.Okta != nil && s.opts.Okta.PushPath() == okta.PushSSF
}

// PushUserRisk pushes a person's risk to Okta as a user-risk-change SET:
// gated (read-only, configured), through the Okta client's push budget,
// audited as "push-user-risk" with the result. It is sent at once rather
// than through the outbox, whose items are addresses; a failed push is
// audited and returned for the operator to repeat. Only push: ssf can
// carry it (the Risk Events API takes IP risk only).
func (s *Service) PushUserRisk(ctx context.Context, who Actor, t UserRiskTarget) error {
	e := s.userRiskEntry(who, t)
	if err := s.gate(ctx, e, s.opts.Okta != nil); err != nil {
		return err
	}
	if s.opts.Okta.PushPath() != okta.PushSSF {
		return s.refuse(ctx, e, errors.New("a person's risk goes to Okta only over the Shared Signals Framework; set push: ssf (with ssf_issuer, ssf_key_file, ssf_key_id) in the okta section"))
	}
	r := okta.UserRisk{Email: strings.TrimSpace(t.Email), Current: UserRiskLevel(t.Level), Previous: UserRiskLevel(t.Previous), At: s.now()}
	if t.Source != "" {
		r.Reason = t.Source + " rates " + t.Level.String()
	}
	if msg := okta.CheckUserRisk(r); msg != "" {
		return s.refuse(ctx, e, errors.New(msg))
	}
	return s.finish(ctx, e, http.StatusAccepted, s.opts.Okta.PushUserRisk(ctx, r))
}

func (s *Service) userRiskEntry(who Actor, t UserRiskTarget) model.AuditEntry {
	var parts []string
	if t.Name != "" {
		parts = append(parts, t.Name)
	}
	parts = append(parts, "level "+string(UserRiskLevel(t.Level)))
	if t.Previous != model.LevelUnknown {
		parts = append(parts, "previous "+string(UserRiskLevel(t.Previous)))
	}
	if t.Source != "" {
		parts = append(parts, "as "+t.Source+" rates it")
	}
	return s.entry(who, ActionPushUserRisk, PushTo.Name, strings.TrimSpace(t.Email), strings.Join(parts, ", "))
}

func (v *Viewer) CanPushUserRisk() bool { return v.s.CanPushUserRisk() }

func (v *Viewer) PushUserRisk(ctx context.Context, who Actor, t UserRiskTarget) error {
	return v.s.refuse(ctx, v.s.userRiskEntry(who, t), ErrViewOnly)
}
