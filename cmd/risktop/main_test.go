package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDispatch(t *testing.T) {
	// No config anywhere but where the cases put one, and no real state dir.
	home := t.TempDir()
	t.Setenv("RISKTOP_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	good := writeConfig(t, "sources:\n  cloudflare: {account_id: 5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b, api_token: t0k3n-for-dispatch}\n")
	bad := writeConfig(t, "refresh: soon\n")

	for _, c := range []struct {
		args []string
		code int
		out  string // substring of stdout+stderr
	}{
		{nil, 2, "run 'risktop demo'"},
		{[]string{"--help"}, 0, "Dashboard flags:"},
		{[]string{"-h"}, 0, "Commands:"},
		{[]string{"help"}, 0, "check"},
		{[]string{"help", "sim"}, 0, "-speed"},
		{[]string{"version"}, 0, "risktop "},
		{[]string{"sim", "--help"}, 0, "credential-stuffing"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"sim", "--speed", "fast"}, 2, `invalid value "fast"`},
		{[]string{"sim", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"sim", "--speed", "0"}, 1, "must be positive"},
		{[]string{"version", "--nope"}, 2, "flag provided but not defined"},

		// The dashboard: flags only.
		{[]string{"--config", filepath.Join(home, "missing.yaml")}, 2, "does not exist"},
		{[]string{"--config", bad}, 2, "refresh"},
		{[]string{"--config", good}, 1, "needs a terminal"},
		{[]string{"--config", good, "--write", "--log", filepath.Join(home, "x.log")}, 1, "needs a terminal"},
		{[]string{"--write", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--nope"}, 2, "flag provided but not defined"},

		{[]string{"demo", "--help"}, 0, "-no-scenario"},
		{[]string{"help", "demo"}, 0, "-seed"},
		{[]string{"demo"}, 1, "needs a terminal"},
		{[]string{"demo", "--speed", "0"}, 1, "must be positive"},
		{[]string{"demo", "--seed", "x"}, 2, `invalid value "x"`},

		{[]string{"check", "--help"}, 0, "Exit status"},
		{[]string{"check", "--config", bad}, 2, "refresh"},
		{[]string{"check"}, 2, "run 'risktop demo'"},
		{[]string{"check", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"check", "--timeout", "0s", "--config", good}, 1, "must be positive"},
	} {
		var out bytes.Buffer
		code := run(context.Background(), c.args, &out, &out)
		if code != c.code || !strings.Contains(out.String(), c.out) {
			t.Errorf("risktop %v: exit %d, output:\n%s\nwant exit %d and %q", c.args, code, out.String(), c.code, c.out)
		}
	}
	// A refusal without a terminal happens before anything is created.
	if _, err := os.Stat(filepath.Join(home, "state")); !os.IsNotExist(err) {
		t.Errorf("the state dir was created without a terminal: %v", err)
	}
}

func TestSimCommandServesEveryVendor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--history", "1h", "--people", "50"}, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base string
	var banner []string
	deadline := time.After(30 * time.Second)
	for !strings.Contains(strings.Join(banner, "\n"), "okta:") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sim exited early:\n%s", strings.Join(banner, "\n"))
			}
			banner = append(banner, l)
			if rest, ok := strings.CutPrefix(l, "risktop simulator listening on "); ok {
				base = rest
			}
		case <-deadline:
			t.Fatalf("no banner after 30s:\n%s", strings.Join(banner, "\n"))
		}
	}
	text := strings.Join(banner, "\n")
	for _, want := range []string{base + "/onelogin", base + "/casb", base + "/cloudflare/client/v4", base + "/okta", "private_key_file:"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}

	resp, err := http.Get(base + "/sim/")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Vendors map[string]any
		People  int
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if len(st.Vendors) != 4 || st.People != 50 {
		t.Fatalf("state = %+v", st)
	}
	resp, err = http.Get(base + "/onelogin/api/1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// OneLogin answers a missing Authorization header with 400 (seed page).
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("events without a token: %d, want 400", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after interrupt", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after interrupt")
	}
	for range lines {
	}
}
