package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sim/oktasim"
)

// `risktop okta ssf-setup` prints the JWKS and the provider from the
// configured key, RSA or EC; the private key's material never appears.
func TestSSFSetupPrintsNothingSecret(t *testing.T) {
	srv, rsaFile := startSim(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	ecFile := filepath.Join(t.TempDir(), "ec.pem")
	if err := os.WriteFile(ecFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, alg string
		private         []string // base64url and PEM renderings of private material
	}{
		{"RSA", rsaFile, "RS256", pemLines(srv.OktaKeyPEM)},
		{"EC", ecFile, "ES256", append(pemLines(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})),
			base64.RawURLEncoding.EncodeToString(ec.D.Bytes()), base64.StdEncoding.EncodeToString(ec.D.Bytes()))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, "sources:\n  okta: {base_url: "+srv.Endpoints().Okta+", push: ssf, ssf_issuer: "+oktasim.DefaultSSFIssuer+
				", ssf_key_file: "+tc.file+", ssf_key_id: kid-7}\n")
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"okta", "ssf-setup", "--config", path, "--jwks-url", "https://keys.example/jwks.json"}, &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
			}
			text := out.String()
			for _, want := range []string{`"kid": "kid-7"`, `"alg": "` + tc.alg + `"`, `"issuer": "` + oktasim.DefaultSSFIssuer + `"`,
				`"jwks_url": "https://keys.example/jwks.json"`, "/api/v1/security-events-providers", "okta.securityEventsProviders.manage"} {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %s:\n%s", want, text)
				}
			}
			for _, secret := range tc.private {
				if len(secret) >= 16 && strings.Contains(text, secret[:16]) {
					t.Fatalf("private key material in the output:\n%s", text)
				}
			}
			for _, member := range []string{`"d"`, `"p"`, `"q"`, "PRIVATE"} {
				if strings.Contains(text, member) {
					t.Fatalf("%s in the output:\n%s", member, text)
				}
			}
			// The JWKS part parses as a key set with one public key.
			start := strings.Index(text, "{")
			var set struct{ Keys []map[string]any }
			if err := json.NewDecoder(strings.NewReader(text[start:])).Decode(&set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("JWKS: %v %+v", err, set)
			}
		})
	}
	// Not configured for SSF: a clear error, exit 2.
	_, keyFile := startSim(t)
	path := writeConfig(t, "sources:\n  okta: {base_url: https://acme.okta.com, client_id: c, private_key_file: "+keyFile+"}\n")
	var out bytes.Buffer
	if code := run(context.Background(), []string{"okta", "ssf-setup", "--config", path}, &out, &out); code != 2 || !strings.Contains(out.String(), "set push: ssf") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}

// pemLines are the base64 lines of a PEM block (each is key material).
func pemLines(p []byte) []string {
	var out []string
	for _, l := range strings.Split(string(p), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}
