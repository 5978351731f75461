package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/sim/simtest"
)

var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

type waits = httpxtest.Waits

type fixture struct {
	sim   *Sim
	clock *simkit.ManualClock
	url   string
	waits *waits

	onelogin   *onelogin.Client
	casb       *casb.Client
	cloudflare *cloudflare.Client
	okta       *okta.Client
}

// newFixture serves a Sim on loopback and builds every real client against
// it, the way risktop demo will.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := simkit.NewManualClock(t0)
	s, err := New(Options{World: simkit.Options{Seed: 42, People: 120, History: 2 * time.Hour, Scenario: true, Clock: clock}})
	if err != nil {
		t.Fatal(err)
	}
	srv := simtest.Serve(t, s.Handler())
	f := &fixture{sim: s, clock: clock, url: srv.URL, waits: &waits{}}
	opts := httpx.Options{Sleep: f.waits.Sleep, Now: clock.Now, Timeout: 10 * time.Second}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.onelogin, err = onelogin.New(onelogin.Config{BaseURL: srv.URL + PathOneLogin, ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret), HTTP: opts})
	must(err)
	f.casb, err = casb.New(casb.Config{BaseURL: srv.URL + PathCASB, AccessKey: secret.New(casbsim.DefaultAccessKey),
		AccessSecret: secret.New(casbsim.DefaultAccessSecret), HTTP: opts})
	must(err)
	f.cloudflare, err = cloudflare.New(cloudflare.Config{BaseURL: srv.URL + PathCloudflare, AccountID: cfsim.DefaultAccountID,
		APIToken: secret.New(cfsim.DefaultToken), HTTP: opts})
	must(err)
	f.okta, err = okta.New(okta.Config{BaseURL: srv.URL + PathOkta, ClientID: s.OktaClientID,
		PrivateKeyPEM: secret.New(string(s.OktaKeyPEM)), RequestsPerMinute: 30, HTTP: opts})
	must(err)
	return f
}

// TestOneStoryAcrossVendors runs one credential-stuffing burst and checks
// that the people it compromised look risky through every vendor's client,
// so a dashboard merging them by email has something true to show.
func TestOneStoryAcrossVendors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(9 * time.Minute) // past the first burst (2m–8m)

	byOneLoginID := map[int64]simkit.Person{}
	for _, p := range f.sim.World.People() {
		byOneLoginID[p.OneLoginID] = p
	}
	compromised := map[string]bool{} // email
	var failed int
	q := onelogin.Query{Since: t0, Sort: "+id"}
	for page, err := range f.onelogin.EventPages(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			ip, err := netip.ParseAddr(e.IPAddr)
			if err != nil || !simkit.AttackNet.Contains(ip) {
				continue
			}
			switch {
			case e.EventTypeID == 6:
				failed++
			case e.EventTypeID == 5 && e.RiskScore != nil && *e.RiskScore >= 70 && e.UserID != nil:
				compromised[byOneLoginID[*e.UserID].Email] = true
			}
		}
	}
	if failed < 100 || len(compromised) == 0 {
		t.Fatalf("OneLogin shows %d failed logins and %d compromised people from the attack net", failed, len(compromised))
	}

	sum, err := f.cloudflare.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfHigh := map[string]bool{}
	for _, u := range sum.Users {
		if u.MaxRiskLevel == cloudflare.LevelHigh {
			cfHigh[strings.ToLower(u.Email)] = true
		}
	}
	report, err := f.casb.UserRiskReport(ctx, casb.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	casbRisky := map[string]bool{}
	for _, r := range report.Rows {
		if r.RiskLevel != "Normal" {
			casbRisky[strings.ToLower(strings.TrimSpace(r.UserName))] = true
		}
	}
	var everywhere int
	for email := range compromised {
		if !cfHigh[email] {
			t.Errorf("%s was compromised in OneLogin but is not high in Cloudflare", email)
		}
		if casbRisky[email] {
			everywhere++
		}
	}
	if everywhere == 0 {
		t.Errorf("no compromised person is above Normal in CASB (%d compromised)", len(compromised))
	}
}

func TestOktaPushReachesTheSimulatorOverOAuth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.okta.Push(ctx, []okta.RiskEvent{{Timestamp: t0, Subjects: []okta.RiskSubject{
		{IP: "203.0.113.50", RiskLevel: okta.High, Message: "credential stuffing"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.url + PathControl + "/okta/pushed")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pushed []struct {
		IP, RiskLevel, Auth, ClientID string
		InAttackNet                   bool
	}
	json.NewDecoder(resp.Body).Decode(&pushed)
	if len(pushed) != 1 || pushed[0].IP != "203.0.113.50" || pushed[0].RiskLevel != "HIGH" ||
		pushed[0].Auth != "OAuth" || pushed[0].ClientID != f.sim.OktaClientID || !pushed[0].InAttackNet {
		t.Fatalf("pushed = %+v", pushed)
	}
}

func control(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	a := simtest.Do(t, method, url, body, nil)
	return a.Status, string(a.Body)
}

func TestControlAPIDrivesFaults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := f.url + PathControl

	if code, body := control(t, "PUT", base+"/faults/cloudflare", `{"throttle":1,"retry_after":"4s"}`); code != 200 {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	if _, err := f.cloudflare.Summary(ctx); err != nil {
		t.Fatalf("summary after one 429: %v", err)
	}
	if len(f.waits.All()) != 1 || f.waits.All()[0] != 4*time.Second {
		t.Fatalf("waits = %v, want [4s]", f.waits.All())
	}

	control(t, "PUT", base+"/faults/casb", `{"malformed":true}`)
	if _, err := f.casb.UserRiskReport(ctx, casb.Filter{}); httpx.KindOf(err) != httpx.KindDecode {
		t.Fatalf("malformed CASB body: %v", err)
	}
	if code, _ := control(t, "DELETE", base+"/faults/casb", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE faults: %d", code)
	}
	if _, err := f.casb.UserRiskReport(ctx, casb.Filter{}); err != nil {
		t.Fatalf("after healing: %v", err)
	}

	minted := f.sim.OneLogin.TokensMinted()
	if _, err := f.onelogin.Events(ctx, onelogin.Query{Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if code, _ := control(t, "POST", base+"/revoke/onelogin", ""); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	if _, err := f.onelogin.Events(ctx, onelogin.Query{Limit: 5}); err != nil {
		t.Fatalf("after revoke: %v", err)
	}
	if got := f.sim.OneLogin.TokensMinted(); got != minted+2 && got != minted+1 {
		t.Fatalf("tokens minted %d → %d; want a fresh one after the revoke", minted, got)
	}

	for _, c := range []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"PUT", "/faults/nobody", `{}`, 404, `unknown vendor "nobody"`},
		{"PUT", "/faults/okta", `{"latency":"soon"}`, 400, `latency: "soon" is not a duration`},
		{"PUT", "/faults/okta", `{"error_rate":2}`, 400, "error_rate: 2 is not between 0 and 1"},
		{"PUT", "/faults/okta", `{"thrtotle":1}`, 400, `unknown field "thrtotle"`},
		{"POST", "/revoke/nobody", ``, 404, "unknown vendor"},
	} {
		code, body := control(t, c.method, base+c.path, c.body)
		var e struct{ Error string }
		json.Unmarshal([]byte(body), &e)
		if code != c.code || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s %s %s: %d %s; want %d %q", c.method, c.path, c.body, code, body, c.code, c.msg)
		}
	}

	code, body := control(t, "GET", base+"/", "")
	var st State
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("state: %d %v", code, err)
	}
	if st.Vendors[Cloudflare].Requests < 2 || st.Vendors[Okta].Faults != (FaultsDoc{}) || st.People != 120 {
		t.Fatalf("state = %+v", st)
	}
	f.clock.Advance(3 * time.Minute)
	_, body = control(t, "GET", base+"/", "")
	if !bytes.Contains([]byte(body), []byte(`"attack":{"cycle":1`)) {
		t.Fatalf("no attack in state during the burst: %s", body)
	}
}

func TestHostileEverywhereStaysClean(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, v := range Vendors {
		fs, _ := f.sim.Faults(v)
		fs.Set(simkit.Faults{Hostile: true})
	}
	page, err := f.onelogin.Events(ctx, onelogin.Query{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := f.cloudflare.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range page.Events {
		texts = append(texts, e.UserName, e.AppName, e.Notes)
	}
	for _, u := range sum.Users {
		texts = append(texts, u.Name)
	}
	for _, s := range texts {
		if s != "" && !sanitize.Valid(s) {
			t.Errorf("unclean text from a client: %q", s)
		}
	}
	if len(texts) < 50 {
		t.Fatalf("only %d texts checked", len(texts))
	}
}

func TestStartServesOnLoopbackAndCloses(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{World: simkit.Options{Seed: 1, People: 20, History: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ep := srv.Endpoints()
	if !strings.HasPrefix(ep.OneLogin, "http://127.0.0.1:") || !strings.HasSuffix(ep.Cloudflare, PathCloudflare) {
		t.Fatalf("endpoints = %+v", ep)
	}
	resp, err := http.Get(ep.Control + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(ep.Control + "/"); err == nil {
		t.Fatal("still serving after Close")
	}
	if _, err := Start("nonsense", Options{}); err == nil {
		t.Fatal("bad address accepted")
	}
}
