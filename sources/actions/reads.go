package actions

import (
	"context"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/cloudflare"
)

// The dashboard reads Cloudflare's behaviors, integrations and a user's
// detail here, in these types, so that no vendor client reaches the UI.
// Reads are not actions: nothing is audited, and viewers may read.

// Behavior is one Cloudflare risk behavior and its configuration.
type Behavior struct {
	Key         string
	Name        string
	Description string
	Enabled     bool
	RiskLevel   string // low, medium or high, as Cloudflare names them
}

// BehaviorChange is a partial change for SaveBehaviors: nil and "" keep
// the current value.
type BehaviorChange struct {
	Enabled   *bool
	RiskLevel string
}

// BehaviorSetting is a behavior's configuration after a save.
type BehaviorSetting struct {
	Enabled   bool
	RiskLevel string
}

// IntegrationTypeOkta is the integration type that sends risk to Okta.
const IntegrationTypeOkta = cloudflare.IntegrationTypeOkta

// Integration sends Cloudflare's risk score changes to an identity
// provider (Okta, over the Shared Signals Framework).
type Integration struct {
	ID              string
	IntegrationType string
	Active          bool
	TenantURL       string
	ReferenceID     string
	CreatedAt       time.Time
	WellKnownURL    string // for Okta's stream setup
}

// IntegrationCreate is what a new integration is made of.
type IntegrationCreate struct {
	IntegrationType string // "": Okta
	TenantURL       string
	ReferenceID     string
}

// IntegrationUpdate is an integration's new values; all of them are sent.
type IntegrationUpdate struct {
	Active      bool
	TenantURL   string
	ReferenceID string
}

// UserDetail is one Cloudflare user's risk: the detections since their
// last reset.
type UserDetail struct {
	Email         string
	Name          string
	RiskLevel     string     // "" when there are no detections since the reset
	LastResetTime *time.Time // nil when never reset
	Detections    []Detection
}

// Detection is one behavior Cloudflare detected for a user.
type Detection struct {
	ID        string
	Name      string
	RiskLevel string
	Timestamp time.Time
}

// Behaviors lists Cloudflare's risk behaviors.
func (s *Service) Behaviors(ctx context.Context) ([]Behavior, error) {
	if s.opts.Cloudflare == nil {
		return nil, notConfigured(ResetIn.Name)
	}
	bs, err := s.opts.Cloudflare.Behaviors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Behavior, len(bs))
	for i, b := range bs {
		out[i] = Behavior{Key: b.Key, Name: b.Name, Description: b.Description, Enabled: b.Enabled, RiskLevel: string(b.RiskLevel)}
	}
	return out, nil
}

// Integrations lists Cloudflare's risk integrations.
func (s *Service) Integrations(ctx context.Context) ([]Integration, error) {
	if s.opts.Cloudflare == nil {
		return nil, notConfigured(ResetIn.Name)
	}
	ins, err := s.opts.Cloudflare.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Integration, len(ins))
	for i := range ins {
		out[i] = integrationOf(&ins[i])
	}
	return out, nil
}

// UserDetail reads a Cloudflare user's current risk; userID is the Access
// user id.
func (s *Service) UserDetail(ctx context.Context, userID string) (*UserDetail, error) {
	if s.opts.Cloudflare == nil {
		return nil, notConfigured(ResetIn.Name)
	}
	u, err := s.opts.Cloudflare.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := &UserDetail{Email: u.Email, Name: u.Name, RiskLevel: string(u.RiskLevel), LastResetTime: u.LastResetTime}
	for _, e := range u.Events {
		out.Detections = append(out.Detections, Detection{ID: e.ID, Name: e.Name, RiskLevel: string(e.RiskLevel), Timestamp: e.Timestamp})
	}
	return out, nil
}

func (v *Viewer) Behaviors(ctx context.Context) ([]Behavior, error) { return v.s.Behaviors(ctx) }

func (v *Viewer) Integrations(ctx context.Context) ([]Integration, error) {
	return v.s.Integrations(ctx)
}

func (v *Viewer) UserDetail(ctx context.Context, userID string) (*UserDetail, error) {
	return v.s.UserDetail(ctx, userID)
}

func integrationOf(in *cloudflare.Integration) Integration {
	return Integration{ID: in.ID, IntegrationType: in.IntegrationType, Active: in.Active, TenantURL: in.TenantURL,
		ReferenceID: in.ReferenceID, CreatedAt: in.CreatedAt, WellKnownURL: in.WellKnownURL}
}

func (c BehaviorChange) cloudflare() cloudflare.BehaviorChange {
	return cloudflare.BehaviorChange{Enabled: c.Enabled, RiskLevel: cloudflare.Level(c.RiskLevel)}
}

func (in IntegrationCreate) cloudflare() cloudflare.IntegrationCreate {
	return cloudflare.IntegrationCreate{IntegrationType: in.IntegrationType, TenantURL: in.TenantURL, ReferenceID: in.ReferenceID}
}

func (in IntegrationUpdate) cloudflare() cloudflare.IntegrationUpdate {
	return cloudflare.IntegrationUpdate{Active: in.Active, TenantURL: in.TenantURL, ReferenceID: in.ReferenceID}
}

// LevelOf maps a risk level as these reads spell it (Cloudflare's low,
// medium, high) onto the shared scale, for a screen that colours it.
func LevelOf(raw string) model.Level { return cloudflare.LevelOf(raw) }
