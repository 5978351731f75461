package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

const providersPath = "/api/v1/risk/providers"

// Action is what Okta does with a provider's events.
type Action string

const (
	ActionNone          Action = "none"
	ActionLogOnly       Action = "log_only"        // System Log only (Okta's default)
	ActionEnforceAndLog Action = "enforce_and_log" // also feeds sign-in risk policy
)

// Provider is a registered risk provider.
type Provider struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"` // the org's default is "Default " (trailing space)
	ClientID    string    `json:"clientId"`
	Action      Action    `json:"action"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// UnmarshalJSON reads created and lastUpdated in either form Okta shows.
// The reference's examples print them as "2021-01-05 22:18:30" (no T, no
// zone: okta-sdk-golang v5.0.2 okta/api/openapi.yaml, RiskProvider
// examples), while its schema and the SDK's model (okta/model_risk_provider.go,
// Created *time.Time) say date-time, i.e. RFC 3339 with any fractional
// precision. Both are accepted; a zoneless time is taken as UTC, as Okta
// keeps every timestamp in UTC.
func (p *Provider) UnmarshalJSON(b []byte) error {
	type plain Provider
	var w struct {
		plain
		Created     *string `json:"created"`
		LastUpdated *string `json:"lastUpdated"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := Provider(w.plain)
	var err error
	if out.Created, err = parseProviderTime("created", w.Created); err != nil {
		return err
	}
	if out.LastUpdated, err = parseProviderTime("lastUpdated", w.LastUpdated); err != nil {
		return err
	}
	*p = out
	return nil
}

// providerTimeLayouts are the zoneless forms of the reference's examples;
// Go's parser takes a fraction of any length after the seconds.
var providerTimeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// ParseProviderTime reads a provider's created or lastUpdated: RFC 3339
// with any fractional precision, or the examples' "2021-01-05 22:18:30"
// (taken as UTC).
func ParseProviderTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range providerTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor \"2006-01-02 15:04:05\"", truncate(s, 40))
}

func parseProviderTime(field string, v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := ParseProviderTime(*v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

// Providers lists GET /api/v1/risk/providers. With OAuth the token asks for
// okta.riskProviders.read, a scope separate from the one pushes use, so a
// service app without it can still push.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	if !c.auth.canRead() {
		return nil, ErrNoReadCredential
	}
	var out []Provider
	_, err := c.do(ctx, ScopeProvidersRead, httpx.Request{Method: http.MethodGet, Path: providersPath}, &out)
	if err != nil {
		var he *httpx.Error
		if errors.As(err, &he) && he.Status == http.StatusTooManyRequests {
			// The 429 hint speaks of the risk-events budget; this
			// endpoint has a bucket of its own.
			he.Hint = "the providers list has its own per-minute budget, apart from risk events; it waits for X-Rate-Limit-Reset and pushes are not affected"
		}
		return nil, err
	}
	sanitize.Struct(&out)
	return out, nil
}

// AttributionState is FindProvider's verdict.
type AttributionState int

const (
	NoClientID    AttributionState = iota + 1 // SSWS: nothing to match
	NotRegistered                             // no provider names our clientId
	Disabled                                  // action none: events are dropped
	LogOnly                                   // System Log only
	Enforced                                  // enforce_and_log
	UnknownAction                             // an action this build does not know
)

func (s AttributionState) String() string {
	switch s {
	case NoClientID:
		return "no client id"
	case NotRegistered:
		return "not registered"
	case Disabled:
		return "registered, action none"
	case LogOnly:
		return "registered, log only"
	case Enforced:
		return "registered, enforced"
	case UnknownAction:
		return "registered, unknown action"
	}
	return "unknown"
}

// Attribution says whether pushed events count, and what to do if not.
type Attribution struct {
	State    AttributionState
	Provider *Provider // the matching provider, when there is one
	Detail   string    // a sentence for the operator
}

// OK reports whether events are attributed and used in sign-in risk.
func (a Attribution) OK() bool { return a.State == Enforced }

// maxProviders is Okta's limit of third-party risk providers per org.
const maxProviders = 3

// FindProvider looks for the provider that attributes clientID's events.
func FindProvider(providers []Provider, clientID string) Attribution {
	if clientID == "" || clientID == "null" {
		return Attribution{State: NoClientID, Detail: "no OAuth client id configured (SSWS token): events are not known to be attributed " +
			"to any risk provider; use an OAuth service app and register its client id on a provider"}
	}
	for i := range providers {
		p := &providers[i]
		if p.ClientID != clientID {
			continue
		}
		name := fmt.Sprintf("%q (%s)", p.Name, p.ID)
		switch p.Action {
		case ActionEnforceAndLog:
			return Attribution{State: Enforced, Provider: p, Detail: "provider " + name + " enforces and logs this app's events"}
		case ActionLogOnly:
			return Attribution{State: LogOnly, Provider: p, Detail: "provider " + name + " only logs this app's events (System Log); " +
				"set its action to enforce_and_log (PUT /api/v1/risk/providers/" + p.ID + ") for them to affect sign-in risk"}
		case ActionNone:
			return Attribution{State: Disabled, Provider: p, Detail: "provider " + name + " has action none: this app's events are ignored; " +
				"set it to log_only or enforce_and_log"}
		default:
			return Attribution{State: UnknownAction, Provider: p, Detail: fmt.Sprintf("provider %s has action %q, which risktop does not know", name, p.Action)}
		}
	}
	detail := "no risk provider names client id " + clientID + ", so pushed events are not attributed"
	var reusable []string
	for _, p := range providers {
		if p.ClientID == "" || p.ClientID == "null" {
			reusable = append(reusable, fmt.Sprintf("%q (%s)", p.Name, p.ID))
		}
	}
	switch {
	case len(reusable) > 0:
		detail += "; PUT {name, clientId, action} on " + strings.Join(reusable, " or ") + " to claim it"
	case len(providers) >= maxProviders:
		detail += fmt.Sprintf("; the org already has %d providers, Okta's limit, so one must be reused or deleted", len(providers))
	default:
		detail += "; create one with POST /api/v1/risk/providers"
	}
	return Attribution{State: NotRegistered, Detail: detail}
}

// CheckProvider lists the providers and finds this client's.
func (c *Client) CheckProvider(ctx context.Context) (Attribution, error) {
	ps, err := c.Providers(ctx)
	if err != nil {
		return Attribution{}, err
	}
	return FindProvider(ps, c.cfg.ClientID), nil
}
