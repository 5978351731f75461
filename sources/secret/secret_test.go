package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const raw = "s3cr3t-T0ken-value"

type config struct {
	Token  Value
	hidden Value
	Ptr    *Value
}

func TestNeverPrinted(t *testing.T) {
	v := New(raw)
	c := config{Token: v, hidden: v, Ptr: &v}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "token", v, "cfg", c)
	js, _ := json.Marshal(c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", v), "%q": fmt.Sprintf("%q", v), "%x": fmt.Sprintf("%x", v),
		"json": string(js), "slog": logged.String(), "error": fmt.Errorf("bad token %v", v).Error(),
	} {
		if strings.Contains(out, raw) {
			t.Errorf("%s leaked the secret: %s", name, out)
		}
	}
	if v.Reveal() != raw {
		t.Fatalf("Reveal = %q", v.Reveal())
	}
}

func TestZero(t *testing.T) {
	var v Value
	if !v.IsZero() || v.Reveal() != "" || v.String() != "" || !New("").IsZero() {
		t.Fatal("zero value is not empty")
	}
	if New("x").IsZero() {
		t.Fatal("set value reported zero")
	}
}
