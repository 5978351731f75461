package vendorkit

import "github.com/risktop/risktop/model"

// Info is what the dashboard knows of a vendor: its names, and how to
// show what it reports. It is plain data, so the screens show every
// registered vendor (sources/vendors.Infos) without naming one. A
// Descriptor embeds it.
type Info struct {
	Name    string // the key under sources: in the config, and the model's vendor name
	Display string // for people
	Short   string // where room is short: the header's pills, the tables' vendor columns
	// Polled is false for a push-only vendor: its source only checks,
	// now and then, that what risktop pushes would be taken.
	Polled bool

	// Scores says it reports its users per score bucket (model.Scores,
	// one reading per model.ScoreWindows window): the Overview's chart
	// shows the first such vendor's.
	Scores bool
	// SignIns says its events are scored sign-ins: a person's drill-down
	// lists the first such vendor's, with the addresses seen and the
	// scores over time, and the header shows its history's back-fill.
	SignIns bool

	// Levels are the levels its per-user risk views (model.UserRisk)
	// take, in the order its Overview panel lists them; none when it
	// reports no per-user level. A vendor with Levels has a panel on the
	// Overview (LevelsTitle), a column on the Users screen (Column,
	// ColumnWidth cells wide: each person's highest level there) and a
	// section in a person's drill-down.
	Levels      []model.Level
	LevelsTitle string
	Column      string
	ColumnWidth int
	// LevelsPlace orders the vendors with Levels among themselves: the
	// Overview's panels top to bottom, the Users screen's columns left to
	// right, the drill-down's sections (lower first; ties in the
	// registry's order).
	LevelsPlace int
	// PerApp says its user views are per application (a person may have
	// several): the drill-down shows each with its own level, score,
	// application and reasons, rather than the person's level with the
	// vendor and the events it detected.
	PerApp bool
}
