package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string // substring of stdout+stderr
	}{
		{nil, 2, "Usage: risktop <command>"},
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"help"}, 0, "sim"},
		{[]string{"help", "sim"}, 0, "-speed"},
		{[]string{"version"}, 0, "risktop "},
		{[]string{"sim", "--help"}, 0, "credential-stuffing"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"sim", "--speed", "fast"}, 2, `invalid value "fast"`},
		{[]string{"sim", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"sim", "--speed", "0"}, 1, "must be positive"},
		{[]string{"version", "--nope"}, 2, "flag provided but not defined"},
	} {
		var out bytes.Buffer
		code := run(context.Background(), c.args, &out, &out)
		if code != c.code || !strings.Contains(out.String(), c.out) {
			t.Errorf("risktop %v: exit %d, output:\n%s\nwant exit %d and %q", c.args, code, out.String(), c.code, c.out)
		}
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
