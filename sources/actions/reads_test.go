package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sim"
)

// TestReads: behaviors, integrations and a user's detail read through the
// service are the simulator's, in the service's own types; a viewer and a
// read-only service read the same; reads are not audited; Cloudflare's
// errors come back whole.
func TestReads(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in, err := e.svc.CreateIntegration(ctx, who, IntegrationCreate{TenantURL: "https://acme.okta.com", ReferenceID: "ref-1"})
	if err != nil {
		t.Fatal(err)
	}
	if in.ID == "" || in.IntegrationType != IntegrationTypeOkta || in.TenantURL != "https://acme.okta.com" || in.ReferenceID != "ref-1" ||
		!in.Active || !strings.Contains(in.WellKnownURL, in.ID) || in.CreatedAt.IsZero() {
		t.Fatalf("created %+v", in)
	}
	audited := len(e.audit(t))
	e.opts.readOnly = true
	readOnly := e.newService(t, e.store)

	type reader interface {
		Behaviors(context.Context) ([]Behavior, error)
		Integrations(context.Context) ([]Integration, error)
		UserDetail(context.Context, string) (*UserDetail, error)
	}
	for name, r := range map[string]reader{"service": e.svc, "read-only service": readOnly, "viewer": e.svc.Viewer()} {
		t.Run(name, func(t *testing.T) {
			bs, err := r.Behaviors(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := e.sim.Cloudflare.Behaviors()
			if len(bs) != len(want) || len(bs) == 0 {
				t.Fatalf("%d behaviors, the simulator has %d", len(bs), len(want))
			}
			byKey := map[string]Behavior{}
			for _, b := range bs {
				byKey[b.Key] = b
			}
			for _, w := range want {
				if got := byKey[w.Key]; got != (Behavior{Key: w.Key, Name: w.Name, Description: w.Description, Enabled: w.Enabled, RiskLevel: w.Level}) {
					t.Errorf("behavior %s = %+v, the simulator has %+v", w.Key, got, w)
				}
			}

			ins, err := r.Integrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) != 1 || ins[0] != *in {
				t.Fatalf("integrations %+v, created %+v", ins, *in)
			}

			risky := e.sim.Cloudflare.RiskyUsers()
			if len(risky) == 0 {
				t.Fatal("the simulated tenant has no risky Cloudflare user")
			}
			id := risky[0]
			level, _, _ := e.sim.Cloudflare.UserLevel(id)
			d, err := r.UserDetail(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.RiskLevel != level || d.Email == "" {
				t.Errorf("detail %+v, the simulator's level %q", d, level)
			}
			evs := e.sim.Cloudflare.UserEvents(id)
			if len(d.Detections) != len(evs) || len(evs) == 0 {
				t.Fatalf("%d detections, the simulator has %d", len(d.Detections), len(evs))
			}
			byID := map[string]Detection{}
			for _, x := range d.Detections {
				byID[x.ID] = x
			}
			for _, ev := range evs {
				if got := byID[ev.ID]; got.Name != ev.Name || got.RiskLevel != ev.Level || !got.Timestamp.Equal(ev.At) {
					t.Errorf("detection %s = %+v, the simulator has %+v", ev.ID, got, ev)
				}
			}

			// Cloudflare's own error, with its hint, as the client says it.
			_, err = r.UserDetail(ctx, "00000000-0000-4000-8000-000000000000")
			if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "take the user id") {
				t.Fatalf("unknown user: %v", err)
			}
		})
	}
	if n := len(e.audit(t)); n != audited {
		t.Errorf("reads wrote %d audit entries", n-audited)
	}
}

// TestReadsWithoutCloudflare: every read says Cloudflare is not
// configured, before any request.
func TestReadsWithoutCloudflare(t *testing.T) {
	e := newEnv(t, envOptions{noCloudflare: true})
	ctx := context.Background()
	for name, r := range map[string]interface {
		Behaviors(context.Context) ([]Behavior, error)
		Integrations(context.Context) ([]Integration, error)
		UserDetail(context.Context, string) (*UserDetail, error)
	}{"service": e.svc, "viewer": e.svc.Viewer()} {
		_, err1 := r.Behaviors(ctx)
		_, err2 := r.Integrations(ctx)
		_, err3 := r.UserDetail(ctx, "6f9619ff-8b86-4011-b42d-00c04fc964ff")
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "sources.cloudflare") {
				t.Errorf("%s: %v, want ErrNotConfigured", name, err)
			}
		}
	}
	if n := e.requests(t, sim.Cloudflare); n != 0 {
		t.Errorf("%d requests reached Cloudflare", n)
	}
	if es := e.audit(t); len(es) != 0 {
		t.Errorf("reads audited: %+v", es)
	}
}
