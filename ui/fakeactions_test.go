package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/okta"
)

// fakeActions implements Actions for the tests: it records every call
// (safe across the commands' goroutines), validates pushes with Okta's
// own rules as the service does, and fails what the test asks it to.
type fakeActions struct {
	mu       sync.Mutex
	readOnly bool
	refusal  error // what Refusal says (an SSH viewer's reason)
	noCF     bool
	noOkta   bool
	noSSF    bool // Okta takes IP risk only (push: risk-events)
	linked   bool
	linkErr  error
	failWith map[string]error // by method name
	calls    []string         // "ResetUser cf-0", "QueuePush 1", …
	// reads answers Behaviors, Integrations and UserDetail (the
	// Cloudflare simulator, through a service); nil: Cloudflare is not
	// configured.
	reads vendorReads

	resets    []actions.ResetTarget
	userRisks []actions.UserRiskTarget
	pushes    [][]actions.PushRequest
	retried   []int64
	dropped   []int64
	saved     []map[string]actions.BehaviorChange
	created   []actions.IntegrationCreate
	updated   []actions.IntegrationUpdate
	deleted   []string
	actors    []actions.Actor
	nextQueue int64
}

func (f *fakeActions) record(name string, who actions.Actor, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.TrimSpace(name+" "+detail))
	f.actors = append(f.actors, who)
	return f.failWith[name]
}

// callList is a copy of the calls so far.
func (f *fakeActions) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeActions) ReadOnly() bool { return f.readOnly }
func (f *fakeActions) Refusal() error { return f.refusal }
func (f *fakeActions) CanReset() bool { return !f.noCF }
func (f *fakeActions) CanPush() bool  { return !f.noOkta }

func (f *fakeActions) CanPushUserRisk() bool { return !f.noOkta && !f.noSSF }

func (f *fakeActions) PushUserRisk(ctx context.Context, who actions.Actor, t actions.UserRiskTarget) (actions.PushOutcome, error) {
	err := f.record("PushUserRisk", who, t.Email+" "+t.Level.String())
	f.mu.Lock()
	f.userRisks = append(f.userRisks, t)
	n := int64(len(f.userRisks))
	f.mu.Unlock()
	if err != nil {
		return actions.PushOutcome{}, err
	}
	return actions.PushOutcome{Subject: t.Email, Queued: true, ID: n}, nil
}

func (f *fakeActions) ResetUser(ctx context.Context, who actions.Actor, t actions.ResetTarget) error {
	err := f.record("ResetUser", who, t.UserID)
	f.mu.Lock()
	f.resets = append(f.resets, t)
	f.mu.Unlock()
	return err
}

// ResetsIn and ReadsFrom name the vendor the service resets in and reads
// from.
func (f *fakeActions) ResetsIn() string  { return "cloudflare" }
func (f *fakeActions) ReadsFrom() string { return "cloudflare" }

func (f *fakeActions) ResetsForwarded(ctx context.Context) (bool, error) {
	return f.linked, f.linkErr
}

// CheckPush applies Okta's rules (okta.Validate), the way the service
// does, mapping each problem to its field.
func (f *fakeActions) CheckPush(r actions.PushRequest) []actions.Problem {
	var out []actions.Problem
	ev := okta.RiskEvent{Subjects: []okta.RiskSubject{{IP: r.IP, RiskLevel: okta.Level(strings.ToUpper(r.Level)), Message: r.Message}}}
	if r.Expires < 0 {
		out = append(out, actions.Problem{Field: "expires", Message: "must be in the future"})
	} else if r.Expires > 0 {
		ev.ExpiresAt = fixtureNow.Add(r.Expires)
	}
	var ve *okta.ValidationError
	if err := okta.Validate([]okta.RiskEvent{ev}, fixtureNow); errors.As(err, &ve) {
		for _, p := range ve.Problems {
			field := "expires"
			switch {
			case strings.HasSuffix(p.Path, ".ip"):
				field = "ip"
			case strings.HasSuffix(p.Path, ".riskLevel"):
				field = "level"
			case strings.HasSuffix(p.Path, ".message"):
				field = "message"
			}
			out = append(out, actions.Problem{Field: field, Message: p.Message})
		}
	}
	return out
}

func (f *fakeActions) QueuePush(ctx context.Context, who actions.Actor, reqs []actions.PushRequest) ([]actions.PushOutcome, error) {
	err := f.record("QueuePush", who, fmt.Sprint(len(reqs)))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes = append(f.pushes, reqs)
	outs := make([]actions.PushOutcome, len(reqs))
	for i, r := range reqs {
		f.nextQueue++
		outs[i] = actions.PushOutcome{IP: r.IP, Queued: true, ID: f.nextQueue}
	}
	return outs, err
}

func (f *fakeActions) RetryPush(ctx context.Context, who actions.Actor, id int64) error {
	err := f.record("RetryPush", who, fmt.Sprint(id))
	f.mu.Lock()
	f.retried = append(f.retried, id)
	f.mu.Unlock()
	return err
}

func (f *fakeActions) DropPush(ctx context.Context, who actions.Actor, id int64) error {
	err := f.record("DropPush", who, fmt.Sprint(id))
	f.mu.Lock()
	f.dropped = append(f.dropped, id)
	f.mu.Unlock()
	return err
}

func (f *fakeActions) SaveBehaviors(ctx context.Context, who actions.Actor, changes map[string]actions.BehaviorChange) (map[string]actions.BehaviorSetting, error) {
	err := f.record("SaveBehaviors", who, fmt.Sprint(len(changes)))
	f.mu.Lock()
	f.saved = append(f.saved, changes)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return map[string]actions.BehaviorSetting{}, nil
}

func (f *fakeActions) CreateIntegration(ctx context.Context, who actions.Actor, in actions.IntegrationCreate) (*actions.Integration, error) {
	err := f.record("CreateIntegration", who, in.TenantURL)
	f.mu.Lock()
	f.created = append(f.created, in)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &actions.Integration{ID: "new", TenantURL: in.TenantURL, CreatedAt: time.Now()}, nil
}

func (f *fakeActions) UpdateIntegration(ctx context.Context, who actions.Actor, id string, in actions.IntegrationUpdate) (*actions.Integration, error) {
	err := f.record("UpdateIntegration", who, id)
	f.mu.Lock()
	f.updated = append(f.updated, in)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &actions.Integration{ID: id, TenantURL: in.TenantURL, Active: in.Active}, nil
}

func (f *fakeActions) DeleteIntegration(ctx context.Context, who actions.Actor, id string) error {
	err := f.record("DeleteIntegration", who, id)
	f.mu.Lock()
	f.deleted = append(f.deleted, id)
	f.mu.Unlock()
	return err
}

// vendorReads are the reads of Actions.
type vendorReads interface {
	Behaviors(ctx context.Context) ([]actions.Behavior, error)
	Integrations(ctx context.Context) ([]actions.Integration, error)
	UserDetail(ctx context.Context, userID string) (*actions.UserDetail, error)
}

var errNoCloudflare = fmt.Errorf("cloudflare: %w", actions.ErrNotConfigured)

func (f *fakeActions) Behaviors(ctx context.Context) ([]actions.Behavior, error) {
	if f.reads == nil {
		return nil, errNoCloudflare
	}
	return f.reads.Behaviors(ctx)
}

func (f *fakeActions) Integrations(ctx context.Context) ([]actions.Integration, error) {
	if f.reads == nil {
		return nil, errNoCloudflare
	}
	return f.reads.Integrations(ctx)
}

func (f *fakeActions) UserDetail(ctx context.Context, userID string) (*actions.UserDetail, error) {
	if f.reads == nil {
		return nil, errNoCloudflare
	}
	return f.reads.UserDetail(ctx, userID)
}

var _ Actions = (*fakeActions)(nil)

// AckAlert and ResolveAlert record the alert's id and answer with the
// alert as changed.
func (f *fakeActions) AckAlert(ctx context.Context, who actions.Actor, id int64) (model.Alert, error) {
	err := f.record("AckAlert", who, fmt.Sprint(id))
	return model.Alert{ID: id, State: model.AlertAcknowledged, AckedBy: string(who)}, err
}

func (f *fakeActions) ResolveAlert(ctx context.Context, who actions.Actor, id int64) (model.Alert, error) {
	err := f.record("ResolveAlert", who, fmt.Sprint(id))
	return model.Alert{ID: id, State: model.AlertResolved, ResolvedBy: string(who)}, err
}
