package ui

import (
	"strings"
	"testing"
)

// O pushes the selected person's risk to Okta (a user-risk-change over
// SSF) after a confirmation that names them, their level and whose rating
// it is, taken at the key press: people arriving under the dialog change
// neither the dialog nor what is pushed.
func TestPushPersonRiskFromUsers(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "3", "j") // Maximiliana…, row 1: Critical in CASB
	keysOf(a, "O")
	before := dialogText(t, a)
	for _, want := range []string{"Push a person's risk to Okta", "max.k@example.com", "Critical", "as Oracle CASB rates them", "sent as Okta's high", "Okta's scale stops at high",
		"queued in the outbox and sent within Okta's rate limit"} {
		if !strings.Contains(before, want) {
			t.Fatalf("the dialog lacks %q:\n%s", want, before)
		}
	}
	moreData(t, a, 1)
	moreData(t, a, 2)
	if after := dialogText(t, a); after != before {
		t.Fatalf("the dialog changed as data arrived:\n%s\nnow:\n%s", before, after)
	}
	keysOf(a, "tab", "enter")
	if len(fa.userRisks) != 1 || fa.userRisks[0].Email != "max.k@example.com" || fa.userRisks[0].Level.Label() != "Critical" || fa.userRisks[0].Source != "casb" {
		t.Fatalf("pushed %+v", fa.userRisks)
	}
	if strings.Contains(before, "not retried") || strings.Contains(before, "sent now") {
		t.Fatalf("the dialog still says it is sent at once:\n%s", before)
	}
	if !strings.Contains(a.toast.text, "queued") || !strings.Contains(a.toast.text, "as high") || !strings.Contains(a.toast.text, "outbox #1") {
		t.Fatalf("notice %q", a.toast.text)
	}
}

// From the drill-down too; and where Okta takes IP risk only, or actions
// are off, O says why and opens nothing.
func TestPushPersonRiskFromTheDrillAndItsRefusals(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "3", "enter", "O")
	if d := dialogText(t, a); !strings.Contains(d, "ava.chen@example.com") {
		t.Fatalf("the drill-down's O:\n%s", d)
	}
	keysOf(a, "tab", "enter")
	if len(fa.userRisks) != 1 || fa.userRisks[0].Email != "ava.chen@example.com" {
		t.Fatalf("pushed %+v", fa.userRisks)
	}

	noSSF := &fakeActions{noSSF: true}
	b := actionApp(t, 120, 40, noSSF)
	keysOf(b, "3", "O")
	if b.modal != nil || !strings.Contains(b.toast.text, "push: ssf") {
		t.Fatalf("without SSF: modal %v, notice %q", b.modal != nil, b.toast.text)
	}
	ro := &fakeActions{readOnly: true}
	c := actionApp(t, 120, 40, ro)
	keysOf(c, "3", "O")
	if c.modal != nil || len(ro.userRisks) != 0 {
		t.Fatalf("read-only opened a dialog or pushed: %+v", ro.userRisks)
	}
}
