package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui"
	"github.com/risktop/risktop/ui/remote"
	"github.com/risktop/risktop/ui/words"
)

const serveSynopsis = `
The dashboard over SSH, for a team on a jump host: one set of pollers and one
store (so the vendors' rate limits are spent once), and every SSH client gets
its own dashboard. Public-key authentication only:

  --authorized-keys  keys that may log in and view (read-only)
  --operators        keys that may also act (reset a user, push IP risk, …),
                     still subject to read_only / --write as in 'risktop'

Both files are in authorized_keys format and are re-read when they change.
When the authorized-keys file is missing, unreadable or empty, nobody gets
in, operators included. A key file another user could change (writable by
group or others, owned by another user, or in a directory they can write)
is refused the same way: chmod go-w it and its directory. Connect with:
ssh -p 2222 HOST (a terminal is required; the login name is not checked).

The host key is made on first start (Ed25519, 0600) and kept; its
fingerprint is printed at start. Ctrl-C or SIGTERM stops the server, and
every session is told goodbye.

--demo serves the demo (the embedded simulator and a throw-away store)
instead of the config's tenant; actions reach only the simulator, and only
keys in --operators may take them.`

type serveOptions struct {
	listen, hostKey, authorized, operators string
	config, log                            string
	write, demo, noScenario                bool
	seed                                   uint64
	speed                                  float64
	idle                                   time.Duration
	maxSessions                            int
	set                                    map[string]bool // flags given on the command line
}

func serveFlags(out, errOut io.Writer) (*cmdFlags, *serveOptions) {
	fs := newFlags("serve --authorized-keys PATH [--operators PATH] [flags]", serveSynopsis, out, errOut)
	o := &serveOptions{}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:2222", "address to listen on (host:port; 0.0.0.0:2222 for every interface)")
	fs.StringVar(&o.hostKey, "host-key", "", "the server's SSH host key, made there on first start (default $XDG_STATE_HOME/risktop/ssh_host_ed25519)")
	fs.StringVar(&o.authorized, "authorized-keys", "", "public keys that may log in and view, one a line (authorized_keys format; required)")
	fs.StringVar(&o.operators, "operators", "", "public keys that may also act (authorized_keys format)")
	fs.StringVar(&o.config, "config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml); not with --demo")
	fs.BoolVar(&o.write, "write", false, "let operators act even when the config says read_only: true")
	fs.StringVar(&o.log, "log", "", "log file, with a line per SSH session (default $XDG_STATE_HOME/risktop/risktop.log)")
	fs.DurationVar(&o.idle, "idle-timeout", config.DefaultIdleTimeout, "close a session after this long without a key press; 0 for never (overrides serve.idle_timeout)")
	fs.IntVar(&o.maxSessions, "max-sessions", config.DefaultMaxSessions, "SSH sessions at once (overrides serve.max_sessions)")
	fs.BoolVar(&o.demo, "demo", false, "serve the demo: the embedded simulator and a throw-away store")
	fs.Uint64Var(&o.seed, "seed", 1, "with --demo: seed for the simulated tenant")
	fs.Float64Var(&o.speed, "speed", 1, "with --demo: replay the scenario this many times faster")
	fs.BoolVar(&o.noScenario, "no-scenario", false, "with --demo: no credential-stuffing bursts")
	return fs, o
}

// backend is what the sessions share, and how to stop it.
type backend struct {
	opts remote.Options
	stop func() // stops the pollers and the sender and closes the store
}

func runServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, o := serveFlags(out, errOut)
	if err := parse(fs, args); err != nil {
		return err
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	switch {
	case o.authorized == "":
		return usageError(fs, "--authorized-keys is required: risktop serve lets in only the public keys it lists")
	case o.demo && o.config != "":
		return usageError(fs, "--demo serves the simulator's tenant; --config is not used with it")
	case o.speed <= 0:
		return usageError(fs, "--speed %v must be positive", o.speed)
	}
	var cfg *config.Config
	if !o.demo {
		var err error
		if cfg, err = loadConfig(o.config, errOut); err != nil {
			return err
		}
	}
	idle, maxSessions, err := serveLimits(o, cfg)
	if err != nil {
		return usageError(fs, "%v", err)
	}

	log, closeLog, err := setupLog(o.log, errOut)
	if err != nil {
		return err
	}
	defer closeLog()
	say := func(format string, a ...any) {
		fmt.Fprintf(out, format+"\n", a...)
	}

	// Keys first: what they say matters most to whoever starts the server.
	keys := remote.NewKeyring(o.authorized, o.operators, log)
	st := keys.Status()
	for _, l := range st.Lines {
		say("%s", l)
		log.Info("ssh keys", "status", strings.TrimSpace(l))
	}
	hostKeyPath := o.hostKey
	if hostKeyPath == "" {
		if hostKeyPath, err = config.DefaultHostKeyPath(os.Getenv); err != nil {
			return fmt.Errorf("host key: no default location (%v); name one with --host-key", err)
		}
	}
	signer, created, err := remote.HostKey(hostKeyPath)
	if err != nil {
		return err
	}
	fp := gossh.FingerprintSHA256(signer.PublicKey())
	made := "kept from an earlier start"
	if created {
		made = "made now; clients will be asked to trust it once"
	}
	say("host key: %s (%s)\n  %s %s", hostKeyPath, made, signer.PublicKey().Type(), fp)
	log.Info("risktop starting", "command", "serve", "version", version(), "demo", o.demo, "host_key", hostKeyPath,
		"fingerprint", fp, "created", created, "viewers", st.Viewers, "operators", st.Operators)

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (another risktop serve, or sshd, on that port? pick one with --listen)", o.listen, err)
	}
	defer ln.Close()

	var be *backend
	if o.demo {
		be, err = demoBackend(ctx, o, log, say)
	} else {
		be, err = configBackend(ctx, cfg, o, log, say)
	}
	if err != nil || be == nil { // nil: stopped while starting
		return err
	}
	defer be.stop()

	ro := be.opts
	ro.HostKey, ro.Keys, ro.Log = signer, keys, log
	ro.IdleTimeout, ro.MaxSessions, ro.FrameRate = idle, maxSessions, frameRate
	ro.AuthTimeout = remote.DefaultAuthTimeout
	ro.MaxUnauthenticated, ro.MaxUnauthenticatedPerAddr = remote.DefaultMaxUnauthenticated, remote.DefaultMaxUnauthenticatedPerAddr
	srv, err := remote.New(ro)
	if err != nil {
		return err
	}
	idleText := "never"
	if idle > 0 {
		idleText = config.FormatDuration(idle)
	}
	say("sessions: at most %d; idle timeout %s", maxSessions, idleText)
	say("logins: a signed public key within %s of connecting; at most %s logging in at once from one address, %d in all",
		config.FormatDuration(ro.AuthTimeout), words.Plural(ro.MaxUnauthenticatedPerAddr, "connection"), ro.MaxUnauthenticated)
	say("listening on %s; connect with: %s", ln.Addr(), connectHint(ln.Addr()))
	if !st.Open {
		say("warning: nobody can log in yet (see the authorized keys line above); the file is re-read at each login attempt")
	}
	say("Ctrl-C or SIGTERM stops the server; every session is told goodbye.")
	log.Info("ssh server listening", "addr", ln.Addr().String(), "max_sessions", maxSessions, "idle_timeout", idle,
		"auth_timeout", ro.AuthTimeout, "max_unauthenticated", ro.MaxUnauthenticated, "max_unauthenticated_per_addr", ro.MaxUnauthenticatedPerAddr)
	err = srv.Serve(ctx, ln)
	log.Info("ssh server stopped")
	return err
}

// serveLimits are the config's serve: settings with the flags' overrides.
func serveLimits(o *serveOptions, cfg *config.Config) (time.Duration, int, error) {
	idle, maxSessions := config.DefaultIdleTimeout, config.DefaultMaxSessions
	if cfg != nil {
		idle, maxSessions = cfg.Serve.IdleTimeout, cfg.Serve.MaxSessions
	}
	if o.set["idle-timeout"] {
		if o.idle < 0 || (o.idle > 0 && o.idle < config.MinIdleTimeout) {
			return 0, 0, fmt.Errorf("--idle-timeout %s: use %s or more, or 0 for never", o.idle, config.FormatDuration(config.MinIdleTimeout))
		}
		idle = o.idle
	}
	if o.set["max-sessions"] {
		if o.maxSessions < 1 || o.maxSessions > config.MaxMaxSessions {
			return 0, 0, fmt.Errorf("--max-sessions %d: use 1 to %d", o.maxSessions, config.MaxMaxSessions)
		}
		maxSessions = o.maxSessions
	}
	return idle, maxSessions, nil
}

// connectHint is the ssh command for addr; a wildcard address is named by
// the host's own name.
func connectHint(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "ssh " + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "THIS-HOST"
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "22" {
		return "ssh " + host
	}
	return "ssh -p " + port + " " + host
}

// configBackend starts the config's pollers, store, actions service and
// sender, once for every session.
func configBackend(ctx context.Context, cfg *config.Config, o *serveOptions, log *slog.Logger, say func(string, ...any)) (*backend, error) {
	log.Info("config", "summary", cfg.String())
	st, err := app.OpenStoreWaiting(ctx, cfg, func(err error, in time.Duration) {
		log.Warn("store", "err", err, "retry_in", in)
		say("%v; trying again in %s", err, in)
	})
	if err != nil {
		log.Error("store", "err", err)
		return nil, err
	}
	transport := newTransport()
	bus := hub.New()
	pollers, err := app.NewPollers(cfg, st, bus, httpx.Options{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		log.Error("sources", "err", err)
		st.Close()
		return nil, err
	}
	readOnly := cfg.ReadOnly && !o.write
	svc, err := app.NewService(app.ServiceOptions{Store: st, Clients: pollers.Clients, ReadOnly: readOnly,
		AuditFile: cfg.AuditLog, Log: log, Hub: bus})
	if err != nil {
		log.Error("actions", "err", err)
		st.Close()
		return nil, fmt.Errorf("%w (the audit_log: key in %s)", err, cfg.Path)
	}
	if readOnly {
		say("actions: off for everyone (read_only: true in %s; --write lets operators act)", cfg.Path)
	} else {
		say("actions: operators may act; each action is audited with the key's fingerprint and comment")
	}
	say("sources: %s", strings.Join(cfg.Sources(), ", "))
	notifier, err := app.NewNotifier(cfg, st, log)
	if err != nil {
		log.Error("notify", "err", err)
		svc.Close()
		st.Close()
		return nil, err
	}
	if where := notifier.Channels(); len(where) > 0 {
		say("notifications: %s", strings.Join(where, ", "))
	}

	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	app.RunPollers(pctx, &wg, pollers, cfg, log)
	app.RunDetections(pctx, &wg, st, bus, cfg, log)
	app.RunNews(pctx, &wg, st, bus, log)
	app.RunSender(pctx, &wg, st, svc, log)
	app.RunNotifier(pctx, &wg, notifier, bus, log) // once, for every session
	stop := func() {
		cancel()
		wg.Wait()
		transport.CloseIdleConnections()
		if err := svc.Close(); err != nil {
			log.Error("audit log close", "err", err)
		}
		if err := st.Close(); err != nil {
			log.Error("store close", "err", err)
		}
	}
	return &backend{stop: stop, opts: remote.Options{Store: st, Hub: bus, Vendors: vendors.Infos(), Control: pollers.Runner,
		Service: svc, Title: titleOf(cfg), ExportDir: cfg.ExportDir, NotifyKind: app.TerminalKind(cfg), NotifyMin: cfg.Notify.MinSeverity}}, nil
}

// demoBackend starts the demo's simulator, store and pollers and waits
// until they are up. nil, nil: ctx ended first.
func demoBackend(ctx context.Context, o *serveOptions, log *slog.Logger, say func(string, ...any)) (*backend, error) {
	d, err := newDemo(log)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	attached := make(chan ui.Attach, 1)
	var startErr error // written before done closes
	done := make(chan struct{})
	go func() {
		defer close(done)
		startErr = d.serve(pctx, demoOptions{Seed: o.seed, Speed: o.speed, Scenario: !o.noScenario}, func(m tea.Msg) {
			if a, ok := m.(ui.Attach); ok {
				attached <- a
			}
		})
	}()
	stop := func() {
		cancel()
		<-done
		d.Close()
	}
	say("demo: starting the simulator (a generated tenant with days of history)…")
	var a ui.Attach
	select {
	case a = <-attached:
	case <-done:
		d.Close()
		cancel()
		if startErr == nil {
			startErr = errors.New("the demo stopped before it started")
		}
		return nil, startErr
	case <-ctx.Done():
		stop()
		return nil, nil
	}
	svc, _ := a.Actions.(*actions.Service)
	say("demo: actions reach only the simulator; keys in --operators may take them, everyone else views")
	exports, _ := config.DefaultExportDir(os.Getenv)
	return &backend{stop: stop, opts: remote.Options{Store: d.store, Hub: d.hub, Vendors: vendors.Infos(), Control: a.Control,
		Service: svc, Title: demoTitle, Demo: true, Faults: a.Faults, ExportDir: exports}}, nil
}
