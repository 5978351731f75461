package remote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/sources/privfile"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/ui/words"
)

// Role is what a key may do.
type Role int

const (
	RoleViewer   Role = iota + 1 // sees everything, acts on nothing
	RoleOperator                 // may act (unless the server is read-only)
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	}
	return "none"
}

// Identity is an authenticated key: its SHA256 fingerprint, the comment
// from the key file (sanitized), and its role.
type Identity struct {
	Fingerprint string
	Comment     string
	Role        Role
}

// maxKeyFile caps a key file: a list of public keys is a few KB.
const maxKeyFile = 1 << 20

// Options an authorized_keys line may carry that risktop can ignore safely:
// they forbid what risktop serve never offers. Any other option (from=,
// command=, no-pty, restrict, expiry-time=…) would restrict the key in a
// way risktop cannot honour, so such a key is skipped rather than let in
// more widely than its owner wrote.
var ignorableOptions = []string{"no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc"}

// Keyring answers "who is this key?" from two files in authorized_keys
// format: the authorized keys (viewers) and the operators. A key in the
// operators file is an operator whether or not it is also authorized.
//
// The authorized-keys file is the server's gate: when it cannot be read or
// holds no usable key, nobody gets in, operators included (fail closed:
// a broken main list means a broken deployment, not an open one).
//
// A file that another local user could change (writable by group or
// others, owned by another user, or in a directory they can write; see
// privfile.CheckFile) is refused as if it could not be read: whoever can
// write it could add their own key.
//
// Each lookup checks both files' permissions, and re-reads one whose
// size, time or inode changed, so adding or removing a key takes effect
// at the next login without a restart, and so does a file turning
// unsafe; sessions already open keep the role they logged in with.
type Keyring struct {
	log *slog.Logger

	mu   sync.Mutex
	auth keyFile
	ops  keyFile // path "": no operators file
}

// keyFile is one file as last read.
type keyFile struct {
	path     string
	info     fs.FileInfo // nil: not read (missing or unreadable)
	keys     map[string]string
	problems []string // "line 3: …", skipped lines
	err      error    // why it could not be read, or why it was refused
}

// refused reports whether the file was refused for its permissions.
func (f *keyFile) refused() bool { return errors.Is(f.err, privfile.ErrUnsafe) }

// NewKeyring reads both files. operatorsPath may be "" (no operators). The
// keyring is returned even when a file cannot be read: it refuses what it
// cannot check, and Status says why.
func NewKeyring(authorizedPath, operatorsPath string, log *slog.Logger) *Keyring {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{log: log, auth: keyFile{path: authorizedPath}, ops: keyFile{path: operatorsPath}}
	k.auth.load()
	if operatorsPath != "" {
		k.ops.load()
	}
	return k
}

// Status describes the key files for the start-up message: how many keys
// each holds, each skipped line, and whether anyone can get in.
type Status struct {
	Viewers   int      // keys only in the authorized-keys file
	Operators int      // keys in the operators file
	Lines     []string // what to tell the person starting the server
	Open      bool     // at least one key can log in
}

// Status reports the files as last read.
func (k *Keyring) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	var st Status
	for fp := range k.auth.keys {
		if _, op := k.ops.keys[fp]; !op {
			st.Viewers++
		}
	}
	st.Operators = len(k.ops.keys)
	st.Open = k.gateOpen()
	say := func(f string, args ...any) { st.Lines = append(st.Lines, fmt.Sprintf(f, args...)) }
	switch {
	case k.auth.refused():
		say("authorized keys: %v. Refused: NOBODY can log in, operators included, until that is fixed", k.auth.err)
	case k.auth.err != nil:
		say("authorized keys: %s cannot be read (%v): NOBODY can log in, operators included, until it can", k.auth.path, k.auth.err)
	case len(k.auth.keys) == 0:
		say("authorized keys: %s lists no usable key: NOBODY can log in, operators included, until it does", k.auth.path)
	default:
		say("authorized keys: %s: %s", k.auth.path, words.Plural(len(k.auth.keys), "key"))
	}
	for _, p := range k.auth.problems {
		say("  %s: %s", k.auth.path, p)
	}
	switch {
	case k.ops.path == "":
		say("operators: none (no --operators file): every key is a viewer, and nobody can act")
	case k.ops.refused():
		say("operators: %v. Refused: nobody can act until that is fixed", k.ops.err)
	case k.ops.err != nil:
		say("operators: %s cannot be read (%v): nobody can act until it can", k.ops.path, k.ops.err)
	default:
		say("operators: %s: %s", k.ops.path, words.Plural(len(k.ops.keys), "key"))
	}
	for _, p := range k.ops.problems {
		say("  %s: %s", k.ops.path, p)
	}
	return st
}

// gateOpen reports whether the authorized-keys file lets anyone in; k.mu
// is held.
func (k *Keyring) gateOpen() bool { return k.auth.err == nil && len(k.auth.keys) > 0 }

// Lookup returns who key is, re-reading a file that changed. ok is false
// for a key in neither file, and for every key while the authorized-keys
// file is unreadable or empty.
func (k *Keyring) Lookup(key gossh.PublicKey) (Identity, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refresh(&k.auth, "authorized keys")
	if k.ops.path != "" {
		k.refresh(&k.ops, "operators")
	}
	if !k.gateOpen() {
		return Identity{}, false
	}
	fp := gossh.FingerprintSHA256(key)
	if c, ok := k.ops.keys[fp]; ok {
		return Identity{Fingerprint: fp, Comment: c, Role: RoleOperator}, true
	}
	if c, ok := k.auth.keys[fp]; ok {
		return Identity{Fingerprint: fp, Comment: c, Role: RoleViewer}, true
	}
	return Identity{}, false
}

// refresh re-reads f when the file changed since it was read, and logs
// what the new version holds; it refuses f when its permissions stopped
// being safe (a chmod changes neither size nor time). k.mu is held.
func (k *Keyring) refresh(f *keyFile, what string) {
	if err := privfile.CheckFile(f.path); errors.Is(err, privfile.ErrUnsafe) {
		if f.err == nil || f.err.Error() != err.Error() {
			k.log.Error("ssh keys refused", "file", what, "path", f.path, "err", err)
		}
		f.keys, f.problems, f.info, f.err = map[string]string{}, nil, nil, err
		return
	}
	info, err := os.Stat(f.path)
	if err == nil && f.info != nil && os.SameFile(info, f.info) && info.ModTime().Equal(f.info.ModTime()) && info.Size() == f.info.Size() {
		return
	}
	if err != nil && f.err != nil {
		return // still unreadable; said so when it became so
	}
	prev := f.err
	f.load()
	if f.err != nil {
		if prev == nil || prev.Error() != f.err.Error() {
			k.log.Error("ssh keys unreadable", "file", what, "path", f.path, "err", f.err)
		}
		return
	}
	k.log.Info("ssh keys reloaded", "file", what, "path", f.path, "keys", len(f.keys), "skipped", len(f.problems))
	for _, p := range f.problems {
		k.log.Warn("ssh key skipped", "file", what, "path", f.path, "problem", p)
	}
}

// load reads the file from scratch. A file that cannot be read, or that
// another user could have written, holds no key.
func (f *keyFile) load() {
	f.keys, f.problems, f.err, f.info = map[string]string{}, nil, nil, nil
	if err := privfile.CheckFile(f.path); errors.Is(err, privfile.ErrUnsafe) {
		f.err = err
		return
	}
	// A FIFO would hold the open, and every login with it.
	if info, err := os.Stat(f.path); err == nil && !info.IsDir() && !info.Mode().IsRegular() {
		f.err = errors.New("it is not a regular file")
		return
	}
	file, err := os.Open(f.path)
	if err != nil {
		f.err = plainErr(err)
		return
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		f.err = plainErr(err)
		return
	}
	if info.IsDir() {
		f.err = errors.New("it is a directory; name the file in it")
		return
	}
	data, err := io.ReadAll(io.LimitReader(file, maxKeyFile+1))
	if err != nil {
		f.err = plainErr(err)
		return
	}
	if len(data) > maxKeyFile {
		f.err = fmt.Errorf("it is over %d KiB, which no list of public keys is; is it the right file?", maxKeyFile>>10)
		return
	}
	f.info = info
	f.keys, f.problems = parseKeys(data)
}

// parseKeys reads authorized_keys lines. A line that is not a usable
// public key is skipped and reported by number, never quoted: a pasted
// private key must not reach a log.
func parseKeys(data []byte) (map[string]string, []string) {
	keys := map[string]string{}
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxKeyFile)
	inPrivate := 0 // the line a private key block started on
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case inPrivate > 0:
			if strings.HasPrefix(line, "-----END") {
				inPrivate = 0
			}
			continue
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "-----BEGIN") || strings.Contains(line, "PRIVATE KEY"):
			problems = append(problems, fmt.Sprintf("line %d: a PRIVATE key; remove it at once (private keys stay on the client; this file takes public keys, one a line)", n))
			if !strings.HasPrefix(line, "-----END") {
				inPrivate = n
			}
			continue
		}
		pub, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: not a public key (%v); skipped", n, strings.TrimPrefix(err.Error(), "ssh: ")))
			continue
		}
		if _, cert := pub.(*gossh.Certificate); cert {
			problems = append(problems, fmt.Sprintf("line %d: a certificate; risktop serve takes plain public keys; skipped", n))
			continue
		}
		if bad := unsupportedOptions(options); len(bad) > 0 {
			problems = append(problems, fmt.Sprintf("line %d: option %s, which risktop serve cannot honour; key skipped (remove the option to let it in)", n, strings.Join(bad, ", ")))
			continue
		}
		keys[gossh.FingerprintSHA256(pub)] = sanitize.LineN(comment, 80)
	}
	if inPrivate > 0 {
		problems = append(problems, fmt.Sprintf("line %d: the private key has no END line", inPrivate))
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("after the last key: %v", err))
	}
	return keys, problems
}

// unsupportedOptions are the options of a key that cannot be ignored, by
// name only (a from= value is not worth logging).
func unsupportedOptions(options []string) []string {
	var bad []string
	for _, o := range options {
		name, _, _ := strings.Cut(o, "=")
		if !slices.Contains(ignorableOptions, strings.ToLower(name)) {
			bad = append(bad, sanitize.LineN(name, 30))
		}
	}
	return bad
}

// plainErr drops the path an *fs.PathError repeats.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
