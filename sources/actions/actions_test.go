package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/sim"
)

func TestResetUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	risky := e.sim.Cloudflare.RiskyUsers()
	if len(risky) == 0 {
		t.Fatal("the simulated tenant has no risky Cloudflare user")
	}
	id := risky[0]
	level, events, _ := e.sim.Cloudflare.UserLevel(id)
	if events == 0 {
		t.Fatalf("user %s has no events to clear", id)
	}
	target := ResetTarget{UserID: id, Email: "ava@example.com", Name: "Ava", Level: cloudflare.LevelOf(level)}
	if err := e.svc.ResetUser(ctx, who, target); err != nil {
		t.Fatal(err)
	}
	resets := e.sim.Cloudflare.Resets()
	if len(resets) != 1 || resets[0].UserID != id || resets[0].Events != events {
		t.Fatalf("simulator resets = %+v, want user %s with %d events", resets, id, events)
	}
	if _, n, _ := e.sim.Cloudflare.UserLevel(id); n != 0 {
		t.Errorf("after the reset the user still has %d events", n)
	}

	// A user Cloudflare does not know: the vendor's 404 and its hint.
	err := e.svc.ResetUser(ctx, who, ResetTarget{UserID: "00000000-0000-4000-8000-000000000000"})
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "take the user id") {
		t.Fatalf("unknown user: %v", err)
	}
	// No id at all: refused before any request.
	before := e.requests(t, sim.Cloudflare)
	if err := e.svc.ResetUser(ctx, who, ResetTarget{Email: "bob@example.com"}); err == nil {
		t.Fatal("reset without a user id: no error")
	}
	if e.requests(t, sim.Cloudflare) != before {
		t.Error("a reset without a user id reached Cloudflare")
	}

	es := e.sameAudit(t)
	want := []brief{
		{ActionResetUser, ResultOK, "ava@example.com", 200},
		{ActionResetUser, ResultFailed, "00000000-0000-4000-8000-000000000000", 404},
		{ActionResetUser, ResultRefused, "bob@example.com", 0},
	}
	if got := briefs(es); !slices.Equal(got, want) {
		t.Fatalf("audit %+v, want %+v", got, want)
	}
	if x := es[0]; x.Actor != string(who) || x.Vendor != "cloudflare" || !x.At.Equal(t0) ||
		!strings.Contains(x.Detail, "user id "+id) || !strings.Contains(x.Detail, "level "+level+" before") {
		t.Errorf("reset entry %+v", x)
	}
	if x := es[1]; !strings.Contains(x.Detail, "Integration not found") && !strings.Contains(x.Detail, "User not found") {
		t.Errorf("failed reset detail lacks Cloudflare's error: %q", x.Detail)
	}
}

func TestSaveBehaviorsPutsTheFullMap(t *testing.T) {
	var (
		mu   sync.Mutex
		puts [][]byte
	)
	e := newEnv(t, envOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/behaviors") {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				puts = append(puts, b)
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			h.ServeHTTP(w, r)
		})
	}})
	ctx := context.Background()
	before := e.sim.Cloudflare.Behaviors()
	if len(before) < 2 {
		t.Fatalf("simulator has %d behaviors", len(before))
	}
	key := before[0].Key
	on := !before[0].Enabled
	level := "high"
	if before[0].Level == "high" {
		level = "low"
	}
	got, err := e.svc.SaveBehaviors(ctx, who, map[string]BehaviorChange{key: {Enabled: &on, RiskLevel: level}})
	if err != nil {
		t.Fatal(err)
	}
	if s := got[key]; s.Enabled != on || s.RiskLevel != level {
		t.Errorf("returned %s = %+v", key, s)
	}
	after := e.sim.Cloudflare.Behaviors()
	for i, b := range after {
		switch {
		case b.Key == key:
			if b.Enabled != on || b.Level != level {
				t.Errorf("simulator %s = %+v, want enabled %t level %s", key, b, on, level)
			}
		case b != before[i]:
			t.Errorf("untouched behavior changed: %+v → %+v", before[i], b)
		}
	}
	// The PUT carried every behavior, not only the changed one.
	if len(puts) != 1 {
		t.Fatalf("%d PUTs", len(puts))
	}
	var body struct {
		Behaviors map[string]cloudflare.BehaviorSetting `json:"behaviors"`
	}
	if err := json.Unmarshal(puts[0], &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Behaviors) != len(before) {
		t.Errorf("PUT carried %d behaviors, the account has %d", len(body.Behaviors), len(before))
	}
	for _, b := range before {
		if _, ok := body.Behaviors[b.Key]; !ok {
			t.Errorf("PUT lacks %s", b.Key)
		}
	}

	// An unknown key fails without a PUT; the audit says why.
	if _, err := e.svc.SaveBehaviors(ctx, who, map[string]BehaviorChange{"no_such": {RiskLevel: "low"}}); err == nil ||
		!strings.Contains(err.Error(), "no behavior no_such") {
		t.Fatalf("unknown behavior: %v", err)
	}
	if len(puts) != 1 {
		t.Errorf("a failed save sent a PUT")
	}
	es := e.sameAudit(t)
	want := []brief{{ActionUpdateBehaviors, ResultOK, key, 200}, {ActionUpdateBehaviors, ResultFailed, "no_such", 0}}
	if !slices.Equal(briefs(es), want) {
		t.Fatalf("audit %+v, want %+v", briefs(es), want)
	}
	onOff := map[bool]string{true: "enabled", false: "disabled"}[on]
	if d := es[0].Detail; d != key+": "+onOff+", level "+level {
		t.Errorf("detail %q", d)
	}
}

func TestIntegrations(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if linked, err := e.svc.ResetsForwarded(ctx); err != nil || linked {
		t.Fatalf("before any integration: linked %t, %v", linked, err)
	}
	in, err := e.svc.CreateIntegration(ctx, who, IntegrationCreate{TenantURL: "https://acme.okta.com", ReferenceID: "ref-1"})
	if err != nil {
		t.Fatal(err)
	}
	list := e.sim.Cloudflare.Integrations()
	if len(list) != 1 || list[0].ID != in.ID || list[0].TenantURL != "https://acme.okta.com" || list[0].ReferenceID != "ref-1" ||
		!list[0].Active || list[0].Type != "Okta" {
		t.Fatalf("simulator integrations %+v, created %+v", list, in)
	}
	if !strings.Contains(in.WellKnownURL, in.ID) {
		t.Errorf("well-known URL %q lacks the id", in.WellKnownURL)
	}
	if linked, err := e.svc.ResetsForwarded(ctx); err != nil || !linked {
		t.Fatalf("with an active Okta integration: linked %t, %v", linked, err)
	}

	up, err := e.svc.UpdateIntegration(ctx, who, in.ID, IntegrationUpdate{Active: false, TenantURL: "https://acme2.okta.com", ReferenceID: "ref-2"})
	if err != nil {
		t.Fatal(err)
	}
	list = e.sim.Cloudflare.Integrations()
	if up.Active || len(list) != 1 || list[0].Active || list[0].TenantURL != "https://acme2.okta.com" || list[0].ReferenceID != "ref-2" {
		t.Fatalf("after update: simulator %+v, returned %+v", list, up)
	}
	if linked, _ := e.svc.ResetsForwarded(ctx); linked {
		t.Error("an inactive integration counts as linked")
	}
	if err := e.svc.DeleteIntegration(ctx, who, in.ID); err != nil {
		t.Fatal(err)
	}
	if list := e.sim.Cloudflare.Integrations(); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
	if err := e.svc.DeleteIntegration(ctx, who, in.ID); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second delete: %v", err)
	}

	es := e.sameAudit(t)
	want := []brief{
		{ActionCreateIntegration, ResultOK, "https://acme.okta.com", 200},
		{ActionUpdateIntegration, ResultOK, in.ID, 200},
		{ActionDeleteIntegration, ResultOK, in.ID, 200},
		{ActionDeleteIntegration, ResultFailed, in.ID, 404},
	}
	if !slices.Equal(briefs(es), want) {
		t.Fatalf("audit %+v, want %+v", briefs(es), want)
	}
	if !strings.Contains(es[0].Detail, "id "+in.ID) || !strings.Contains(es[1].Detail, "active false") {
		t.Errorf("details %q / %q", es[0].Detail, es[1].Detail)
	}
}

// Read-only mode refuses every action before any request, and audits each
// refusal; a missing vendor is refused the same way.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		opts envOptions
		want error
	}{
		{"read-only", envOptions{readOnly: true}, ErrReadOnly},
		{"not configured", envOptions{noOkta: true, noCloudflare: true}, ErrNotConfigured},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts)
			ctx := context.Background()
			// Items already in the outbox, queued and failed, for retry and drop.
			queued, err := e.store.Enqueue(ctx, []model.OutboxItem{{IP: "192.0.2.7", Level: model.LevelHigh, Created: t0}, {IP: "192.0.2.8", Level: model.LevelLow, Created: t0}})
			if err != nil {
				t.Fatal(err)
			}
			on := true
			calls := []struct {
				action string
				err    error
			}{
				{ActionResetUser, e.svc.ResetUser(ctx, who, ResetTarget{UserID: "u-1", Email: "ava@example.com"})},
				{ActionPushIP, second(e.svc.QueuePush(ctx, who, []PushRequest{{IP: "203.0.113.9", Level: "high"}}))},
				{ActionRetryPush, e.svc.RetryPush(ctx, who, queued[1])},
				{ActionUpdateBehaviors, second(e.svc.SaveBehaviors(ctx, who, map[string]BehaviorChange{"imp_travel": {Enabled: &on}}))},
				{ActionCreateIntegration, second(e.svc.CreateIntegration(ctx, who, IntegrationCreate{TenantURL: "https://acme.okta.com"}))},
				{ActionUpdateIntegration, second(e.svc.UpdateIntegration(ctx, who, "i-1", IntegrationUpdate{TenantURL: "https://acme.okta.com"}))},
				{ActionDeleteIntegration, e.svc.DeleteIntegration(ctx, who, "i-1")},
			}
			if c.want == ErrReadOnly {
				calls = append(calls, struct {
					action string
					err    error
				}{ActionDropPush, e.svc.DropPush(ctx, who, queued[0])})
			}
			for _, call := range calls {
				if !errors.Is(call.err, c.want) {
					t.Errorf("%s: %v, want %v", call.action, call.err, c.want)
				}
			}
			// The sender does not run either: it returns at once.
			e.svc.NewSender().Run(ctx)

			for _, v := range sim.Vendors {
				if n := e.requests(t, v); n != 0 {
					t.Errorf("%s saw %d requests", v, n)
				}
			}
			es := e.sameAudit(t)
			if len(es) != len(calls) {
				t.Fatalf("%d audit entries for %d refusals: %+v", len(es), len(calls), briefs(es))
			}
			for i, x := range es {
				if x.Action != calls[i].action || x.Result != ResultRefused || x.VendorStatus != 0 || x.Actor != string(who) ||
					!strings.Contains(x.Detail, c.want.Error()) {
					t.Errorf("entry %d = %+v", i, x)
				}
			}
			if es[1].Target != "203.0.113.9" || es[2].Target != "192.0.2.8" {
				t.Errorf("targets %q %q", es[1].Target, es[2].Target)
			}
			items, _ := e.store.OutboxItems(ctx, queued)
			for _, it := range items {
				if it.State != model.OutboxQueued || it.Attempts != 0 {
					t.Errorf("outbox item moved: %+v", it)
				}
			}
			if all, _ := e.store.Outbox(ctx, "", 10); len(all) != 2 {
				t.Errorf("a refused push reached the outbox: %+v", all)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

// Without Okta a stranded push can still be dropped: nothing is sent.
func TestDropWithoutOkta(t *testing.T) {
	e := newEnv(t, envOptions{noOkta: true})
	ctx := context.Background()
	ids, err := e.store.Enqueue(ctx, []model.OutboxItem{{IP: "192.0.2.7", Level: model.LevelHigh, Created: t0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DropPush(ctx, who, ids[0]); err != nil {
		t.Fatal(err)
	}
	items, _ := e.store.OutboxItems(ctx, ids)
	if items[0].State != model.OutboxDropped {
		t.Fatalf("item %+v", items[0])
	}
	if got := briefs(e.sameAudit(t)); !slices.Equal(got, []brief{{ActionDropPush, ResultOK, "192.0.2.7", 0}}) {
		t.Fatalf("audit %+v", got)
	}
}

func TestAuditFile(t *testing.T) {
	e := newEnv(t, envOptions{readOnly: true})
	ctx := context.Background()
	// An existing file is appended to, never truncated.
	if err := os.MkdirAll(filepath.Dir(e.auditPath), 0o700); err != nil {
		t.Fatal(err)
	}
	e.svc.Close()
	os.Remove(e.auditPath)
	svc := e.newService(t, e.store)
	for range 3 {
		svc.ResetUser(ctx, who, ResetTarget{UserID: "u-1", Email: "ava@example.com"})
	}
	st, err := os.Stat(e.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", st.Mode().Perm())
	}
	svc.Close()
	svc = e.newService(t, e.store)
	svc.DeleteIntegration(ctx, who, "i-1")
	es := e.sameAudit(t) // one JSON object a line, with the store's entries
	if len(es) != 4 || es[3].Action != ActionDeleteIntegration {
		t.Fatalf("audit %+v", briefs(es))
	}
	raw, _ := os.ReadFile(e.auditPath)
	if n := bytes.Count(raw, []byte("\n")); n != 4 || !bytes.HasSuffix(raw, []byte("}\n")) {
		t.Errorf("%d lines:\n%s", n, raw)
	}
	if !bytes.Contains(raw, []byte(`"vendor_status":0`)) || !bytes.Contains(raw, []byte(`"at":"2026-03-02T09:00:00Z"`)) {
		t.Errorf("fields are not lower_snake, or times not UTC:\n%s", raw)
	}

	// A file that cannot be written: the store still has the entry, and
	// the caller hears of the failure.
	svc.Close()
	err = svc.ResetUser(ctx, who, ResetTarget{UserID: "u-2", Email: "bob@example.com"})
	var ae *AuditError
	if !errors.Is(err, ErrReadOnly) || !errors.As(err, &ae) || ae.Entry.Target != "bob@example.com" {
		t.Fatalf("write after close: %v", err)
	}
	if es := e.audit(t); len(es) != 5 || es[4].Target != "bob@example.com" {
		t.Errorf("the store lacks the entry the file refused: %+v", briefs(es))
	}

	// A path that cannot be opened fails New.
	if _, err := New(Options{Store: e.store, AuditFile: t.TempDir()}); err == nil {
		t.Error("a directory as the audit file: no error")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("no store: no error")
	}
}

func TestOSActor(t *testing.T) {
	a := string(OSActor())
	user, host, ok := strings.Cut(strings.TrimPrefix(a, "os:"), "@")
	if !strings.HasPrefix(a, "os:") || user == "" || (ok && host == "") {
		t.Fatalf("OSActor() = %q", a)
	}
	if h, err := os.Hostname(); err == nil && h != "" && host != h {
		t.Errorf("host %q, want %q", host, h)
	}
}

// TestViewerRefusesEverything: an SSH viewer's face of a writable service
// acts on nothing, says so with ErrViewOnly (which is ErrReadOnly), and
// leaves one "refused" audit entry per attempt naming the viewer.
func TestViewerRefusesEverything(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	queued, err := e.store.Enqueue(ctx, []model.OutboxItem{{IP: "192.0.2.7", Level: model.LevelHigh, Created: t0}})
	if err != nil {
		t.Fatal(err)
	}
	v := e.svc.Viewer()
	if !v.ReadOnly() || !v.CanReset() || !v.CanPush() || e.svc.ReadOnly() {
		t.Fatalf("viewer ReadOnly %t CanReset %t CanPush %t; service ReadOnly %t", v.ReadOnly(), v.CanReset(), v.CanPush(), e.svc.ReadOnly())
	}
	if ps := v.CheckPush(PushRequest{IP: "nope", Level: "HIGH"}); len(ps) != 1 || ps[0].Field != "ip" {
		t.Errorf("CheckPush = %+v", ps)
	}
	viewer := SSHActor("SHA256:abc", "ava@laptop")
	if viewer != "ssh:SHA256:abc ava@laptop" || SSHActor("SHA256:abc", "") != "ssh:SHA256:abc" {
		t.Fatalf("SSHActor = %q", viewer)
	}
	on := true
	calls := []struct {
		action string
		err    error
	}{
		{ActionResetUser, v.ResetUser(ctx, viewer, ResetTarget{UserID: "u-1", Email: "ava@example.com"})},
		{ActionPushIP, second(v.QueuePush(ctx, viewer, []PushRequest{{IP: "203.0.113.9", Level: "high"}}))},
		{ActionRetryPush, v.RetryPush(ctx, viewer, queued[0])},
		{ActionDropPush, v.DropPush(ctx, viewer, queued[0])},
		{ActionUpdateBehaviors, second(v.SaveBehaviors(ctx, viewer, map[string]BehaviorChange{"imp_travel": {Enabled: &on}}))},
		{ActionCreateIntegration, second(v.CreateIntegration(ctx, viewer, IntegrationCreate{TenantURL: "https://acme.okta.com"}))},
		{ActionUpdateIntegration, second(v.UpdateIntegration(ctx, viewer, "i-1", IntegrationUpdate{TenantURL: "https://acme.okta.com"}))},
		{ActionDeleteIntegration, v.DeleteIntegration(ctx, viewer, "i-1")},
	}
	if _, err := v.ResetsForwarded(ctx); !errors.Is(err, ErrReadOnly) {
		t.Errorf("ResetsForwarded: %v", err)
	}
	for _, c := range calls {
		if !errors.Is(c.err, ErrViewOnly) || !errors.Is(c.err, ErrReadOnly) {
			t.Errorf("%s: %v, want ErrViewOnly", c.action, c.err)
		}
	}
	for _, vendor := range sim.Vendors {
		if n := e.requests(t, vendor); n != 0 {
			t.Errorf("%s saw %d requests", vendor, n)
		}
	}
	es := e.sameAudit(t)
	if len(es) != len(calls) {
		t.Fatalf("%d audit entries for %d refusals: %+v", len(es), len(calls), briefs(es))
	}
	for i, x := range es {
		if x.Action != calls[i].action || x.Result != ResultRefused || x.Actor != string(viewer) || !strings.Contains(x.Detail, "may view, not act") {
			t.Errorf("entry %d = %+v", i, x)
		}
	}
	items, _ := e.store.OutboxItems(ctx, queued)
	if items[0].State != model.OutboxQueued {
		t.Errorf("a viewer moved an outbox item: %+v", items[0])
	}
}
