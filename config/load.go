package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/risktop/risktop/sources/vendorkit"
)

// Env is where a config reaches outside itself: environment variables for
// ${VAR} and the XDG defaults, and files for <key>_file. The zero value uses
// the process environment and the real file system; tests inject both.
type Env struct {
	LookupEnv func(name string) (string, bool)
	ReadFile  func(path string) ([]byte, error)
}

// MapEnv is an Env whose variables come from vars; files are still read
// from disk.
func MapEnv(vars map[string]string) Env {
	return Env{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func (e Env) lookup(name string) (string, bool) {
	if e.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return e.LookupEnv(name)
}

func (e Env) getenv(name string) string { v, _ := e.lookup(name); return v }

func (e Env) readFile(path string) ([]byte, error) {
	if e.ReadFile == nil {
		return readSecretFile(path)
	}
	return e.ReadFile(path)
}

// MaxSecretFile caps a <key>_file: a token is a few hundred bytes and an
// 8192-bit RSA key in PEM about 6.5 KiB.
const MaxSecretFile = 16 << 10

// readSecretFile reads a regular file of at most MaxSecretFile bytes. A
// device (/dev/zero, /dev/stdin), a pipe or a socket is refused before it
// is opened: reading one could take all memory, or wait forever.
func readSecretFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := notRegular(info); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file opened may not be the one stat saw.
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := notRegular(info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSecretFile {
		return nil, fmt.Errorf("it is over %d KiB, more than any secret risktop takes; is it the right file?", MaxSecretFile>>10)
	}
	return data, nil
}

func notRegular(info fs.FileInfo) error {
	switch m := info.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return errors.New("is a directory")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("it is a named pipe, not a file")
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return errors.New("it is a device, not a file")
	}
	return errors.New("it is not a regular file")
}

// Find picks the config file: the --config flag value, then
// $RISKTOP_CONFIG, then $XDG_CONFIG_HOME/risktop/config.yaml (with
// XDG_CONFIG_HOME defaulting to ~/.config). A path that was named but does
// not exist is an error. When there is no file anywhere, Find returns the
// default path with an error wrapping ErrNotFound, so a caller can offer to
// create it.
func Find(flag string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	named := func(from, p string) (string, error) {
		p, err := expandHome(p, getenv)
		if err != nil {
			return "", fmt.Errorf("config: %s: %w", from, err)
		}
		switch st, err := os.Stat(p); {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("config: %s names %s, which does not exist; fix the path or create the file", from, p)
		case err != nil:
			return "", fmt.Errorf("config: %s names %s, which cannot be read: %v", from, p, plainErr(err))
		case st.IsDir():
			return "", fmt.Errorf("config: %s names %s, which is a directory; name the YAML file in it", from, p)
		}
		return p, nil
	}
	if flag != "" {
		return named("--config", flag)
	}
	if v := getenv("RISKTOP_CONFIG"); v != "" {
		return named("RISKTOP_CONFIG", v)
	}
	dir, err := xdgDir(getenv, "XDG_CONFIG_HOME", ".config")
	if err != nil {
		return "", fmt.Errorf("config: no --config or RISKTOP_CONFIG, and %w", err)
	}
	p := filepath.Join(dir, "risktop", "config.yaml")
	switch st, err := os.Stat(p); {
	case errors.Is(err, fs.ErrNotExist):
		return p, fmt.Errorf("config: %w: risktop looks at --config, then $RISKTOP_CONFIG, then %s; "+
			"create %s from the commented example in the README (config/example.yaml in the source), "+
			"or run risktop sim for a config that works against the simulator", ErrNotFound, p, p)
	case err != nil:
		return "", fmt.Errorf("config: %s cannot be read: %v", p, plainErr(err))
	case st.IsDir():
		return "", fmt.Errorf("config: %s is a directory; it should be the YAML config file", p)
	}
	return p, nil
}

// DefaultStorePath is $XDG_STATE_HOME/risktop/risktop.db, with
// XDG_STATE_HOME defaulting to ~/.local/state.
func DefaultStorePath(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	dir, err := xdgDir(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "risktop", "risktop.db"), nil
}

// DefaultExportDir is $XDG_STATE_HOME/risktop/exports, with XDG_STATE_HOME
// defaulting to ~/.local/state.
func DefaultExportDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	dir, err := xdgDir(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "risktop", "exports"), nil
}

// DefaultHostKeyPath is where risktop serve keeps its SSH host key:
// $XDG_STATE_HOME/risktop/ssh_host_ed25519, beside the store, so it
// survives restarts and clients keep trusting it.
func DefaultHostKeyPath(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	dir, err := xdgDir(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "risktop", "ssh_host_ed25519"), nil
}

// xdgDir follows the XDG base directory spec: a relative value is ignored.
func xdgDir(getenv func(string) string, name, underHome string) (string, error) {
	if v := getenv(name); v != "" && filepath.IsAbs(v) {
		return v, nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("neither %s nor HOME is set; set one of them", name)
	}
	return filepath.Join(home, underHome), nil
}

// expandHome turns a leading ~ or ~/ into $HOME. ~user is not supported.
func expandHome(p string, getenv func(string) string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("cannot expand ~ in %s: HOME is not set; write the full path", p)
	}
	return filepath.Join(home, p[1:]), nil
}

// plainErr drops the path an *fs.PathError repeats, leaving "permission
// denied" or "no such file or directory".
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Load reads, expands and validates the file at path; vendors are the
// sections sources: may hold (sources/vendors.All). The file's own
// permissions decide the literal-secret warning. On a *Errors the returned
// warnings are still meaningful.
func Load(path string, env Env, vendors []vendorkit.Descriptor) (*Config, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: cannot open %s: %v", path, plainErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("config: cannot stat %s: %v", path, plainErr(err))
	}
	if st.IsDir() {
		return nil, nil, fmt.Errorf("config: %s is a directory; it should be the YAML config file", path)
	}
	const maxSize = 1 << 20 // a config is a few hundred bytes; this is not one
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("config: cannot read %s: %v", path, plainErr(err))
	}
	if len(data) > maxSize {
		return nil, nil, fmt.Errorf("config: %s is over 1 MiB; is it the right file?", path)
	}
	return parse(path, data, env, vendors, st.Mode().Perm())
}

// Parse validates data as if it were the file called name (used in
// messages and to resolve relative paths). It never warns about file
// permissions; Load does.
func Parse(name string, data []byte, env Env, vendors []vendorkit.Descriptor) (*Config, []Warning, error) {
	return parse(name, data, env, vendors, 0o600)
}
