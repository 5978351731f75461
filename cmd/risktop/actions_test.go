package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// actionSim serves a tenant with risky Cloudflare users and returns a
// config (writable, with an audit log) pointing at it, and its directory.
func actionSim(t *testing.T) (*sim.Server, string, string) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // the commands' default log
	srv, err := sim.Start("127.0.0.1:0", sim.Options{World: simkit.Options{Seed: 5, People: 60, History: 6 * time.Hour, Scenario: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "okta.pem")
	if err := os.WriteFile(keyFile, srv.OktaKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	text := srv.Endpoints().Config(keyFile) + "audit_log: audit.jsonl\n" // next to the config
	cfg := writeConfig(t, text)
	return srv, cfg, filepath.Dir(cfg)
}

// variant writes a copy of the config at path with old replaced by new.
func variant(t *testing.T, path string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), "variant-"+strings.ReplaceAll(t.Name(), "/", "-")+".yaml")
	if err := os.WriteFile(out, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func readOnly(s string) string { return strings.Replace(s, "read_only: false", "read_only: true", 1) }

// storeAudit reads the store's audit log, oldest first.
func storeAudit(t *testing.T, dir string) []model.AuditEntry {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "risktop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Audit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(es)
	return es
}

func fileAudit(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestPushIPCommand(t *testing.T) {
	srv, cfg, dir := actionSim(t)

	code, out, errOut := runCmd(t, "push-ip", "203.0.113.9", "2001:DB8::7", "--level", "high", "--message", "seen in risktop", "--expires", "6h", "--config", cfg)
	if code != 0 {
		t.Fatalf("push: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^203\.0\.113\.9\s+sent\s+HIGH, outbox #1$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^2001:db8::7 \(2001:DB8::7\)\s+sent\s+HIGH, outbox #2$`).MatchString(lines[1]) {
		t.Errorf("output:\n%s", out)
	}
	pushed := map[string]string{}
	for _, p := range srv.Okta.Pushed() {
		pushed[p.IP] = p.Level + " " + p.Message
	}
	if len(pushed) != 2 || pushed["203.0.113.9"] != "HIGH seen in risktop" || pushed["2001:db8::7"] != "HIGH seen in risktop" {
		t.Errorf("Okta received %v", pushed)
	}
	var results []string
	for _, e := range storeAudit(t, dir) {
		results = append(results, e.Action+" "+e.Result+" "+e.Target)
	}
	want := []string{"push-ip queued 203.0.113.9", "push-ip queued 2001:db8::7", "push-ip sent 203.0.113.9", "push-ip sent 2001:db8::7"}
	if !slices.Equal(results, want) {
		t.Errorf("audit %v, want %v", results, want)
	}
	if lines := fileAudit(t, dir); len(lines) != 4 || lines[2]["vendor_status"] != float64(202) || !strings.HasPrefix(lines[0]["actor"].(string), "os:") {
		t.Errorf("audit file %v", lines)
	}

	// Arguments are checked before anything is queued.
	before := srv.Okta.EventRequests()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"push-ip", "203.0.113.x", "198.51.100.1", "--level", "severe", "--message", "a;b"},
			[]string{`#1 203.0.113.x: ip: "203.0.113.x" is not an IPv4 or IPv6 address`, `#2 198.51.100.1: level: "SEVERE" is not LOW`, "#2 198.51.100.1: message:", "nothing queued"}},
		{[]string{"push-ip", "--level", "HIGH"}, []string{"name at least one IP address"}},
		{[]string{"push-ip", "203.0.113.9"}, []string{"--level is required"}},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--expires", "soon"}, []string{`--expires "soon"`}},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--expires", "-1h"}, []string{"expires: must not be negative"}},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--timeout", "0s"}, []string{"--timeout 0s must be positive"}},
	} {
		code, out, errOut := runCmd(t, append(c.args, "--config", cfg)...)
		for _, w := range c.want {
			if code != 2 || !strings.Contains(out+errOut, w) {
				t.Errorf("risktop %s: exit %d, want 2 and %q:\n%s%s", strings.Join(c.args, " "), code, w, out, errOut)
			}
		}
	}
	if n := srv.Okta.EventRequests(); n != before {
		t.Errorf("bad arguments reached Okta (%d requests)", n-before)
	}
	if n := len(storeAudit(t, dir)); n != 4 {
		t.Errorf("bad arguments were queued or audited: %d entries", n)
	}

	// Read-only refuses (and audits the refusal) unless --write.
	ro := variant(t, cfg, readOnly)
	code, out, errOut = runCmd(t, "push-ip", "198.51.100.9", "--level", "LOW", "--config", ro)
	if code != 2 || !strings.Contains(errOut, "read-only") || out != "" {
		t.Errorf("read-only: exit %d\n%s%s", code, out, errOut)
	}
	if n := srv.Okta.EventRequests(); n != before {
		t.Errorf("a read-only push reached Okta")
	}
	es := storeAudit(t, dir)
	if last := es[len(es)-1]; last.Result != actions.ResultRefused || last.Target != "198.51.100.9" {
		t.Errorf("refusal audit %+v", last)
	}
	if code, out, errOut := runCmd(t, "push-ip", "198.51.100.9", "--level", "LOW", "--write", "--config", ro); code != 0 || !strings.Contains(out, "sent") {
		t.Errorf("read-only with --write: exit %d\n%s%s", code, out, errOut)
	}

	// Okta refuses the credential: failed at once, with Okta's error.
	badToken := variant(t, cfg, func(s string) string {
		return regexp.MustCompile(`client_id: 0oa\w+, private_key_file: "[^"]*"`).ReplaceAllString(s, "api_token: not-the-okta-token")
	})
	code, out, errOut = runCmd(t, "push-ip", "198.51.100.10", "--level", "MEDIUM", "--config", badToken)
	if code != 1 || !regexp.MustCompile(`198\.51\.100\.10\s+failed\s+okta: POST /api/v1/risk/events/ip: 401 Unauthorized`).MatchString(out) ||
		!strings.Contains(out, "SSWS API token is invalid") {
		t.Errorf("bad token: exit %d\n%s%s", code, out, errOut)
	}

	// Okta keeps throttling: still queued at --timeout, and it says so.
	f, _ := srv.Faults(sim.Okta)
	f.Set(simkit.Faults{Throttle: 1000, RetryAfter: 10 * time.Minute})
	t.Cleanup(func() { f.Set(simkit.Faults{}) })
	code, out, errOut = runCmd(t, "push-ip", "198.51.100.11", "--level", "HIGH", "--timeout", "3s", "--config", cfg)
	if code != 1 || !regexp.MustCompile(`198\.51\.100\.11\s+queued\s+not sent yet`).MatchString(out) || !strings.Contains(out, "429") {
		t.Errorf("throttled: exit %d\n%s%s", code, out, errOut)
	}

	// Without Okta in the config.
	noOkta := variant(t, cfg, func(s string) string { return regexp.MustCompile(`(?m)^  okta:.*\n`).ReplaceAllString(s, "") })
	if code, _, errOut := runCmd(t, "push-ip", "198.51.100.12", "--level", "HIGH", "--config", noOkta); code != 2 || !strings.Contains(errOut, "Okta is not configured") {
		t.Errorf("no okta: exit %d, %s", code, errOut)
	}
}

// personByCloudflareID finds a simulated person.
func personByCloudflareID(t *testing.T, srv *sim.Server, id string) simkit.Person {
	t.Helper()
	for _, p := range srv.World.People() {
		if p.CloudflareID == id {
			return p
		}
	}
	t.Fatalf("no person with Cloudflare id %s", id)
	return simkit.Person{}
}

// fakeTerminal answers the confirmation with input, as a terminal.
func fakeTerminal(t *testing.T, input string, isTerm bool) {
	t.Helper()
	old := terminalInput
	terminalInput = func() (io.Reader, bool) { return strings.NewReader(input), isTerm }
	t.Cleanup(func() { terminalInput = old })
}

func TestResetUserCommand(t *testing.T) {
	srv, cfg, dir := actionSim(t)
	risky := srv.Cloudflare.RiskyUsers()
	if len(risky) < 3 {
		t.Fatalf("%d risky Cloudflare users in the simulated tenant, want 3", len(risky))
	}
	resets := func() []string {
		var ids []string
		for _, r := range srv.Cloudflare.Resets() {
			ids = append(ids, r.UserID)
		}
		return ids
	}
	cfRequests := func() int64 { f, _ := srv.Faults(sim.Cloudflare); return f.Requests() }

	// Not a terminal, no --yes: refused before anything is reset.
	p0 := personByCloudflareID(t, srv, risky[0])
	fakeTerminal(t, "", false)
	code, out, errOut := runCmd(t, "reset-user", p0.Email, "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "stdin is not a terminal") || !strings.Contains(errOut, "--yes") || len(resets()) != 0 {
		t.Fatalf("no terminal: exit %d, resets %v\n%s%s", code, resets(), out, errOut)
	}

	// On a terminal, anything but "yes" keeps them.
	fakeTerminal(t, "y\n", true)
	code, out, errOut = runCmd(t, "reset-user", strings.ToUpper(p0.Email), "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "not confirmed") || len(resets()) != 0 {
		t.Fatalf("answered y: exit %d, resets %v\n%s%s", code, resets(), out, errOut)
	}
	if !strings.Contains(errOut, p0.Email) || !strings.Contains(errOut, "Type yes to reset") || !strings.Contains(errOut, "Access policies") {
		t.Errorf("prompt:\n%s", errOut)
	}

	// "yes" resets them, found by email.
	fakeTerminal(t, "yes\n", true)
	code, out, errOut = runCmd(t, "reset-user", p0.Email, "--config", cfg)
	if code != 0 || !slices.Equal(resets(), []string{risky[0]}) || !strings.Contains(out, "reset: ") || !strings.Contains(out, risky[0]) {
		t.Fatalf("confirmed: exit %d, resets %v\n%s%s", code, resets(), out, errOut)
	}

	// --yes, by user id; the Okta link is mentioned only when asked.
	code, out, errOut = runCmd(t, "reset-user", risky[1], "--yes", "--config", cfg)
	if code != 0 || !slices.Equal(resets(), risky[:2]) || strings.Contains(errOut, "Type yes") {
		t.Fatalf("--yes by id: exit %d, resets %v\n%s%s", code, resets(), out, errOut)
	}

	// Someone Cloudflare has no risk for, and an id it does not know.
	code, _, errOut = runCmd(t, "reset-user", "nobody@example.com", "--yes", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "not in Cloudflare's risk summary") {
		t.Errorf("unknown email: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCmd(t, "reset-user", "00000000-0000-4000-8000-000000000000", "--yes", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "404 Not Found") || !strings.Contains(errOut, "not reset") {
		t.Errorf("unknown id: exit %d, %s", code, errOut)
	}

	// Read-only: refused and audited, Cloudflare never asked.
	ro := variant(t, cfg, readOnly)
	before := cfRequests()
	code, _, errOut = runCmd(t, "reset-user", personByCloudflareID(t, srv, risky[2]).Email, "--yes", "--config", ro)
	if code != 2 || !strings.Contains(errOut, "read-only") || cfRequests() != before || len(resets()) != 2 {
		t.Errorf("read-only: exit %d, %d requests, resets %v\n%s", code, cfRequests()-before, resets(), errOut)
	}

	var got []string
	for _, e := range storeAudit(t, dir) {
		got = append(got, e.Action+" "+e.Result)
	}
	want := []string{"reset-user ok", "reset-user ok", "reset-user refused", "reset-user failed", "reset-user refused"}
	if !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
	if lines := fileAudit(t, dir); len(lines) != len(want) || lines[0]["target"] != p0.Email || lines[3]["vendor_status"] != float64(404) {
		t.Errorf("audit file %v", lines)
	}

	for _, args := range [][]string{{"reset-user"}, {"reset-user", "a@example.com", "b@example.com"}} {
		if code, out, errOut := runCmd(t, append(args, "--config", cfg)...); code != 2 || !strings.Contains(errOut, "name one person") || out != "" {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	noCF := variant(t, cfg, func(s string) string { return regexp.MustCompile(`(?m)^  cloudflare:.*\n`).ReplaceAllString(s, "") })
	if code, _, errOut := runCmd(t, "reset-user", "a@example.com", "--yes", "--config", noCF); code != 2 || !strings.Contains(errOut, "Cloudflare is not configured") {
		t.Errorf("no cloudflare: exit %d, %s", code, errOut)
	}
}

func TestHeadlessHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"push-ip", "--help"}, []string{"Usage: risktop push-ip IP...", "-level", "-expires", "-write", "Exit status"}},
		{[]string{"help", "push-ip"}, []string{"-message"}},
		{[]string{"reset-user", "--help"}, []string{"Usage: risktop reset-user EMAIL|USER-ID", "-yes", "-write", "type yes"}},
		{[]string{"help", "get"}, []string{"scores", "-csv"}},
		{[]string{"--help"}, []string{"get ", "push-ip ", "reset-user "}},
	} {
		code, out, _ := runCmd(t, c.args...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("risktop %v: exit %d, lacks %q:\n%s", c.args, code, w, out)
			}
		}
	}
}
