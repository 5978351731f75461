package actions

import (
	"context"
)

// ErrViewOnly refuses an action from someone who may look but not act (an
// SSH viewer of `risktop serve`). errors.Is(ErrViewOnly, ErrReadOnly)
// holds, so every read-only check treats it alike; its text tells the
// viewer what would let them act.
var ErrViewOnly error = viewOnly{}

type viewOnly struct{}

func (viewOnly) Error() string {
	return "read-only: this SSH key may view, not act; keys in the server's operators file (risktop serve --operators) may act"
}

func (viewOnly) Is(target error) bool { return target == ErrReadOnly }

// Viewer is a Service as a viewer sees it: ReadOnly is true and every
// action is refused with ErrViewOnly, audited as "refused" (with who
// tried) in the service's audit log. It holds no state of its own, so any
// number of sessions share one service through it.
type Viewer struct{ s *Service }

// Viewer returns the read-only face of s.
func (s *Service) Viewer() *Viewer { return &Viewer{s: s} }

// Refusal is why every action is refused, for the dashboard's notice.
func (v *Viewer) Refusal() error { return ErrViewOnly }

func (v *Viewer) ReadOnly() bool { return true }
func (v *Viewer) CanReset() bool { return v.s.CanReset() }
func (v *Viewer) CanPush() bool  { return v.s.CanPush() }

// CheckPush validates without acting (no I/O, nothing audited).
func (v *Viewer) CheckPush(r PushRequest) []Problem { return v.s.CheckPush(r) }

// ResetsForwarded is only asked to word a reset's confirmation, which a viewer
// never sees.
func (v *Viewer) ResetsForwarded(context.Context) (bool, error) { return false, ErrViewOnly }

func (v *Viewer) ResetUser(ctx context.Context, who Actor, t ResetTarget) error {
	return v.s.refuse(ctx, v.s.resetEntry(who, t), ErrViewOnly)
}

func (v *Viewer) QueuePush(ctx context.Context, who Actor, reqs []PushRequest) ([]PushOutcome, error) {
	if len(reqs) == 0 {
		return nil, ErrViewOnly
	}
	return nil, v.s.refuseAll(ctx, v.s.pushEntries(who, reqs), ErrViewOnly)
}

func (v *Viewer) RetryPush(ctx context.Context, who Actor, id int64) error {
	return v.s.refuse(ctx, v.s.outboxEntry(ctx, who, ActionRetryPush, id), ErrViewOnly)
}

func (v *Viewer) DropPush(ctx context.Context, who Actor, id int64) error {
	return v.s.refuse(ctx, v.s.outboxEntry(ctx, who, ActionDropPush, id), ErrViewOnly)
}

func (v *Viewer) SaveBehaviors(ctx context.Context, who Actor, changes map[string]BehaviorChange) (map[string]BehaviorSetting, error) {
	return nil, v.s.refuse(ctx, v.s.behaviorsEntry(who, changes), ErrViewOnly)
}

func (v *Viewer) CreateIntegration(ctx context.Context, who Actor, in IntegrationCreate) (*Integration, error) {
	return nil, v.s.refuse(ctx, v.s.createEntry(who, in), ErrViewOnly)
}

func (v *Viewer) UpdateIntegration(ctx context.Context, who Actor, id string, in IntegrationUpdate) (*Integration, error) {
	return nil, v.s.refuse(ctx, v.s.updateEntry(who, id, in), ErrViewOnly)
}

func (v *Viewer) DeleteIntegration(ctx context.Context, who Actor, id string) error {
	return v.s.refuse(ctx, v.s.entry(who, ActionDeleteIntegration, ResetIn.Name, id, ""), ErrViewOnly)
}

// SSHActor names an SSH key as the audit log's actor:
// "ssh:SHA256:… comment" (the comment is left out when empty).
func SSHActor(fingerprint, comment string) Actor {
	if comment == "" {
		return Actor("ssh:" + fingerprint)
	}
	return Actor("ssh:" + fingerprint + " " + comment)
}
