package cloudflare

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// IntegrationTypeOkta is the only integration type the API documents.
const IntegrationTypeOkta = "Okta"

// Integration sends risk score changes to an identity provider over the
// Shared Signals Framework (Cloudflare is the transmitter).
type Integration struct {
	ID              string
	AccountTag      string
	Active          bool
	CreatedAt       time.Time
	IntegrationType string
	ReferenceID     string // the Access↔Okta IdP integration id, by convention
	TenantURL       string
	WellKnownURL    string // "/.well-known/sse-configuration/{id}/": paste into Okta's stream setup
	Notes           []string
}

type integrationWire struct {
	ID              string `json:"id"`
	AccountTag      string `json:"account_tag"`
	Active          bool   `json:"active"`
	CreatedAt       string `json:"created_at"`
	IntegrationType string `json:"integration_type"`
	ReferenceID     string `json:"reference_id"`
	TenantURL       string `json:"tenant_url"`
	WellKnownURL    string `json:"well_known_url"`
}

func (w integrationWire) integration() Integration {
	var n notes
	in := Integration{
		ID:              w.ID,
		AccountTag:      w.AccountTag,
		Active:          w.Active,
		CreatedAt:       n.timeField("integration "+w.ID, "created_at", w.CreatedAt),
		IntegrationType: w.IntegrationType,
		ReferenceID:     w.ReferenceID,
		TenantURL:       w.TenantURL,
		WellKnownURL:    w.WellKnownURL,
	}
	in.Notes = n.result()
	return in
}

// IntegrationCreate is the body of a create.
type IntegrationCreate struct {
	IntegrationType string `json:"integration_type"` // default "Okta"
	TenantURL       string `json:"tenant_url"`       // e.g. https://tenant.okta.com
	ReferenceID     string `json:"reference_id,omitempty"`
}

// IntegrationUpdate is the body of an update; all of it is sent.
type IntegrationUpdate struct {
	Active      bool   `json:"active"`
	TenantURL   string `json:"tenant_url"`
	ReferenceID string `json:"reference_id,omitempty"`
}

const hintIntegration404 = "no such integration: list the integrations for current ids"

// Integrations lists the account's risk score integrations (one page; the
// endpoint does not paginate).
func (c *Client) Integrations(ctx context.Context) ([]Integration, error) {
	env, err := send[[]integrationWire](ctx, c, call{method: http.MethodGet, path: []string{"integrations"}})
	if err != nil {
		return nil, err
	}
	out := make([]Integration, 0, len(env.Result))
	for _, w := range env.Result {
		out = append(out, w.integration())
	}
	sanitize.Struct(&out)
	return out, nil
}

// Integration fetches one integration by its UUID.
func (c *Client) Integration(ctx context.Context, id string) (*Integration, error) {
	if err := checkID("integration id", id); err != nil {
		return nil, err
	}
	return c.oneIntegration(ctx, call{method: http.MethodGet, path: []string{"integrations", id}, hint404: hintIntegration404})
}

// IntegrationByReference fetches the integration with the given reference
// id (usually the Access↔Okta IdP integration id).
func (c *Client) IntegrationByReference(ctx context.Context, referenceID string) (*Integration, error) {
	if err := checkID("reference id", referenceID); err != nil {
		return nil, err
	}
	return c.oneIntegration(ctx, call{method: http.MethodGet, path: []string{"integrations", "reference_id", referenceID},
		hint404: "no integration has that reference id"})
}

// CreateIntegration creates an integration. It is not retried: a repeat
// after a lost answer could create a second one.
func (c *Client) CreateIntegration(ctx context.Context, in IntegrationCreate) (*Integration, error) {
	if in.IntegrationType == "" {
		in.IntegrationType = IntegrationTypeOkta
	}
	if err := checkTenantURL(in.TenantURL); err != nil {
		return nil, err
	}
	return c.oneIntegration(ctx, call{method: http.MethodPost, path: []string{"integrations"}, body: in, noRetry: true, hint403: hintWrite})
}

// UpdateIntegration replaces an integration's active flag, tenant URL and
// reference id.
func (c *Client) UpdateIntegration(ctx context.Context, id string, in IntegrationUpdate) (*Integration, error) {
	if err := checkID("integration id", id); err != nil {
		return nil, err
	}
	if err := checkTenantURL(in.TenantURL); err != nil {
		return nil, err
	}
	return c.oneIntegration(ctx, call{method: http.MethodPut, path: []string{"integrations", id}, body: in,
		hint403: hintWrite, hint404: hintIntegration404})
}

// DeleteIntegration deletes an integration; Okta stops receiving its signals.
func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	if err := checkID("integration id", id); err != nil {
		return err
	}
	_, err := send[json.RawMessage](ctx, c, call{method: http.MethodDelete, path: []string{"integrations", id},
		hint403: hintWrite, hint404: hintIntegration404})
	return err
}

func (c *Client) oneIntegration(ctx context.Context, k call) (*Integration, error) {
	env, err := send[integrationWire](ctx, c, k)
	if err != nil {
		return nil, err
	}
	in := env.Result.integration()
	sanitize.Struct(&in)
	return &in, nil
}

func checkTenantURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("cloudflare: tenant URL %q must be absolute, like https://tenant.okta.com", sanitize.LineN(s, 200))
	}
	return nil
}
