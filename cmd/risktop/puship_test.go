package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
)

// push-ip refuses addresses that never appear on the internet (exit 2,
// nothing queued, nothing sent), asks for --allow-private for private
// ones, and refuses documentation ranges unless the config's Okta is the
// simulator (okta.allow_documentation_ranges).
func TestPushIPAddressClasses(t *testing.T) {
	srv, cfg, _ := actionSim(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"127.0.0.1"}, []string{"#1 127.0.0.1: ip: 127.0.0.1 is a loopback address (127.0.0.0/8): it never leaves the host", "nothing queued"}},
		{[]string{"8.8.8.8", "0.0.0.0", "255.255.255.255", "::", "169.254.1.1", "fe80::1", "224.0.0.1", "::ffff:127.0.0.1"}, []string{
			"#2 0.0.0.0: ip: 0.0.0.0 is the unspecified address", "#3 255.255.255.255: ip: 255.255.255.255 is the broadcast address",
			"#4 ::: ip: :: is the unspecified address", "#5 169.254.1.1: ip: 169.254.1.1 is link-local", "#6 fe80::1: ip: fe80::1 is link-local",
			"#7 224.0.0.1: ip: 224.0.0.1 is multicast", "#8 ::ffff:127.0.0.1: ip: ::ffff:127.0.0.1 is a loopback address", "nothing queued"}},
		{[]string{"10.0.0.5"}, []string{"#1 10.0.0.5: ip: 10.0.0.5 is in a private range (10.0.0.0/8, RFC 1918)", "--allow-private", "nothing queued"}},
		{[]string{"100.64.1.1", "127.0.0.1", "--allow-private"}, []string{"#2 127.0.0.1: ip: 127.0.0.1 is a loopback address", "nothing queued"}},
	} {
		args := append([]string{"push-ip", "--level", "HIGH", "--config", cfg}, c.args...)
		code, out, errOut := runCmd(t, args...)
		for _, w := range c.want {
			if code != 2 || !strings.Contains(errOut, w) || out != "" {
				t.Errorf("push-ip %s: exit %d, want 2 and %q:\n%s%s", strings.Join(c.args, " "), code, w, out, errOut)
			}
		}
		if strings.Contains(errOut, "#1 8.8.8.8") || strings.Contains(errOut, "100.64.1.1:") {
			t.Errorf("push-ip %s: a good address named:\n%s", strings.Join(c.args, " "), errOut)
		}
	}
	if n := srv.Okta.EventRequests(); n != 0 {
		t.Fatalf("refused addresses reached Okta (%d requests)", n)
	}

	// Confirmed: sent.
	code, out, errOut := runCmd(t, "push-ip", "10.0.0.5", "fd00::5", "--level", "HIGH", "--allow-private", "--config", cfg)
	if code != 0 || !regexp.MustCompile(`(?m)^10\.0\.0\.5\s+sent\s+HIGH`).MatchString(out) || !regexp.MustCompile(`(?m)^fd00::5\s+sent\s+HIGH`).MatchString(out) {
		t.Errorf("--allow-private: exit %d\n%s%s", code, out, errOut)
	}

	// A real tenant (no allow_documentation_ranges): documentation
	// addresses never reach it.
	real := variant(t, cfg, func(s string) string {
		if !strings.Contains(s, ", allow_documentation_ranges: true") {
			t.Fatalf("the simulator's config does not allow documentation ranges:\n%s", s)
		}
		return strings.Replace(s, ", allow_documentation_ranges: true", "", 1)
	})
	before := srv.Okta.EventRequests()
	code, out, errOut = runCmd(t, "push-ip", "203.0.113.9", "2001:db8::1", "--level", "HIGH", "--config", real)
	if code != 2 || !strings.Contains(errOut, "#1 203.0.113.9: ip: 203.0.113.9 is in a documentation range (203.0.113.0/24, RFC 5737): it never appears on the internet") ||
		!strings.Contains(errOut, "#2 2001:db8::1: ip: 2001:db8::1 is in a documentation range (2001:db8::/32, RFC 3849)") || out != "" {
		t.Errorf("documentation ranges on a real tenant: exit %d\n%s%s", code, out, errOut)
	}
	if n := srv.Okta.EventRequests(); n != before {
		t.Errorf("documentation addresses reached a real tenant")
	}
}

// A re-run of push-ip queues and sends nothing already sent and live
// (exit 0, one line per address saying so, each skip audited); a lower
// level is skipped too; --force sends again. An address an earlier run
// left queued is waited for, not queued again; one named twice is
// pushed once.
func TestPushIPRerun(t *testing.T) {
	srv, cfg, dir := actionSim(t)
	push := func(args ...string) (int, string, string) {
		return runCmd(t, append([]string{"push-ip", "--config", cfg}, args...)...)
	}
	code, out, errOut := push("203.0.113.40", "203.0.113.41", "--level", "HIGH")
	if code != 0 || strings.Count(out, " sent ") != 2 {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	requests := srv.Okta.EventRequests()

	for _, level := range []string{"HIGH", "MEDIUM"} {
		code, out, errOut = push("203.0.113.40", "203.0.113.41", "--level", level)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		sentAt := `already sent at HIGH at \d\d:\d\d UTC \(outbox #%d\), live until \d\d:\d\d UTC tomorrow; --force sends it again$`
		if code != 0 || len(lines) != 2 ||
			!regexp.MustCompile(`^203\.0\.113\.40\s+skipped\s+`+fmt.Sprintf(sentAt, 1)).MatchString(lines[0]) ||
			!regexp.MustCompile(`^203\.0\.113\.41\s+skipped\s+`+fmt.Sprintf(sentAt, 2)).MatchString(lines[1]) {
			t.Errorf("re-run at %s: exit %d\n%s%s", level, code, out, errOut)
		}
	}
	if n := srv.Okta.EventRequests(); n != requests {
		t.Errorf("re-runs sent %d requests", n-requests)
	}
	var skipped []string
	for _, e := range storeAudit(t, dir) {
		if e.Result == actions.ResultSkipped {
			skipped = append(skipped, e.Target)
		}
	}
	if !slices.Equal(skipped, []string{"203.0.113.40", "203.0.113.41", "203.0.113.40", "203.0.113.41"}) {
		t.Errorf("skipped audit entries for %v", skipped)
	}

	// --force sends again.
	code, out, errOut = push("203.0.113.40", "--level", "HIGH", "--force")
	if code != 0 || !regexp.MustCompile(`^203\.0\.113\.40\s+sent\s+HIGH, outbox #3 \(forced: already sent at HIGH at \d\d:\d\d UTC \(outbox #1\), live until`).MatchString(out) {
		t.Errorf("--force: exit %d\n%s%s", code, out, errOut)
	}
	if n := srv.Okta.EventRequests(); n != requests+1 {
		t.Errorf("--force sent %d requests, want 1", n-requests)
	}

	// Left queued by an earlier run (killed before it sent): waited for,
	// not queued again. Named twice: pushed once.
	st, err := store.Open(filepath.Join(dir, "risktop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	left, err := st.Enqueue(context.Background(), []model.OutboxItem{{IP: "203.0.113.42", Level: model.LevelHigh, Actor: "os:earlier"}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = push("203.0.113.42", "203.0.113.43", "203.0.113.43", "--level", "HIGH")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 ||
		!regexp.MustCompile(fmt.Sprintf(`^203\.0\.113\.42\s+sent\s+HIGH, outbox #%d \(already queued before this run: waited for it, not queued again\)$`, left[0])).MatchString(lines[0]) ||
		!regexp.MustCompile(`^203\.0\.113\.43\s+sent\s+HIGH, outbox #5$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^203\.0\.113\.43\s+sent\s+HIGH, outbox #5 \(named twice: pushed once\)$`).MatchString(lines[2]) {
		t.Errorf("left queued, named twice: exit %d\n%s%s", code, out, errOut)
	}
	counts := map[string]int{}
	for _, p := range srv.Okta.Pushed() {
		counts[p.IP]++
	}
	if counts["203.0.113.40"] != 2 || counts["203.0.113.41"] != 1 || counts["203.0.113.42"] != 1 || counts["203.0.113.43"] != 1 {
		t.Errorf("Okta received %v", counts)
	}
}
