package events

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/ui/uictx"
)

// Saved views: the filter line and order, named and stored per operator
// (:save NAME, :view NAME).

// viewName is what a view may be called: short, and one word so the
// command bar completes it.
var viewName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// ViewOwner is whose views these are: the operator acting (the SSH key's
// name under risktop serve, the OS user otherwise).
func ViewOwner(c *uictx.Context) string {
	if c.Actor != "" {
		return string(c.Actor)
	}
	return "local"
}

type viewSaved struct {
	name, filter string
	err          error
}

type viewRead struct {
	name  string
	view  store.SavedView
	found bool
	names []string
	err   error
}

// SaveView stores the filter applied and the order under name.
func (e *Screen) SaveView(name string) tea.Cmd {
	if !viewName.MatchString(name) {
		return e.c.SayErr(fmt.Sprintf("%q is not a view name: letters, digits, . _ and -, up to 40, e.g. :save failed-logins", name))
	}
	st := e.c.Store
	if st == nil {
		return e.c.SayErr("no store to save views in")
	}
	ctx, owner := e.c.Ctx, ViewOwner(e.c)
	v := store.SavedView{Name: name, Filter: e.q.text, Sort: e.sortBy, Saved: e.c.Now()}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return viewSaved{name: name, filter: v.Filter, err: st.SaveView(ctx, owner, v)}
	}
}

// OpenView reads the view named name and applies it.
func (e *Screen) OpenView(name string) tea.Cmd {
	st := e.c.Store
	if st == nil {
		return e.c.SayErr("no store to read views from")
	}
	ctx, owner := e.c.Ctx, ViewOwner(e.c)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		vs, err := st.SavedViews(ctx, owner)
		r := viewRead{name: name, err: err}
		for _, v := range vs {
			r.names = append(r.names, v.Name)
			if v.Name == name {
				r.view, r.found = v, true
			}
		}
		return r
	}
}

func (e *Screen) onViewSaved(m viewSaved) tea.Cmd {
	if m.err != nil {
		return e.c.SayErr("view " + m.name + " not saved: " + m.err.Error())
	}
	what := "every event"
	if m.filter != "" {
		what = m.filter
	}
	return e.c.Say(fmt.Sprintf("saved view %s (%s) — :view %s shows it", m.name, what, m.name))
}

func (e *Screen) onViewRead(m viewRead) tea.Cmd {
	saved := "none saved yet (:save NAME saves the filter shown)"
	if len(m.names) > 0 {
		saved = "saved: " + strings.Join(m.names, ", ")
	}
	switch {
	case m.err != nil:
		return e.c.SayErr("views not read: " + m.err.Error())
	case m.name == "":
		return e.c.SayErr(":view needs a name — " + saved)
	case !m.found:
		return e.c.SayErr("no view named " + m.name + " — " + saved)
	}
	q := e.parse(m.view.Filter)
	if len(q.problems) > 0 {
		return e.c.SayErr("view " + m.name + " no longer applies: " + q.check())
	}
	e.detail, e.filtering = nil, false
	e.filterIn.Blur()
	e.sortBy = m.view.Sort
	return tea.Batch(e.apply(q), e.c.Say("view "+m.name))
}

// PrefixOf is the network an address is in, as :ip takes it: its /24
// (IPv4) or /48 (IPv6); "" for what is not an address.
func PrefixOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
