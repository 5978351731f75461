// Package form is a modal of fields checked as they are typed: the push,
// bulk-push and integration forms.
package form

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/uictx"
)

// Form is a modal of fields: text fields (bubbles textinput) and choice
// fields (←/→ cycle; typing the start of a choice, in any case, picks it).
// Check runs after every key and sets each field's problem, shown under
// it; submit is refused while any remains. tab and shift+tab (or ↓ and ↑)
// move between the fields and the buttons, enter submits from the last
// field or the submit button (and moves on from the others), esc cancels.
// While a form is open it has the keyboard: the global keys, tab
// switching among them, do not fire.
type Form struct {
	Intro []string // lines above the fields
	// Check sets the fields' problems from their values; no I/O.
	Check func(f *Form)
	// Send runs once the fields have no problems; it returns the command
	// whose ActionDone carries the form's ID (or opens a dialog).
	Send func(f *Form) tea.Cmd

	c      *uictx.Context
	ident  int
	title  string
	fields []*Field
	focus  int // a field, then len(fields): submit, len(fields)+1: cancel
	submit string
	busy   bool
	err    string // why the last submit did not go through
	k      keys

	listAt, listField int // where a list field's window goes in the lines, and which field it is

	rev    int // counts changes, so box redraws only after one
	drawnK [3]int
	drawn  string
}

type fieldKind int

const (
	textField fieldKind = iota
	choiceField
	listField // read-only lines in a window that scrolls (j/k, pgup/pgdn)
)

// Field is one line of a form.
type Field struct {
	Hint    string   // shown under the field when it has no problem or warning
	Options []string // values ctrl+n / ctrl+p cycle a text field through

	name    string // what check and send call it
	label   string
	kind    fieldKind
	in      textinput.Model
	choices []string
	choice  int
	typed   string // letters typed on a choice field, to pick by prefix
	problem string
	warning string // shown under the field when it has no problem; does not stop a submit

	list  []string // a list field's lines
	off   int      // its first line shown
	listH int      // its window, as last drawn
}

type keys struct {
	Next, Prev, Submit, Cancel, Cycle, Options, Scroll key.Binding
}

func newKeys() keys {
	return keys{
		Next:    key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous")),
		Submit:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit (from the last field)")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Cycle:   key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "change a choice")),
		Options: key.NewBinding(key.WithKeys("ctrl+n", "ctrl+p"), key.WithHelp("ctrl+n/p", "other values")),
		Scroll:  key.NewBinding(key.WithKeys("j", "k", "pgup", "pgdown"), key.WithHelp("j/k pgup/pgdn", "scroll the list")),
	}
}

// New is an empty form titled title whose submit button says submit.
func New(c *uictx.Context, title, submit string) *Form {
	return &Form{c: c, ident: c.NextModalID(), title: title, submit: submit, k: newKeys()}
}

// Text adds a text field.
func (f *Form) Text(name, label, value, placeholder string, limit int) *Field {
	in := uictx.NewLine("", limit)
	in.Placeholder = placeholder
	in.Cursor.SetMode(cursor.CursorStatic) // no blink timer while a form is open
	if t := f.c.Theme; t != nil {
		in.PlaceholderStyle = t.Muted
		in.Cursor.Style = t.Focus
	}
	in.SetValue(value)
	in.CursorEnd()
	fl := &Field{name: name, label: label, kind: textField, in: in}
	f.fields = append(f.fields, fl)
	return fl
}

// Choose adds a choice field.
func (f *Form) Choose(name, label string, choices []string, selected string) *Field {
	fl := &Field{name: name, label: label, kind: choiceField, choices: choices}
	for i, c := range choices {
		if strings.EqualFold(c, selected) {
			fl.choice = i
		}
	}
	f.fields = append(f.fields, fl)
	return fl
}

// List adds a read-only list of lines (every target of a bulk action),
// shown in a window as high as the form leaves room for; focused, j/k and
// pgup/pgdn scroll it.
func (f *Form) List(name, label string, lines []string) *Field {
	fl := &Field{name: name, label: label, kind: listField, list: lines}
	f.fields = append(f.fields, fl)
	return fl
}

// SetList replaces a list field's lines (their marks changed).
func (f *Form) SetList(name string, lines []string) {
	for _, fl := range f.fields {
		if fl.name == name && fl.kind == listField {
			fl.list = lines
		}
	}
}

// ListLines are a list field's lines.
func (f *Form) ListLines(name string) []string {
	for _, fl := range f.fields {
		if fl.name == name && fl.kind == listField {
			return fl.list
		}
	}
	return nil
}

func (fl *Field) scroll(n int) {
	fl.off = max(min(fl.off+n, len(fl.list)-max(fl.listH, 1)), 0)
}

// Value is a field's text, or its choice.
func (f *Form) Value(name string) string {
	for _, fl := range f.fields {
		if fl.name == name {
			if fl.kind == choiceField {
				return fl.choices[fl.choice]
			}
			return fl.in.Value()
		}
	}
	return ""
}

// SetWarning marks the named field with msg ("" clears it).
func (f *Form) SetWarning(name, msg string) {
	for _, fl := range f.fields {
		if fl.name == name {
			fl.warning = msg
		}
	}
}

// SetProblem shows msg under the named field ("" clears it).
func (f *Form) SetProblem(name, msg string) {
	for _, fl := range f.fields {
		if fl.name == name {
			fl.problem = msg
		}
	}
}

func (f *Form) problems() bool {
	for _, fl := range f.fields {
		if fl.problem != "" {
			return true
		}
	}
	return false
}

// Start focuses the first field and validates what is pre-filled.
func (f *Form) Start() *Form {
	f.SetFocus(0)
	f.validate()
	return f
}

func (f *Form) validate() {
	for _, fl := range f.fields {
		fl.problem, fl.warning = "", ""
	}
	if f.Check != nil {
		f.Check(f)
	}
	if !f.problems() && f.err == ProblemsFirst {
		f.err = ""
	}
}

// SetFocus focuses line i (see Focus), wrapping around.
func (f *Form) SetFocus(i int) {
	n := len(f.fields) + 2
	f.focus = ((i % n) + n) % n
	for j, fl := range f.fields {
		fl.typed = ""
		if fl.kind != textField {
			continue
		}
		if j == f.focus {
			fl.in.Focus()
		} else {
			fl.in.Blur()
		}
	}
}

func (f *Form) ID() int { return f.ident }

// Focus is the focused line: a field's index, then FieldCount() for the
// submit button and FieldCount()+1 for Cancel.
func (f *Form) Focus() int { return f.focus }

// FieldCount is how many fields the form has.
func (f *Form) FieldCount() int { return len(f.fields) }

// FieldIndex is the named field's index, -1 when there is none.
func (f *Form) FieldIndex(name string) int {
	for i, fl := range f.fields {
		if fl.name == name {
			return i
		}
	}
	return -1
}

// Err is why the last submit did not go through ("" when it did).
func (f *Form) Err() string { return f.err }

// SetErr says why the form cannot be sent ("" clears it).
func (f *Form) SetErr(why string) { f.err = why }

// Busy reports whether the form is sending, and takes no keys.
func (f *Form) Busy() bool { return f.busy }

// Ready gives the form its keys back: its submit asked for a confirmation
// instead of acting, and the form may be shown again.
func (f *Form) Ready() { f.busy = false }

// input is the focused text field's input, or nil (a choice, a button,
// or while the form is busy, when keys do nothing).
func (f *Form) Input() *textinput.Model {
	if f.busy || f.focus >= len(f.fields) || f.fields[f.focus].kind != textField {
		return nil
	}
	return &f.fields[f.focus].in
}

func (f *Form) Keys() []key.Binding {
	if f.busy {
		return nil
	}
	bs := []key.Binding{f.k.Next, f.k.Prev, f.k.Submit, f.k.Cancel}
	if f.focus < len(f.fields) {
		switch fl := f.fields[f.focus]; {
		case fl.kind == choiceField:
			bs = append(bs, f.k.Cycle)
		case fl.kind == listField:
			bs = append(bs, f.k.Scroll)
		case len(fl.Options) > 1:
			bs = append(bs, f.k.Options)
		}
	}
	return bs
}

// ProblemsFirst is why a submit is refused while a field shows a problem.
const ProblemsFirst = "fix the problems shown first"

func (f *Form) OnKey(msg tea.KeyMsg) tea.Cmd {
	if f.busy {
		return nil
	}
	f.rev++
	last := len(f.fields) - 1
	switch {
	case key.Matches(msg, f.k.Cancel):
		f.c.CloseModal(f.ident)
		return nil
	case key.Matches(msg, f.k.Next):
		f.SetFocus(f.focus + 1)
		return nil
	case key.Matches(msg, f.k.Prev):
		f.SetFocus(f.focus - 1)
		return nil
	case key.Matches(msg, f.k.Submit):
		switch {
		case f.focus == len(f.fields)+1:
			f.c.CloseModal(f.ident)
			return nil
		case f.focus >= last:
			return f.trySubmit()
		}
		f.SetFocus(f.focus + 1)
		return nil
	}
	if f.focus >= len(f.fields) { // on the buttons
		switch msg.String() {
		case "left", "h":
			f.focus = len(f.fields) + 1
		case "right", "l":
			f.focus = len(f.fields)
		}
		return nil
	}
	fl := f.fields[f.focus]
	if fl.kind == listField {
		page := max(fl.listH-1, 1)
		switch msg.String() {
		case "j":
			fl.scroll(1)
		case "k":
			fl.scroll(-1)
		case "pgdown":
			fl.scroll(page)
		case "pgup":
			fl.scroll(-page)
		}
		return nil
	}
	if fl.kind == choiceField {
		fl.onChoiceKey(msg)
		f.validate()
		return nil
	}
	if key.Matches(msg, f.k.Options) && len(fl.Options) > 0 {
		fl.cycleOption(msg.String() == "ctrl+n")
		f.validate()
		return nil
	}
	var cmd tea.Cmd
	fl.in, cmd = fl.in.Update(msg)
	f.validate()
	return cmd
}

func (fl *Field) onChoiceKey(msg tea.KeyMsg) {
	n := len(fl.choices)
	switch msg.Type {
	case tea.KeyLeft:
		fl.choice, fl.typed = (fl.choice+n-1)%n, ""
	case tea.KeyRight, tea.KeySpace:
		fl.choice, fl.typed = (fl.choice+1)%n, ""
	case tea.KeyBackspace:
		fl.typed = ""
	case tea.KeyRunes:
		// Typing picks the first choice that starts with what was typed,
		// in any case: "high", "H" and "hi" all pick HIGH.
		typed := strings.ToLower(fl.typed + string(msg.Runes))
		for i, c := range fl.choices {
			if strings.HasPrefix(strings.ToLower(c), typed) {
				fl.choice, fl.typed = i, typed
				return
			}
		}
		for i, c := range fl.choices { // a fresh start: "l" after "high"
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(string(msg.Runes))) {
				fl.choice, fl.typed = i, strings.ToLower(string(msg.Runes))
				return
			}
		}
	}
}

func (fl *Field) cycleOption(forward bool) {
	cur := -1
	for i, o := range fl.Options {
		if o == fl.in.Value() {
			cur = i
		}
	}
	n := len(fl.Options)
	next := 0
	switch {
	case cur < 0 && !forward:
		next = n - 1
	case cur >= 0 && forward:
		next = (cur + 1) % n
	case cur >= 0:
		next = (cur + n - 1) % n
	}
	fl.in.SetValue(fl.Options[next])
	fl.in.CursorEnd()
}

func (f *Form) trySubmit() tea.Cmd {
	f.validate()
	if f.problems() {
		f.err = ProblemsFirst
		for i, fl := range f.fields {
			if fl.problem != "" {
				f.SetFocus(i)
				break
			}
		}
		return nil
	}
	f.err = ""
	f.busy = true
	return f.Send(f)
}

func (f *Form) OnMsg(tea.Msg) tea.Cmd { return nil }

// Failed shows why the action did not go through and gives the form back.
func (f *Form) Failed(err string) {
	f.busy = false
	f.err = err
	f.rev++
}

func (f *Form) Box(width, height int) string {
	if k := [3]int{width, height, f.rev}; k == f.drawnK && f.drawn != "" {
		return f.drawn
	}
	t := f.c.Theme
	w := layout.ModalWidth(width, 80)
	inner := w - 4
	labelW := 0
	for _, fl := range f.fields {
		labelW = max(labelW, layout.Width(fl.label))
	}
	valueW := max(inner-labelW-3, 8)
	lines := f.lines(inner, labelW, valueW, false)
	// Too tall for the screen (a list field, a short terminal): only the
	// focused field keeps its hint, and problems and warnings stay.
	need := len(lines) + 2 // the frame
	if f.listAt >= 0 {
		need += min(len(f.fields[f.listField].list), 3) + 1 // the list's window at its least, its count line
	}
	if need > height && height > 0 {
		lines = f.lines(inner, labelW, valueW, true)
	}
	if f.listAt >= 0 {
		// The list takes the height the rest leaves (the frame: 2 lines;
		// the window's count line: 1), at least 3 lines.
		list := f.fields[f.listField]
		list.listH = min(len(list.list), max(height-len(lines)-3, 3))
		list.off = max(min(list.off, len(list.list)-list.listH), 0)
		window := layout.Indent(dialog.ListWindow(t, list.list, list.off, list.listH, inner-2, "j/k pgup/pgdn"), "  ")
		lines = append(lines[:f.listAt:f.listAt], append(window, lines[f.listAt:]...)...)
	}
	f.drawnK, f.drawn = [3]int{width, height, f.rev}, layout.Frame(t, f.title, lines, w)
	return f.drawn
}

// lines are the form's lines but a list field's window, which goes at
// f.listAt; compact leaves out the hints of the fields not focused.
func (f *Form) lines(inner, labelW, valueW int, compact bool) []string {
	t := f.c.Theme
	f.listAt = -1
	lines := layout.Wrap(f.Intro, inner)
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	indent := layout.Spaces(labelW + 3)
	for i, fl := range f.fields {
		if fl.kind == listField {
			mark := "  "
			if i == f.focus {
				mark = t.Key.Render("▸ ")
			}
			lines = append(lines, mark+t.Bold.Render(layout.PadRight(fl.label, labelW)+" ")+t.Muted.Render(fl.Hint))
			f.listAt, f.listField = len(lines), i
			continue
		}
		mark := "  "
		if i == f.focus {
			mark = t.Key.Render("▸ ")
		}
		label := layout.PadRight(fl.label, labelW) + " "
		var value string
		if fl.kind == choiceField {
			var parts []string
			for j, c := range fl.choices {
				if j == fl.choice {
					parts = append(parts, t.Focus.Render("["+c+"]"))
				} else {
					parts = append(parts, " "+c+" ")
				}
			}
			value = strings.Join(parts, " ")
		} else {
			fl.in.Width = valueW - 1
			value = fl.in.View()
		}
		lines = append(lines, mark+t.Bold.Render(label)+layout.Fit(value, valueW))
		switch {
		case fl.problem != "":
			for _, l := range layout.Wrap([]string{"✖ " + fl.problem}, valueW) {
				lines = append(lines, indent+t.Error.Render(l))
			}
		case fl.warning != "":
			for _, l := range layout.Wrap([]string{"▲ " + fl.warning}, valueW) {
				lines = append(lines, indent+t.Warn.Render(l))
			}
		case compact && i != f.focus:
		case fl.Hint != "":
			for _, l := range layout.Wrap([]string{fl.Hint}, valueW) {
				lines = append(lines, indent+t.Muted.Render(l))
			}
		default:
			lines = append(lines, "")
		}
	}
	if f.err != "" {
		for _, l := range layout.Wrap([]string{"✖ " + f.err}, inner) {
			lines = append(lines, t.Error.Render(l))
		}
	} else {
		lines = append(lines, "")
	}
	if f.busy {
		lines = append(lines, layout.PadLeft(t.Muted.Render("working…"), inner))
	} else {
		focus := -1
		switch f.focus {
		case len(f.fields):
			focus = 1
		case len(f.fields) + 1:
			focus = 0
		}
		lines = append(lines, dialog.Buttons(t, inner, focus, "Cancel", f.submit))
	}
	return lines
}

// Has reports whether the form has the named field.
func (f *Form) Has(name string) bool {
	for _, fl := range f.fields {
		if fl.name == name {
			return true
		}
	}
	return false
}

// Problem is what is wrong with the named field ("" for nothing).
func (f *Form) Problem(name string) string {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl.problem
		}
	}
	return ""
}
