package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
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

// PushUserRisk queues a person's risk for Okta as a user-risk-change SET:
// gated (read-only, configured, push: ssf), checked, and stored in the
// outbox as a person's item (Subject: the email), unless an item of the
// same person is already queued or being sent at the same or a higher
// level: then it is skipped and the outcome names that item. It is audited
// as "push-user-risk" ("queued", or "skipped" with the reason) and the
// sender is woken: the sender sends it within Okta's push budget, retries
// it like an IP push, and audits the result. Only push: ssf can carry it
// (the Risk Events API takes IP risk only).
//
// When only the audit write fails, the push is queued: the outcome comes
// back with an *AuditError.
func (s *Service) PushUserRisk(ctx context.Context, who Actor, t UserRiskTarget) (PushOutcome, error) {
	e := s.userRiskEntry(who, t)
	if err := s.gate(ctx, e, s.opts.Okta != nil); err != nil {
		return PushOutcome{}, err
	}
	if s.opts.Okta.PushPath() != okta.PushSSF {
		return PushOutcome{}, s.refuse(ctx, e, errUserRiskNeedsSSF)
	}
	now := s.now()
	it := model.OutboxItem{
		Created: now, NextTry: now,
		Subject: strings.TrimSpace(t.Email), Level: t.Level, Previous: t.Previous, Source: t.Source,
		Actor: string(who),
	}
	if msg := okta.CheckUserRisk(userRisk(it)); msg != "" {
		return PushOutcome{}, s.refuse(ctx, e, errors.New(msg))
	}
	done, err := s.opts.Store.EnqueueOnce(ctx, []store.Push{{Item: it}}, now, DefaultPushLife)
	if err != nil {
		err = fmt.Errorf("a person's risk not queued: %w", err)
		e.Result, e.Detail = ResultFailed, joinDetail(e.Detail, err.Error())
		auditErr := s.auditAll(ctx, []model.AuditEntry{e})
		s.changed()
		return PushOutcome{}, withAudit(err, auditErr)
	}
	o := PushOutcome{Subject: it.Subject, Queued: !done[0].Skipped(), ID: done[0].ID, Live: done[0].Live, At: now}
	if o.Queued {
		e.Result, e.Detail = ResultQueued, fmt.Sprintf("outbox #%d, %s", o.ID, e.Detail)
	} else {
		o.ID = o.Live.ID
		e.Result, e.Detail = ResultSkipped, o.Reason()+"; "+e.Detail
	}
	auditErr := s.auditAll(ctx, []model.AuditEntry{e})
	s.wakeSender()
	s.settle()
	s.changed()
	if auditErr != nil {
		return o, auditErr
	}
	return o, nil
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

func (v *Viewer) PushUserRisk(ctx context.Context, who Actor, t UserRiskTarget) (PushOutcome, error) {
	return PushOutcome{}, v.s.refuse(ctx, v.s.userRiskEntry(who, t), ErrViewOnly)
}
