package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/cmd/risktop/app"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/words"
)

const syncSynopsis = `
One pass of every configured source into the store, then exit: each
source's history back-fill up to its configured window, then the latest
of everything. For cron and runbooks on a host without a dashboard: after
it, 'risktop get' prints what the vendors hold.

It runs the dashboard's own pollers once, so it resumes from the cursors
stored by an earlier sync, dashboard or serve, and may run beside them on
the same store (SQLite in WAL mode; a repeated event is stored once).

Progress goes to stderr, a summary line per source at the end.

Exit status: 0 when every source caught up, 1 when one failed (named on
stderr; the others' data is stored), 2 when the config has errors.`

func runSync(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("sync [--config PATH] [--timeout D]", syncSynopsis, out, errOut)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up on a source not caught up by then (a long back-fill is resumed by the next sync)")
	quiet := fs.Bool("quiet", false, "print only failures")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout %v must be positive", *timeout)
	}
	cfg, err := loadConfig(*cfgPath, errOut)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(context.Background(), cfg, false)
	if err != nil {
		return failf(errOut, 1, "sync: %v", err)
	}
	defer st.Close()
	opts, closeIdle := clientOptions()
	defer closeIdle()
	pollers, err := app.NewPollers(cfg, st, hub.New(), opts)
	if err != nil {
		return failf(errOut, 2, "sync: %v", err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	pr := &syncProgress{w: errOut, quiet: *quiet, every: time.Second, last: map[string]time.Time{}}
	pr.printf("risktop sync: %s into %s", strings.Join(cfg.Sources(), ", "), cfg.StoreName())
	outcomes := pollers.Runner.Once(ctx, pr.step)

	var failed []string
	for _, o := range outcomes {
		took := o.Took.Round(100 * time.Millisecond)
		switch {
		case o.Err != nil:
			failed = append(failed, o.Source)
			fmt.Fprintf(errOut, "%s: FAILED after %s: %s\n", o.Source, took, describe(o.Err))
		case o.Note != "":
			pr.printf("%s: caught up in %s (%s)", o.Source, took, o.Note)
		default:
			pr.printf("%s: caught up in %s", o.Source, took)
		}
	}
	// What was fetched is judged by the rules, so `risktop get alerts`
	// after a sync is up to date.
	if res, err := app.NewDetections(cfg, st, nil, nil).Once(ctx); err != nil {
		fmt.Fprintf(errOut, "risktop sync: detections: %v\n", err)
	} else if len(res.Alerts) > 0 {
		pr.printf("risktop sync: detections: %s new or changed", words.Plural(len(res.Alerts), "alert"))
	}

	if len(failed) > 0 {
		fmt.Fprintf(errOut, "risktop sync: %d of %s failed: %s; what the rest fetched is stored\n",
			len(failed), words.Plural(len(outcomes), "source"), strings.Join(failed, ", "))
		return exitCode(1)
	}
	pr.printf("risktop sync: %s caught up", words.Plural(len(outcomes), "source"))
	return nil
}

// describe is an error without its vendor prefix (the line names the
// source already). Errors from the clients carry no secrets.
func describe(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		return vendorkit.Describe(err)
	}
	return err.Error()
}

// syncProgress prints the runner's steps on stderr, a back-fill's at most
// once a second per source.
type syncProgress struct {
	w     io.Writer
	quiet bool
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

func (p *syncProgress) printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *syncProgress) step(s poll.Step) {
	switch s.What {
	case "poll":
		p.printf("%s: polling", s.Source)
	case "backfill":
		if s.Backfill == nil {
			return
		}
		p.mu.Lock()
		now := time.Now()
		due := now.Sub(p.last[s.Source]) >= p.every
		if due {
			p.last[s.Source] = now
		}
		p.mu.Unlock()
		if due {
			p.printf("%s: back-fill %.0f%% (%s, back to %s)", s.Source, 100*s.Backfill.Fraction(),
				words.Plural(s.Backfill.Events, "event"), s.Backfill.Reached.Local().Format("2006-01-02 15:04"))
		}
	}
}
