package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

const simSynopsis = `
Serve simulators of the OneLogin, Oracle CASB, Cloudflare and Okta risk APIs on
loopback, from one generated tenant (people, sign-ins, and a credential-stuffing
burst from 203.0.113.0/24 every 20 minutes). Prints each vendor's base URL and
a config that points risktop at them. Faults can be switched on while it runs:

  curl -X PUT <control>/faults/okta -d '{"throttle":3,"retry_after":"5s"}'
  curl -X DELETE <control>/faults/okta

Stop it with Ctrl-C.`

func runSim(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("sim [flags]", simSynopsis, out, errOut)
	listen := fs.String("listen", "127.0.0.1:8377", "address to listen on (loopback unless a host is given)")
	seed := fs.Uint64("seed", 1, "seed for the generated tenant; the same seed gives the same people")
	speed := fs.Float64("speed", 1, "replay the scenario this many times faster")
	people := fs.Int("people", 300, "people in the tenant")
	history := fs.Duration("history", 72*time.Hour, "sign-in history generated before the start")
	rate := fs.Float64("rate", 4, "background sign-in events per minute")
	quiet := fs.Bool("no-scenario", false, "no credential-stuffing bursts")
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		bad  bool
		v    any
	}{{"speed", *speed <= 0, *speed}, {"people", *people <= 0, *people}, {"rate", *rate <= 0, *rate}, {"history", *history <= 0, *history}} {
		if f.bad {
			return fmt.Errorf("--%s %v must be positive", f.name, f.v)
		}
	}

	srv, err := sim.Start(*listen, sim.Options{World: simkit.Options{
		Seed: *seed, People: *people, History: *history, EventsPerMinute: *rate, Speed: *speed, Scenario: !*quiet,
	}})
	if err != nil {
		return err
	}
	defer srv.Close()

	dir, err := os.MkdirTemp("", "risktop-sim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	text, err := srv.WriteConfig(dir)
	if err != nil {
		return err
	}

	printSimBanner(out, srv, text)
	<-ctx.Done()
	fmt.Fprintln(out, "\nrisktop sim: stopped")
	return nil
}

func printSimBanner(out io.Writer, srv *sim.Server, config string) {
	fmt.Fprintf(out, "risktop simulator listening on %s\n\n", srv.URL)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, e := range srv.Endpoints().List() {
		fmt.Fprintf(tw, "  %s\t%s\n", e.Name, e.URL)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nA config that points risktop at it (the credentials are the simulator's\nbuilt-in ones, not secrets):\n\n%s", config)
}
