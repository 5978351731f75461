package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui"
	"github.com/risktop/risktop/ui/clip"
	"github.com/risktop/risktop/ui/termnotify"
	"github.com/risktop/risktop/ui/theme"
)

const demoSynopsis = `
The dashboard on the embedded simulator, with zero set-up: the four vendor
simulators on loopback, a throw-away store, actions enabled against the
simulator, and the live scenario (a credential-stuffing burst from
203.0.113.0/24 every 20 minutes; --speed replays it faster). The simulator
runs the real config and client code paths. Nothing is kept: the store,
the simulator and its key are removed on exit.

In the dashboard, :fault <vendor> down|slow|503|429|garbled|clear makes a
simulated vendor misbehave (or heals it), to show what risktop does then.`

// demoTitle is the header title of the demo.
const demoTitle = "demo · simulated tenant"

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("demo [flags]", demoSynopsis, out, errOut)
	var o demoOptions
	fs.Uint64Var(&o.Seed, "seed", 1, "seed for the simulated tenant; the same seed gives the same people")
	fs.Float64Var(&o.Speed, "speed", 1, "replay the scenario this many times faster")
	quiet := fs.Bool("no-scenario", false, "no credential-stuffing bursts")
	fs.BoolVar(&o.Hostile, "hostile", false, "every simulated vendor puts hostile text (escape sequences, bidi controls, 100 KB values, CJK and emoji) in every text field: a presenter's and tests' aid")
	fs.BoolVar(&o.SSF, "ssf", false, "push to Okta over the Shared Signals Framework (signed SETs) instead of the Risk Events API; O then pushes a person's risk too")
	logPath := fs.String("log", "", "log file (default $XDG_STATE_HOME/risktop/risktop.log)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Speed <= 0 {
		return fmt.Errorf("--speed %v must be positive", o.Speed)
	}
	o.Scenario = !*quiet
	tty, err := terminal(out)
	if err != nil {
		return err
	}
	log, closeLog, err := setupLog(*logPath, errOut)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("risktop starting", "command", "demo", "version", version(), "seed", o.Seed, "speed", o.Speed, "scenario", o.Scenario, "hostile", o.Hostile)

	// Only the store and the hub come before the first frame; the
	// simulator (which generates days of history) starts behind it.
	d, err := newDemo(log)
	if err != nil {
		return err
	}
	defer d.Close()
	uiCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	screen := termnotify.Lock(tty) // frames, copies and notifications, each whole
	p := newProgram(uiCtx, ui.New(d.deps(theme.New(lipgloss.DefaultRenderer()), screen)), screen)

	var startErr error // written before done closes
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.serve(uiCtx, o, p.Send); err != nil {
			startErr = err
			p.Quit() // the error is printed once the alt screen is gone
		}
	}()
	_, runErr := p.Run()
	cancel()
	<-done
	if startErr != nil {
		return startErr
	}
	return uiResult(ctx, runErr, log)
}

type demoOptions struct {
	Seed     uint64
	Speed    float64
	Scenario bool
	Hostile  bool   // the simulators' hostile knob, on for every vendor
	SSF      bool   // push to Okta over the Shared Signals Framework
	Listen   string // default 127.0.0.1:0; tests make it fail
}

// demo is what the demo runs beside the UI: a store in a temp dir, the
// hub, and (once serve has started them) the simulator and the pollers.
type demo struct {
	dir   string
	store *store.SQLite
	hub   *hub.Hub
	log   *slog.Logger
}

// newDemo makes the throw-away store and the hub: all the first frame needs.
func newDemo(log *slog.Logger) (*demo, error) {
	dir, err := os.MkdirTemp("", "risktop-demo-")
	if err != nil {
		return nil, fmt.Errorf("cannot make a temp dir for the demo's store: %w (set TMPDIR to a writable directory)", err)
	}
	st, err := store.Open(filepath.Join(dir, "risktop.db"), store.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &demo{dir: dir, store: st, hub: hub.New(), log: log}, nil
}

// deps are the dashboard's dependencies before the pollers exist; they
// arrive later in a ui.Attach.
func (d *demo) deps(th *theme.Theme, tty io.Writer) ui.Deps {
	exports, _ := config.DefaultExportDir(os.Getenv) // "": the dashboard's own default
	return ui.Deps{Store: d.store, Hub: d.hub, Vendors: vendors.Infos(), Theme: th, Title: demoTitle, Demo: true, ReadOnly: false,
		Actor: actions.OSActor(), ExportDir: exports, Clipboard: clip.New(tty, os.Getenv), Log: d.log,
		Notify: termnotify.New(tty, termnotify.Bell, os.Getenv).Send}
}

// serve starts the simulator on loopback, builds the pollers from the
// config the simulator prints (so the demo runs the real config path),
// hands them to the UI with send, and runs them until ctx ends. Everything
// it started has stopped when it returns. An error means it could not start.
func (d *demo) serve(ctx context.Context, o demoOptions, send func(tea.Msg)) error {
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	srv, err := sim.Start(listen, sim.Options{World: simkit.Options{Seed: o.Seed, Speed: o.Speed, Scenario: o.Scenario}})
	if err != nil {
		d.log.Error("simulator", "err", err)
		return fmt.Errorf("could not start the simulator: %w", err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			d.log.Error("simulator close", "err", err)
		}
	}()
	d.log.Info("simulator started", "url", srv.URL)
	if o.Hostile {
		for _, v := range sim.Vendors {
			fs, _ := srv.Faults(v)
			fs.Set(simkit.Faults{Hostile: true})
		}
		d.log.Info("hostile text on for every vendor")
	}
	if ctx.Err() != nil {
		return nil // quit while the world was being generated
	}
	text, err := srv.WriteConfig(d.dir)
	if err != nil {
		return err
	}
	if o.SSF {
		text = withSSFPush(text)
	}
	name := filepath.Join(d.dir, "demo.yaml")
	text += "store: " + strconv.Quote(filepath.Join(d.dir, "risktop.db")) + "\n"
	cfg, warnings, err := config.Parse(name, []byte(text), config.Env{}, vendors.All)
	for _, w := range warnings {
		d.log.Warn("config", "warning", w.String())
	}
	if err != nil {
		return fmt.Errorf("the simulator's config does not load (a bug): %w", err)
	}
	d.log.Info("config", "summary", cfg.String())
	transport := newTransport()
	defer transport.CloseIdleConnections()
	pollers, err := app.NewPollers(cfg, d.store, d.hub, httpx.Options{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		return fmt.Errorf("could not build the pollers: %w", err)
	}
	// Actions on, against the simulator; the audit log stays in the store.
	svc, err := app.NewService(app.ServiceOptions{Store: d.store, Clients: pollers.Clients, Log: d.log, Hub: d.hub})
	if err != nil {
		return fmt.Errorf("could not set up actions: %w", err)
	}
	defer svc.Close()
	var wg sync.WaitGroup
	app.RunPollers(ctx, &wg, pollers, cfg, d.log)
	app.RunDetections(ctx, &wg, d.store, d.hub, cfg, d.log)
	app.RunSender(ctx, &wg, d.store, svc, d.log)
	// :fault switches the simulator's vendors, so a presenter can show a
	// vendor failing and recovering.
	send(ui.Attach{Control: pollers.Runner, Actions: svc, Faults: srv})
	wg.Wait()
	return nil
}

// Close removes the store and its directory. Call it after serve returned.
func (d *demo) Close() error {
	err := d.store.Close()
	if rmErr := os.RemoveAll(d.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("could not remove %s: %w", d.dir, rmErr))
	}
	if err != nil {
		d.log.Error("demo cleanup", "err", err)
	}
	return err
}

// withSSFPush is the simulator's config with its commented "push: ssf"
// alternative in place of the Okta line it uses by default.
func withSSFPush(config string) string {
	lines := strings.Split(config, "\n")
	ssf := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# okta:") && strings.Contains(l, "push: ssf") {
			ssf = i
		}
	}
	if ssf < 0 {
		return config
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "  okta:") {
			lines[i] = "  okta:" + strings.TrimPrefix(strings.TrimSpace(lines[ssf]), "# okta:")
		}
	}
	return strings.Join(lines, "\n")
}
