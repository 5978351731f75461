package ui

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/theme"
)

func TestMain(m *testing.M) {
	// Views show local times; pin the zone so goldens match anywhere.
	time.Local = time.UTC
	os.Exit(m.Run())
}

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "ctrl+n":
		return tea.KeyMsg{Type: tea.KeyCtrlN}
	case "ctrl+p":
		return tea.KeyMsg{Type: tea.KeyCtrlP}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// withCloudflare gives the app a read-only actions service on the
// Cloudflare simulator, in process, with one integration, so the behaviors
// and integrations tabs have something to show.
func withCloudflare(t testing.TB, a *App) {
	t.Helper()
	drive(a, Attach{Actions: simReads(t)})
}

// simReads is a read-only actions service on the Cloudflare simulator
// (with one integration), for its reads.
func simReads(t testing.TB) *actions.Service {
	t.Helper()
	svc, err := actions.New(actions.Options{Store: emptyStore(t), Cloudflare: simCloudflare(t), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// simCloudflare is a Cloudflare client on the simulator with one
// integration.
func simCloudflare(t testing.TB) *cloudflare.Client {
	t.Helper()
	w := simkit.NewWorld(simkit.Options{Seed: 1, People: 10, History: time.Hour, Clock: simkit.NewManualClock(fixtureNow)})
	sim := cfsim.New(w, cfsim.Options{})
	c, err := cloudflare.New(cloudflare.Config{BaseURL: "http://cf.sim", AccountID: cfsim.DefaultAccountID,
		APIToken: secret.New(cfsim.DefaultToken), HTTP: httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(sim.Handler())}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIntegration(context.Background(), cloudflare.IntegrationCreate{
		TenantURL: "https://acme.okta.com", ReferenceID: "0oa-access-okta-idp"}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGoldenScreens draws every screen at 80×24 and 160×48 from a fixed
// fixture (names in CJK, with emoji, without a name, very long) and an
// empty store, colour profile pinned, and compares with testdata (update
// with go test ./ui -update).
func TestGoldenScreens(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {160, 48}}
	screens := []struct {
		name string
		keys []string
	}{
		{"overview", nil},
		{"overview-7d", []string{"w"}},
		{"events", []string{"2"}},
		{"events-page2", []string{"2", "]"}},
		{"events-riskiest", []string{"2", "s"}},
		{"events-detail", []string{"2", "j", "enter"}},
		{"users", []string{"3"}},
		{"drill", []string{"3", "enter"}},
		{"behaviors", []string{"4"}},
		{"integrations", []string{"5"}},
		{"outbox", []string{"6"}},
		{"help", []string{"?"}},
		{"paused", []string{" "}},
		{"command", []string{":", "u", "s"}},
		{"sources", []string{"S"}},
	}
	for _, sz := range sizes {
		for _, sc := range screens {
			t.Run(sc.name+"-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
				a := newFixtureApp(t, sz.w, sz.h, 400)
				withCloudflare(t, a)
				for _, k := range sc.keys {
					drive(a, press(k))
				}
				golden.RequireEqual(t, []byte(a.View()))
			})
		}
	}
	for _, name := range []string{"overview", "events", "users"} {
		t.Run("empty-"+name, func(t *testing.T) {
			a := New(Deps{Vendors: vendors.Infos(), Store: emptyStore(t), Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
			drive(a, tea.WindowSizeMsg{Width: 80, Height: 24})
			drive(a, a.Init())
			drive(a, press(map[string]string{"overview": "1", "events": "2", "users": "3"}[name]))
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
	t.Run("too-small", func(t *testing.T) {
		a := newFixtureApp(t, 70, 20, 0)
		golden.RequireEqual(t, []byte(a.View()))
	})
}

// TestGoldenTrueColor pins what colours the overview and events use.
func TestGoldenTrueColor(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	a := newFixtureAppTheme(t, 80, 24, 400, theme.New(r))
	drive(a, press("2"))
	golden.RequireEqualEscape(t, []byte(a.View()), true)
}

// TestEveryLineFits checks that every screen, at many sizes, draws exactly
// the terminal's width on every line and exactly its height.
func TestEveryLineFits(t *testing.T) {
	for _, w := range []int{80, 97, 120, 160, 233} {
		for _, h := range []int{24, 31, 48} {
			a := newFixtureApp(t, w, h, 400)
			withCloudflare(t, a)
			for _, k := range []string{"1", "2", "enter", "esc", "3", "enter", "esc", "4", "5", "6", "7", "?", "esc", "S"} {
				drive(a, press(k))
				lines := strings.Split(a.View(), "\n")
				if len(lines) != h {
					t.Fatalf("%d×%d after %q: %d lines", w, h, k, len(lines))
				}
				for i, l := range lines {
					if lw := lipgloss.Width(l); lw != w {
						t.Fatalf("%d×%d after %q: line %d is %d wide: %q", w, h, k, i, lw, l)
					}
				}
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func emptyStore(t testing.TB) *store.SQLite {
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
