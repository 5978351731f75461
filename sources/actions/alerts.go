package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// Audit log action names of the alerts.
const (
	ActionAckAlert     = "ack-alert"
	ActionResolveAlert = "resolve-alert"
)

// alertVendor is the audit entries' vendor for alerts: risktop's own,
// not a vendor's.
const alertVendor = "risktop"

// AckAlert acknowledges an open alert (someone is on it); ResolveAlert
// resolves an open or acknowledged one. Both are refused in read-only mode
// and for a change the alert cannot make (store.ErrAlertState: it is
// resolved, or acknowledged already), and audited with the actor
// ("ack-alert" / "resolve-alert", target the alert's key, detail its id
// and title). They return the alert as stored afterwards.
func (s *Service) AckAlert(ctx context.Context, who Actor, id int64) (model.Alert, error) {
	return s.setAlertState(ctx, who, id, model.AlertAcknowledged)
}

func (s *Service) ResolveAlert(ctx context.Context, who Actor, id int64) (model.Alert, error) {
	return s.setAlertState(ctx, who, id, model.AlertResolved)
}

func (s *Service) setAlertState(ctx context.Context, who Actor, id int64, to model.AlertState) (model.Alert, error) {
	e := s.alertEntry(ctx, who, id, to)
	if s.opts.ReadOnly {
		return model.Alert{}, s.refuse(ctx, e, ErrReadOnly)
	}
	a, err := s.opts.Store.SetAlertState(ctx, id, to, string(who), s.now())
	if errors.Is(err, store.ErrAlertState) || errors.Is(err, store.ErrNotFound) {
		return model.Alert{}, s.refuse(ctx, e, err)
	}
	e.Result = ResultOK
	if err != nil {
		e.Result, e.Detail = ResultFailed, joinDetail(e.Detail, err.Error())
	}
	auditErr := s.audit(ctx, e)
	s.changed()
	if err == nil && s.opts.AlertsChanged != nil {
		s.opts.AlertsChanged(a.Seq)
	}
	return a, withAudit(err, auditErr)
}

// alertEntry starts the audit entry of an alert's state change: its key
// as the target, its id and title as the detail (what the operator saw).
func (s *Service) alertEntry(ctx context.Context, who Actor, id int64, to model.AlertState) model.AuditEntry {
	action := ActionAckAlert
	if to == model.AlertResolved {
		action = ActionResolveAlert
	}
	target, detail := fmt.Sprintf("alert %d", id), fmt.Sprintf("alert %d", id)
	if a, err := s.opts.Store.Alert(ctx, id); err == nil {
		target, detail = a.Key, fmt.Sprintf("alert %d: %s", id, a.Title)
	}
	return s.entry(who, action, alertVendor, target, detail)
}

// AckAlert and ResolveAlert are refused for a viewer, and audited.
func (v *Viewer) AckAlert(ctx context.Context, who Actor, id int64) (model.Alert, error) {
	return model.Alert{}, v.s.refuse(ctx, v.s.alertEntry(ctx, who, id, model.AlertAcknowledged), ErrViewOnly)
}

func (v *Viewer) ResolveAlert(ctx context.Context, who Actor, id int64) (model.Alert, error) {
	return model.Alert{}, v.s.refuse(ctx, v.s.alertEntry(ctx, who, id, model.AlertResolved), ErrViewOnly)
}
