package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/sanitize"
)

const pushSynopsis = `
Push IP risk to Okta (POST /api/v1/risk/events/ip), with the dashboard's
checks, outbox and audit log: every IP is checked first (nothing is queued
if one is wrong), queued in the store, sent in as few requests as Okta's
budget allows, and retried after 429, 5xx and timeouts. It waits for each
IP and prints one line each: sent, failed with Okta's error, or skipped.

An address already queued, being sent, or sent and still live at Okta
(until its expiry; 24 h after it was sent without one) at the same or a
higher level is not queued again: push-ip says so, and waits for the
queued or sending item instead (a run killed mid-way leaves its items
there; the next run finishes them). --force queues it all the same. An
address in flight when risktop was killed may reach Okta twice; never more.

An IP still queued at --timeout stays in the outbox: a running dashboard
with --write (or the next push-ip) sends it.

Addresses that never appear on the internet are refused: unspecified
(0.0.0.0, ::), 0.0.0.0/8, broadcast, 240.0.0.0/4, loopback, link-local,
multicast, and the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32; a simulator's tenant takes those, with
okta.allow_documentation_ranges). Private ranges (10/8, 172.16/12,
192.168/16, 100.64/10, fc00::/7) need --allow-private.

Exit status: 0 when every IP was sent or skipped as already sent and
live, 1 when any failed or is still queued, 2 on bad arguments, invalid or
refused IPs, read-only mode or config errors.`

func runPushIP(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("push-ip IP... --level LOW|MEDIUM|HIGH [flags]", pushSynopsis, out, errOut)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	level := fs.String("level", "", "the risk level: LOW, MEDIUM or HIGH (required)")
	message := fs.String("message", "", "why, for Okta's System Log (letters, digits, '.', '_', '-' and space; at most 512)")
	expires := fs.String("expires", "", "when Okta forgets it, like 6h or 7d (default: 24 h after Okta consumes it)")
	write := fs.Bool("write", false, "allow the push even when the config says read_only: true")
	force := fs.Bool("force", false, "queue every IP, even one already queued, being sent, or sent and still live at Okta")
	allowPrivate := fs.Bool("allow-private", false, "push addresses in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) too")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for Okta's answers")
	logPath := fs.String("log", "", "log file (default $XDG_STATE_HOME/risktop/risktop.log)")
	ips, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(ips) == 0:
		return usageError(fs, "name at least one IP address")
	case strings.TrimSpace(*level) == "":
		return usageError(fs, "--level is required: LOW, MEDIUM or HIGH")
	case *timeout <= 0:
		return usageError(fs, "--timeout %v must be positive", *timeout)
	}
	var exp time.Duration
	if *expires != "" {
		if exp, err = config.ParseDuration(*expires); err != nil {
			return usageError(fs, "--expires %q: give a duration like 6h or 7d", *expires)
		}
	}
	reqs := make([]actions.PushRequest, len(ips))
	for i, ip := range ips {
		reqs[i] = actions.PushRequest{IP: ip, Level: *level, Message: *message, Expires: exp, AllowPrivate: *allowPrivate, Force: *force}
	}
	// Every problem first, the way the dashboard's form shows them, before
	// a config is looked for: wrong arguments are wrong with any config.
	// Documentation ranges are wrong only on a real tenant: they wait for
	// the config.
	if pushProblems(errOut, reqs, true) {
		return failf(errOut, 2, "push-ip: nothing queued; fix the arguments above")
	}
	cfg, err := loadConfig(*cfgPath, errOut)
	if err != nil {
		return err
	}
	pushTo := cfg.Source(actions.PushTo.Name)
	if pushTo == nil {
		return failf(errOut, 2, "push-ip: %s is not configured in %s; add sources.%s (see the README)", actions.PushTo.Display, cfg.Path, actions.PushTo.Name)
	}
	if pushProblems(errOut, reqs, actions.PushesMayNameDocumentationRanges(pushTo)) {
		return failf(errOut, 2, "push-ip: nothing queued; fix the arguments above")
	}
	d, done, err := openActing("push-ip", cfg, *logPath, *write, errOut, actions.PushTo.Name)
	if err != nil {
		return err
	}
	defer done()
	svc, log := d.svc, d.log

	actor := actions.OSActor()
	outs, err := svc.QueuePush(ctx, actor, reqs)
	var ae *actions.AuditError
	switch {
	case errors.Is(err, actions.ErrReadOnly):
		return failf(errOut, 2, "push-ip: %v (the config %s says read_only: true)", err, cfg.Path)
	case errors.As(err, &ae) && len(outs) == len(reqs):
		fmt.Fprintf(errOut, "risktop: warning: %v\n", err) // queued all the same
	case err != nil:
		return err
	}
	// Wait for what this run queued, and for what an earlier one (or a
	// dashboard) had queued or was sending: this run's addresses.
	var wait []int64
	queued := 0
	for _, o := range outs {
		if o.Queued {
			queued++
		}
		if o.Pending() {
			wait = append(wait, o.ID)
		}
	}
	log.Info("push-ip queued", "ips", len(outs), "queued", queued, "skipped", len(outs)-queued, "actor", actor)

	items := map[int64]model.OutboxItem{}
	var waitErr error
	if len(wait) > 0 {
		sctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		app.RunSender(sctx, &wg, d.store, svc, log)
		wctx, cancel := context.WithTimeout(ctx, *timeout)
		var got []model.OutboxItem
		got, waitErr = svc.WaitPushes(wctx, wait)
		cancel()
		stop()
		wg.Wait()
		if got == nil {
			return waitErr
		}
		if waitErr != nil {
			// The sender has stopped since: read how things stand now.
			if now, err := d.store.OutboxItems(context.WithoutCancel(ctx), wait); err == nil {
				got = now
			}
		}
		for _, it := range got {
			items[it.ID] = it
		}
	}
	if notDone := printPushes(out, outs, items, reqs); notDone > 0 || waitErr != nil {
		return exitCode(1)
	}
	return nil
}

// printPushes prints one line per IP and counts those neither sent nor
// skipped as already sent. items are the outbox items waited for, by id.
func printPushes(out io.Writer, outs []actions.PushOutcome, items map[int64]model.OutboxItem, reqs []actions.PushRequest) int {
	thisRun := map[int64]bool{}
	for _, o := range outs {
		if o.Queued {
			thisRun[o.ID] = true
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	notDone := 0
	for i, o := range outs {
		ip := o.IP
		if i < len(reqs) && strings.TrimSpace(reqs[i].IP) != o.IP {
			ip += " (" + sanitize.LineN(strings.TrimSpace(reqs[i].IP), 64) + ")"
		}
		it, waited := items[o.ID]
		if !waited { // skipped for an item sent and live: nothing to wait for
			fmt.Fprintf(tw, "%s\tskipped\t%s; --force sends it again\n", ip, o.Reason())
			continue
		}
		// Why this line's item is not one this request queued.
		var note string
		switch {
		case o.Queued && o.Live.ID != 0:
			note = "forced: " + o.Reason()
		case !o.Queued && thisRun[o.ID]:
			note = "named twice: pushed once"
		case !o.Queued && o.Live.State == model.OutboxSending:
			note = "already being sent before this run: waited for it, not queued again"
		case !o.Queued:
			note = "already queued before this run: waited for it, not queued again"
		}
		level := strings.ToUpper(it.Level.String())
		var what string
		switch it.State {
		case model.OutboxSent:
			what = fmt.Sprintf("sent\t%s, outbox #%d", level, it.ID)
		case model.OutboxFailed:
			what = fmt.Sprintf("failed\t%s", sanitize.Line(it.LastError))
			if note != "" {
				note = fmt.Sprintf("outbox #%d, %s", it.ID, note)
			}
		case model.OutboxDropped:
			what = fmt.Sprintf("dropped\tby an operator, outbox #%d", it.ID)
		default:
			what = fmt.Sprintf("queued\tnot sent yet (outbox #%d); a running risktop --write sends it", it.ID)
			if it.LastError != "" {
				what += "; last error: " + sanitize.Line(it.LastError)
			}
		}
		if it.State != model.OutboxSent {
			notDone++
		}
		if note != "" {
			what += " (" + note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\n", ip, what)
	}
	tw.Flush()
	return notDone
}

// pushProblems prints every problem of reqs, one a line, and reports
// whether there were any.
func pushProblems(errOut io.Writer, reqs []actions.PushRequest, allowDocumentation bool) bool {
	bad := false
	for i, r := range reqs {
		for _, p := range actions.CheckPush(r, allowDocumentation) {
			msg := p.Message
			if p.Confirm {
				msg += "; give --allow-private to push it all the same"
			}
			fmt.Fprintf(errOut, "#%d %s: %s: %s\n", i+1, sanitize.LineN(r.IP, 64), p.Field, msg)
			bad = true
		}
	}
	return bad
}
