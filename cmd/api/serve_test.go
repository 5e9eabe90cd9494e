package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

// startPBX runs a simulated Asterisk, its calls sped up by scale, and
// returns its AMI address.
func startPBX(t testing.TB, scale float64) (*pbxsim.PBX, string) {
	t.Helper()
	pbx := pbxsim.New(pbxsim.Config{Office: pbxsim.DefaultOffice().Scaled(scale)})
	addr, err := pbx.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pbx.Close() }) // after the service's: cleanups run last-in first-out
	return pbx, addr
}

// pbxEnv is the configuration of a real deployment, pointed at a PBX.
func pbxEnv(t testing.TB, addr string, more ...string) []string {
	return append([]string{
		"AMIGATE_HTTP_ADDR=127.0.0.1:0",
		"AMIGATE_AMI_ADDR=" + addr,
		"AMIGATE_AMI_USERNAME=amigate",
		"AMIGATE_AMI_SECRET=amigate",
		"AMIGATE_AMI_RECONNECT_MIN=20ms",
		"AMIGATE_AMI_RECONNECT_MAX=50ms",
		"AMIGATE_JWT_SECRET=" + testSecret,
		"AMIGATE_DIAL_AGENT_CHANNEL=Local/{ext}@phones",
		"AMIGATE_DATA_DIR=" + t.TempDir(),
		"AMIGATE_LOG_LEVEL=error",
	}, more...)
}

// running is serve run by a test: where it listens, and what it wrote.
type running struct {
	started
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error // serve's result, once
	stopped        bool
}

// runServe runs serve with args and env until the test ends or stop is
// called. It fails the test when serve does not start within 30 s; at the
// end, when serve returned an error or did not stop within 30 s, and then
// it logs what the service logged.
func runServe(t testing.TB, args, env []string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	startedc := make(chan started, 1)
	go func() { r.done <- serve(ctx, args, env, r.stdout, r.stderr, func(s started) { startedc <- s }) }()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("service log:\n%s", r.stderr.String())
		}
	})
	select {
	case r.started = <-startedc:
		return r
	case err := <-r.done:
		r.stopped = true
		t.Fatalf("serve returned before starting: %v\n%s", err, r.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("not started within 30s\n%s", r.stderr.String())
	}
	panic("unreachable")
}

// stop ends serve and waits for it: the error it returned, or one saying
// it did not stop within 30 s. Later calls return nil.
func (r *running) stop() error {
	if r.stopped {
		return nil
	}
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("serve did not stop within 30s")
	}
}

// startServe runs serve until the test ends and returns where it listens.
func startServe(t testing.TB, env []string) started {
	t.Helper()
	return runServe(t, nil, env).started
}

func readyz(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeFollowsThePBX runs the service as deployed, against a separate
// PBX: ready while logged in, 503 with the reason while the PBX is gone.
func TestServeFollowsThePBX(t *testing.T) {
	pbx, addr := startPBX(t, 0.01)
	s := startServe(t, pbxEnv(t, addr))
	defer http.DefaultClient.CloseIdleConnections()
	eventually(t, 10*time.Second, "/readyz 200", func() bool { code, _ := readyz(t, s.URL); return code == http.StatusOK })

	if err := pbx.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "/readyz 503 naming the manager", func() bool {
		code, body := readyz(t, s.URL)
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"ami":{"state":`) && !strings.Contains(body, `"ami":{"state":"ready"`)
	})
}

// TestServeWithoutPBX starts without a PBX to log in to: the API serves
// and says why it is not ready (the reason the AMI client classified, and
// its detail), instead of failing or pretending.
func TestServeWithoutPBX(t *testing.T) {
	_, pbxAddr := startPBX(t, 1)
	tests := []struct {
		name   string
		env    []string
		reason string
		detail string
	}{
		{name: "closed port", env: pbxEnv(t, "127.0.0.1:1"), reason: "connection refused", detail: "connection refused"},
		{name: "login refused", env: pbxEnv(t, pbxAddr, "AMIGATE_AMI_SECRET=wrong"), reason: "authentication failed", detail: "Authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServe(t, tt.env)
			defer http.DefaultClient.CloseIdleConnections()
			var body struct {
				Status int
				Detail string
				Checks map[string]struct{ State, Reason, Detail string }
			}
			eventually(t, 10*time.Second, "/readyz naming why", func() bool {
				code, b := readyz(t, s.URL)
				return code == http.StatusServiceUnavailable && json.Unmarshal([]byte(b), &body) == nil && body.Checks["ami"].Reason != ""
			})
			ami := body.Checks["ami"]
			if ami.Reason != tt.reason || !strings.Contains(ami.Detail, tt.detail) || ami.State == "ready" {
				t.Errorf("checks.ami %+v, want reason %q and a detail saying %q", ami, tt.reason, tt.detail)
			}
			if want := "ami: " + ami.State + ": " + tt.reason; !strings.Contains(body.Detail, want) {
				t.Errorf("detail %q lacks %q", body.Detail, want)
			}
		})
	}
}

// TestHealthzWithoutPBX: liveness does not depend on the PBX.
func TestHealthzWithoutPBX(t *testing.T) {
	s := startServe(t, pbxEnv(t, "127.0.0.1:1"))
	defer http.DefaultClient.CloseIdleConnections()
	resp, err := http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d, want 200", resp.StatusCode)
	}
}

// TestServeMalformedRequestIsProblem: a request net/http refuses before
// routing (a NUL in a header) is answered as problem+json by the service
// as deployed, like every other error.
func TestServeMalformedRequestIsProblem(t *testing.T) {
	_, addr := startPBX(t, 0.01)
	s := startServe(t, pbxEnv(t, addr))
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /v1/calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00b\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), "malformed-request") {
		t.Fatalf("got %d %s %q, want a 400 malformed-request problem", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
