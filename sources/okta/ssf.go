package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

// PushPath is how risktop pushes risk to Okta.
type PushPath string

const (
	// PushRiskEvents is the seeded Risk Events API, POST
	// /api/v1/risk/events/ip (Early Access; marked for deprecation).
	PushRiskEvents PushPath = "risk-events"
	// PushSSF is the Shared Signals Framework: a signed SET per event to
	// POST /security/api/v1/security-events, from a Security Events
	// Provider registered with an issuer and a JWKS URL. Okta's reference
	// marks the Risk Events and Risk Providers APIs for deprecation in
	// favour of it (https://developer.okta.com/docs/reference/api/risk-events
	// now serves "SSF Security Event Tokens").
	PushSSF PushPath = "ssf"
)

// PushPaths are the valid values, in the order advice lists them.
var PushPaths = []PushPath{PushRiskEvents, PushSSF}

const (
	securityEventsPath = "/security/api/v1/security-events"
	setOp              = "POST " + securityEventsPath
	// ScopeSecurityEventsProvidersRead reads the Security Events Providers
	// (okta-sdk-golang okta/api/openapi.yaml,
	// listSecurityEventsProviderInstances).
	ScopeSecurityEventsProvidersRead = "okta.securityEventsProviders.read"
)

// Sender is a push path: the one way the actions service's outbox reaches
// Okta. Two implement it: the Risk Events API and SSF. Every send waits
// for the client's one request budget.
type Sender interface {
	// Path names it.
	Path() PushPath
	// Pack plans signals into requests within budget requests.
	Pack(signals []Signal, budget int, now time.Time) Plan
	// PerRequest is the most signals one request carries.
	PerRequest() int
	// Send sends one planned request.
	Send(ctx context.Context, events []RiskEvent) error
	// SendUserRisk sends a person's risk change.
	SendUserRisk(ctx context.Context, r UserRisk) error
}

// UserRisk is a person's risk for a user-risk-change event, the subject by
// email (Okta's SecurityEventSubject user example: format email).
type UserRisk struct {
	Email    string
	Current  UserRiskLevel
	Previous UserRiskLevel // "" is none
	Reason   string        // for reason_admin; optional
	At       time.Time     // event_timestamp; zero is now
}

// CheckUserRisk says what is wrong with r ("" when nothing is).
func CheckUserRisk(r UserRisk) string {
	addr, err := mail.ParseAddress(strings.TrimSpace(r.Email))
	switch {
	case strings.TrimSpace(r.Email) == "":
		return "email: a person's risk is sent for their email (the SET's subject); there is none"
	case err != nil || addr.Address != strings.TrimSpace(r.Email):
		return fmt.Sprintf("email: %q is not an email address", truncate(r.Email, 80))
	case !r.Current.Valid():
		return fmt.Sprintf("level: %q is not one of Okta's none, secure, low, medium, high", truncate(string(r.Current), 20))
	case r.Previous != "" && !r.Previous.Valid():
		return fmt.Sprintf("previous level: %q is not one of Okta's none, secure, low, medium, high", truncate(string(r.Previous), 20))
	}
	return ""
}

// riskEventsSender is the Risk Events API.
type riskEventsSender struct{ c *Client }

func (riskEventsSender) Path() PushPath  { return PushRiskEvents }
func (riskEventsSender) PerRequest() int { return MaxEventsPerRequest * MaxSubjectsPerEvent }
func (riskEventsSender) Pack(signals []Signal, budget int, now time.Time) Plan {
	return Pack(signals, budget, now)
}
func (s riskEventsSender) Send(ctx context.Context, events []RiskEvent) error {
	return s.c.pushRiskEvents(ctx, events)
}
func (riskEventsSender) SendUserRisk(context.Context, UserRisk) error {
	return errors.New("okta: a person's risk goes to Okta only over the Shared Signals Framework (user-risk-change); set push: ssf with an ssf_issuer, ssf_key_file and ssf_key_id")
}

// ssfSender signs one SET per IP (a SET carries one event: Okta's
// SecurityEventTokenJwtEvents "Expected size is 1 for each SET").
type ssfSender struct {
	c      *Client
	signer *SETSigner
	issuer string
}

func (ssfSender) Path() PushPath  { return PushSSF }
func (ssfSender) PerRequest() int { return 1 }
func (ssfSender) Pack(signals []Signal, budget int, now time.Time) Plan {
	return pack(signals, budget, now, 1, 1)
}

// Send sends each subject of events as an ip-change SET, one request
// each, stopping at the first failure.
//
// Okta's ip-change ("IP changed for the subject's session") has no risk
// level and no expiry; it requires current_ip_address,
// previous_ip_address and a subject (okta/api/openapi.yaml
// OktaIpChangeEvent). risktop's IP risk names no person and no earlier
// address, so the address is both current and previous, the subject is
// empty (SecurityEventSubject requires neither user nor device), and the
// level and message go in reason_admin, which an event needs (or
// reason_user). Whether Okta acts on an ip-change without a user is not
// documented; the expiry is not carried.
func (s ssfSender) Send(ctx context.Context, events []RiskEvent) error {
	if err := Validate(events, s.c.now()); err != nil {
		return err
	}
	for _, e := range events {
		for _, sub := range e.Subjects {
			reason := "risktop: IP risk " + string(sub.RiskLevel)
			if sub.Message != "" {
				reason += ": " + sub.Message
			}
			ev := IPChangeEvent{
				CurrentIPAddress: sub.IP, PreviousIPAddress: sub.IP,
				EventTimestamp: s.stamp(e.Timestamp), InitiatingEntity: "system",
				ReasonAdmin: &Reason{EN: reason}, Subject: SecurityEventSubject{},
			}
			if err := s.send(ctx, EventIPChange, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s ssfSender) stamp(t time.Time) int64 {
	if t.IsZero() {
		t = s.c.now()
	}
	return t.Unix()
}

func (s ssfSender) SendUserRisk(ctx context.Context, r UserRisk) error {
	r.Email = strings.TrimSpace(r.Email)
	if r.Previous == "" {
		r.Previous = UserRiskNone
	}
	if msg := CheckUserRisk(r); msg != "" {
		return errors.New("okta: user risk not sent: " + msg)
	}
	ev := UserRiskChangeEvent{
		CurrentLevel: r.Current, PreviousLevel: r.Previous, EventTimestamp: s.stamp(r.At), InitiatingEntity: "system",
		ReasonAdmin: &Reason{EN: "risktop: user risk " + string(r.Current)},
		Subject:     SecurityEventSubject{User: &SubjectID{Format: "email", Email: r.Email}},
	}
	if r.Reason != "" {
		ev.ReasonAdmin.EN += ": " + sanitize.Line(r.Reason)
	}
	return s.send(ctx, EventUserRiskChange, ev)
}

// send signs one SET and posts it: Content-Type application/secevent+jwt,
// the JWS as the body, no Authorization (the endpoint's security is none:
// the signature is the credential; okta/api/openapi.yaml
// publishSecurityEventTokens), 202 Accepted on success and RFC 8935's
// {err, description} on a 400. A fresh SET (new jti, iat) is signed for
// every attempt, so it is never retried as is: a replayed jti is refused.
func (s ssfSender) send(ctx context.Context, eventType string, event any) error {
	if err := s.c.budget.Wait(ctx); err != nil {
		return err
	}
	token, err := s.signer.Sign(SETClaims{Issuer: s.issuer, Audience: s.c.Audience(), IssuedAt: s.c.now(), EventType: eventType, Event: event})
	if err != nil {
		return err
	}
	resp, err := s.c.http.JSON(ctx, httpx.Request{
		Method:      http.MethodPost,
		Path:        securityEventsPath,
		Body:        []byte(token),
		ContentType: "application/" + SETType,
		NoAuth:      true,
		NoRetry:     true,
		Op:          setOp,
	}, nil)
	if resp != nil {
		s.c.budget.Observe(resp.RateLimit)
	}
	return err
}

// Audience is the SETs' aud: the org URL, as Okta's reference example
// (aud "https://receiverexample.okta.com/") names the receiving org.
func (c *Client) Audience() string { return c.http.BaseURL() }

// SETError is an RFC 8935 §2.4 error answer: {"err", "description"}
// (okta/api/openapi.yaml SecurityEventTokenError).
type SETError struct {
	Status      int
	Code        string // invalid_request, invalid_key, invalid_issuer, invalid_audience, authentication_failed, access_denied
	Description string
}

func (e *SETError) Error() string {
	msg := "Okta refused the security event token: " + e.Meaning()
	if e.Description != "" {
		msg += " (" + e.Code + ": " + e.Description + ")"
	} else {
		msg += " (" + e.Code + ")"
	}
	return msg
}

// Meaning is the error code in words (RFC 8935 §2.4; IANA's "Security
// Event Token Error Codes").
func (e *SETError) Meaning() string {
	switch e.Code {
	case "invalid_request":
		return "it could not be read as a SET, or its event does not match the event type's definition"
	case "invalid_key":
		return "its signing key is unknown or unacceptable"
	case "invalid_issuer":
		return "its issuer is not a Security Events Provider of this org"
	case "invalid_audience":
		return "it is addressed to another receiver"
	case "authentication_failed":
		return "Okta could not authenticate risktop as its transmitter"
	case "access_denied":
		return "risktop's provider is not allowed to send it"
	}
	return "an error Okta named " + fmt.Sprintf("%q", e.Code)
}

// setHint says what to do about a refused SET.
func (c *Client) setHint(code string) string {
	switch code {
	case "invalid_key":
		return "publish the JWKS that `risktop okta ssf-setup` prints at the provider's jwks_url, and make ssf_key_id the kid in it"
	case "invalid_issuer":
		return fmt.Sprintf("create the Security Events Provider `risktop okta ssf-setup` prints (issuer %s), or set ssf_issuer to the issuer of the one you have", c.cfg.SSFIssuer)
	case "invalid_audience":
		return "base_url must be the org URL the SETs are addressed to (https://acme.okta.com, not the -admin host or a custom path)"
	case "access_denied", "authentication_failed":
		return "activate the Security Events Provider (POST /api/v1/security-events-providers/{id}/lifecycle/activate); SSF needs Identity Threat Protection, or Adaptive MFA with limited support"
	case "invalid_request":
		return "risktop builds SETs to Okta's schema; the description names the claim Okta refused"
	}
	return ""
}

// SecurityEventsProvider is one of the org's SSF providers
// (okta/api/openapi.yaml SecurityEventsProviderResponse).
type SecurityEventsProvider struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Status   string `json:"status"` // ACTIVE or INACTIVE
	Settings struct {
		Issuer       string `json:"issuer"`
		JWKSURL      string `json:"jwks_url"`
		WellKnownURL string `json:"well_known_url"`
	} `json:"settings"`
}

const securityEventsProvidersPath = "/api/v1/security-events-providers"

// SecurityEventsProviders lists GET /api/v1/security-events-providers.
func (c *Client) SecurityEventsProviders(ctx context.Context) ([]SecurityEventsProvider, error) {
	if !c.auth.canRead() {
		return nil, ErrNoReadCredential
	}
	var out []SecurityEventsProvider
	if _, err := c.do(ctx, ScopeSecurityEventsProvidersRead, httpx.Request{Method: http.MethodGet, Path: securityEventsProvidersPath}, &out); err != nil {
		return nil, err
	}
	sanitize.Struct(&out)
	return out, nil
}

// ErrNoReadCredential says the client has no credential to read the
// org's configuration: with push: ssf, SETs need none.
var ErrNoReadCredential = errors.New("okta: no api_token or OAuth service app configured to read the org's providers (SETs need none)")

// FindSecurityEventsProvider is the active provider whose issuer is
// issuer, or why there is none.
func FindSecurityEventsProvider(ps []SecurityEventsProvider, issuer string) (*SecurityEventsProvider, string) {
	for i := range ps {
		p := &ps[i]
		if p.Settings.Issuer != issuer {
			continue
		}
		if !strings.EqualFold(p.Status, "ACTIVE") {
			return p, fmt.Sprintf("Security Events Provider %q (%s) has issuer %s but is %s; activate it", p.Name, p.ID, issuer, p.Status)
		}
		return p, ""
	}
	return nil, fmt.Sprintf("no Security Events Provider has issuer %s; create it (risktop okta ssf-setup prints the definition)", issuer)
}
