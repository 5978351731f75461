package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/alerts"
	"github.com/risktop/risktop/ui/behaviors"
	"github.com/risktop/risktop/ui/events"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/integrations"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/outbox"
	"github.com/risktop/risktop/ui/overview"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/scroll"
	"github.com/risktop/risktop/ui/sources"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/users"
	"github.com/risktop/risktop/ui/words"
)

// The smallest terminal the layout is designed for.
const (
	minWidth  = 80
	minHeight = 24
)

// tab is one of the numbered screens.
type tab int

const (
	tabOverview tab = iota
	tabEvents
	tabUsers
	tabBehaviors
	tabIntegrations
	tabOutbox
	tabAlerts
)

var tabNames = [...]string{"Overview", "Events", "Users", "Behaviors", "Integrations", "Outbox & audit", "Alerts"}

// App is the dashboard's root model: it routes keys and messages to the
// screens, applies what the pollers announce, and lays out the frame.
type App struct {
	deps    Deps
	c       *uictx.Context  // what the screens, dialogs and forms see of it
	ctx     context.Context // cancelled when the app quits: stops in-flight reads
	cancel  context.CancelFunc
	keys    globalKeys
	sub     *hub.Subscription
	data    *uictx.Data
	width   int
	height  int
	tab     tab
	screens [len(tabNames)]uictx.Screen
	drill   *users.Drill // the user drill-down, over the current tab
	watch   alertWatch   // the badge, who is rising, notifications (alertwatch.go)

	paused  bool
	held    []hub.Msg // hub messages held while paused
	waiting int       // new events held while paused

	help    bool
	helpVP  scroll.Model
	cmdbar  cmdbar
	toast   toast
	tickGen int         // generation of the redraw timer, so only the newest counts
	modal   uictx.Modal // a dialog or form over the body; it has the keyboard
	// the last body drawn under a modal, the box and the result
	ovBody, ovBox, ovDrawn string
	// full is the text input found full by the last typed key (nil after
	// any other key), and fullToast the notice that said so.
	full      *textinput.Model
	fullToast int

	// render caches
	headerKey  string
	headerView string
	tabsKey    string
	tabsView   string
	footKey    string
	footView   string
	bodyW      int
	bodyH      int
}

// New builds the dashboard. Run it with tea.NewProgram(app, tea.WithAltScreen()).
func New(d Deps) *App {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Store != nil {
		d.Store = uictx.CleanStore(d.Store)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.After == nil {
		d.After = func(dur time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(dur, func(time.Time) tea.Msg { return msg })
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &App{deps: d, ctx: ctx, cancel: cancel, keys: newGlobalKeys(), data: uictx.NewData(d.Vendors), width: minWidth, height: minHeight}
	a.c = &uictx.Context{Ctx: ctx, Nav: uictx.NewNavKeys(), Data: a.data, Exports: export.New(), Vendors: d.Vendors, Loc: time.Local}
	a.syncContext()
	if d.Hub != nil {
		a.sub = d.Hub.Subscribe()
	}
	a.cmdbar = newCmdbar(d.Theme)
	a.screens = [...]uictx.Screen{
		overview.New(a.c),
		events.New(a.c),
		users.New(a.c),
		behaviors.New(a.c),
		integrations.New(a.c),
		outbox.New(a.c),
		alerts.New(a.c),
	}
	a.c.SetTab(a.screens[a.tab])
	return a
}

// syncContext gives the screens what the deps say now (after New, and
// after an Attach).
func (a *App) syncContext() {
	d, c := &a.deps, a.c
	c.Theme, c.Store, c.Actions, c.ReadOnly, c.Actor = d.Theme, d.Store, d.Actions, d.ReadOnly, d.Actor
	c.Clipboard, c.Now, c.After, c.Log = d.Clipboard, d.Now, d.After, d.Log
	c.Exports.Set(export.Options{Dir: d.ExportDir, Limits: d.Exports, FreeSpace: d.FreeSpace, Log: d.Log, Actor: string(d.Actor), Now: d.Now,
		VendorName: c.Vendors.Display})
}

// hubMsg carries what the pollers announced since the last one.
type hubMsg []hub.Msg

// waitHub waits for the pollers' next announcements. It holds no lock and
// does no I/O beyond a channel read, and the subscription coalesces, so a
// busy back-fill cannot flood the UI.
func (a *App) waitHub() tea.Cmd {
	if a.sub == nil {
		return nil
	}
	sub, ctx := a.sub, a.ctx
	return func() tea.Msg {
		select {
		case <-sub.Ready():
			return hubMsg(sub.Take())
		case <-ctx.Done():
			return nil
		}
	}
}

func (a *App) Init() tea.Cmd {
	return tea.Batch(a.waitHub(), a.screens[a.tab].Activate(), a.answer(), a.scheduleRedraw(), a.watchAlerts())
}

func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := a.handle(msg)
	cmd = tea.Batch(cmd, a.answer())
	// The header may have grown or shrunk (a back-fill line, a resize):
	// tell the screens their new area, in Update, so they can fit their
	// page size to it.
	if w, h := a.bodySize(); w != a.bodyW || h != a.bodyH {
		a.bodyW, a.bodyH = w, h
		var cmds []tea.Cmd
		for _, s := range a.screens {
			cmds = append(cmds, s.Update(uictx.Resized{W: w, H: h}))
		}
		if a.drill != nil {
			cmds = append(cmds, a.drill.Update(uictx.Resized{W: w, H: h}))
		}
		return m, tea.Batch(cmd, tea.Batch(cmds...))
	}
	return m, cmd
}

// bodySize is the area between the tab bar and the footer.
func (a *App) bodySize() (int, int) {
	return a.width, max(a.height-lipgloss.Height(a.header())-2, 1)
}

func (a *App) handle(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		a.headerKey = ""
		return a, nil
	case hubMsg:
		return a, tea.Batch(a.onHub(msg), a.waitHub())
	case Attach:
		a.deps.Control = msg.Control
		if msg.Actions != nil {
			a.deps.Actions = msg.Actions
		}
		if msg.Faults != nil {
			a.deps.Faults = msg.Faults
		}
		a.syncContext()
		return a, a.screens[a.tab].Activate()
	case uictx.ActionDone:
		return a, a.onActionDone(msg)
	case uictx.CopyDone:
		return a, a.onCopied(msg)
	case push.IPs:
		return a, push.OpenBulk(a.c, msg)
	case cmdbarData:
		a.cmdbar.loaded(msg)
		return a, nil
	case alertsRead:
		return a, a.onAlertsRead(msg)
	case prefSaved:
		if msg.err != nil {
			return a, a.sayErr("not remembered: " + msg.err.Error())
		}
		return a, a.say(msg.what)
	case export.Done:
		if text, isErr := a.c.Exports.Done(msg); isErr {
			return a, a.sayErr(text)
		} else {
			return a, a.say(text)
		}
	case redrawMsg:
		if msg.gen != a.tickGen {
			return a, nil // a newer timer is running
		}
		a.headerKey = ""
		return a, a.scheduleRedraw()
	case toastMsg:
		return a, a.toast.show(msg, a.deps.Now(), a.deps.After)
	case toastExpired:
		a.toast.expire(msg)
		return a, nil
	case tea.KeyMsg:
		if in := a.textInput(); in != nil && typed(msg) {
			return a, a.typeInto(in, msg)
		}
		a.full = nil // any other key may make room, or move the keyboard
		if msg.Type == tea.KeyRunes && !msg.Paste && len(msg.Runes) > 1 {
			return a, a.keysTogether(msg)
		}
		return a.onKey(msg)
	case tea.MouseMsg:
		return a, nil
	}
	// Results of reads go to every screen: each ignores what is not its own.
	var cmds []tea.Cmd
	if a.modal != nil {
		cmds = append(cmds, a.modal.OnMsg(msg))
	}
	for _, s := range a.screens {
		cmds = append(cmds, s.Update(msg))
	}
	if a.drill != nil {
		cmds = append(cmds, a.drill.Update(msg))
	}
	return a, tea.Batch(cmds...)
}

// onHub applies announcements, or holds them while paused.
func (a *App) onHub(msgs hubMsg) tea.Cmd {
	if a.paused {
		// The outbox and the audit log follow the operator's own actions:
		// pausing the vendors' data does not hide how those went.
		var now []hub.Msg
		kept := msgs[:0:0]
		for _, m := range msgs {
			// Alerts too: a new one is announced whatever is paused.
			if _, ok := m.(hub.ActionsChanged); ok {
				now = append(now, m)
			} else if _, ok := m.(hub.AlertsChanged); ok {
				now = append(now, m)
			} else {
				kept = append(kept, m)
			}
		}
		msgs = kept
		for _, m := range msgs {
			if ev, ok := m.(hub.EventsMsg); ok {
				a.waiting += ev.Inserted
			}
		}
		a.held = append(a.held, msgs...)
		if len(a.held) > 256 {
			a.held = compact(a.held)
		}
		a.headerKey = ""
		return a.apply(now)
	}
	return a.apply(msgs)
}

func (a *App) apply(msgs []hub.Msg) tea.Cmd {
	c := a.data.Apply(msgs)
	if !c.Any() {
		return nil
	}
	a.headerKey = ""
	cmds := []tea.Cmd{a.scheduleRedraw()}
	if c.Alerts || c.Users {
		cmds = append(cmds, a.watchAlerts())
	}
	for _, s := range a.screens {
		cmds = append(cmds, s.Update(uictx.DataChanged(c)))
	}
	if a.drill != nil {
		cmds = append(cmds, a.drill.Update(uictx.DataChanged(c)))
	}
	return tea.Batch(cmds...)
}

// compact keeps the newest message of each key, adding up held events.
func compact(msgs []hub.Msg) []hub.Msg {
	h := hub.New()
	s := h.Subscribe()
	for _, m := range msgs {
		h.Publish(m)
	}
	out := s.Take()
	s.Close()
	return out
}

// answer carries out what the screens asked (uictx.Context.Ask), in
// order, and what that asks in turn.
func (a *App) answer() tea.Cmd {
	var cmds []tea.Cmd
	for asked := a.c.Asked(); len(asked) > 0; asked = a.c.Asked() {
		for _, r := range asked {
			cmds = append(cmds, a.answerOne(r))
		}
	}
	return tea.Batch(cmds...)
}

func (a *App) answerOne(r tea.Msg) tea.Cmd {
	switch r := r.(type) {
	case uictx.Notice:
		if r.Err {
			return a.sayErr(r.Text)
		}
		return a.say(r.Text)
	case uictx.NoticeDone:
		if a.toast.text == r.Text {
			a.toast.text = ""
		}
	case uictx.ModalOpen:
		return a.showModal(r.M)
	case uictx.ModalClose:
		if a.modal != nil && a.modal.ID() == r.ID {
			a.modal = nil
		}
	case uictx.UserOpen:
		return a.openUser(r.Key)
	case uictx.ShowEvents:
		return a.showEvents(r)
	case uictx.PersonResponse:
		if r.Reset {
			return users.Reset(a.c, r.Person)
		}
		return users.PushRisk(a.c, r.Person)
	case uictx.OutboxReload:
		if a.tab != tabOutbox || a.drill != nil {
			return nil
		}
		return a.screens[tabOutbox].Activate()
	case uictx.SourcePoll:
		if a.deps.Control != nil {
			a.deps.Control.Refresh(r.Source)
		}
	case uictx.SourcesRefresh:
		return a.refresh()
	}
	return nil
}

// onActionDone closes the dialog or form that started the action (a
// form that failed stays, keeping what was typed), says how it went and
// runs what follows.
func (a *App) onActionDone(m uictx.ActionDone) tea.Cmd {
	if a.modal != nil && a.modal.ID() == m.Modal {
		if f, ok := a.modal.(uictx.Refillable); ok && m.Err != nil {
			f.Failed(m.Fail + ": " + m.Err.Error()) // keep what was typed
		} else {
			a.modal = nil
		}
	}
	var cmds []tea.Cmd
	if m.Err != nil {
		cmds = append(cmds, a.sayErr(m.Fail+": "+m.Err.Error()))
	} else if m.OK != "" {
		cmds = append(cmds, a.say(m.OK))
	}
	if m.After != nil {
		cmds = append(cmds, m.After(m.Err))
	}
	return tea.Batch(cmds...)
}

func (a *App) onCopied(m uictx.CopyDone) tea.Cmd {
	if m.Err != nil {
		return a.sayErr("not copied: " + m.Err.Error())
	}
	return a.say("copied " + layout.Cut(m.Text, 60) + " to the clipboard")
}

// showEvents shows the Events tab with the filter asked for.
func (a *App) showEvents(r uictx.ShowEvents) tea.Cmd {
	filtered := a.screens[tabEvents].Update(r)
	return tea.Batch(a.switchTab(tabEvents), filtered)
}

func (a *App) onKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	cmd := a.routeKey(msg)
	return a, tea.Batch(cmd, a.answer())
}

// routeKey hands a key to whatever has the keyboard: the top of the
// focus stack when anything is open, else the global keys and the screen.
func (a *App) routeKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, a.keys.ForceQuit) {
		return a.quit()
	}
	if top, ok := a.top(); ok {
		cmd := top.onKey(msg)
		if top.hint && a.globalKey(msg) && !key.Matches(msg, a.keys.Quit) && !usesKey(msg, top.keys) && !usesKey(msg, top.tail) {
			// The key does nothing here: say why, rather than nothing.
			return tea.Batch(cmd, a.say("esc closes "+top.name+" first"))
		}
		return cmd
	}
	cur := a.screens[a.tab]
	if c, ok := cur.(uictx.KeyClaimer); ok && c.Claims(msg) {
		return cur.Update(msg)
	}
	switch {
	case key.Matches(msg, a.keys.Quit):
		return a.quit()
	case key.Matches(msg, a.keys.Help):
		a.openHelp()
		return nil
	case key.Matches(msg, a.keys.Command):
		return a.openCmdbar()
	case key.Matches(msg, a.keys.Pause):
		return a.togglePause()
	case key.Matches(msg, a.keys.Refresh):
		return a.refresh()
	case key.Matches(msg, a.keys.Sources):
		return a.openSources()
	case key.Matches(msg, a.keys.Slower):
		return a.scale(1.5)
	case key.Matches(msg, a.keys.Faster):
		return a.scale(1 / 1.5)
	case key.Matches(msg, a.keys.NextTab):
		return a.switchTab((a.tab + 1) % tab(len(tabNames)))
	case key.Matches(msg, a.keys.PrevTab):
		return a.switchTab((a.tab + tab(len(tabNames)) - 1) % tab(len(tabNames)))
	}
	for i, b := range a.keys.Tabs {
		if key.Matches(msg, b) {
			return a.switchTab(tab(i))
		}
	}
	return cur.Update(msg)
}

// keysTogether handles characters that arrived in one read (typed faster
// than they are read, as over SSH) one key at a time. Whole, "jj" would
// match no binding and a word that names a key ("down", "end", "enter",
// "tab") would match that key: "down" typed into the command bar would
// cycle its completions, "tab" typed into a form would move the focus. A
// bracketed paste stays whole. Once a key gives a text input the
// keyboard ("/" opens the filter), the rest is typed into it at once.
func (a *App) keysTogether(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if in := a.textInput(); in != nil && !msg.Alt {
			return tea.Batch(append(cmds, a.typeInto(in, tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i:]}))...)
		}
		_, cmd := a.onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// typed reports a key that puts characters into a text input: characters
// (typed, read together or pasted) and space; not alt+ a letter, which
// text inputs bind (alt+b: a word back).
func typed(msg tea.KeyMsg) bool {
	return msg.Type == tea.KeyRunes && !msg.Alt || msg.Type == tea.KeySpace
}

// textInput is the text input that has the keyboard (the one onKey would
// hand a character to), or nil.
func (a *App) textInput() *textinput.Model {
	var in *textinput.Model
	if top, ok := a.top(); ok {
		in = top.input
	} else if h, ok := a.screens[a.tab].(uictx.InputHolder); ok {
		in = h.Input()
	}
	if in == nil || !in.Focused() {
		return nil
	}
	return in
}

// typeInto types characters into the text input that has the keyboard.
// Characters that came together (a paste, bracketed or not, or a fast
// typist) go in as one insertion, flagged as a paste so that no word
// among them is taken for a key's name: the input, its checks and its
// completions do their work once per run instead of once per character.
// What goes beyond the input's CharLimit is dropped, and said.
func (a *App) typeInto(in *textinput.Model, msg tea.KeyMsg) tea.Cmd {
	rs := msg.Runes
	if msg.Type == tea.KeySpace {
		rs = []rune{' '}
	}
	together := msg.Paste || len(rs) > 1
	limit := in.CharLimit
	if limit <= 0 {
		_, cmd := a.onKey(a.insertion(msg, rs, together))
		return cmd
	}
	if in == a.full {
		// Full: the rest of a long paste read in pieces is dropped here,
		// without measuring the line again for each piece.
		return a.lineFull(limit, together)
	}
	room := limit - utf8.RuneCountInString(in.Value())
	var said tea.Cmd
	if len(rs) > room {
		rs = rs[:max(room, 0)]
		said = a.lineFull(limit, together)
	}
	var cmd tea.Cmd
	if len(rs) > 0 {
		_, cmd = a.onKey(a.insertion(msg, rs, together))
	}
	if len(rs) >= room && utf8.RuneCountInString(in.Value()) >= limit {
		a.full = in
	}
	return tea.Batch(cmd, said)
}

// insertion is the key that types rs: a run of characters flagged as a
// paste, so that no binding matches it.
func (a *App) insertion(msg tea.KeyMsg, rs []rune, together bool) tea.KeyMsg {
	if together {
		return tea.KeyMsg{Type: tea.KeyRunes, Runes: rs, Paste: true}
	}
	return msg
}

// lineFull says that characters were dropped at a line's cap, once while
// the notice shows (a long paste read in pieces would repeat it).
func (a *App) lineFull(limit int, pasted bool) tea.Cmd {
	if a.toast.id == a.fullToast && a.toast.text != "" && a.deps.Now().Before(a.toast.expires) {
		return nil
	}
	text := fmt.Sprintf("this line holds at most %s characters", words.Thousands(limit))
	if pasted {
		text = fmt.Sprintf("pasted text cut to %s characters, the most this line holds", words.Thousands(limit))
	}
	cmd := a.sayErr(text)
	a.fullToast = a.toast.id
	return cmd
}

// openHelp shows the help, scrollable when the terminal is short.
func (a *App) openHelp() {
	w, h := a.bodySize()
	a.helpVP = scroll.Model{}
	a.helpVP.Set(a.helpText(w), w, h)
	a.help = true
}

// current is the screen with the keyboard: the drill-down when open.
func (a *App) current() uictx.Screen {
	if a.drill != nil {
		return a.drill
	}
	return a.screens[a.tab]
}

func (a *App) switchTab(t tab) tea.Cmd {
	a.drill = nil
	if t == a.tab {
		return nil
	}
	leave := a.leave()
	a.tab = t
	a.c.SetTab(a.screens[t])
	return tea.Batch(leave, a.screens[t].Activate())
}

// leave tells the tab shown that it is left (uictx.Leaver).
func (a *App) leave() tea.Cmd {
	if l, ok := a.screens[a.tab].(uictx.Leaver); ok {
		return l.Leave()
	}
	return nil
}

// showModal shows m over the body, replacing any modal open.
func (a *App) showModal(m uictx.Modal) tea.Cmd {
	a.modal = m
	a.help = false
	return nil
}

// openSources shows every source's health.
func (a *App) openSources() tea.Cmd { return a.showModal(sources.NewPanel(a.c)) }

// openUser shows one person's drill-down over the current tab.
func (a *App) openUser(key string) tea.Cmd {
	a.drill = users.NewDrill(a.c, key)
	w, h := a.bodySize()
	return tea.Batch(a.drill.Update(uictx.Resized{W: w, H: h}), a.drill.Activate())
}

func (a *App) quit() tea.Cmd {
	leave := a.leave()
	a.Close()
	if leave != nil {
		return tea.Sequence(leave, tea.Quit)
	}
	return tea.Quit
}

// Close stops what the dashboard runs beside its program: in-flight reads
// and its hub subscription. Quitting with q does it; a program ended from
// outside (an SSH session closed, a server shutting down) must call it
// after Run returns, or the subscription stays on the hub. It may be
// called more than once.
func (a *App) Close() {
	a.cancel()
	if a.sub != nil {
		a.sub.Close()
	}
}

func (a *App) togglePause() tea.Cmd {
	a.paused = !a.paused
	a.headerKey = ""
	if a.paused {
		return a.say("paused — data keeps arriving; space to resume")
	}
	held := a.held
	a.held, a.waiting = nil, 0
	return tea.Batch(a.apply(held), a.say("live"))
}

func (a *App) refresh() tea.Cmd {
	if a.deps.Control == nil {
		return a.sayErr("the sources are still starting")
	}
	a.deps.Control.Refresh("")
	return a.say("refreshing every source now")
}

func (a *App) scale(f float64) tea.Cmd {
	if a.deps.Control == nil {
		return a.sayErr("the sources are still starting")
	}
	iv := a.deps.Control.Scale(f)
	var parts []string
	for _, v := range a.c.Vendors {
		if d, ok := iv[v.Name]; ok && v.Polled {
			parts = append(parts, fmt.Sprintf("%s %s", v.Short, d))
		}
	}
	if len(parts) == 0 {
		return a.say("no polled sources")
	}
	return a.say("poll every " + strings.Join(parts, ", "))
}

func (a *App) View() string {
	if a.width < minWidth || a.height < minHeight {
		msg := fmt.Sprintf("risktop needs a terminal of at least %d×%d; this one is %d×%d.\nEnlarge it, or press q to quit.",
			minWidth, minHeight, a.width, a.height)
		return lipgloss.Place(a.width, a.height, lipgloss.Center, lipgloss.Center, msg)
	}
	header := a.header()
	tabs := a.tabBar()
	footer := a.footer()
	_, h := a.bodySize()
	var body string
	switch {
	case a.help:
		body = a.helpVP.View()
	default:
		body = a.current().View(a.width, h)
	}
	if a.modal != nil {
		box := a.modal.Box(a.width, h)
		if body != a.ovBody || box != a.ovBox { // equal strings compare fast, the same ones at once
			a.ovBody, a.ovBox, a.ovDrawn = body, box, layout.Overlay(body, box, a.width, h)
		}
		body = a.ovDrawn
	}
	if more := a.toastAbove(); len(more) > 0 {
		// A notice too long for the footer line continues upwards over
		// the body's last lines, so a full path or vendor error is read.
		lines := strings.Split(body, "\n")
		copy(lines[max(len(lines)-len(more), 0):], more)
		body = strings.Join(lines, "\n")
	}
	return header + "\n" + tabs + "\n" + body + "\n" + footer
}
