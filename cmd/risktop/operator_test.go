package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWrongArgumentsEveryCommand: every command, given bad flags, missing
// or extra arguments, or a name that is not a command, exits non-zero with
// a message that names what is wrong, and does nothing else. Usage
// mistakes exit 2 with the command's usage; values a command checks after
// parsing exit 1 or 2 as its help says. No case gets as far as a vendor
// (the config points at a port nothing listens on) or a terminal.
func TestWrongArgumentsEveryCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("RISKTOP_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	cfg := writeConfig(t, `sources:
  cloudflare: {base_url: "http://127.0.0.1:9/client/v4", account_id: 5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b, api_token: t0k3n-for-args}
  okta: {base_url: "http://127.0.0.1:9", api_token: t0k3n-for-args}
`)
	missing := filepath.Join(home, "missing.yaml")
	for _, c := range []struct {
		args  []string
		code  int
		want  string // in stdout or stderr
		usage bool   // the command's usage is printed too
	}{
		// Not a command.
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`, false},
		{[]string{"gett", "events"}, 2, `unknown command "gett"`, false},
		{[]string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`, false},
		{[]string{"version", "extra"}, 2, `unexpected argument "extra"`, true},

		// get
		{[]string{"get", "--config", cfg}, 2, "name one of scores, events, users or alerts", true},
		{[]string{"get", "nope", "--config", cfg}, 2, `unknown "nope"`, true},
		{[]string{"get", "events", "--nope", "--config", cfg}, 2, "flag provided but not defined: -nope", true},
		{[]string{"get", "events", "--limit", "x", "--config", cfg}, 2, `invalid value "x" for flag -limit`, true},
		{[]string{"get", "events", "--since", "yesterday", "--config", cfg}, 2, `--since "yesterday"`, true},
		{[]string{"get", "events", "--config", missing}, 2, "does not exist", false},

		// push-ip: arguments are checked before the config is looked for.
		{[]string{"push-ip", "--level", "HIGH", "--config", cfg}, 2, "name at least one IP address", true},
		{[]string{"push-ip", "203.0.113.9", "--config", cfg}, 2, "--level is required", true},
		{[]string{"push-ip", "203.0.113.9", "--level", "EXTREME", "--config", missing}, 2, `level: "EXTREME" is not LOW`, false},
		{[]string{"push-ip", "203.0.113.x", "--level", "HIGH", "--config", cfg}, 2, `"203.0.113.x" is not an IPv4 or IPv6 address`, false},
		{[]string{"push-ip", "203.0.113.0/24", "--level", "HIGH", "--config", cfg}, 2, "#1 203.0.113.0/24: ip:", false},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--message", "a;b", "--config", cfg}, 2, "#1 203.0.113.9: message:", false},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--expires", "soon", "--config", cfg}, 2, `--expires "soon"`, true},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--timeout", "0s", "--config", cfg}, 2, "--timeout 0s must be positive", true},
		{[]string{"push-ip", "203.0.113.9", "--level", "HIGH", "--nope"}, 2, "flag provided but not defined: -nope", true},

		// reset-user
		{[]string{"reset-user", "--config", cfg}, 2, "name one person", true},
		{[]string{"reset-user", "a@example.com", "b@example.com", "--config", cfg}, 2, "name one person", true},
		{[]string{"reset-user", "  ", "--config", cfg}, 2, "name one person", true},
		{[]string{"reset-user", "a@example.com", "--yes=maybe", "--config", cfg}, 2, `invalid boolean value "maybe" for -yes`, true},
		{[]string{"reset-user", "a@example.com", "--config", missing}, 2, "does not exist", false},

		// check
		{[]string{"check", "extra", "--config", cfg}, 2, `unexpected argument "extra"`, true},
		{[]string{"check", "--timeout", "x", "--config", cfg}, 2, `invalid value "x" for flag -timeout`, true},
		{[]string{"check", "--timeout", "0s", "--config", cfg}, 1, "must be positive", false},
		{[]string{"check", "--config", missing}, 2, "does not exist", false},

		// sim
		{[]string{"sim", "extra"}, 2, `unexpected argument "extra"`, true},
		{[]string{"sim", "--speed", "fast"}, 2, `invalid value "fast" for flag -speed`, true},
		{[]string{"sim", "--seed", "-1"}, 2, `invalid value "-1" for flag -seed`, true},
		{[]string{"sim", "--people", "-1"}, 1, "--people -1 must be positive", false},
		{[]string{"sim", "--history", "0s"}, 1, "--history 0s must be positive", false},
		{[]string{"sim", "--rate", "0"}, 1, "--rate 0 must be positive", false},
		{[]string{"sim", "--listen", "nonsense"}, 1, `listen address "nonsense"`, false},

		// demo: every mistake is caught before it asks for a terminal.
		{[]string{"demo", "extra"}, 2, `unexpected argument "extra"`, true},
		{[]string{"demo", "--seed", "x"}, 2, `invalid value "x" for flag -seed`, true},
		{[]string{"demo", "--hostile=maybe"}, 2, `invalid boolean value "maybe" for -hostile`, true},
		{[]string{"demo", "--speed", "-1"}, 1, "--speed -1 must be positive", false},
		{[]string{"demo", "--nope"}, 2, "flag provided but not defined: -nope", true},
	} {
		code, out, errOut := runCmd(t, c.args...)
		all := out + errOut
		if code != c.code || !strings.Contains(all, c.want) || c.usage != strings.Contains(all, "Usage: risktop") {
			t.Errorf("risktop %s: exit %d, want %d and %q (usage shown: want %v):\n%s",
				strings.Join(c.args, " "), code, c.code, c.want, c.usage, all)
		}
	}
}
