package remote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/ui/remote/sshtest"
)

// TestViewerExportsAreLimited: a viewer's session gets the viewers' export
// limits (the sixth export in ten minutes is refused); an operator's
// session does not.
func TestViewerExportsAreLimited(t *testing.T) {
	viewer, op := sshtest.NewKey(t, "ava"), sshtest.NewKey(t, "olu")
	keys := NewKeyring(sshtest.WriteKeys(t, "authorized_keys", viewer.Line), sshtest.WriteKeys(t, "operators", op.Line), nil)
	dir := filepath.Join(t.TempDir(), "exports")
	f := startServer(t, keys, func(o *Options) { o.ExportDir = dir })
	for _, c := range []struct {
		who     string
		key     sshtest.Key
		refused bool
	}{{"viewer", viewer, true}, {"operator", op, false}} {
		// Wide enough for a notice naming its file on one line: a line is
		// drawn whole when it changes.
		cl, err := sshtest.Dial(f.addr, c.key, gossh.FixedHostKey(f.hostKey))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		term := sshtest.Open(t, cl, "xterm-256color", 200, 30, nil)
		term.WaitFor(5*time.Second, "q quit")
		term.Mark()
		term.Key("3")
		term.WaitFor(5*time.Second, "people · merged")
		for i := range 6 {
			term.Mark()
			term.Key("e")
			n, s := term.WaitAny(5*time.Second, "exported 0 people to ", "export refused")
			if want := c.refused && i == 5; (n == 1) != want {
				t.Fatalf("%s's export %d: refused %v, want %v; the screen:\n%s", c.who, i+1, n == 1, want, sshtest.Tail(s, 2000))
			}
			if n == 1 && !strings.Contains(s, "export refused: viewers may export 5 files every 10m; the next at ") {
				t.Errorf("%s's export %d: the refusal does not say when:\n%s", c.who, i+1, sshtest.Tail(s, 2000))
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 11 {
		t.Errorf("%d files written, want 11", len(entries))
	}
}
