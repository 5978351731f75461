package main

import (
	"regexp"
	"strings"
	"testing"
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
