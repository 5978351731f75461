package httpx

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecorderRedactsEverySecretAndKeepsTheAnswer(t *testing.T) {
	const (
		literal = "configured-secret-value-42"
		minted  = "minted-access-token-abcdef"
		jwt     = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJyaXNrdG9wIn0.c2lnbmF0dXJlLWJ5dGVz"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-value-xyz"})
		switch r.URL.Path {
		case "/token":
			io.WriteString(w, `{"access_token":"`+minted+`","token_type":"bearer","expires_in":3600}`)
		case "/gz":
			w.Header().Set("Content-Type", "application/gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, `{"rows":[{"user":"ava@example.com"}],"echo":"`+literal+`"}`)
			zw.Close()
		default:
			io.WriteString(w, `{"ok":true,"note":"`+minted+` again","set":"`+jwt+`"}`)
		}
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "rec")
	d, err := NewDirRecords(dir, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	rec := &Recorder{Source: "vendor", Secrets: []string{literal}, Write: d.Write, Seq: &seq}
	c := &http.Client{Transport: rec}
	do := func(method, path, ctype, body string, h http.Header) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header[k] = v
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) == 0 {
			t.Fatalf("%s: the client got no body", path)
		}
	}
	do("POST", "/token?client_assertion="+jwt, "application/x-www-form-urlencoded",
		"grant_type=client_credentials&client_secret="+literal+"&client_assertion="+jwt+"&scope=okta.riskEvents.manage", nil)
	do("GET", "/data?pagesize=5", "", "", http.Header{"Authorization": {"Bearer " + minted}, "Cookie": {"sid=cookie-value-xyz"},
		"X-Auth-Key": {"global-key-0123456789"}, "X-Auth-Email": {"soc@example.com"}})
	do("POST", "/json", "application/json", `{"accessKey":"AK-1234567","accessSecret":"`+literal+`","nested":{"password":"hunter22"},"keep":"visible"}`, nil)
	do("GET", "/gz", "", "", nil)

	files := d.Files()
	if len(files) != 4 {
		t.Fatalf("%d files", len(files))
	}
	info, _ := os.Stat(dir)
	if info.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %o", info.Mode().Perm())
	}
	var all bytes.Buffer
	for _, f := range files {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o", f, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	got := all.String()
	for _, secret := range []string{literal, minted, "c2lnbmF0dXJlLWJ5dGVz", "cookie-value-xyz", "global-key-0123456789", "AK-1234567", "hunter22"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q recorded:\n%s", secret, got)
		}
	}
	for _, want := range []string{`"Bearer [REDACTED]"`, "grant_type=client_credentials", "scope=okta.riskEvents.manage",
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJyaXNrdG9wIn0.[REDACTED]", `\"keep\":\"visible\"`, "soc@example.com", "pagesize=5",
		`\"token_type\":\"bearer\"`, `ava@example.com`, `"gunzipped": true`, `"status": 200`} {
		if !strings.Contains(got, want) {
			t.Errorf("record lacks %s:\n%s", want, got)
		}
	}
}
