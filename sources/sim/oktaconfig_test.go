package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// The config `risktop sim` prints shows the SSWS token the Okta simulator
// accepts, and a client built from that line reads the simulator.
func TestConfigShowsTheOktaSSWSToken(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{World: simkit.Options{Seed: 1, People: 10, History: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	text, err := srv.WriteConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*#\s*okta:\s*\{base_url: (\S+), api_token: (\S+),`).FindStringSubmatch(text)
	if m == nil || m[2] != oktasim.DefaultAPIToken || m[1] != srv.Endpoints().Okta {
		t.Fatalf("no SSWS line for okta in:\n%s", text)
	}
	if strings.Count(text, "\n  okta:") != 1 {
		t.Fatalf("the SSWS alternative must stay a comment:\n%s", text)
	}
	c, err := okta.New(okta.Config{BaseURL: m[1], APIToken: secret.New(m[2])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Providers(context.Background()); err != nil {
		t.Fatalf("the printed SSWS token was refused: %v", err)
	}
}

// The config's SSF alternative pushes to the simulator over SSF, and the
// control API shows what it accepted.
func TestConfigShowsTheOktaSSFPath(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{World: simkit.Options{Seed: 1, People: 10, History: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	text, err := srv.WriteConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*#\s*okta:\s*\{base_url: (\S+), push: ssf, ssf_issuer: (\S+), ssf_key_file: "([^"]+)", ssf_key_id: (\S+),`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no SSF line for okta in:\n%s", text)
	}
	key, err := os.ReadFile(m[3])
	if err != nil {
		t.Fatal(err)
	}
	c, err := okta.New(okta.Config{BaseURL: m[1], Push: okta.PushSSF, SSFIssuer: m[2], SSFKeyPEM: secret.New(string(key)), SSFKeyID: m[4]})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PushUserRisk(context.Background(), okta.UserRisk{Email: "zoe@example.com", Current: okta.UserRiskHigh}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.Endpoints().Control + "/okta/sets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sets []oktasim.AcceptedSET
	if err := json.NewDecoder(resp.Body).Decode(&sets); err != nil || len(sets) != 1 || sets[0].EventType != oktasim.EventUserRiskChange {
		t.Fatalf("control sets %+v %v", sets, err)
	}
}
