package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/sanitize"
)

const resetSynopsis = `
Reset a person's Cloudflare Zero Trust risk score: it clears their risk
history, so Access policies that use the user risk score change what they
can reach at once (and with the Okta integration on, the reset reaches
Okta too). Name them by email (looked up in Cloudflare's risk summary) or
by their Access user id.

It asks you to type yes on the terminal; --yes skips that, and without a
terminal --yes is required. The attempt and its result go to the audit
log.

Exit status: 0 when reset, 1 when Cloudflare refused or you did not
confirm, 2 on bad arguments, read-only mode or config errors.`

// terminalInput is where a confirmation is read, and whether it is a
// terminal; tests replace it.
var terminalInput = func() (io.Reader, bool) { return os.Stdin, term.IsTerminal(os.Stdin.Fd()) }

func runResetUser(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("reset-user EMAIL|USER-ID [--yes] [flags]", resetSynopsis, out, errOut)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	write := fs.Bool("write", false, "allow the reset even when the config says read_only: true")
	logPath := fs.String("log", "", "log file (default $XDG_STATE_HOME/risktop/risktop.log)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return usageError(fs, "name one person: an email, or an Access user id")
	}
	who := strings.TrimSpace(pos[0])
	cfg, err := loadConfig(*cfgPath, errOut)
	if err != nil {
		return err
	}
	if cfg.Source(actions.ResetIn.Name) == nil {
		return failf(errOut, 2, "reset-user: %s is not configured in %s; add sources.%s (see the README)", actions.ResetIn.Display, cfg.Path, actions.ResetIn.Name)
	}
	d, done, err := openActing("reset-user", cfg, *logPath, *write, errOut, actions.ResetIn.Name)
	if err != nil {
		return err
	}
	defer done()
	svc := d.svc
	actor := actions.OSActor()

	target := actions.ResetTarget{UserID: who}
	if strings.Contains(who, "@") {
		target = actions.ResetTarget{Email: who}
	}
	if svc.ReadOnly() {
		// Refused (and audited) before Cloudflare hears anything.
		err := svc.ResetUser(ctx, actor, target)
		return failf(errOut, 2, "reset-user: %v (the config %s says read_only: true)", err, cfg.Path)
	}

	found, err := d.clients.ResetTarget(ctx, who)
	if errors.Is(err, actions.ErrNothingToReset) {
		// Recorded as refused: there is no one to reset.
		_ = svc.ResetUser(ctx, actor, target)
	}
	if err != nil {
		return failf(errOut, 1, "reset-user: %v", err)
	}
	target = found
	if !*yes {
		if err := confirmReset(ctx, svc, target, errOut); err != nil {
			return err
		}
	}
	if err := svc.ResetUser(ctx, actor, target); err != nil {
		var ae *actions.AuditError
		if errors.As(err, &ae) && ae.Entry.Result == actions.ResultOK {
			fmt.Fprintf(errOut, "risktop: warning: %v\n", err)
		} else {
			return failf(errOut, 1, "reset-user: %s not reset: %v", describeTarget(target), err)
		}
	}
	fmt.Fprintf(out, "reset: %s — Cloudflare cleared their risk score and history\n", describeTarget(target))
	return nil
}

// confirmReset asks for "yes" on the terminal, saying who and what a
// reset does; anything else is a refusal.
func confirmReset(ctx context.Context, svc *actions.Service, t actions.ResetTarget, errOut io.Writer) error {
	in, isTerm := terminalInput()
	if !isTerm {
		return failf(errOut, 2, "reset-user: stdin is not a terminal to confirm on; add --yes to reset %s without asking", describeTarget(t))
	}
	now := ""
	if t.Level != model.LevelUnknown {
		now = fmt.Sprintf(" (now %s)", t.Level)
	}
	fmt.Fprintf(errOut, "Reset the Cloudflare risk score of %s%s?\n", describeTarget(t), now)
	fmt.Fprintln(errOut, "This clears their risk history; Access policies that use the user risk score change what they can reach.")
	if linked, err := svc.ResetsForwarded(ctx); err == nil && linked {
		fmt.Fprintln(errOut, "The Okta integration is on: the reset reaches Okta too.")
	}
	fmt.Fprint(errOut, "Type yes to reset: ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(errOut)
	}
	if strings.TrimSpace(line) != "yes" {
		return failf(errOut, 1, "reset-user: not confirmed; nothing was reset")
	}
	return nil
}

// describeTarget names a person for messages: "Name <email> (user id X)".
func describeTarget(t actions.ResetTarget) string {
	var parts []string
	if t.Name != "" {
		parts = append(parts, sanitize.LineN(t.Name, 128))
	}
	if t.Email != "" {
		parts = append(parts, "<"+sanitize.LineN(t.Email, 254)+">")
	}
	if t.UserID != "" {
		parts = append(parts, "(user id "+sanitize.LineN(t.UserID, 64)+")")
	}
	return strings.Join(parts, " ")
}
