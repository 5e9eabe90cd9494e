package webhooks

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// TestKill9 runs a dispatcher in a child process, kills it with SIGKILL
// while it is publishing and retrying, and starts a new one on the same
// data directory: every event whose Publish returned is delivered, each
// call in order.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(ev amigate.CallEvent) int {
		if ev.Call.ID == "k-call0" {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
	cmd.Env = append(os.Environ(), "WEBHOOKS_CHILD_DIR="+dir, "WEBHOOKS_CHILD_URL="+rcv.srv.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	published := make(map[string]bool)
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(published) < 30 {
		if id, ok := strings.CutPrefix(lines.Text(), "published "); ok {
			published[id] = true
		}
	}
	waitFor(t, "some deliveries by the child", 10*time.Second, func() bool { return len(rcv.distinct()) > 0 })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for lines.Scan() { // what it printed before dying
		if id, ok := strings.CutPrefix(lines.Text(), "published "); ok {
			published[id] = true
		}
	}

	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusOK })
	cfg := childConfig(dir, rcv.srv.URL)
	cfg.AckWait = time.Minute
	open(t, cfg)
	waitFor(t, "every published event delivered after kill -9", 15*time.Second, func() bool {
		got := rcv.distinct()
		for id := range published {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	rcv.checkOrder(t)
	t.Logf("%d events published before the kill, %d delivered", len(published), len(rcv.distinct()))
}

func childConfig(dir, url string) Config {
	return Config{
		Subscriptions: []ConfigSubscription{{URL: url, Secret: testSecret}},
		DataDir:       dir,
		AllowPrivate:  true,
		Schedule:      []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond},
		Jitter:        -1,
		AckWait:       time.Minute,
	}
}

// TestKill9Child is the process TestKill9 kills; it does nothing on its own.
func TestKill9Child(t *testing.T) {
	dir, url := os.Getenv("WEBHOOKS_CHILD_DIR"), os.Getenv("WEBHOOKS_CHILD_URL")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	d, err := New(context.Background(), childConfig(dir, url))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events("k", 4, 50) {
		if err := d.Publish(context.Background(), []amigate.CallEvent{ev}); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("published " + ev.ID + "\n")
	}
	select {} // until killed
}
