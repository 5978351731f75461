package actions

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// Environment of the child process TestKilledSenderResumes starts.
const (
	childEnv      = "RISKTOP_TEST_SENDER_CHILD"
	childStoreEnv = "RISKTOP_TEST_SENDER_STORE"
	childOktaEnv  = "RISKTOP_TEST_SENDER_OKTA"
)

// TestSenderChild is the child of TestKilledSenderResumes: a sender on the
// parent's store file, run until it is killed. On its own it is skipped.
func TestSenderChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("the child process of TestKilledSenderResumes")
	}
	st, err := store.Open(os.Getenv(childStoreEnv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := okta.New(okta.Config{BaseURL: os.Getenv(childOktaEnv), APIToken: secret.New(oktasim.DefaultAPIToken), RequestsPerMinute: 30, AllowDocumentationRanges: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Store: st, Okta: c})
	if err != nil {
		t.Fatal(err)
	}
	svc.NewSender().Run(context.Background()) // until SIGKILL
}

// A sender killed between claiming an item and hearing Okta's answer: the
// item is still in the store, a sender started afterwards sends it, and
// nothing is lost or left queued.
func TestKilledSenderResumes(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		t.Skip("in the child")
	}
	arrived := make(chan struct{}, 10)
	e := newEnv(t, envOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/api/v1/risk/events/ip") {
				// Reading the body to its end lets the server notice the
				// client's connection closing, which ends the latency.
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				arrived <- struct{}{}
			}
			h.ServeHTTP(w, r)
		})
	}})
	// The child's push hangs in the simulator until the child dies.
	e.faults(t, sim.Okta, simkit.Faults{Latency: time.Hour})

	// Risktop's real clock from here on: the child runs on it.
	real := func(t *testing.T) *Service {
		c, err := okta.New(okta.Config{BaseURL: e.srv.URL + sim.PathOkta, APIToken: secret.New(oktasim.DefaultAPIToken), RequestsPerMinute: 30, AllowDocumentationRanges: true})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(Options{Store: e.store, Okta: c, AuditFile: e.auditPath})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	svc := real(t)
	ctx := context.Background()
	outs, err := svc.QueuePush(ctx, who, []PushRequest{{IP: "203.0.113.77", Level: "HIGH", Message: "killed mid-send"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := OutboxIDs(outs)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSenderChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1", childStoreEnv+"="+e.storePath, childOktaEnv+"="+e.srv.URL+sim.PathOkta)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child's push never reached the simulator:\n%s", out.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child exit: %v (want killed)\n%s", err, out.String())
	}

	// Killed mid-request: the item is left sending, Okta has nothing.
	items, err := e.store.OutboxItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if it := items[0]; it.State != model.OutboxSending || it.Attempts != 1 {
		t.Fatalf("after the kill: %+v", it)
	}
	if p := e.sim.Okta.Pushed(); len(p) != 0 {
		t.Fatalf("Okta received %+v from the killed child", p)
	}

	// Restart: a sender in this process (a store session other than the
	// child's) picks the item up at once and sends it.
	e.faults(t, sim.Okta, simkit.Faults{})
	resumed := real(t)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resumed.NewSender().Run(rctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	items, err = resumed.WaitPushes(rctx, ids)
	if err != nil {
		t.Fatalf("%v: %+v", err, items)
	}
	if it := items[0]; it.State != model.OutboxSent || it.Attempts != 2 || it.IP != "203.0.113.77" {
		t.Fatalf("after the restart: %+v", it)
	}
	if p := e.sim.Okta.Pushed(); len(p) != 1 || p[0].IP != "203.0.113.77" || p[0].Level != "HIGH" || p[0].Message != "killed mid-send" {
		t.Errorf("Okta received %+v", p)
	}
	for _, state := range []model.OutboxState{model.OutboxQueued, model.OutboxSending, model.OutboxFailed} {
		if left, _ := e.store.Outbox(ctx, state, 10); len(left) != 0 {
			t.Errorf("%s items left: %+v", state, left)
		}
	}
}
