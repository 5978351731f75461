package ui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/actions"
)

// TestDrillShowsTheirEvents: v in the drill-down shows the Events tab
// filtered to the person, of all time; a key read with it (vj) meets the
// Events tab.
func TestDrillShowsTheirEvents(t *testing.T) {
	a := newFixtureApp(t, 120, 30, 400)
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user user1004@example.com")})
	drive(a, press("enter"))
	if v := a.View(); !strings.Contains(v, "Medium now · Critical at worst in the last 46m  user1004@example.com") {
		t.Fatalf("no drill-down:\n%s", v)
	}
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("vj")})
	v := a.View()
	for _, want := range []string{"page 1 of 3 · 50 events · all time · user user1004@example.com · newest first", "/user:user1004@example.com"} {
		if !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
	if rows := screenRows(t, a, " Time ", "/user:"); selectedRow(rows) != 1 || !strings.Contains(rows[1], "user1004@example.com") {
		t.Fatalf("j did not move to the second row:\n%s", strings.Join(rows, "\n"))
	}
}

// detailReads answers UserDetail with one person's Cloudflare detail.
type detailReads struct{ d actions.UserDetail }

func (r detailReads) Behaviors(context.Context) ([]actions.Behavior, error) { return nil, nil }
func (r detailReads) Integrations(context.Context) ([]actions.Integration, error) {
	return nil, nil
}
func (r detailReads) UserDetail(context.Context, string) (*actions.UserDetail, error) {
	d := r.d
	return &d, nil
}

// openDrill opens the drill-down of who through the command bar.
func openDrill(a *App, who string) string {
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user " + who)})
	drive(a, press("enter"))
	return a.View()
}

// TestDrillReadsInOneVocabulary: the drill-down says risk in the model's
// levels with the vendor's score beside them (CASB "High (Oracle CASB
// 80)", not "High  score 80"), Cloudflare's detections in the level words
// (its lowercase "high" is not repeated), names the sign-in chart's scale,
// and explains a head level lower than an event shown below it.
func TestDrillReadsInOneVocabulary(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 400)
	at := fixtureNow.Add(-3 * 24 * time.Hour)
	setDeps(a, func(d *Deps) {
		d.Actions = &fakeActions{reads: detailReads{actions.UserDetail{Email: "soren.muller@example.com", RiskLevel: "medium",
			Detections: []actions.Detection{{ID: "d1", Name: "Impossible travel", RiskLevel: "high", Timestamp: at}}}}}
	})
	v := openDrill(a, "soren.muller@example.com")
	for _, want := range []string{
		"High now · Critical at worst in the last ", // CASB High, Cloudflare Medium; OneLogin sign-ins reach Critical
		"High (Oracle CASB 80)  SFDC / publiceventsapi",
		"Medium  4 events · last 1m ago",
		"Nov 18 14:30  High      Impossible travel",
		"▁…█ OneLogin score 0–100", // the timeline's scored sign-ins
		"at worst Critical (OneLogin ",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
	for _, gone := range []string{"score 80", " high ", "max score"} {
		if strings.Contains(v, gone) {
			t.Errorf("%q is still said:\n%s", gone, v)
		}
	}
	if !regexp.MustCompile(`(?m)^  Nov 21 \d\d:\d\d:\d\d  Critical  \d\d  `).MatchString(v) {
		t.Errorf("no sign-in read as Critical with its score:\n%s", v)
	}
	drive(a, press("esc"))
	if v := openDrill(a, "ava.chen@example.com"); !strings.Contains(v, "Critical  Ava Chen") || strings.Contains(v, "at worst in") {
		t.Errorf("a head as risky as the worst event needs no word:\n%s", v)
	}
}

// TestUsersReadInOneVocabulary: the Users list has one Risk column, the
// level with whose score it is beside it ("Critical (CASB 90)"), as wide
// as its widest reading: a plain level where no vendor scores.
func TestUsersReadInOneVocabulary(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 0)
	keysOf(a, "3")
	rows := screenRows(t, a, " Risk ", "enter opens")
	if !strings.HasPrefix(rows[0][1:], "Critical (CASB 90) Ava Chen") || !strings.HasPrefix(rows[2][1:], "High (CASB 80)     Søren") {
		t.Fatalf("rows not in one vocabulary:\n%s", strings.Join(rows, "\n"))
	}
	if v := a.View(); strings.Contains(v, " Score ") || strings.Contains(v, " Level ") {
		t.Fatalf("a second scale is still a column:\n%s", v)
	}
	drive(a, hubMsg{hub.UsersMsg{Vendor: "casb", At: fixtureNow}}) // CASB's scores gone: Cloudflare's words alone
	rows = screenRows(t, a, " Risk ", "enter opens")
	if !strings.HasPrefix(rows[0][1:], "High   Ava Chen") { // as wide as "Medium"
		t.Fatalf("the risk column did not narrow to the levels alone:\n%s", strings.Join(rows, "\n"))
	}
}
