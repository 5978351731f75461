package remote

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/risktop/risktop/ui/remote/sshtest"
)

// kexInit is what the server's first key-exchange packet offers.
type kexInit struct {
	Kex, HostKey, CiphersCS, CiphersSC, MACsCS, MACsSC, CompCS, CompSC []string
}

// readKexInit reads the server's KEXINIT from a plain TCP connection: it
// comes unencrypted, right after the version lines.
func readKexInit(t testing.TB, addr string) kexInit {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "SSH-2.0-risktop-test\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("version line: %v", err)
		}
		if strings.HasPrefix(line, "SSH-") {
			break
		}
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatal(err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > 35000 {
		t.Fatalf("packet of %d bytes", n)
	}
	pkt := make([]byte, n)
	if _, err := io.ReadFull(r, pkt); err != nil {
		t.Fatal(err)
	}
	pad := int(pkt[0])
	p := pkt[1 : int(n)-pad]
	if p[0] != 20 { // SSH_MSG_KEXINIT
		t.Fatalf("first packet is message %d, not KEXINIT", p[0])
	}
	p = p[1+16:] // the cookie
	var lists [10][]string
	for i := range lists {
		l := binary.BigEndian.Uint32(p)
		lists[i] = strings.Split(string(p[4:4+l]), ",")
		p = p[4+l:]
	}
	return kexInit{lists[0], lists[1], lists[2], lists[3], lists[4], lists[5], lists[6], lists[7]}
}

// TestOnlyCurrentAlgorithms: no SHA-1 anywhere: key exchange, MACs,
// client signatures; strict key exchange is offered.
func TestOnlyCurrentAlgorithms(t *testing.T) {
	k := sshtest.NewKey(t, "ava")
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, _ := gossh.NewSignerFromKey(rsaPriv)
	rsaLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(rsaSigner.PublicKey()))) + " old@box"
	f := startServer(t, NewKeyring(sshtest.WriteKeys(t, "authorized_keys", k.Line, rsaLine), "", nil), nil)

	got := readKexInit(t, f.addr)
	want := kexInit{
		Kex: []string{"mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org",
			"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
			"diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512", "kex-strict-s-v00@openssh.com"},
		HostKey:   []string{"ssh-ed25519"},
		CiphersCS: []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"},
		MACsCS:    []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"},
		CompCS:    []string{"none"},
	}
	want.CiphersSC, want.MACsSC, want.CompSC = want.CiphersCS, want.MACsCS, want.CompCS
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the server offers\n%+v\nwant\n%+v", got, want)
	}

	dial := func(cfg gossh.Config, signer gossh.Signer) error {
		c, err := gossh.Dial("tcp", f.addr, &gossh.ClientConfig{Config: cfg, User: "op", HostKeyCallback: gossh.FixedHostKey(f.hostKey),
			Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)}, Timeout: 10 * time.Second})
		if err == nil {
			c.Close()
		}
		return err
	}
	for name, c := range map[string]struct {
		cfg    gossh.Config
		signer gossh.Signer
		want   string
	}{
		"kex diffie-hellman-group14-sha1": {gossh.Config{KeyExchanges: []string{gossh.InsecureKeyExchangeDH14SHA1}}, k.Signer, "no common algorithm for key exchange"},
		"kex diffie-hellman-group1-sha1":  {gossh.Config{KeyExchanges: []string{gossh.InsecureKeyExchangeDH1SHA1}}, k.Signer, "no common algorithm for key exchange"},
		// An AEAD cipher needs no MAC: a MAC is chosen only with CTR.
		"mac hmac-sha1":    {gossh.Config{Ciphers: []string{gossh.CipherAES128CTR}, MACs: []string{gossh.HMACSHA1}}, k.Signer, "no common algorithm for client to server MAC"},
		"mac hmac-sha1-96": {gossh.Config{Ciphers: []string{gossh.CipherAES128CTR}, MACs: []string{gossh.InsecureHMACSHA196}}, k.Signer, "no common algorithm for client to server MAC"},
		"mac hmac-sha2-256 (not ETM)": {gossh.Config{Ciphers: []string{gossh.CipherAES128CTR}, MACs: []string{gossh.HMACSHA256}}, k.Signer,
			"no common algorithm for client to server MAC"},
		"signature ssh-rsa (SHA-1)": {gossh.Config{}, mustAlgorithms(t, rsaSigner, gossh.KeyAlgoRSA), "unable to authenticate"},
	} {
		if err := dial(c.cfg, c.signer); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: dial error %v, want %q", name, err, c.want)
		}
	}
	// The server's log says why the old clients were refused.
	f.waitLog("ssh handshake failed", "no common algorithm for key exchange", "diffie-hellman-group14-sha1",
		"no common algorithm for client to server MAC", "hmac-sha1-96")
	// Current clients get in: the default, each offered MAC with CTR, an
	// RSA key signing with SHA-2.
	for name, c := range map[string]struct {
		cfg    gossh.Config
		signer gossh.Signer
	}{
		"default":                   {gossh.Config{}, k.Signer},
		"aes128-ctr + sha2-256-etm": {gossh.Config{Ciphers: []string{gossh.CipherAES128CTR}, MACs: []string{gossh.HMACSHA256ETM}}, k.Signer},
		"aes256-ctr + sha2-512-etm": {gossh.Config{Ciphers: []string{gossh.CipherAES256CTR}, MACs: []string{gossh.HMACSHA512ETM}}, k.Signer},
		"curve25519":                {gossh.Config{KeyExchanges: []string{gossh.KeyExchangeCurve25519}}, k.Signer},
		"rsa-sha2-256":              {gossh.Config{}, mustAlgorithms(t, rsaSigner, gossh.KeyAlgoRSASHA256)},
	} {
		if err := dial(c.cfg, c.signer); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// OpenSSH's client, when there is one, is refused the same way.
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		return
	}
	_, port, _ := net.SplitHostPort(f.addr)
	for opt, want := range map[string]string{
		"KexAlgorithms=diffie-hellman-group14-sha1": "no matching key exchange method found",
		"MACs=hmac-sha1":    "no matching MAC found",
		"MACs=hmac-sha1-96": "no matching MAC found",
	} {
		args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "Ciphers=aes128-ctr", "-o", opt, "-p", port, "127.0.0.1", "true"}
		out, err := exec.Command(ssh, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("ssh -o %s: %v, want %q:\n%s", opt, err, want, out)
		}
	}
	// With its defaults it gets in (and, without a terminal, is told to
	// use one).
	block, err := gossh.MarshalPrivateKey(k.Private, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ssh, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-i", keyFile, "-p", port, "127.0.0.1").CombinedOutput()
	if !strings.Contains(string(out), "shows the dashboard in a terminal") {
		t.Errorf("ssh with its defaults: %v:\n%s", err, out)
	}
}

func mustAlgorithms(t testing.TB, s gossh.Signer, algos ...string) gossh.Signer {
	t.Helper()
	m, err := gossh.NewSignerWithAlgorithms(s.(gossh.AlgorithmSigner), algos)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
