package ui

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/events"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

// commands the bar knows, with what they do, for completion and help;
// demo ones only where the simulator's faults can be switched.
var commands = []struct {
	name, args, help string
	demo             bool
}{
	{"overview", "", "the overview", false},
	{"events", "", "the events table", false},
	{"users", "", "everyone, riskiest first", false},
	{"user", "<email>", "one person's drill-down", false},
	{"ip", "<address or /24>", "events from an address or prefix; push them", false},
	{"save", "<name>", "save the Events filter and order as a view", false},
	{"view", "<name>", "the Events filter and order saved as name", false},
	{"behaviors", "", "Cloudflare risk behaviors", false},
	{"integrations", "", "Cloudflare risk integrations", false},
	{"outbox", "", "pushes and the audit log", false},
	{"alerts", "", "what the detection rules found", false},
	{"notify", "<how>", "how new alerts ring: off bell osc9 osc777", false},
	{"sources", "", "each source's health and last error", false},
	{"tz", "utc|local", "show times in UTC or this machine's zone", false},
	{"fault", "<vendor> <fault>", "demo: a simulated vendor misbehaves", true},
	{"help", "", "the keys", false},
	{"quit", "", "leave risktop", false},
}

// offers reports whether a command is available here: demo ones only
// where the simulator's faults can be switched.
func (a *App) offers(demoOnly bool) bool { return !demoOnly || a.deps.Faults != nil }

func (a *App) commandHelp() []string {
	var out []string
	for _, c := range commands {
		if !a.offers(c.demo) {
			continue
		}
		name := ":" + c.name
		if c.args != "" {
			name += " " + c.args
		}
		out = append(out, layout.PadRight(name, 24)+c.help)
	}
	return out
}

// commandLimit is the most characters a command takes (an email is at
// most 254). A paste beyond is cut, and said.
const commandLimit = 512

// cmdbar is the ':' prompt with tab completion.
type cmdbar struct {
	in     textinput.Model
	active bool

	// The completions are made once per change of what they list (a
	// ":user" for each person: thousands), not per key, and handed to the
	// input only while the line is short enough to complete: the input
	// compares every one with the line on each key.
	compKey [2]int // the data version and the faults switch they were made for
	compGen int    // and the candidates read from the store (cands.gen)
	comps   []string
	longest int  // characters in the longest
	offered bool // the input holds them

	cands cmdbarData // saved views and recent addresses, read when the bar opens
	gen   int
}

// cmdbarData is what the bar's completions read from the store: the
// operator's saved views and the riskiest addresses of the last day,
// with their prefixes.
type cmdbarData struct {
	gen   int
	views []string
	ips   []string
}

// candidateIPs is how many addresses completion offers.
const candidateIPs = 20

// openCmdbar opens the bar and reads its candidates in the background.
func (a *App) openCmdbar() tea.Cmd {
	focus := a.cmdbar.open()
	st := a.c.Store
	if st == nil {
		return focus
	}
	a.cmdbar.gen++
	gen, ctx, owner, since := a.cmdbar.gen, a.c.Ctx, events.ViewOwner(a.c), a.c.Now().Add(-24*time.Hour)
	return tea.Batch(focus, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		d := cmdbarData{gen: gen}
		if vs, err := st.SavedViews(ctx, owner); err == nil {
			for _, v := range vs {
				d.views = append(d.views, v.Name)
			}
		}
		if top, err := st.TopIPs(ctx, since, candidateIPs); err == nil {
			var prefixes []string
			for _, r := range top {
				d.ips = append(d.ips, r.IP)
				if p := events.PrefixOf(r.IP); p != "" && !slices.Contains(prefixes, p) {
					prefixes = append(prefixes, p)
				}
			}
			d.ips = append(d.ips, prefixes...)
		}
		return d
	})
}

// loaded takes the candidates read for the latest opening.
func (c *cmdbar) loaded(d cmdbarData) {
	if d.gen == c.gen {
		c.cands = d
	}
}

func newCmdbar(t *theme.Theme) cmdbar {
	in := uictx.NewLine(":", commandLimit)
	in.ShowSuggestions = true
	if t != nil {
		in.PromptStyle = t.Key
		in.CompletionStyle = t.Muted
	}
	return cmdbar{in: in}
}

func (c *cmdbar) open() tea.Cmd {
	c.active = true
	c.in.SetValue("")
	return c.in.Focus()
}

// setCompletions gives the prompt its completions, made by build when key
// differs from the last call's.
func (c *cmdbar) setCompletions(key [2]int, build func() []string) {
	if key == c.compKey && c.compGen == c.cands.gen && c.comps != nil {
		return
	}
	c.compKey, c.compGen, c.comps, c.longest, c.offered = key, c.cands.gen, build(), 0, false
	for _, s := range c.comps {
		c.longest = max(c.longest, utf8.RuneCountInString(s))
	}
}

// update feeds a key to the prompt; it returns the command line when the
// operator pressed enter.
func (c *cmdbar) Update(msg tea.KeyMsg) (string, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		c.active = false
		c.in.Blur()
		return "", nil
	case tea.KeyEnter:
		line := strings.TrimSpace(c.in.Value())
		c.active = false
		c.in.Blur()
		if line == "" {
			return "", nil
		}
		return line, nil
	}
	n := utf8.RuneCountInString(c.in.Value())
	if typed(msg) {
		n += max(len(msg.Runes), 1)
	}
	switch {
	case n > c.longest && c.offered: // longer than any completion: none can match
		c.in.SetSuggestions(nil)
		c.offered = false
	case n <= c.longest && !c.offered:
		c.in.SetSuggestions(c.comps)
		c.offered = true
	}
	var cmd tea.Cmd
	c.in, cmd = c.in.Update(msg)
	return "", cmd
}

func (c *cmdbar) View(width int) string {
	c.in.Width = max(width-2, 10)
	return c.in.View()
}

// completions are every command, ":user <email>" for each person and, in
// the demo, ":fault <vendor> <fault>" for each pair.
func (a *App) completions() []string {
	out := make([]string, 0, len(commands)+len(a.data.People))
	for _, c := range commands {
		if !a.offers(c.demo) {
			continue
		}
		out = append(out, c.name)
	}
	out = append(out, "tz utc", "tz local")
	for _, k := range notifyKinds {
		out = append(out, "notify "+k)
	}
	if a.deps.Faults != nil {
		for _, v := range a.c.Vendors {
			for _, f := range a.deps.Faults.FaultNames() {
				out = append(out, "fault "+v.Name+" "+f)
			}
		}
	}
	for _, p := range a.data.People {
		if p.Email != "" {
			out = append(out, "user "+p.Email)
		}
	}
	for _, v := range a.cmdbar.cands.views {
		out = append(out, "view "+v)
	}
	for _, ip := range a.cmdbar.cands.ips {
		out = append(out, "ip "+ip)
	}
	return out
}

// run carries out a command line.
func (a *App) run(line string) tea.Cmd {
	name, arg, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, ":")), " ")
	arg = strings.TrimSpace(arg)
	if arg != "" && takesNoArgument(name) {
		return a.sayErr(":" + name + " takes no argument (" + arg + "?)")
	}
	switch name {
	case "overview":
		return a.switchTab(tabOverview)
	case "events":
		return a.switchTab(tabEvents)
	case "users":
		return a.switchTab(tabUsers)
	case "behaviors":
		return a.switchTab(tabBehaviors)
	case "integrations":
		return a.switchTab(tabIntegrations)
	case "outbox", "audit":
		return a.switchTab(tabOutbox)
	case "alerts":
		return a.switchTab(tabAlerts)
	case "notify":
		return a.setNotify(arg)
	case "sources", "health":
		return a.openSources()
	case "help":
		a.openHelp()
		return nil
	case "quit", "q":
		return a.quit()
	case "user":
		if arg == "" {
			return a.sayErr(":user needs an email, e.g. :user ava.chen@example.com")
		}
		p, ok := a.data.Person(arg)
		if !ok {
			return a.sayErr("no one known as " + arg + " (tab completes)")
		}
		return a.openUser(p.Key)
	case "ip":
		filter, err := events.IPFilter(arg)
		if err != nil {
			return a.sayErr(err.Error())
		}
		cmds := []tea.Cmd{a.showEvents(uictx.ShowEvents{IP: filter})}
		// When actions are on, the push form opens over the filtered
		// events: an address's own, or for a prefix the bulk form of
		// every address of it in the events shown.
		if a.c.ActionsOff() == "" && a.deps.Actions.CanPush() {
			if strings.Contains(filter, "/") {
				cmds = append(cmds, a.eventsScreen().PushAll())
			} else {
				cmds = append(cmds, push.Open(a.c, filter, "HIGH", nil))
			}
		}
		return tea.Batch(cmds...)
	case "save":
		if arg == "" {
			return a.sayErr(":save needs a name, e.g. :save failed-logins")
		}
		return a.eventsScreen().SaveView(arg)
	case "view":
		return tea.Batch(a.switchTab(tabEvents), a.eventsScreen().OpenView(arg))
	case "fault":
		return a.fault(arg)
	case "tz":
		return a.setZone(arg)
	}
	var names []string
	for _, c := range commands {
		if a.offers(c.demo) {
			names = append(names, ":"+c.name)
		}
	}
	sort.Strings(names)
	return a.sayErr("unknown command :" + name + " — try " + strings.Join(names, " "))
}

// eventsScreen is the Events tab's screen.
func (a *App) eventsScreen() *events.Screen { return a.screens[tabEvents].(*events.Screen) }

// fault switches a simulated vendor to a fault, or heals it, and polls it
// at once so the dashboard shows the effect without waiting.
func (a *App) fault(arg string) tea.Cmd {
	if a.deps.Faults == nil {
		return a.sayErr(":fault works only in risktop demo, where the vendors are simulated")
	}
	if off := a.c.ActionsOff(); off != "" {
		return a.sayErr(":fault changes the demo for everyone: " + off)
	}
	fields := strings.Fields(arg)
	if len(fields) != 2 {
		return a.sayErr(":fault needs a vendor and a fault, e.g. :fault okta down (faults: " + strings.Join(a.deps.Faults.FaultNames(), ", ") + ")")
	}
	vendor, name := strings.ToLower(fields[0]), strings.ToLower(fields[1])
	what, err := a.deps.Faults.SetFault(vendor, name)
	if err != nil {
		return a.sayErr(":fault: " + err.Error())
	}
	if a.deps.Control != nil {
		a.deps.Control.Refresh(vendor)
	}
	a.deps.Log.Info("demo fault", "vendor", vendor, "fault", name, "actor", string(a.deps.Actor))
	if name == "clear" {
		return a.say("simulated " + vendor + " " + what)
	}
	return a.say("simulated " + vendor + " now " + what + " — :fault " + vendor + " clear heals it")
}

// takesNoArgument reports the commands that switch to a screen and nothing
// more: an argument given to one is a mistake to point out, not to ignore.
func takesNoArgument(name string) bool {
	switch name {
	case "audit", "q", "health":
		return true
	}
	for _, c := range commands {
		if c.name == name {
			return c.args == ""
		}
	}
	return false
}

// setZone shows every time in UTC or in this machine's zone: the header's
// clock at once, and each screen as it redraws (render caches key on the
// data's version, which moves on).
func (a *App) setZone(arg string) tea.Cmd {
	var loc *time.Location
	switch strings.ToLower(arg) {
	case "utc", "z", "gmt":
		loc = time.UTC
	case "local":
		loc = time.Local
	case "":
		return a.say("times are shown in " + zoneName(a.c.Loc, a.deps.Now()) + " — :tz utc or :tz local")
	default:
		return a.sayErr(":tz takes utc or local, not " + arg)
	}
	a.c.Loc = loc
	a.data.Version++
	a.headerKey = ""
	var cmds []tea.Cmd
	for _, s := range a.screens {
		cmds = append(cmds, s.Update(uictx.ZoneChanged{}))
	}
	if a.drill != nil {
		cmds = append(cmds, a.drill.Update(uictx.ZoneChanged{}))
	}
	return tea.Batch(append(cmds, a.say("times are now shown in "+zoneName(loc, a.deps.Now())))...)
}

// zoneName says a zone as the clock shows it, with "local" when it is
// this machine's: "UTC", "local time (CET)".
func zoneName(loc *time.Location, now time.Time) string {
	abbr := now.In(loc).Format("MST")
	if loc == time.UTC {
		return "UTC"
	}
	return "local time (" + abbr + ")"
}
