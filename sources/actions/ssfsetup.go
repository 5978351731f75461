package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/vendorkit"
)

// SSFSetup is what to register at the push vendor for push: ssf: the
// JWKS to publish (the public key only, with its kid) and the Security
// Events Provider to create (okta/api/openapi.yaml
// SecurityEventsProviderRequest: name, type, settings {issuer, jwks_url}).
type SSFSetup struct {
	Issuer, KeyID, Alg string
	JWKS               []byte // indented JSON
	Provider           []byte // indented JSON
	CreatePath         string // where the provider is created
	Scope              string // the OAuth scope that may create it
}

// SSFSetupOf reads the push vendor's section (PushTo) and builds its
// SSFSetup; jwksURL is where the JWKS will be published ("" leaves a
// placeholder). Nothing secret is in it: the signer gives out the public
// key alone.
func SSFSetupOf(s *vendorkit.Section, jwksURL string) (SSFSetup, error) {
	if s == nil {
		return SSFSetup{}, notConfigured(PushTo.Name)
	}
	cfg := okta.ConfigOf(s, httpx.Options{})
	if cfg.PushPath() != okta.PushSSF {
		return SSFSetup{}, errors.New("push is not ssf in the " + PushTo.Name + " section: set push: ssf, ssf_issuer, ssf_key_file and ssf_key_id first")
	}
	signer, err := okta.NewSETSigner(cfg.SSFKeyPEM, cfg.SSFKeyID)
	if err != nil {
		return SSFSetup{}, err
	}
	if jwksURL == "" {
		jwksURL = "https://YOUR-HOST/risktop/jwks.json"
	}
	jwks, err := json.MarshalIndent(signer.JWKS(), "", "  ")
	if err != nil {
		return SSFSetup{}, err
	}
	prov, err := json.MarshalIndent(map[string]any{
		"name": "risktop", "type": "okta",
		"settings": map[string]string{"issuer": strings.TrimSpace(cfg.SSFIssuer), "jwks_url": jwksURL},
	}, "", "  ")
	if err != nil {
		return SSFSetup{}, err
	}
	return SSFSetup{Issuer: strings.TrimSpace(cfg.SSFIssuer), KeyID: signer.KeyID(), Alg: signer.Alg(), JWKS: jwks, Provider: prov,
		CreatePath: "POST " + strings.TrimSuffix(cfg.BaseURL, "/") + "/api/v1/security-events-providers",
		Scope:      "okta.securityEventsProviders.manage"}, nil
}

// String is the setup as steps for an operator.
func (x SSFSetup) String() string {
	return fmt.Sprintf(`1. Publish this JWKS (the public key only; %s, kid %s) at an HTTPS URL Okta can fetch:

%s

2. Create the Security Events Provider (%s, with an SSWS token or the
   scope %s), with jwks_url set to that URL:

%s

3. Activate it if it is not ACTIVE, then run 'risktop check': the okta row
   names the provider that takes SETs from %s.
`, x.Alg, x.KeyID, x.JWKS, x.CreatePath, x.Scope, x.Provider, x.Issuer)
}
