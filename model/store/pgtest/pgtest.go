// Package pgtest starts throwaway PostgreSQL servers for tests: initdb
// and pg_ctl in a temporary directory, a Unix socket only (no port to
// collide on), fsync off. A test binary shares one server (Shared), each
// test gets a database of its own (NewDatabase); a test that stops or
// restarts the server starts its own (Start).
//
// When the binaries are not installed the tests skip, unless
// RISKTOP_REQUIRE_POSTGRES is set (.ci/run sets it after installing
// postgresql): then they fail, so no PostgreSQL test skips in CI.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv, when set, turns a missing PostgreSQL into a failure.
const RequireEnv = "RISKTOP_REQUIRE_POSTGRES"

// Superuser is the role initdb creates; it owns every test database.
const Superuser = "risktop"

// Server is one running PostgreSQL cluster.
type Server struct {
	bin     string // the directory of initdb, pg_ctl and postgres
	dir     string // data, socket and log live here
	data    string
	sock    string
	log     string
	cred    *syscall.Credential // whom the server runs as (postgres refuses root)
	mu      sync.Mutex
	running bool
}

// binDir finds initdb and pg_ctl: on PATH, else the newest of Debian's
// /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unavailable skips the test, or fails it when PostgreSQL is required.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("pgtest: %v (%s is set: PostgreSQL is required)", err, RequireEnv)
	}
	t.Skipf("pgtest: %v; skipped (set %s to fail instead)", err, RequireEnv)
}

// runAs is whom the server runs as: this user, or "postgres" (else
// "nobody") when this is root, which postgres refuses to run as.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and there is no postgres or nobody user to run the server as")
}

// Start initialises and starts a server of the test's own, stopped and
// removed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		if errors.Is(err, errNotInstalled) {
			unavailable(t, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(s.Remove)
	return s
}

var errNotInstalled = errors.New("not installed")

func start() (*Server, error) {
	// Not t.TempDir: the server's user must reach it, and a socket path
	// has to stay under 108 bytes.
	dir, err := os.MkdirTemp("", "risktop-pg-")
	if err != nil {
		return nil, err
	}
	s, err := startIn(dir)
	if err != nil {
		os.RemoveAll(dir)
	}
	return s, err
}

// StartIn starts a server whose data lives in dir, initialised when dir
// holds none, and stays there after Stop: the benchmarks keep their
// fixture between runs in it. dir's path must be short (the socket is
// in it).
func StartIn(dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return startIn(dir)
}

func startIn(dir string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotInstalled, err)
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, data: filepath.Join(dir, "data"), sock: dir, log: filepath.Join(dir, "server.log"), cred: cred}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(s.data, "PG_VERSION")); err != nil {
		if out, err := s.command("initdb", "-D", s.data, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
		}
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// command runs one of the server's programs as the server's user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

// Start starts the server (again, after Stop); it waits until the server
// accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	opts := strings.Join([]string{
		// fsync off: the OS keeps what a killed server wrote. Commits stay
		// synchronous, so a restart loses nothing committed.
		"-c listen_addresses=''", "-k " + s.sock, "-c fsync=off",
		"-c full_page_writes=off", "-c max_connections=200", "-c shared_buffers=64MB",
	}, " ")
	if out, err := s.command("pg_ctl", "start", "-w", "-t", "60", "-D", s.data, "-l", s.log, "-o", opts).CombinedOutput(); err != nil {
		logText, _ := os.ReadFile(s.log)
		return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\n%s", err, out, logText)
	}
	s.running = true
	return nil
}

// Stop stops the server at once (connections are cut, as in a crash of
// the database host; the data stays).
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	if out, err := s.command("pg_ctl", "stop", "-w", "-t", "60", "-D", s.data, "-m", "immediate").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Restart stops and starts the server.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// Remove stops the server and deletes its directory.
func (s *Server) Remove() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// URL is a connection URL for database db as the superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&sslmode=disable", Superuser, db, s.sock)
}

// Log is what the server has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

var dbs atomic.Int64

// NewDatabase creates an empty database and returns its URL; it is
// dropped when the test ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1))
	if err := s.exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return s.URL(name)
}

// exec runs one statement in the postgres database.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared is the test binary's one server, started on first use and
// stopped by Main.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		if errors.Is(shared.err, errNotInstalled) {
			unavailable(t, shared.err)
		}
		t.Fatal(shared.err)
	}
	return shared.srv
}

// NewDatabase is a fresh database on the shared server.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// Main runs a test binary's tests and then stops the shared server:
// call it from TestMain (os.Exit(pgtest.Main(m))).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Remove()
	}
	return code
}
