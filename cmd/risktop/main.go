// Command risktop is a terminal risk dashboard for SOC operators.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/risktop/risktop/sources/actions"
)

// command is one subcommand: its name, a one-line summary for the command
// list, and what it runs.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "the dashboard on the embedded simulator, with zero set-up", runDemo},
		{"serve", "the dashboard over SSH for a team on a jump host: one set of pollers, a dashboard per key", runServe},
		{"check", "test each configured source: reachable, authenticated, permitted, rate-limit headroom", runCheck},
		{"sync", "poll every configured source once (back-fill, then the latest) into the store, then exit", runSync},
		{"get", "print stored scores, events or users as a table, JSON or CSV", runGet},
		{"push-ip", "push IP risk to Okta through the outbox and wait for the result", runPushIP},
		{"reset-user", "reset a person's Cloudflare risk score (asks first)", runResetUser},
		{"sim", "serve the four vendor simulators on loopback and print their URLs", runSim},
		{"migrate", "copy a SQLite store into an empty PostgreSQL database for a team", runMigrate},
		{actions.PushTo.Name, "ssf-setup: print the JWKS and Security Events Provider to register for push: ssf", runPushVendor},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", nil},
	}
}

// errUsage marks an error whose message is already the help text.
var errUsage = errors.New("usage")

// exitCode is returned by a command that has already said what went wrong:
// run exits with it and prints nothing more.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a command and returns the process exit code. No
// command (nothing, or only flags) runs the dashboard.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		usage(out)
		return 0
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return exit("risktop", runDashboard(ctx, args, out, errOut), errOut)
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) == 0 {
			usage(out)
			return 0
		}
		name, rest = rest[0], []string{"--help"}
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return exit("risktop "+name, c.run(ctx, rest, out, errOut), errOut)
		}
	}
	fmt.Fprintf(errOut, "risktop: unknown command %q\n\n", name)
	usage(errOut)
	return 2
}

// exit turns a command's error into the exit code, printing the error
// unless the command already has.
func exit(prefix string, err error, errOut io.Writer) int {
	var code exitCode
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &code):
		return int(code)
	}
	fmt.Fprintf(errOut, "%s: %v\n", prefix, err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "risktop — live identity-risk dashboard for OneLogin, Oracle CASB, Cloudflare Zero Trust and Okta")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  risktop [--config PATH] [--write] [--log PATH]   the dashboard, from the config file")
	fmt.Fprintln(w, "  risktop <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Dashboard flags:")
	fs, _ := dashboardFlags(w, w)
	fs.PrintDefaults()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "No config yet? 'risktop demo' runs the dashboard on a built-in simulator.")
	fmt.Fprintln(w, "Run 'risktop <command> --help' for a command's flags.")
}

// newFlags makes a flag set whose --help prints the command's usage to out
// and whose mistakes (a bad flag or value, with the usage) go to errOut,
// so a script reading a command's output never reads a usage text.
func newFlags(name, synopsis string, out, errOut io.Writer) *cmdFlags {
	fs := &cmdFlags{FlagSet: flag.NewFlagSet("risktop "+name, flag.ContinueOnError), help: out}
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: risktop %s\n\n%s\n\nFlags:\n", name, strings.TrimSpace(synopsis))
		fs.PrintDefaults()
	}
	return fs
}

// cmdFlags is a command's flag set and where its --help goes.
type cmdFlags struct {
	*flag.FlagSet
	help io.Writer
}

// parse runs fs.Parse and turns a bad flag into errUsage (the flag package
// has already printed what was wrong and the usage).
func parse(fs *cmdFlags, args []string) error {
	if asksHelp(args) {
		fs.SetOutput(fs.help)
	}
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return errUsage
	}
	if err == nil && fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return err
}

// asksHelp reports -h or --help among the flags (before any "--").
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}
