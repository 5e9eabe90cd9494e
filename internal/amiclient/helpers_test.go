package amiclient

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate/internal/ami"
)

const transcripts = "../../testdata/ami"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLogger logs warnings and errors through t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// testConfig is a fast-reconnecting, non-pinging client for addr.
func testConfig(t testing.TB, addr string) Config {
	return Config{
		Addr: addr, Username: "crm", Secret: "crmsecret", Auth: "plain",
		PingInterval: -1, LoginTimeout: 5 * time.Second, ActionTimeout: 5 * time.Second,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Logger: testLogger(t),
	}
}

// gatedDial holds the first dial until release is closed, so a test can
// subscribe before the client connects.
func gatedDial(release <-chan struct{}) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// start makes a client from cfg and closes it when the test ends.
func start(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// ctxLiveness bounds a wait whose speed the test does not assert, only
// that it ends (no deadlock): CPU-bound work such as parsing megabytes
// under -race on a loaded machine takes what it takes. It ends shortly
// before the test binary's -timeout, so that the failure names the step.
func ctxLiveness(t *testing.T) context.Context {
	dl, ok := t.Deadline()
	if !ok {
		return ctxT(t, 10*time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), dl.Add(-10*time.Second))
	t.Cleanup(cancel)
	return ctx
}

func waitReady(t testing.TB, c *Client) {
	t.Helper()
	if err := c.WaitReady(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
}

// withoutActionID renders a message with its ActionID values blanked, to
// compare messages whose ids the client chose.
func withoutActionID(m ami.Message) string {
	out := ami.Message{Fields: append([]ami.Field(nil), m.Fields...)}
	for i := range out.Fields {
		if ami.EqualFold(out.Fields[i].Name, "ActionID") {
			out.Fields[i].Value = "*"
		}
	}
	return out.String()
}

// drain closes the client and returns everything the subscription still
// holds (Next returns ErrClosed once it is empty).
func drain(t testing.TB, c *Client, s *Subscription) []Event {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var out []Event
	for {
		ev, err := s.Next(ctxT(t, 5*time.Second))
		if err != nil {
			if err != ErrClosed {
				t.Fatalf("Next: got %v, want ErrClosed after the queue", err)
			}
			return out
		}
		out = append(out, ev)
	}
}
