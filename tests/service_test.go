package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// jwtSecret is the HMAC key every service under test verifies tokens with.
const jwtSecret = "e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz"

// secretsKey seals the secrets of API-created subscriptions in the store.
const secretsKey = "ZTJlLXNlY3JldHMta2V5LTAxMjM0NTY3ODlhYmNkZWY="

// startTimeout bounds a service's start-up (embedded store included) and
// stopTimeout its graceful shutdown.
const (
	startTimeout = 20 * time.Second
	stopTimeout  = 20 * time.Second
)

// service is one run of the binary: a subprocess listening on a free
// loopback port. Its stderr (JSON logs) is kept and shown when the test
// fails.
type service struct {
	t    testing.TB
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and its log is read
	err  error         // Wait's result, set before done closes

	mu  sync.Mutex
	log []string
}

// baseEnv is the configuration of a deployment against the AMI at amiAddr:
// the recorded office's Local agent channels, fast reconnects, and a data
// dir of its own.
func baseEnv(amiAddr, dataDir string) []string {
	return []string{
		"AMIGATE_HTTP_ADDR=127.0.0.1:0",
		"AMIGATE_AMI_ADDR=" + amiAddr,
		"AMIGATE_AMI_USERNAME=amigate",
		"AMIGATE_AMI_SECRET=amigate",
		"AMIGATE_AMI_RECONNECT_MIN=20ms",
		"AMIGATE_AMI_RECONNECT_MAX=100ms",
		"AMIGATE_AMI_ACTION_TIMEOUT=5s",
		"AMIGATE_JWT_SECRET=" + jwtSecret,
		"AMIGATE_SECRETS_KEY=" + secretsKey,
		"AMIGATE_DIAL_AGENT_CHANNEL=Local/{ext}@phones",
		// The office's dialplan dials national digits: "+7 900..." → 7900....
		"AMIGATE_DIAL_REWRITE=+7=7",
		"AMIGATE_DATA_DIR=" + dataDir,
		"AMIGATE_WEBHOOK_ALLOW_PRIVATE=true",
		"AMIGATE_LOG_LEVEL=info",
	}
}

// startService runs the binary with env (and nothing of the test
// process's own AMIGATE_* environment), waits until it logs the address it
// serves on, and stops it when the test ends: SIGTERM, then SIGKILL if it
// does not exit within stopTimeout.
func startService(t testing.TB, env []string) *service {
	t.Helper()
	s := &service{t: t, done: make(chan struct{})}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Env = append(cleanEnviron(), env...)
	s.cmd.SysProcAttr = procAttr()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	if addr := lastValue(env, "AMIGATE_HTTP_ADDR"); !strings.HasSuffix(addr, ":0") {
		// A fixed address: the service may log too little to say it serves.
		go awaitHealthz(s.done, "http://"+addr, urls)
	}
	go func() {
		s.readLog(stderr, urls)
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			s.dumpLog()
		}
	})
	select {
	case s.URL = <-urls:
		return s
	case <-s.done:
		t.Fatalf("service exited before serving: %v", s.err)
	case <-time.After(startTimeout):
		t.Fatalf("service not serving within %v", startTimeout)
	}
	return nil
}

// readLog keeps every log line and sends the URL of the "serving" line.
func (s *service) readLog(r io.Reader, urls chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.log = append(s.log, line)
		s.mu.Unlock()
		if sent {
			continue
		}
		var rec struct {
			Msg string `json:"msg"`
			URL string `json:"url"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" && rec.URL != "" {
			select {
			case urls <- rec.URL:
			default: // awaitHealthz was first
			}
			sent = true
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// lastValue returns the value of the last KEY=value in env: the one a
// process sees.
func lastValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if rest, ok := strings.CutPrefix(kv, key+"="); ok {
			v = rest
		}
	}
	return v
}

// awaitHealthz sends url once GET /healthz answers 200, or gives up when
// the process exits.
func awaitHealthz(done <-chan struct{}, url string, urls chan<- string) {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := hc.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				select {
				case urls <- url:
				default:
				}
				return
			}
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address with a port free a moment ago, for
// a service that must listen on a known address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// stop ends the process gracefully and waits for it; a process that does
// not stop in time is killed. A second stop does nothing.
func (s *service) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil { // a graceful shutdown exits 0
			s.t.Errorf("service exited with %v after SIGTERM", s.err)
		}
	case <-time.After(stopTimeout):
		s.t.Errorf("service did not stop within %v of SIGTERM; killing it", stopTimeout)
		s.kill()
	}
}

// kill ends the process with SIGKILL, as a crash or kill -9 would, and
// waits for it.
func (s *service) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// logs returns the log lines so far.
func (s *service) logs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *service) dumpLog() {
	lines := s.logs()
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	s.t.Logf("service %s log (last %d lines):\n%s", s.URL, len(lines), strings.Join(lines, "\n"))
}

// cleanEnviron is the test process's environment without AMIGATE_*
// variables, which would otherwise change the service under test.
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AMIGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

// eventually polls cond until it holds or the deadline passes: tests wait
// for conditions, never for a fixed time.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := poll(ctx, cond); err != nil {
		t.Fatalf("%s: not within %v", what, within)
	}
}

// poll calls cond every few milliseconds until it holds or ctx ends.
func poll(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("poll: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
