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
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui"
	"github.com/risktop/risktop/ui/clip"
	"github.com/risktop/risktop/ui/termnotify"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/words"
)

const dashboardSynopsis = `
The live dashboard, from the config file: --config, else $RISKTOP_CONFIG,
else $XDG_CONFIG_HOME/risktop/config.yaml. Press ? for the keys, q to quit.

No config yet? 'risktop demo' runs the dashboard on a built-in simulator,
and 'risktop sim' prints a config that points at one.`

type dashboardOptions struct {
	config string
	write  bool
	log    string
}

// dashboardFlags is shared with usage, which lists the dashboard's flags.
func dashboardFlags(out, errOut io.Writer) (*cmdFlags, *dashboardOptions) {
	fs := newFlags("[--config PATH] [--write] [--log PATH]", dashboardSynopsis, out, errOut)
	o := &dashboardOptions{}
	fs.StringVar(&o.config, "config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	fs.BoolVar(&o.write, "write", false, "allow actions even when the config says read_only: true")
	fs.StringVar(&o.log, "log", "", "log file (default $XDG_STATE_HOME/risktop/risktop.log)")
	return fs, o
}

func runDashboard(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, o := dashboardFlags(out, errOut)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(o.config, errOut)
	if err != nil {
		return err
	}
	tty, err := terminal(out)
	if err != nil {
		return err
	}
	log, closeLog, err := setupLog(o.log, errOut)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("risktop starting", "command", "dashboard", "version", version(), "config", cfg.Path, "write", o.write)
	log.Info("config", "summary", cfg.String())

	st, err := app.OpenStoreWaiting(ctx, cfg, func(err error, in time.Duration) {
		log.Warn("store", "err", err, "retry_in", in)
		fmt.Fprintf(errOut, "risktop: %v; trying again in %s (ctrl+c stops)\n", err, in)
	})
	if err != nil {
		log.Error("store", "err", err)
		return err
	}
	transport := newTransport()
	defer transport.CloseIdleConnections()
	bus := hub.New()
	pollers, err := app.NewPollers(cfg, st, bus, httpx.Options{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		log.Error("sources", "err", err)
		st.Close()
		return err
	}

	readOnly := cfg.ReadOnly && !o.write
	svc, err := app.NewService(app.ServiceOptions{Store: st, Clients: pollers.Clients, ReadOnly: readOnly,
		AuditFile: cfg.AuditLog, Log: log, Hub: bus})
	if err != nil {
		log.Error("actions", "err", err)
		st.Close()
		return fmt.Errorf("%w (the audit_log: key in %s)", err, cfg.Path)
	}

	notifier, err := app.NewNotifier(cfg, st, log)
	if err != nil {
		log.Error("notify", "err", err)
		st.Close()
		return err
	}

	uiCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	app.RunPollers(uiCtx, &wg, pollers, cfg, log)
	app.RunDetections(uiCtx, &wg, st, bus, cfg, log)
	app.RunNews(uiCtx, &wg, st, bus, log)
	app.RunSender(uiCtx, &wg, st, svc, log)
	app.RunNotifier(uiCtx, &wg, notifier, bus, log)
	screen := termnotify.Lock(tty) // frames, copies and notifications, each whole
	p := newProgram(uiCtx, ui.New(ui.Deps{
		Store:     st,
		Hub:       bus,
		Vendors:   vendors.Infos(),
		Control:   pollers.Runner,
		Theme:     theme.New(lipgloss.DefaultRenderer()),
		Title:     titleOf(cfg),
		ReadOnly:  readOnly,
		Actions:   svc,
		Actor:     actions.OSActor(),
		ExportDir: cfg.ExportDir,
		Clipboard: clip.New(screen, os.Getenv),
		Log:       log,
		Notify:    termnotify.New(screen, app.TerminalKind(cfg), os.Getenv).Send,
		NotifyMin: cfg.Notify.MinSeverity,
	}), screen)
	_, runErr := p.Run()
	cancel()
	wg.Wait()
	if err := svc.Close(); err != nil {
		log.Error("audit log close", "err", err)
	}
	if err := st.Close(); err != nil {
		log.Error("store close", "err", err)
	}
	return uiResult(ctx, runErr, log)
}

// loadConfig finds and loads the config. Warnings go to errOut before any
// screen is drawn; on errors every problem is printed and the result is
// exit status 2.
func loadConfig(flagPath string, errOut io.Writer) (*config.Config, error) {
	path, err := config.Find(flagPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(errOut, "risktop: %v\n", err)
		if errors.Is(err, config.ErrNotFound) {
			fmt.Fprintln(errOut, "\nTo try risktop without a config, run 'risktop demo' (the dashboard on a built-in simulator),\n"+
				"or 'risktop sim' for a simulator and a config that points at it.")
		}
		return nil, exitCode(2)
	}
	cfg, warnings, err := config.Load(path, config.Env{}, vendors.All)
	for _, w := range warnings {
		fmt.Fprintf(errOut, "warning: %s\n", w)
	}
	var problems *config.Errors
	switch {
	case errors.As(err, &problems):
		fmt.Fprintln(errOut, problems.Error())
		them := "them"
		if len(problems.Problems) == 1 {
			them = "it"
		}
		fmt.Fprintf(errOut, "risktop: %s in %s; fix %s and run again\n", words.Plural(len(problems.Problems), "problem"), path, them)
		return nil, exitCode(2)
	case err != nil:
		fmt.Fprintf(errOut, "risktop: %v\n", err)
		return nil, exitCode(2)
	}
	return cfg, nil
}

// terminal returns out as a file when it and stdin are terminals: drawn
// into a pipe or a file the dashboard would be escape-code garbage.
func terminal(out io.Writer) (*os.File, error) {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		return nil, errors.New("the dashboard needs a terminal: stdin and stdout must both be a TTY, not a pipe or a file " +
			"(over SSH, use ssh -t); 'risktop check' tests the sources without one")
	}
	return f, nil
}

// setupLog opens the log file. A log the user named must open; when the
// default location cannot be used the dashboard still runs, unlogged, and
// says so before the screen is taken.
func setupLog(path string, errOut io.Writer) (*slog.Logger, func(), error) {
	log, f, err := openLog(path, os.Getenv)
	switch {
	case err != nil && path != "":
		return nil, nil, err
	case err != nil:
		fmt.Fprintf(errOut, "warning: %v; running without a log\n", err)
		return discardLog(), func() {}, nil
	}
	return log, func() { f.Close() }, nil
}

// newProgram sets up the dashboard program on tty. ctx ending (SIGTERM,
// Ctrl-C outside raw mode) stops it. Mouse stays off: nothing needs it,
// and it would take text selection away from the terminal.
func newProgram(ctx context.Context, m tea.Model, tty io.Writer) *tea.Program {
	return tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(os.Stdin), tea.WithOutput(tty), tea.WithFPS(frameRate))
}

// frameRate is how often Bubble Tea's renderer wakes to paint. Its ticker
// runs even when nothing changes: at the default 60 Hz it alone costs about
// 1.6% of a core in tmux, at 20 Hz about 0.45% (docs/PERFORMANCE.md), and a
// key's frame reaches the screen at most 50 ms after its View.
const frameRate = 20

// uiResult reads Program.Run's error: a signal (parent ended) or an
// interrupt is a normal way to leave.
func uiResult(parent context.Context, err error, log *slog.Logger) error {
	switch {
	case err == nil, errors.Is(err, tea.ErrInterrupted):
		log.Info("risktop stopped")
		return nil
	case errors.Is(err, tea.ErrProgramKilled) && parent.Err() != nil:
		log.Info("risktop stopped by a signal")
		return nil
	}
	log.Error("terminal UI", "err", err)
	return fmt.Errorf("terminal UI: %w", err)
}

// newTransport is a transport of our own, so that closing its idle
// connections on exit leaves no goroutine behind.
func newTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// titleOf names the tenant for the header: the config file's name when it
// says something ("acme-prod.yaml"), else what the sources point at.
func titleOf(cfg *config.Config) string {
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(cfg.Path), ".yaml"), ".yml")
	if name != "" && name != "config" && name != "." {
		return name
	}
	// The organisation's own host says most, then an API host or an account.
	for _, own := range []bool{true, false} {
		for _, v := range vendors.All {
			if s := cfg.Source(v.Name); s != nil {
				if name, o := v.Tenant(s); o == own && name != "" {
					return name
				}
			}
		}
	}
	return "risktop"
}
