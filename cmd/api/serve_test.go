package main

import (
	"bufio"
	"context"
	"encoding/json"
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

// startServe runs serve until the test ends and returns where it listens.
func startServe(t testing.TB, env []string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	startedc := make(chan started, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, nil, env, io.Discard, io.Discard, func(s started) { startedc <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("no shutdown within 20s")
		}
	})
	select {
	case s := <-startedc:
		return s
	case err := <-done:
		done <- err
		t.Fatalf("serve returned before starting: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("not started within 20s")
	}
	return started{}
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
