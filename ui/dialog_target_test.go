package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/form"
)

// Each action dialog names the target captured at the key press; data
// arriving while it is open (people re-sorting the list, new pushes, new
// events) changes neither what it says nor what it acts on.

func dialogText(t *testing.T, a *App) string {
	t.Helper()
	return dialogOpen(t, a).Box(a.width, a.height)
}

func TestResetDialogKeepsItsTarget(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "3", "j") // Maximiliana…, row 1
	keysOf(a, "R")
	before := dialogText(t, a)
	if !strings.Contains(before, "max.k@example.com") {
		t.Fatalf("the dialog:\n%s", before)
	}
	moreData(t, a, 1) // 10 Critical people arrive above her
	moreData(t, a, 2)
	if after := dialogText(t, a); after != before {
		t.Fatalf("the dialog changed as data arrived:\n%s\nnow:\n%s", before, after)
	}
	keysOf(a, "tab", "enter")
	if len(fa.resets) != 1 || fa.resets[0].Email != "max.k@example.com" || fa.resets[0].UserID != "cf-5" {
		t.Fatalf("reset %+v", fa.resets)
	}
}

func TestDropDialogKeepsItsTarget(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	seedOutbox(t, a) // #4: 203.0.113.4, queued
	keysOf(a, "6")
	for i := 0; i < 4 && !strings.Contains(a.View(), ">Nov 21 12:30 queued "); i++ { // to the queued push
		keysOf(a, "j")
	}
	keysOf(a, "d")
	before := dialogText(t, a)
	if !strings.Contains(before, "Drop the push of 203.0.113.4") {
		t.Fatalf("the dialog:\n%s\n%s", before, a.View())
	}
	// New pushes arrive and the outbox is read again under the dialog.
	ids, err := a.deps.Store.Enqueue(context.Background(), []model.OutboxItem{{Created: fixtureNow, IP: "192.0.2.77", Level: model.LevelHigh, Actor: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.ActionsChanged{}})
	drive(a, a.screens[tabOutbox].Activate())
	if after := dialogText(t, a); after != before {
		t.Fatalf("the dialog changed:\n%s\nnow:\n%s", before, after)
	}
	keysOf(a, "tab", "enter")
	if len(fa.dropped) != 1 || fa.dropped[0] != 4 || ids[0] == 4 {
		t.Fatalf("dropped %v", fa.dropped)
	}
}

func TestDeleteIntegrationDialogKeepsItsTarget(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "5")
	keysOf(a, "d")
	before := dialogText(t, a)
	if !strings.Contains(before, "https://acme.okta.com") {
		t.Fatalf("the dialog:\n%s", before)
	}
	moreData(t, a, 1)
	drive(a, a.screens[tabIntegrations].Activate()) // read again under the dialog
	if after := dialogText(t, a); after != before {
		t.Fatalf("the dialog changed:\n%s\nnow:\n%s", before, after)
	}
	keysOf(a, "tab", "enter")
	ins, err := fa.reads.Integrations(context.Background())
	if err != nil || len(fa.deleted) != 1 || len(ins) == 0 || fa.deleted[0] != ins[0].ID {
		t.Fatalf("deleted %v of %+v (%v)", fa.deleted, ins, err)
	}
}

func TestBehaviorsDialogKeepsItsChanges(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "4", "j", " ", "s")
	before := dialogText(t, a)
	moreData(t, a, 1)
	drive(a, a.screens[tabBehaviors].Activate()) // read again under the dialog
	if after := dialogText(t, a); after != before {
		t.Fatalf("the dialog changed:\n%s\nnow:\n%s", before, after)
	}
	keysOf(a, "tab", "enter")
	if len(fa.saved) != 1 || len(fa.saved[0]) != 1 {
		t.Fatalf("saved %v", fa.saved)
	}
	for k := range fa.saved[0] {
		if !strings.Contains(before, k) {
			t.Fatalf("saved %q, the dialog said:\n%s", k, before)
		}
	}
}

func TestPushFormKeepsItsAddress(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "3", "enter", "p") // the drill-down's push: its newest address
	f, ok := a.modal.(*form.Form)
	if !ok {
		t.Fatalf("no form:\n%s", a.View())
	}
	ip := f.Value("ip")
	moreData(t, a, 1)
	if f.Value("ip") != ip {
		t.Fatalf("the address changed from %s to %s", ip, f.Value("ip"))
	}
	keysOf(a, "enter", "enter", "enter", "enter")
	if len(fa.pushes) != 1 || fa.pushes[0][0].IP != ip {
		t.Fatalf("pushed %v, the form said %s (%s)", fa.pushes, ip, fmt.Sprint(fa.callList()))
	}
}
