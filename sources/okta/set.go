package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/secret"
)

// Security Event Tokens (RFC 8417) for Okta's Shared Signals Framework
// receiver. The header, claims and event types are those of Okta's
// reference, "SSF Security Event Tokens"
// (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/SSFSecurityEventToken/)
// and of okta-sdk-golang's okta/api/openapi.yaml
// (SecurityEventTokenRequestJwtHeader: alg, kid, typ "secevent+jwt";
// SecurityEventTokenRequestJwtBody: iss, aud, iat (int), jti, events).

// Event type URIs Okta takes (okta-sdk-golang okta/api/openapi.yaml,
// SecurityEventTokenRequestJwtEvents).
const (
	EventIPChange       = "https://schemas.okta.com/secevent/okta/event-type/ip-change"
	EventUserRiskChange = "https://schemas.okta.com/secevent/okta/event-type/user-risk-change"
)

// SETType is the JWS typ header of a SET (RFC 8417 §2.3; Okta's example).
const SETType = "secevent+jwt"

// SET algorithms risktop signs with.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// SecurityEventSubject is Okta's subject: a user (by email here) or a
// device (okta/api/openapi.yaml SecurityEventSubject; the user example is
// {"format": "email", "email": "john@doe.net"}). Neither is required.
type SecurityEventSubject struct {
	User   *SubjectID `json:"user,omitempty"`
	Device *SubjectID `json:"device,omitempty"`
}

// SubjectID is an RFC 9493 subject identifier.
type SubjectID struct {
	Format string `json:"format"`
	Email  string `json:"email,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Reason is Okta's SecurityEventReason: {"en": text}. An event needs
// reason_admin or reason_user.
type Reason struct {
	EN string `json:"en"`
}

// IPChangeEvent is Okta's OktaIpChangeEvent ("IP changed for the
// subject's session"): current_ip_address, previous_ip_address,
// event_timestamp and subject are required.
type IPChangeEvent struct {
	CurrentIPAddress  string               `json:"current_ip_address"`
	PreviousIPAddress string               `json:"previous_ip_address"`
	EventTimestamp    int64                `json:"event_timestamp"`
	InitiatingEntity  string               `json:"initiating_entity,omitempty"`
	ReasonAdmin       *Reason              `json:"reason_admin,omitempty"`
	Subject           SecurityEventSubject `json:"subject"`
}

// UserRiskChangeEvent is Okta's OktaUserRiskChangeEvent: current_level,
// previous_level (low, medium, high, secure, none), event_timestamp and
// subject are required.
type UserRiskChangeEvent struct {
	CurrentLevel     UserRiskLevel        `json:"current_level"`
	PreviousLevel    UserRiskLevel        `json:"previous_level"`
	EventTimestamp   int64                `json:"event_timestamp"`
	InitiatingEntity string               `json:"initiating_entity,omitempty"`
	ReasonAdmin      *Reason              `json:"reason_admin,omitempty"`
	Subject          SecurityEventSubject `json:"subject"`
}

// UserRiskLevel is a user-risk-change level.
type UserRiskLevel string

const (
	UserRiskNone   UserRiskLevel = "none"
	UserRiskSecure UserRiskLevel = "secure"
	UserRiskLow    UserRiskLevel = "low"
	UserRiskMedium UserRiskLevel = "medium"
	UserRiskHigh   UserRiskLevel = "high"
)

// Valid reports whether l is one of Okta's five levels.
func (l UserRiskLevel) Valid() bool {
	switch l {
	case UserRiskNone, UserRiskSecure, UserRiskLow, UserRiskMedium, UserRiskHigh:
		return true
	}
	return false
}

// SETClaims are a SET's claims: one event, keyed by its type URI.
type SETClaims struct {
	Issuer    string
	Audience  string
	ID        string // jti; empty: a random one
	IssuedAt  time.Time
	EventType string
	Event     any
}

type setHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

type setBody struct {
	Iss    string         `json:"iss"`
	Aud    string         `json:"aud"`
	Iat    int64          `json:"iat"`
	Jti    string         `json:"jti"`
	Events map[string]any `json:"events"`
}

// SETSigner signs SETs with a Security Events Provider's private key:
// RS256 for RSA (2048 bits or more), ES256 for EC P-256 (the JWS raw
// r||s encoding, RFC 7518 §3.4). It holds the key; it never prints it.
type SETSigner struct {
	alg string
	kid string
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

// NewSETSigner parses keyPEM (PKCS#1, PKCS#8 or SEC 1 "EC PRIVATE KEY")
// for kid. Its errors name the problem, never the key's bytes.
func NewSETSigner(keyPEM secret.Value, kid string) (*SETSigner, error) {
	if strings.TrimSpace(kid) == "" {
		return nil, errors.New("okta: SSFKeyID is required: the kid Okta finds the key by in the provider's JWKS")
	}
	block, _ := pem.Decode([]byte(strings.TrimSpace(keyPEM.Reveal())))
	if block == nil {
		return nil, errors.New("okta: SSFKeyPEM holds no PEM block (want -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)")
	}
	if _, encrypted := block.Headers["DEK-Info"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("okta: SSFKeyPEM is encrypted; decrypt it first")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("okta: SSFKeyPEM holds a %q PEM block, not a private key", truncate(block.Type, 40))
	}
	if err != nil {
		return nil, fmt.Errorf("okta: SSFKeyPEM is not a valid %s private key", block.Type)
	}
	s := &SETSigner{kid: strings.TrimSpace(kid)}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minKeyBits {
			return nil, fmt.Errorf("okta: SSFKeyPEM is a %d-bit RSA key; use at least %d bits", bits, minKeyBits)
		}
		s.alg, s.rsa = AlgRS256, k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("okta: SSFKeyPEM is an EC key on %s; ES256 needs P-256", k.Curve.Params().Name)
		}
		s.alg, s.ec = AlgES256, k
	default:
		return nil, fmt.Errorf("okta: SSFKeyPEM is a %s key; use RSA (RS256) or EC P-256 (ES256)", keyKind(k))
	}
	return s, nil
}

// Alg is RS256 or ES256.
func (s *SETSigner) Alg() string { return s.alg }

// KeyID is the kid.
func (s *SETSigner) KeyID() string { return s.kid }

// Format keeps the key out of any print.
func (s *SETSigner) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "SET signer %s kid %s [key redacted]", s.alg, s.kid)
}

// Sign makes the compact JWS of a SET.
func (s *SETSigner) Sign(c SETClaims) (string, error) {
	if c.ID == "" {
		id, err := NewJTI()
		if err != nil {
			return "", err
		}
		c.ID = id
	}
	h, err := json.Marshal(setHeader{Alg: s.alg, Kid: s.kid, Typ: SETType})
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(setBody{Iss: c.Issuer, Aud: c.Audience, Iat: c.IssuedAt.Unix(), Jti: c.ID,
		Events: map[string]any{c.EventType: c.Event}})
	if err != nil {
		return "", fmt.Errorf("okta: encoding the SET: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(b)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch {
	case s.rsa != nil:
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.rsa, crypto.SHA256, sum[:])
	default:
		var r, ss *big.Int
		if r, ss, err = ecdsa.Sign(rand.Reader, s.ec, sum[:]); err == nil {
			sig = make([]byte, 64) // r||s, each left-padded to 32 bytes
			r.FillBytes(sig[:32])
			ss.FillBytes(sig[32:])
		}
	}
	if err != nil {
		return "", errors.New("okta: could not sign the SET with SSFKeyPEM")
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// NewJTI is a random SET id.
func NewJTI() (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("okta: SET id: %w", err)
	}
	return hex.EncodeToString(id[:]), nil
}

// JWK is a public JSON Web Key (RFC 7517) as a provider's JWKS holds it.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid"`
	// RSA
	N string `json:"n,omitempty"`
	E string `json:"e,omitempty"`
	// EC
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKS is a key set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS is the public half of the key, to publish at the provider's
// jwks_url: public parameters only (n, e; or crv, x, y), never d, p, q.
func (s *SETSigner) JWKS() JWKS {
	enc := base64.RawURLEncoding
	k := JWK{Use: "sig", Alg: s.alg, Kid: s.kid}
	if s.rsa != nil {
		k.Kty = "RSA"
		k.N = enc.EncodeToString(s.rsa.N.Bytes())
		k.E = enc.EncodeToString(big.NewInt(int64(s.rsa.E)).Bytes())
	} else {
		k.Kty, k.Crv = "EC", "P-256"
		x, y := make([]byte, 32), make([]byte, 32)
		s.ec.X.FillBytes(x)
		s.ec.Y.FillBytes(y)
		k.X, k.Y = enc.EncodeToString(x), enc.EncodeToString(y)
	}
	return JWKS{Keys: []JWK{k}}
}
