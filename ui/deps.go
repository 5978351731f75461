package ui

import (
	"log/slog"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

// Control is what the dashboard may ask of the pollers.
type Control interface {
	// Refresh asks a source ("" for all) to poll now.
	Refresh(source string)
	// Scale multiplies every interval by f (never below a source's safe
	// minimum) and returns the intervals now in force.
	Scale(f float64) map[string]time.Duration
}

// Actions is what the dashboard may do to the vendors, and read from
// them; *actions.Service implements it.
type Actions = uictx.Actions

// Deps is everything the dashboard reads from. The dashboard never does
// I/O in Update or View: store reads and vendor calls run as commands.
type Deps struct {
	Store   store.Store
	Hub     *hub.Hub     // the dashboard subscribes; many dashboards may share one hub
	Control Control      // nil: refresh and interval keys say the sources are not controllable
	Theme   *theme.Theme // styles from this terminal's (or SSH session's) renderer

	Title    string // tenant or config name for the header
	ReadOnly bool

	// Vendors are the registered vendors in the registry's order
	// (sources/vendors.Infos): the dashboard shows what each one reports,
	// and names none of its own.
	Vendors []vendorkit.Info

	Actions   Actions       // nil: no actions (every action key says so) and no vendor reads
	Actor     actions.Actor // who acts from this dashboard (OS user, or SSH key)
	ExportDir string        // where e/E write CSV/JSON ("" : the state directory's exports)
	// Exports limits this dashboard's exports (a viewer's under serve:
	// ViewerExports); the zero value limits nothing beyond the events cap.
	Exports ExportLimits
	// FreeSpace reports the bytes free to risktop on the filesystem that
	// holds dir, and its size; default statfs(2). Called from a tea.Cmd.
	FreeSpace func(dir string) (free, size uint64, err error)
	// Clipboard copies text to the operator's terminal (OSC 52); nil: y
	// says copying is unavailable. Called from a tea.Cmd.
	Clipboard func(text string) error
	Demo      bool      // running on the embedded simulator
	Faults    SimFaults // the demo simulator's fault switch (:fault); nil elsewhere

	// Notify tells this operator's terminal of new alerts: kind is
	// "bell", "osc9" or "osc777" (the operator's :notify choice), or ""
	// for the terminal's default; title and body are text from the
	// store, cleaned; nil: no terminal notification (termnotify.Terminal.Send
	// writes them). The dashboard calls
	// it from a tea.Cmd, once for the alerts new in one read, never twice
	// for an alert.
	Notify func(kind, title, body string)
	// NotifyMin is the severity from which a new alert notifies
	// (LevelUnknown: High).
	NotifyMin model.Level

	Now func() time.Time // default time.Now; tests pin it
	Log *slog.Logger     // default discards; never the terminal

	// After delivers msg after d: the dashboard's only timers (a notice
	// ending, the header's ages moving on). Default tea.Tick; view tests
	// that drive Update by hand leave timers out.
	After func(d time.Duration, msg tea.Msg) tea.Cmd
}

// Attach hands the dashboard the pollers' control and the actions service
// once they exist. `risktop demo` draws its first frame before the
// simulator and the pollers are up, then sends this with tea.Program.Send.
type Attach struct {
	Control Control
	Actions Actions   // nil: keep the Deps' (the demo's service may come up with the simulator)
	Faults  SimFaults // nil: keep the Deps'
}

// ExportLimits bound one dashboard's exports; the zero value bounds
// nothing beyond the events cap, one export at a time and the disk's floor.
type ExportLimits = export.Limits

// ViewerExports are the limits risktop serve gives a viewer's session.
func ViewerExports() ExportLimits { return export.ViewerLimits() }

// SimFaults makes the demo's simulated vendors misbehave, for a presenter
// showing what the dashboard does when a vendor fails.
type SimFaults interface {
	// SetFault switches vendor to the named fault ("clear" heals it) and
	// says what the vendor now does. Cheap: it sets the simulator's knobs.
	SetFault(vendor, name string) (string, error)
	// FaultNames are the names SetFault takes.
	FaultNames() []string
}
