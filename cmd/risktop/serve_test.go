package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/ui/remote/sshtest"
)

// lockedBuffer is an io.Writer the test reads while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a `risktop serve` running in-process.
type served struct {
	t       testing.TB
	out     *lockedBuffer
	errOut  *lockedBuffer
	addr    string
	hostKey gossh.PublicKey // as printed: checked against what the server presents
	logFile string
	cancel  context.CancelFunc
	done    chan int
}

var listeningRE = regexp.MustCompile(`listening on (\S+); connect with: ssh -p (\d+) 127\.0\.0\.1`)

// startServe runs `risktop serve args…` with its own state dir and log
// until the test ends, and waits for its "listening" line.
func startServe(t testing.TB, args ...string) *served {
	t.Helper()
	state := t.TempDir()
	s := &served{t: t, out: &lockedBuffer{}, errOut: &lockedBuffer{}, done: make(chan int, 1),
		logFile: filepath.Join(state, "serve.log")}
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(state, "hostkey"), "--log", s.logFile}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- run(ctx, args, s.out, s.errOut) }()
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.out.String()); m != nil {
			s.addr = m[1]
			break
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("risktop serve exited %d before listening:\n%s%s", code, s.out, s.errOut)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("risktop serve is not listening after 60s:\n%s%s", s.out, s.errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pub, err := os.ReadFile(filepath.Join(state, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if s.hostKey, _, _, _, err = gossh.ParseAuthorizedKey(pub); err != nil {
		t.Fatal(err)
	}
	if fp := gossh.FingerprintSHA256(s.hostKey); !strings.Contains(s.out.String(), "ssh-ed25519 "+fp) {
		t.Fatalf("the start-up lines do not give the host key's fingerprint %s:\n%s", fp, s.out)
	}
	return s
}

// stop ends the command as SIGTERM would and returns its exit code.
func (s *served) stop() int {
	s.t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(30 * time.Second):
		s.t.Fatal("risktop serve did not stop 30s after SIGTERM")
		return -1
	}
}

// connect opens an 80×24 xterm-256color session for key.
func (s *served) connect(key sshtest.Key) (*gossh.Client, *sshtest.Term) {
	s.t.Helper()
	c, err := sshtest.Dial(s.addr, key, gossh.FixedHostKey(s.hostKey))
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c, sshtest.Open(s.t, c, "xterm-256color", 80, 24, nil)
}

func (s *served) log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// TestServeOverSSH runs `risktop serve --config` against a simulator and
// uses it as a team would: a viewer and an operator at once, each on
// their own tab; the viewer's reset is refused and reaches nothing; the
// operator's reaches the simulator, is audited with the key, and every
// dashboard hears of it; y copies to the operator's own terminal; at
// SIGTERM both are told goodbye, and nothing is left running.
func TestServeOverSSH(t *testing.T) {
	simSrv, keyFile := startSim(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cfgPath := writeConfig(t, simSrv.Endpoints().Config(keyFile)+"audit_log: "+audit+"\n")
	viewer, op := sshtest.NewKey(t, "vera@soc-laptop"), sshtest.NewKey(t, "omar@soc-laptop")
	before := runtime.NumGoroutine()

	s := startServe(t, "--config", cfgPath,
		"--authorized-keys", sshtest.WriteKeys(t, "authorized_keys", viewer.Line),
		"--operators", sshtest.WriteKeys(t, "operators", op.Line))
	for _, want := range []string{"authorized keys: ", ": 1 key", "operators: ", "actions: operators may act",
		"sessions: at most 16; idle timeout 30m",
		"logins: a signed public key within 30s of connecting; at most 10 connections logging in at once from one address, 100 in all"} {
		if !strings.Contains(s.out.String(), want) {
			t.Errorf("start-up lines lack %q:\n%s", want, s.out)
		}
	}

	_, v := s.connect(viewer)
	_, o := s.connect(op)
	// The config's name is the title; the pollers' news is there.
	v.WaitFor(20*time.Second, "risktop · risktop", "● OL")
	o.WaitFor(20*time.Second, "risktop · risktop", "● OL")

	// The viewer: Users, R, then what would confirm: refused, no dialog.
	v.Mark()
	v.Key("3")
	v.WaitFor(10*time.Second, "people · merged across vendors by email", "@")
	v.Mark()
	v.Key("R")
	v.WaitFor(5*time.Second, "read-only: this SSH key may view, not act")
	v.Key("\r") // what would confirm: on the list it opens the drill-down
	v.WaitFor(5*time.Second, "joined:")
	if strings.Contains(v.Text(), "Reset Cloudflare risk") {
		t.Error("a viewer saw the reset confirmation")
	}
	if n := len(simSrv.Cloudflare.Resets()); n != 0 {
		t.Fatalf("the simulator saw %d resets from a viewer", n)
	}
	// The viewer watches the audit log.
	v.Mark()
	v.Key("\x1b") // alone: esc and a key in one read are alt+key
	v.WaitFor(5*time.Second, "enter opens a person")
	v.Mark()
	v.Key("6")
	v.WaitFor(5*time.Second, "Audit log")

	// The operator: Users, find someone Cloudflare rates, R.
	email := cloudflareEmail(t, simSrv)
	o.Mark()
	o.Key("3")
	o.WaitFor(10*time.Second, "people · merged across vendors by email", "@")
	o.Mark()
	o.Key("/")
	o.WaitFor(5*time.Second, "apply")
	o.Mark()
	o.Key(email)
	o.WaitFor(5*time.Second, email)
	o.Mark()
	o.Key("\r")
	o.WaitFor(5*time.Second, "enter opens a person")
	o.Mark()
	o.Key("R")
	o.WaitFor(5*time.Second, "Reset Cloudflare risk", email, "[▸Cancel◂]  [ Reset ]")
	o.Mark()
	o.Key("\t")
	o.WaitFor(5*time.Second, "[ Cancel ]  [▸Reset◂]")
	o.Mark()
	o.Key("\r")
	o.WaitFor(15*time.Second, "reset requested for")
	if n := len(simSrv.Cloudflare.Resets()); n != 1 {
		t.Fatalf("the simulator saw %d resets, want 1", n)
	}
	// Every dashboard hears of it: the viewer's audit tab shows the row.
	v.WaitFor(10*time.Second, "reset-user", "ssh:SHA") // the column is cut at 80×24

	// Audited with the operator's key, in the store and the file.
	line := waitAuditLine(t, audit, actions.ActionResetUser)
	if want := "ssh:" + op.Fingerprint + " omar@soc-laptop"; line.Actor != want || line.Result != actions.ResultOK {
		t.Errorf("audit line %+v, want actor %q and ok", line, want)
	}

	// y copies the selected email to the operator's own terminal, OSC 52.
	o.Mark()
	o.Key("y")
	o.WaitFor(5*time.Second, "copied")
	raw := string(o.Raw())
	i := strings.LastIndex(raw, "\x1b]52;c;")
	if i < 0 {
		t.Fatal("no OSC 52 copy reached the operator's terminal")
	}
	end := strings.IndexAny(raw[i+7:], "\x07\x1b")
	copied, err := base64.StdEncoding.DecodeString(raw[i+7 : i+7+end])
	if err != nil || !strings.Contains(string(copied), "@") {
		t.Errorf("copied %q (%v), want an email", copied, err)
	}
	if strings.Contains(string(v.Raw()), "\x1b]52;") {
		t.Error("the operator's copy reached the viewer's terminal")
	}

	// SIGTERM: goodbye to both, exit 0, nothing left behind.
	if code := s.stop(); code != 0 {
		t.Errorf("risktop serve exited %d:\n%s%s", code, s.out, s.errOut)
	}
	for _, tt := range []*sshtest.Term{v, o} {
		tt.WaitFor(5*time.Second, "risktop: the server is shutting down; goodbye.")
		if code := tt.Wait(5 * time.Second); code != 0 {
			t.Errorf("session exit %d", code)
		}
	}
	log := s.log()
	for _, want := range []string{
		`msg="ssh session" fingerprint=` + viewer.Fingerprint + " comment=vera@soc-laptop role=viewer remote=127.0.0.1:",
		`msg="ssh session" fingerprint=` + op.Fingerprint + " comment=omar@soc-laptop role=operator remote=127.0.0.1:",
		`end="server shutdown"`, "duration=", "ssh server stopped", "pollers stopped",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{cfsim.DefaultToken, "PRIVATE KEY"} {
		if strings.Contains(log, secret) || strings.Contains(s.out.String(), secret) {
			t.Errorf("a secret (%q) reached the log or the start-up lines", secret)
		}
	}
	waitGoroutines(t, before)
}

// cloudflareEmail is the email of someone in Cloudflare's risk table.
func cloudflareEmail(t *testing.T, s *sim.Server) string {
	t.Helper()
	ids := s.Cloudflare.RiskyUsers()
	if len(ids) == 0 {
		t.Fatal("the simulator's Cloudflare rates nobody")
	}
	for _, p := range s.World.People() {
		if p.CloudflareID == ids[0] {
			return p.Email
		}
	}
	t.Fatalf("no person has Cloudflare id %s", ids[0])
	return ""
}

// waitAuditLine waits for the audit file's first line of action.
func waitAuditLine(t *testing.T, path, action string) struct{ Actor, Action, Result string } {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.Open(path)
		if err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var l struct{ Actor, Action, Result string }
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Action == action {
					f.Close()
					return l
				}
			}
			f.Close()
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(path)
			t.Fatalf("no %s line in %s:\n%s", action, path, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeEmptyKeysRefuseEveryone: the server starts, says at once that
// nobody can log in, and lets nobody in, not even a listed operator.
func TestServeEmptyKeysRefuseEveryone(t *testing.T) {
	op := sshtest.NewKey(t, "omar")
	ops := sshtest.WriteKeys(t, "operators", op.Line)
	for name, path := range map[string]string{
		"empty":      sshtest.WriteKeys(t, "authorized_keys", "# to be filled"),
		"unreadable": filepath.Join(t.TempDir(), "missing"),
	} {
		t.Run(name, func(t *testing.T) {
			s := startServe(t, "--demo", "--authorized-keys", path, "--operators", ops)
			for _, want := range []string{"NOBODY can log in, operators included", "warning: nobody can log in yet"} {
				if !strings.Contains(s.out.String(), want) {
					t.Errorf("start-up lines lack %q:\n%s", want, s.out)
				}
			}
			if c, err := sshtest.Dial(s.addr, op, gossh.FixedHostKey(s.hostKey)); err == nil {
				c.Close()
				t.Fatal("an operator got in with no authorized keys")
			}
		})
	}
}

// TestServeRefusesUnsafeKeyFiles: a key file another user could write is
// refused at start like an unreadable one, and the start-up lines name
// the file and the fix.
func TestServeRefusesUnsafeKeyFiles(t *testing.T) {
	op := sshtest.NewKey(t, "omar")
	t.Run("authorized keys", func(t *testing.T) {
		auth := sshtest.WriteKeys(t, "authorized_keys", op.Line)
		os.Chmod(auth, 0o666)
		s := startServe(t, "--demo", "--no-scenario", "--authorized-keys", auth, "--operators", sshtest.WriteKeys(t, "operators", op.Line))
		for _, want := range []string{"authorized keys: file " + auth + " can be written by other users (mode 0666); run chmod go-w " + auth,
			"NOBODY can log in, operators included", "warning: nobody can log in yet"} {
			if !strings.Contains(s.out.String(), want) {
				t.Errorf("start-up lines lack %q:\n%s", want, s.out)
			}
		}
		if c, err := sshtest.Dial(s.addr, op, gossh.FixedHostKey(s.hostKey)); err == nil {
			c.Close()
			t.Fatal("an operator got in through a world-writable authorized-keys file")
		}
	})
	t.Run("operators", func(t *testing.T) {
		ops := sshtest.WriteKeys(t, "operators", op.Line)
		os.Chmod(ops, 0o666)
		s := startServe(t, "--demo", "--no-scenario", "--authorized-keys", sshtest.WriteKeys(t, "authorized_keys", op.Line), "--operators", ops)
		for _, want := range []string{"operators: file " + ops + " can be written by other users (mode 0666); run chmod go-w " + ops, "nobody can act"} {
			if !strings.Contains(s.out.String(), want) {
				t.Errorf("start-up lines lack %q:\n%s", want, s.out)
			}
		}
		_, tt := s.connect(op)
		tt.WaitFor(20*time.Second, "risktop · demo") // at 80 columns the title is cut to make room for the sources
		tt.Key("q")
		tt.Wait(10 * time.Second)
		if log := s.log(); !strings.Contains(log, "fingerprint="+op.Fingerprint+" comment=omar role=viewer") {
			t.Errorf("the operator was not a mere viewer:\n%s", log)
		}
	})
}

// TestServeDemo: the demo over SSH; without --operators every key views.
func TestServeDemo(t *testing.T) {
	k := sshtest.NewKey(t, "guest")
	s := startServe(t, "--demo", "--no-scenario", "--authorized-keys", sshtest.WriteKeys(t, "authorized_keys", k.Line))
	for _, want := range []string{"every key is a viewer, and nobody can act", "demo: actions reach only the simulator"} {
		if !strings.Contains(s.out.String(), want) {
			t.Errorf("start-up lines lack %q:\n%s", want, s.out)
		}
	}
	_, tt := s.connect(k)
	tt.WaitFor(20*time.Second, "risktop · demo", "● OL") // at 80 columns the title is cut
	tt.Key("3")
	tt.WaitFor(10*time.Second, "people · merged across vendors by email")
	tt.Mark()
	tt.Key("R")
	tt.WaitFor(5*time.Second, "may view, not act")
	tt.Key("q")
	if code := tt.Wait(10 * time.Second); code != 0 {
		t.Errorf("exit %d after q", code)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("exit %d:\n%s", code, s.errOut)
	}
}

func TestServeFlags(t *testing.T) {
	keys := sshtest.WriteKeys(t, "authorized_keys", sshtest.NewKey(t, "").Line)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "--authorized-keys is required"},
		{[]string{"serve", "--demo", "--config", "x.yaml", "--authorized-keys", keys}, 2, "--config is not used with it"},
		{[]string{"serve", "--demo", "--authorized-keys", keys, "--idle-timeout", "10s"}, 2, "--idle-timeout 10s: use 1m or more, or 0 for never"},
		{[]string{"serve", "--demo", "--authorized-keys", keys, "--max-sessions", "0"}, 2, "--max-sessions 0: use 1 to 256"},
		{[]string{"serve", "--help"}, 0, "--operators"},
		{[]string{"serve", "--demo", "--authorized-keys", keys, "--listen", "127.0.0.1:notaport", "--host-key", filepath.Join(t.TempDir(), "k"),
			"--log", filepath.Join(t.TempDir(), "l")}, 1, "cannot listen on 127.0.0.1:notaport"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s%s", c.args, code, c.code, c.want, &out, &errOut)
		}
	}
}
