package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Every secret the tests hand out contains this marker, so one search of
// any output proves none leaked.
const marker = "SECRET-"

var testVars = map[string]string{
	"HOME":                   "/home/op",
	"ONELOGIN_CLIENT_ID":     "ol-client-id",
	"ONELOGIN_CLIENT_SECRET": marker + "onelogin-0001",
	"CASB_ACCESS_KEY":        marker + "casb-key-0002",
	"CASB_ACCESS_SECRET":     marker + "casb-secret-0003",
	"CLOUDFLARE_API_TOKEN":   marker + "cf-token-0004",
	"OKTA_API_TOKEN":         marker + "okta-token-0005",
	"EMPTY":                  "",
}

var rsaKey = sync.OnceValue(func() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	// The marker sits in a PEM header so the leak search covers the key.
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Comment": marker + "pem"}, Bytes: der}))
})

// testFiles are the secret files the golden configs name.
func testFiles() map[string]string {
	return map[string]string{
		"/run/secrets/onelogin":  marker + "file-0006\n",
		"/run/secrets/empty":     "\n",
		"/run/secrets/pasted":    marker + "pasted 0007\n",
		"/run/secrets/not-a-key": marker + "notkey-0008\n",
		"/run/secrets/okta.pem":  rsaKey(),
	}
}

// testEnv resolves variables from vars (testVars when nil) and files from
// memory, the way the real Env does from the process and the disk.
func testEnv(vars map[string]string) Env {
	if vars == nil {
		vars = testVars
	}
	files := testFiles()
	env := MapEnv(vars)
	env.ReadFile = func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		switch p {
		case "/run/secrets/locked":
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		case "/run/secrets":
			return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return env
}

func withVars(extra map[string]string) map[string]string {
	m := maps.Clone(testVars)
	maps.Copy(m, extra)
	return m
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
	return p
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, leak := range []string{marker, "hunter2"} {
		if strings.Contains(s, leak) {
			t.Errorf("%s shows a secret (%q):\n%s", what, leak, s)
		}
	}
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	e, ok := err.(*Errors)
	if !ok {
		t.Fatalf("error is %T, want *Errors: %v", err, err)
	}
	return e.Problems
}
