// Package ui is the Bubble Tea dashboard: a root model that routes keys and
// messages to one model per view.
package ui
