package uictx

import (
	"context"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
)

// Actions is what the dashboard may do to the vendors, and its one way to
// read from them outside polling; *actions.Service and *actions.Viewer
// implement it. ReadOnly, CanReset, CanPush, CheckPush, ResetsIn and
// ReadsFrom must do no I/O: Update and View call them (to hide action
// keys, to validate a form as it is typed, to find a person's view in
// the vendor acted on). Every other method is called from a tea.Cmd,
// never from Update.
type Actions interface {
	ReadOnly() bool
	CanReset() bool
	CanPush() bool
	// CanPushUserRisk: a person's risk can go to Okta (push: ssf).
	CanPushUserRisk() bool
	PushUserRisk(ctx context.Context, who actions.Actor, t actions.UserRiskTarget) (actions.PushOutcome, error)
	// ResetsIn is the vendor ResetUser resets in: the target's UserID is
	// the person's user id there.
	ResetsIn() string
	ResetUser(ctx context.Context, who actions.Actor, t actions.ResetTarget) error
	// ResetsForwarded reports whether a reset reaches the vendor IP risk
	// is pushed to as well.
	ResetsForwarded(ctx context.Context) (bool, error)
	CheckPush(r actions.PushRequest) []actions.Problem // no I/O: Update may call it
	QueuePush(ctx context.Context, who actions.Actor, reqs []actions.PushRequest) ([]actions.PushOutcome, error)
	RetryPush(ctx context.Context, who actions.Actor, id int64) error
	DropPush(ctx context.Context, who actions.Actor, id int64) error
	SaveBehaviors(ctx context.Context, who actions.Actor, changes map[string]actions.BehaviorChange) (map[string]actions.BehaviorSetting, error)
	CreateIntegration(ctx context.Context, who actions.Actor, in actions.IntegrationCreate) (*actions.Integration, error)
	UpdateIntegration(ctx context.Context, who actions.Actor, id string, in actions.IntegrationUpdate) (*actions.Integration, error)
	DeleteIntegration(ctx context.Context, who actions.Actor, id string) error

	// AckAlert and ResolveAlert change an alert's state (issue 16: the
	// Alerts tab), audited with who acts; refused read-only and for viewers.
	AckAlert(ctx context.Context, who actions.Actor, id int64) (model.Alert, error)
	ResolveAlert(ctx context.Context, who actions.Actor, id int64) (model.Alert, error)

	// Reads, for viewers too, from the vendor ReadsFrom names (UserDetail
	// takes the person's user id there): errors.Is(err,
	// actions.ErrNotConfigured) when it is not configured.
	ReadsFrom() string
	Behaviors(ctx context.Context) ([]actions.Behavior, error)
	Integrations(ctx context.Context) ([]actions.Integration, error)
	UserDetail(ctx context.Context, userID string) (*actions.UserDetail, error)
}

// ReadsOff is the status of a list the actions service reads (behaviors,
// integrations) when there is nothing to read it from: no actions
// service, or one without the vendor it reads from.
const ReadsOff = "Cloudflare is not configured"

var (
	_ Actions = (*actions.Service)(nil)
	_ Actions = (*actions.Viewer)(nil)
)
