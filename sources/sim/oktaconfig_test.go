package sim

import (
	"context"
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
