package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// HostKey loads the server's host key from path, or, when there is no
// file there, generates an Ed25519 key and writes it (0600, in a 0700
// directory, with the public half beside it as path.pub) so restarts keep
// the same key and clients keep trusting it. created says which happened.
// No error carries any of the key's content.
func HostKey(path string) (signer gossh.Signer, created bool, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s, err := newHostKey(path)
		return s, err == nil, err
	case err != nil:
		return nil, false, fmt.Errorf("host key %s: %v", path, plainErr(err))
	case info.IsDir():
		return nil, false, fmt.Errorf("host key %s is a directory; name the key file", path)
	case info.Mode().Perm()&0o077 != 0:
		// sshd refuses such a key too: anyone who can read it can pose as
		// this server.
		return nil, false, fmt.Errorf("host key %s can be read by other users (mode %04o); run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("host key %s: %v", path, plainErr(err))
	}
	s, err := gossh.ParsePrivateKey(data)
	var missing *gossh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, false, fmt.Errorf("host key %s is protected by a passphrase, which a server cannot type; give a key without one, or remove the file to have a new one made", path)
	case err != nil:
		return nil, false, fmt.Errorf("host key %s is not a private key risktop can use; remove it to have a new one made", path)
	}
	return s, false, nil
}

func newHostKey(path string) (gossh.Signer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("host key: cannot create the directory of %s: %v", path, plainErr(err))
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "risktop serve host key")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// O_EXCL: a key that appeared meanwhile (another server starting) is
	// never overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("host key: cannot create %s: %v", path, plainErr(err))
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("host key: cannot write %s: %v", path, plainErr(err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("host key: cannot write %s: %v", path, plainErr(err))
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// The public half, for known_hosts; losing it costs nothing.
	_ = os.WriteFile(path+".pub", gossh.MarshalAuthorizedKey(sshPub), 0o644)
	return signer, nil
}
