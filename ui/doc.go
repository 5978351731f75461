// Package ui is the Bubble Tea dashboard's root model: it routes keys and
// messages to the screens, one package each (ui/overview, ui/events,
// ui/users, ui/behaviors, ui/integrations, ui/outbox, and ui/sources for
// the S panel), lays out the frame (header, tabs, footer, help, the
// command bar and the modal over the body), and answers what a screen
// asks of it through its uictx.Context.
package ui
