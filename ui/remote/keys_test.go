package remote

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/ui/remote/sshtest"
)

// TestBadLinesAreSkippedNotALockOut: every bad line is reported by number
// and skipped; the keys around it still work. Nothing of a bad line, a
// pasted private key above all, is quoted.
func TestBadLinesAreSkippedNotALockOut(t *testing.T) {
	a, b, c, d := sshtest.NewKey(t, "ava@laptop"), sshtest.NewKey(t, "ben\x1b]0;pwned\x07@host"), sshtest.NewKey(t, ""), sshtest.NewKey(t, "dan")
	private := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUtc2VjcmV0LW1hdGVyaWFs\n-----END OPENSSH PRIVATE KEY-----"
	path := sshtest.WriteKeys(t, "authorized_keys",
		"# the SOC team",
		a.Line,
		"ssh-ed25519 AAAAnot-a-key garbage",
		private,
		"",
		b.Line,
		`from="10.0.0.0/8" `+c.Line,
		"no-port-forwarding,no-agent-forwarding "+d.Line,
	)
	var logBuf bytes.Buffer
	k := NewKeyring(path, "", slog.New(slog.NewTextHandler(&logBuf, nil)))
	st := k.Status()
	text := strings.Join(st.Lines, "\n")
	for _, want := range []string{
		path + ": 3 keys",
		"line 3: not a public key",
		"line 4: a PRIVATE key; remove it at once",
		"line 9: option from, which risktop serve cannot honour; key skipped",
		"operators: none (no --operators file): every key is a viewer",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUtc2VjcmV0LW1hdGVyaWFs", "garbage", "10.0.0.0"} {
		if strings.Contains(text, secret) {
			t.Errorf("status quotes %q:\n%s", secret, text)
		}
	}
	if !st.Open || st.Viewers != 3 || st.Operators != 0 {
		t.Errorf("status %+v", st)
	}
	for _, key := range []sshtest.Key{a, b, d} {
		id, ok := k.Lookup(key.Signer.PublicKey())
		if !ok || id.Role != RoleViewer || id.Fingerprint != key.Fingerprint {
			t.Errorf("%s: %+v %t", key.Fingerprint, id, ok)
		}
	}
	if _, ok := k.Lookup(c.Signer.PublicKey()); ok {
		t.Error("a key with from= got in although the restriction cannot be honoured")
	}
	if id, _ := k.Lookup(b.Signer.PublicKey()); strings.ContainsAny(id.Comment, "\x1b\x07") || !strings.HasPrefix(id.Comment, "ben") {
		t.Errorf("comment %q not sanitized", id.Comment)
	}
}

// TestOperatorsAndReload: a key in the operators file is an operator
// (with or without an authorized-keys line); editing a file takes effect
// at the next lookup; a file that becomes unreadable refuses its keys.
func TestOperatorsAndReload(t *testing.T) {
	viewer, op, both, late := sshtest.NewKey(t, "viewer"), sshtest.NewKey(t, "op"), sshtest.NewKey(t, "both"), sshtest.NewKey(t, "late")
	authPath := sshtest.WriteKeys(t, "authorized_keys", viewer.Line, both.Line)
	opsPath := sshtest.WriteKeys(t, "operators", op.Line, both.Line)
	var logBuf syncBuffer
	k := NewKeyring(authPath, opsPath, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if st := k.Status(); st.Viewers != 1 || st.Operators != 2 || !st.Open {
		t.Fatalf("status %+v", st)
	}
	for _, c := range []struct {
		key  sshtest.Key
		want Role
	}{{viewer, RoleViewer}, {op, RoleOperator}, {both, RoleOperator}} {
		if id, ok := k.Lookup(c.key.Signer.PublicKey()); !ok || id.Role != c.want {
			t.Errorf("%s: %+v %t, want %s", c.key.Line, id, ok, c.want)
		}
	}
	if _, ok := k.Lookup(late.Signer.PublicKey()); ok {
		t.Fatal("a key in neither file got in")
	}

	// Add a key (a new file moved into place, as editors do) and drop one.
	replace(t, authPath, viewer.Line+"\n"+late.Line+"\n")
	if id, ok := k.Lookup(late.Signer.PublicKey()); !ok || id.Role != RoleViewer {
		t.Errorf("the added key: %+v %t", id, ok)
	}
	if !strings.Contains(logBuf.String(), "ssh keys reloaded") {
		t.Errorf("no reload logged:\n%s", logBuf.String())
	}
	replace(t, opsPath, both.Line+"\n")
	if _, ok := k.Lookup(op.Signer.PublicKey()); ok {
		t.Error("a removed operator still got in")
	}
	if id, ok := k.Lookup(both.Signer.PublicKey()); !ok || id.Role != RoleOperator {
		t.Errorf("both: %+v %t", id, ok)
	}

	// The authorized-keys file goes away: nobody, operators included.
	os.Remove(authPath)
	if _, ok := k.Lookup(both.Signer.PublicKey()); ok {
		t.Error("an operator got in with the authorized-keys file gone")
	}
	if n := strings.Count(logBuf.String(), "ssh keys unreadable"); n != 1 {
		t.Errorf("%d unreadable lines logged, want 1 (not one per attempt):\n%s", n, logBuf.String())
	}
	k.Lookup(both.Signer.PublicKey())
	if n := strings.Count(logBuf.String(), "ssh keys unreadable"); n != 1 {
		t.Errorf("%d unreadable lines logged after a second attempt", n)
	}
	replace(t, authPath, viewer.Line+"\n")
	if _, ok := k.Lookup(viewer.Signer.PublicKey()); !ok {
		t.Error("the file is back but its key is refused")
	}
}

// replace writes a new version of path the way editors do (write a temp
// file, rename), with a later time so a coarse clock cannot hide it.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(tmp, later, later)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestHostKeyIsMadeOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "risktop", "ssh_host_ed25519")
	s1, created, err := HostKey(path)
	if err != nil || !created {
		t.Fatalf("first: %v created %t", err, created)
	}
	if s1.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("type %s", s1.PublicKey().Type())
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, path + ".pub": 0o644} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
	}
	pub, _ := os.ReadFile(path + ".pub")
	if parsed, _, _, _, err := gossh.ParseAuthorizedKey(pub); err != nil || !bytes.Equal(parsed.Marshal(), s1.PublicKey().Marshal()) {
		t.Errorf("the .pub file does not hold the key: %v", err)
	}
	s2, created, err := HostKey(path)
	if err != nil || created {
		t.Fatalf("second: %v created %t", err, created)
	}
	if gossh.FingerprintSHA256(s1.PublicKey()) != gossh.FingerprintSHA256(s2.PublicKey()) {
		t.Error("the host key changed between starts")
	}

	// Too open: refused, as sshd would.
	os.Chmod(path, 0o644)
	if _, _, err := HostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key: %v", err)
	}
	// Not a key: refused without quoting it.
	bad := filepath.Join(t.TempDir(), "k")
	os.WriteFile(bad, []byte("SECRET-LOOKING-CONTENT\n"), 0o600)
	if _, _, err := HostKey(bad); err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "not a private key") {
		t.Errorf("garbage: %v", err)
	}
}

// unsafeWays are the ways another local user could add a key to a key
// file: each makes path unsafe, and says what the refusal must name.
var unsafeWays = []struct {
	name string
	make func(t *testing.T, path string) // path: a 0600 file in its own 0700 directory
	want func(path string) string
}{
	{"mode 0666", func(t *testing.T, p string) { chmod(t, p, 0o666) },
		func(p string) string {
			return "file " + p + " can be written by other users (mode 0666); run chmod go-w " + p
		}},
	{"mode 0620", func(t *testing.T, p string) { chmod(t, p, 0o620) },
		func(p string) string {
			return "file " + p + " can be written by other users (mode 0620); run chmod go-w " + p
		}},
	{"owned by uid 65534", func(t *testing.T, p string) { chown(t, p, 65534) },
		func(p string) string {
			return "file " + p + " belongs to another user (uid 65534), who could change it; use one of your own (chown it to yourself)"
		}},
	{"directory 0777", func(t *testing.T, p string) { chmod(t, filepath.Dir(p), 0o777) },
		func(p string) string {
			d := filepath.Dir(p)
			return "directory " + d + " can be written by other users (mode 0777); run chmod go-w " + d
		}},
}

func chmod(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	if err := os.Chown(p, uid, -1); err != nil {
		t.Fatal(err)
	}
}

// keyFileIn writes lines to a 0600 file in a 0700 directory of its own.
func keyFileIn(t *testing.T, name string, lines ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUnsafeKeyFilesAreRefused: a key file that another user could
// write (its mode, its owner, or its directory's) grants nothing, as if
// it could not be read: an authorized-keys file refused lets nobody in,
// an operators file refused lets nobody act. At start the status says
// which file and the fix; after start the next lookup stops granting,
// logs it once, and a fixed file grants again.
func TestUnsafeKeyFilesAreRefused(t *testing.T) {
	viewer, op := sshtest.NewKey(t, "viewer"), sshtest.NewKey(t, "op")
	for _, way := range unsafeWays {
		t.Run("authorized keys, "+way.name, func(t *testing.T) {
			auth := keyFileIn(t, "authorized_keys", viewer.Line, op.Line)
			ops := keyFileIn(t, "operators", op.Line)
			way.make(t, auth)
			k := NewKeyring(auth, ops, nil)
			st := k.Status()
			text := strings.Join(st.Lines, "\n")
			if st.Open || !strings.Contains(text, way.want(auth)) || !strings.Contains(text, "NOBODY can log in, operators included") {
				t.Errorf("status %+v, want it refused with %q", st, way.want(auth))
			}
			for _, key := range []sshtest.Key{viewer, op} {
				if id, ok := k.Lookup(key.Signer.PublicKey()); ok {
					t.Errorf("%s got in as %s through a refused authorized-keys file", key.Line, id.Role)
				}
			}
		})
		t.Run("operators, "+way.name, func(t *testing.T) {
			auth := keyFileIn(t, "authorized_keys", viewer.Line, op.Line)
			ops := keyFileIn(t, "operators", op.Line)
			way.make(t, ops)
			k := NewKeyring(auth, ops, nil)
			st := k.Status()
			text := strings.Join(st.Lines, "\n")
			if !st.Open || st.Operators != 0 || !strings.Contains(text, way.want(ops)) || !strings.Contains(text, "nobody can act") {
				t.Errorf("status %+v, want the operators refused with %q", st, way.want(ops))
			}
			if id, ok := k.Lookup(op.Signer.PublicKey()); !ok || id.Role != RoleViewer {
				t.Errorf("op: %+v %t, want a viewer (in the authorized keys, and the operators file refused)", id, ok)
			}
		})
		t.Run("after start, "+way.name, func(t *testing.T) {
			auth := keyFileIn(t, "authorized_keys", viewer.Line)
			ops := keyFileIn(t, "operators", op.Line)
			var logBuf syncBuffer
			k := NewKeyring(auth, ops, slog.New(slog.NewTextHandler(&logBuf, nil)))
			if id, ok := k.Lookup(op.Signer.PublicKey()); !ok || id.Role != RoleOperator {
				t.Fatalf("op before: %+v %t", id, ok)
			}
			// The operators file turns unsafe, its content unchanged.
			way.make(t, ops)
			if id, ok := k.Lookup(op.Signer.PublicKey()); ok {
				t.Errorf("op got in as %s after the operators file turned unsafe", id.Role)
			}
			if id, ok := k.Lookup(viewer.Signer.PublicKey()); !ok || id.Role != RoleViewer {
				t.Errorf("viewer: %+v %t", id, ok)
			}
			// Then the authorized keys: nobody.
			way.make(t, auth)
			if _, ok := k.Lookup(viewer.Signer.PublicKey()); ok {
				t.Error("a viewer got in after the authorized-keys file turned unsafe")
			}
			k.Lookup(viewer.Signer.PublicKey())
			log := logBuf.String()
			for _, p := range []string{auth, ops} {
				if n := strings.Count(log, way.want(p)); n != 1 {
					t.Errorf("the refusal of %s is logged %d times, want once:\n%s", p, n, log)
				}
			}
			if st := k.Status(); st.Open || !strings.Contains(strings.Join(st.Lines, "\n"), way.want(auth)) {
				t.Errorf("status after: %+v", st)
			}
		})
	}
	// Fixed, a file grants again at the next lookup.
	auth := keyFileIn(t, "authorized_keys", viewer.Line)
	ops := keyFileIn(t, "operators", op.Line)
	k := NewKeyring(auth, ops, nil)
	chmod(t, auth, 0o666)
	chmod(t, ops, 0o666)
	if _, ok := k.Lookup(op.Signer.PublicKey()); ok {
		t.Fatal("op got in through unsafe files")
	}
	chmod(t, auth, 0o600)
	chmod(t, ops, 0o644) // readable by others is fine: these are public keys
	if id, ok := k.Lookup(op.Signer.PublicKey()); !ok || id.Role != RoleOperator {
		t.Errorf("op after the fix: %+v %t", id, ok)
	}
}
