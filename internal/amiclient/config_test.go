package amiclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/amitest"
)

func TestConfigValidation(t *testing.T) {
	ok := Config{Addr: "127.0.0.1:5038", Username: "crm"}
	tests := []struct {
		name string
		mut  func(*Config)
	}{
		{"no addr", func(c *Config) { c.Addr = "" }},
		{"no username", func(c *Config) { c.Username = "" }},
		{"CRLF in username", func(c *Config) { c.Username = "crm\r\nAction: Logoff" }},
		{"LF in secret", func(c *Config) { c.Secret = "a\nb" }},
		{"NUL in events", func(c *Config) { c.Events = "on\x00" }},
		{"bad auth", func(c *Config) { c.Auth = "sha1" }},
		{"negative timeout", func(c *Config) { c.ActionTimeout = -time.Second }},
		{"backoff max below min", func(c *Config) { c.BackoffMin, c.BackoffMax = time.Second, time.Millisecond }},
	}
	for _, tc := range tests {
		cfg := ok
		tc.mut(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tc.name, err)
		}
	}
	cfg := ok
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if cfg.Auth != "md5" || cfg.Events != "on" || cfg.MaxMessageSize != 1<<20 || cfg.ActionTimeout != DefaultActionTimeout ||
		cfg.PingInterval != DefaultPingInterval || cfg.BackoffMax != DefaultBackoffMax || cfg.Metrics == nil || cfg.Now == nil {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for n := 0; n < 70; n++ {
		full := hi
		if n < 5 {
			full = lo << n
		}
		for range 20 {
			d := backoff(lo, hi, n)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %v outside [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{Connecting: "connecting", Authenticating: "authenticating", Ready: "ready", BackingOff: "backing_off", Closed: "closed", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: got %q, want %q", int(s), got, want)
		}
	}
}

// selfSigned writes a CA-and-server certificate for localhost/127.0.0.1 to
// dir and returns its PEM path and the server's TLS config.
func selfSigned(t *testing.T, dir string) (string, *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "asterisk"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, serverTLS := selfSigned(t, dir)
	srv := amitest.Start(t, amitest.Config{TLS: serverTLS})

	t.Run("trusted CA", func(t *testing.T) {
		tcfg, err := TLSConfig(caFile, "localhost")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, srv.Addr())
		cfg.TLS = tcfg
		c := start(t, cfg)
		waitReady(t, c)
		if err := c.Ping(ctxT(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("server name from addr", func(t *testing.T) {
		tcfg, err := TLSConfig(caFile, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, srv.Addr()) // 127.0.0.1 is in the certificate
		cfg.TLS = tcfg
		waitReady(t, start(t, cfg))
	})
	t.Run("untrusted", func(t *testing.T) {
		cfg := testConfig(t, srv.Addr())
		cfg.TLS = &tls.Config{ServerName: "localhost"} // system roots
		cfg.Logger = discardLogger
		// The first attempt has failed once the client backs off; then
		// WaitReady, given no time, reports that attempt's error.
		failed := make(chan struct{})
		var once sync.Once
		cfg.OnStateChange = func(s State) {
			if s == BackingOff {
				once.Do(func() { close(failed) })
			}
		}
		c := start(t, cfg)
		select {
		case <-failed:
		case <-time.After(20 * time.Second):
			t.Fatalf("no failed attempt in 20 s; state %v", c.State())
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var uerr x509.UnknownAuthorityError
		err := c.WaitReady(ctx)
		if !errors.As(err, &uerr) {
			t.Fatalf("WaitReady: got %v, want an unknown authority error", err)
		}
	})
	t.Run("bad CA file", func(t *testing.T) {
		if _, err := TLSConfig(filepath.Join(dir, "missing.pem"), ""); err == nil {
			t.Error("missing file: accepted")
		}
		empty := filepath.Join(dir, "empty.pem")
		os.WriteFile(empty, []byte("nothing"), 0o600)
		if _, err := TLSConfig(empty, ""); err == nil {
			t.Error("file without certificates: accepted")
		}
	})
}
