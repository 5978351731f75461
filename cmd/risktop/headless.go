package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
)

// What the headless commands (get, push-ip, reset-user) share.

// parseArgs parses flags and positional arguments in any order, as in
// "push-ip 203.0.113.9 --level HIGH": the flag package alone stops at the
// first argument. A bad flag is errUsage (already printed).
func parseArgs(fs *cmdFlags, args []string) ([]string, error) {
	if asksHelp(args) {
		fs.SetOutput(fs.help)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError prints what is wrong and the command's usage; exit status 2.
func usageError(fs *cmdFlags, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), format+"\n", args...)
	fs.Usage()
	return errUsage
}

// failf prints a message for the operator and ends the command with code.
func failf(errOut io.Writer, code int, format string, args ...any) error {
	fmt.Fprintf(errOut, "risktop: "+format+"\n", args...)
	return exitCode(code)
}

// errNoStore says the store file does not exist yet.
var errNoStore = app.ErrNoStore

// openExistingStore opens the config's store for reading without creating
// it: a missing file means nothing was ever polled.
func openExistingStore(cfg *config.Config) (store.Store, error) {
	return app.OpenStore(context.Background(), cfg, true)
}

// clientOptions are the vendor clients' HTTP options for a one-shot
// command, on a transport of its own that close releases.
func clientOptions() (httpx.Options, func()) {
	t := newTransport()
	return httpx.Options{HTTPClient: &http.Client{Transport: t}}, t.CloseIdleConnections
}

// actingDeps are what push-ip and reset-user act through.
type actingDeps struct {
	svc     *actions.Service
	store   store.Store
	log     *slog.Logger
	clients actions.Clients
}

// openActing opens the log, the config's store, the named vendor's client
// and the actions service. done closes them in reverse order;
// when err is set, whatever had been opened is closed already and done is
// a no-op, so a caller may defer it either way.
func openActing(name string, cfg *config.Config, logPath string, write bool, errOut io.Writer, vendor string) (actingDeps, func(), error) {
	var d actingDeps
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		closers = nil
	}
	fail := func(err error) (actingDeps, func(), error) {
		closeAll()
		return actingDeps{}, func() {}, err
	}
	log, closeLog, err := setupLog(logPath, errOut)
	if err != nil {
		return fail(failf(errOut, 2, "%s: %v", name, err))
	}
	d.log = log
	closers = append(closers, closeLog)
	if d.store, err = app.OpenStore(context.Background(), cfg, false); err != nil {
		return fail(failf(errOut, 1, "%s: %v", name, err))
	}
	closers = append(closers, func() { d.store.Close() })
	opts, closeIdle := clientOptions()
	closers = append(closers, closeIdle)
	if d.clients, err = app.Clients(cfg, opts, vendor); err != nil {
		return fail(failf(errOut, 2, "%s: %v", name, err))
	}
	d.svc, err = app.NewService(app.ServiceOptions{Store: d.store, Clients: d.clients, ReadOnly: cfg.ReadOnly && !write,
		AuditFile: cfg.AuditLog, Log: log})
	if err != nil {
		return fail(failf(errOut, 1, "%s: %v (the audit_log: key in %s)", name, err, cfg.Path))
	}
	closers = append(closers, func() { d.svc.Close() })
	return d, closeAll, nil
}
