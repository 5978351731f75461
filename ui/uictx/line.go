package uictx

import "github.com/charmbracelet/bubbles/textinput"

// FilterLimit is the most characters a filter line takes (several terms
// and words). A paste beyond is cut, and said.
const FilterLimit = 1024

// NewLine is a one-line text input holding at most limit characters.
// ctrl+v is off: bubbles would read the clipboard of the machine risktop
// runs on (xclip or xsel on a jump host, not the operator's) and run a
// program there; the terminal's own paste still arrives as typing.
func NewLine(prompt string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.CharLimit = limit
	in.KeyMap.Paste.SetEnabled(false)
	return in
}
