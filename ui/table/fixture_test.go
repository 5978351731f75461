package table

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/ui/theme"
)

// newTheme pins the colour profile: goldens must not depend on the
// terminal running the tests.
func newTheme(p termenv.Profile) *theme.Theme {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	r.SetHasDarkBackground(true)
	return theme.New(r)
}

// eventColumns is an events table: fixed time, source, level, score and
// IP; flexible user, event and detail.
func eventColumns() []Column {
	return []Column{
		{Title: "Time", Width: 8},
		{Title: "User", Flex: 2, Min: 8},
		{Title: "Source", Width: 10, Min: 6},
		{Title: "Level", Width: 8},
		{Title: "Score", Width: 5, Align: AlignRight},
		{Title: "IP", Width: 15, Min: 7},
		{Title: "Event", Flex: 1, Min: 6},
		{Title: "Detail", Flex: 3, Min: 10},
	}
}

var fixtureLevels = []model.Level{
	model.LevelCritical, model.LevelLow, model.LevelHigh, model.LevelNone,
	model.LevelMedium, model.LevelUnknown,
}

// levelStyles keeps one style per level, as a caller should, so rows built
// on each refresh point at the same styles and the table can reuse them.
func levelStyles(t *theme.Theme) []lipgloss.Style {
	levels := make([]lipgloss.Style, len(fixtureLevels))
	for i, l := range fixtureLevels {
		levels[i] = t.Level(l)
	}
	return levels
}

// eventRows mixes ASCII, CJK, emoji (a ZWJ sequence), values too long for
// their column and right-aligned numbers. The level cell carries the
// level's style, as the events view will.
func eventRows(levels []lipgloss.Style, n int) []Row {
	users := []string{
		"山田 太郎", "alice@example.com", "👩‍💻 dev-ops on-call", "björn.østergaard@example.dk",
		"李小龍", "a-very-long-service-account-name@corp.example.com",
	}
	events := []string{"login", "impossible travel", "mfa_denied", "dlp.block", "ログイン失敗", "risky 🚨 app"}
	rows := make([]Row, n)
	for i := range rows {
		l := i % len(fixtureLevels)
		rows[i] = Row{
			Cells: []string{
				fmt.Sprintf("%02d:%02d:%02d", (i/3600)%24, (i/60)%60, i%60),
				users[i%len(users)],
				[]string{"onelogin", "cloudflare", "okta", "casb"}[i%4],
				fixtureLevels[l].Label(),
				fmt.Sprint((i * 37) % 1000),
				fmt.Sprintf("203.0.%d.%d", i%256, (i*7)%256),
				events[i%len(events)],
				fmt.Sprintf("session %d from a new device in a country not seen for this user in 90 days", i),
			},
			Styles: []*lipgloss.Style{3: &levels[l]},
		}
	}
	return rows
}

// checkGolden compares got with testdata/name.golden;
// RISKTOP_UPDATE_GOLDEN=1 rewrites the file instead.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if os.Getenv("RISKTOP_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with RISKTOP_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got == string(want) {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("%s: line %d differs\n got: %q\nwant: %q\n(RISKTOP_UPDATE_GOLDEN=1 rewrites goldens)", path, i+1, gl, wl)
		}
	}
	t.Fatalf("%s differs", path)
}
