package amiclient

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// fakeMetrics records what the client reports.
type fakeMetrics struct {
	mu         sync.Mutex
	states     []State
	reconnects int
	events     int
	dropped    int
	outcomes   map[string]int // "Action outcome"
}

var _ Metrics = (*fakeMetrics)(nil)

func newFakeMetrics() *fakeMetrics {
	return &fakeMetrics{outcomes: map[string]int{}}
}

func (m *fakeMetrics) SetState(s State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states = append(m.states, s)
}
func (m *fakeMetrics) Reconnected()   { m.mu.Lock(); m.reconnects++; m.mu.Unlock() }
func (m *fakeMetrics) EventReceived() { m.mu.Lock(); m.events++; m.mu.Unlock() }
func (m *fakeMetrics) EventsDropped(n int) {
	m.mu.Lock()
	m.dropped += n
	m.mu.Unlock()
}
func (m *fakeMetrics) ActionDone(action, outcome string, d time.Duration) {
	m.mu.Lock()
	m.outcomes[action+" "+outcome]++
	m.mu.Unlock()
}
func (m *fakeMetrics) outcome(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.outcomes[key]
}

// TestServerClosesMidRequest: an action in flight when the connection drops
// fails at once with ErrDisconnected, is not re-sent after the reconnect,
// and the subscriber sees Disconnected then Connected.
func TestServerClosesMidRequest(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Originate": func(c *amitest.Conn, a ami.Message) { c.Close() },
	}})
	met := newFakeMetrics()
	cfg := testConfig(t, srv.Addr())
	cfg.Metrics = met
	c := start(t, cfg)
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	ctx := ctxT(t, 5*time.Second)

	_, err := c.Originate(ctx, OriginateParams{Channel: "Local/101@phones", Context: "from-internal", Exten: "100", Async: true})
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Originate: got %v, want ErrDisconnected", err)
	}
	if err := srv.WaitAccepted(ctx, 2); err != nil {
		t.Fatal(err)
	}
	waitReady(t, c)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after reconnect: %v", err)
	}
	n := 0
	for _, a := range srv.Actions() {
		if a.Get("Action") == "Originate" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("server got %d Originates, want 1: never re-sent", n)
	}
	for i, want := range []EventKind{KindConnected, KindDisconnected, KindConnected} {
		ev, err := sub.Next(ctx)
		for err == nil && ev.Kind == KindEvent { // FullyBooted
			ev, err = sub.Next(ctx)
		}
		if err != nil || ev.Kind != want {
			t.Fatalf("item %d: got %v %v, want %v", i, ev.Kind, err, want)
		}
	}
	if got := met.outcome("Originate disconnected"); got != 1 {
		t.Errorf("metrics: Originate disconnected = %d, want 1", got)
	}
	met.mu.Lock()
	if met.reconnects != 1 {
		t.Errorf("metrics: reconnects = %d, want 1", met.reconnects)
	}
	met.mu.Unlock()
}

// TestServerNeverAnswers: the waiter is freed by its context or by
// ActionTimeout, and a late answer is discarded without confusing the next
// action.
func TestServerNeverAnswers(t *testing.T) {
	late := make(chan func(), 1)
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Getvar": func(c *amitest.Conn, a ami.Message) {
			late <- func() { c.Reply(a, "Success", "Variable", "X", "Value", "late") }
		},
		"Originate": func(c *amitest.Conn, a ami.Message) {},
	}})
	met := newFakeMetrics()
	cfg := testConfig(t, srv.Addr())
	cfg.ActionTimeout = 100 * time.Millisecond
	cfg.Metrics = met
	c := start(t, cfg)
	waitReady(t, c)

	// Deadline from the context: ErrTimeout and DeadlineExceeded.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := c.Getvar(ctx, "", "X")
	cancel()
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Getvar: got %v, want ErrTimeout wrapping DeadlineExceeded", err)
	}
	answer := <-late
	answer() // the late response must be discarded
	if err := c.Ping(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("Ping after a late response: %v", err)
	}

	// No deadline: ActionTimeout.
	_, err = c.Originate(context.Background(), OriginateParams{Channel: "Local/1@x", Exten: "1", Context: "x"})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Originate: got %v, want ErrTimeout", err)
	}

	// Canceled: freed at once.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.Originate(ctx, OriginateParams{Channel: "Local/1@x", Exten: "1", Context: "x"})
		done <- err
	}()
	if _, err := srv.Action(ctxT(t, 5*time.Second)); err != nil { // Login
		t.Fatal(err)
	}
	waitAction(t, srv, "Originate")
	waitAction(t, srv, "Originate")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Originate: got %v, want Canceled", err)
	}
	for key, want := range map[string]int{"Getvar timeout": 1, "Originate timeout": 1, "Originate canceled": 1, "Ping success": 1} {
		if got := met.outcome(key); got != want {
			t.Errorf("metrics %s: got %d, want %d", key, got, want)
		}
	}
}

// waitAction waits for the server to receive the next action called name.
func waitAction(t *testing.T, srv *amitest.Server, name string) ami.Message {
	t.Helper()
	for {
		a, err := srv.Action(ctxT(t, 5*time.Second))
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if a.Get("Action") == name {
			return a
		}
	}
}

// TestPingTimeout: a server that stops answering Ping is dropped and the
// client reconnects.
func TestPingTimeout(t *testing.T) {
	var mu sync.Mutex
	pings := 0
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Ping": func(c *amitest.Conn, a ami.Message) {
			mu.Lock()
			pings++
			mu.Unlock()
			// never answers
		},
	}})
	states := make(chan State, 64)
	cfg := testConfig(t, srv.Addr())
	cfg.PingInterval, cfg.PingTimeout = 20*time.Millisecond, 50*time.Millisecond
	cfg.Logger = discardLogger
	cfg.OnStateChange = func(s State) { states <- s }
	start(t, cfg)
	if err := srv.WaitAccepted(ctxT(t, 5*time.Second), 2); err != nil {
		t.Fatalf("no reconnect after unanswered pings: %v", err)
	}
	want := []State{Connecting, Authenticating, Ready, BackingOff, Connecting}
	for i, w := range want {
		select {
		case s := <-states:
			if s != w {
				t.Fatalf("state %d: got %v, want %v", i, s, w)
			}
		case <-ctxT(t, 5*time.Second).Done():
			t.Fatalf("state %d: none, want %v", i, w)
		}
	}
}

// TestServerRestart: Asterisk goes away and comes back on the same
// address; the client reconnects by itself and the subscriber is told.
func TestServerRestart(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	cfg := testConfig(t, srv.Addr())
	cfg.Logger = discardLogger
	c := start(t, cfg)
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Lossless: true})
	ctx := ctxT(t, 5*time.Second)
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindConnected {
		t.Fatalf("first item: got %v %v, want connected", ev.Kind, err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	ev, err := sub.Next(ctx)
	if err == nil && ev.Message.Event() == "FullyBooted" { // if it joined before the first batch
		ev, err = sub.Next(ctx)
	}
	if err != nil || ev.Kind != KindDisconnected {
		t.Fatalf("after restart: got %v %v, want disconnected", ev.Kind, err)
	}
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindConnected {
		t.Fatalf("after restart: got %v %v, want connected", ev.Kind, err)
	}
	waitReady(t, c)
	srv.Emit(amitest.Msg("Event", "Newchannel", "Channel", "PJSIP/201-00000002"))
	if ev, err := sub.Next(ctx); err != nil || ev.Message.Event() != "FullyBooted" {
		t.Fatalf("event after restart: got %v %v, want FullyBooted", ev, err)
	}
	if ev, err := sub.Next(ctx); err != nil || ev.Message.Get("Channel") != "PJSIP/201-00000002" {
		t.Fatalf("event after restart: got %v %v", ev, err)
	}
}

// TestNotReady: actions fail fast while not logged in; nothing is queued.
func TestNotReady(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Login": func(c *amitest.Conn, a ami.Message) {}, // stuck authenticating
	}})
	c := start(t, testConfig(t, srv.Addr()))
	waitAction(t, srv, "Login")
	if _, err := c.Send(ctxT(t, time.Second), ami.NewAction("Ping")); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Send: got %v, want ErrNotReady", err)
	}
	if st := c.State(); st != Authenticating {
		t.Fatalf("State: got %v, want authenticating", st)
	}
}

// TestClose: Close stops every goroutine, fails what is in flight, ends
// subscriptions, and a second Close says ErrClosed.
func TestClose(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Originate": func(c *amitest.Conn, a ami.Message) {},
	}})
	c, err := New(testConfig(t, srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{})
	done := make(chan error)
	go func() {
		_, err := c.Originate(context.Background(), OriginateParams{Channel: "Local/1@x", Exten: "1", Context: "x"})
		done <- err
	}()
	waitAction(t, srv, "Originate")
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrDisconnected) {
		t.Fatalf("in flight: got %v, want ErrDisconnected", err)
	}
	if err := c.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: got %v, want ErrClosed", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: got %v, want ErrClosed", err)
	}
	if c.State() != Closed {
		t.Fatalf("State: got %v, want closed", c.State())
	}
	for {
		_, err := sub.Next(ctxT(t, time.Second))
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("Next: got %v, want ErrClosed", err)
		}
	}
	if err := c.WaitReady(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitReady: got %v, want ErrClosed", err)
	}
	srv.Close()
	goleak.VerifyNone(t)
}

// TestCloseWhileConnecting: Close does not wait for a dial or a backoff.
func TestCloseWhileConnecting(t *testing.T) {
	for _, tc := range []struct {
		name string
		dial func(ctx context.Context, network, addr string) (net.Conn, error)
	}{
		{"dial blocks", func(ctx context.Context, _, _ string) (net.Conn, error) { <-ctx.Done(); return nil, ctx.Err() }},
		{"dial fails", func(ctx context.Context, _, _ string) (net.Conn, error) { return nil, errors.New("refused") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "127.0.0.1:1")
			cfg.Dial = tc.dial
			cfg.BackoffMin, cfg.BackoffMax = time.Hour, time.Hour
			cfg.Logger = discardLogger
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.WaitReady(ctxT(t, 30*time.Millisecond))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("WaitReady: got %v", err)
			}
			closed := make(chan error)
			go func() { closed <- c.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatal(err)
				}
			case <-ctxT(t, 5*time.Second).Done():
				t.Fatal("Close blocked")
			}
			goleak.VerifyNone(t)
		})
	}
}

// TestConcurrentSendsAcrossDrops: many callers while the server keeps
// dropping the connection: every call ends, with a response or with
// ErrDisconnected / ErrNotReady, and none hangs.
func TestConcurrentSendsAcrossDrops(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := amitest.Start(t, amitest.Config{Handlers: map[string]amitest.Handler{
		"Ping": func(c *amitest.Conn, a ami.Message) {
			mu.Lock()
			n++
			drop := n%97 == 0
			mu.Unlock()
			if drop {
				c.Close()
				return
			}
			c.Reply(a, "Success", "Ping", "Pong")
		},
	}})
	cfg := testConfig(t, srv.Addr())
	cfg.Logger = discardLogger
	cfg.BackoffMin, cfg.BackoffMax = time.Millisecond, 2*time.Millisecond
	c := start(t, cfg)
	waitReady(t, c)
	ctx := ctxT(t, 20*time.Second)
	var wg sync.WaitGroup
	var ok, failed sync.Map
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, oks := 0, 0; oks < 30; i++ {
				err := c.Ping(ctx)
				switch {
				case err == nil:
					oks++
					ok.Store([2]int{g, i}, true)
				case errors.Is(err, ErrDisconnected), errors.Is(err, ErrNotReady):
					failed.Store([2]int{g, i}, true)
					if err := c.WaitReady(ctx); err != nil {
						t.Errorf("WaitReady: %v", err)
						return
					}
				default:
					t.Errorf("Ping: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	count := func(m *sync.Map) (k int) { m.Range(func(any, any) bool { k++; return true }); return }
	if count(&ok) != 16*30 || count(&failed) == 0 {
		t.Fatalf("ok %d, failed %d, want %d ok and some failed", count(&ok), count(&failed), 16*30)
	}
	if srv.Accepted() < 4 { // a drop every 97 pings
		t.Fatalf("only %d connections, want reconnects", srv.Accepted())
	}
}

// lineWatch is a log writer that closes seen when a line contains want.
type lineWatch struct {
	want string
	once sync.Once
	seen chan struct{}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// TestLogoffStaysDown: after Logoff (a shutdown's first step) the end of
// the session is expected: the client neither warns nor reconnects.
func TestLogoffStaysDown(t *testing.T) {
	srv := amitest.Start(t, amitest.Config{})
	cfg := testConfig(t, srv.Addr())
	watch := &lineWatch{want: "amiclient: logged off", seen: make(chan struct{})}
	cfg.Logger = slog.New(slog.NewTextHandler(watch, nil))
	c := start(t, cfg)
	waitReady(t, c)
	if err := c.Logoff(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("Logoff: %v", err)
	}
	select {
	case <-watch.seen:
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end after Logoff")
	}
	// Once it logged that, the manager only waits for Close: with a 5 ms
	// backoff a reconnect would otherwise have been the next step.
	if n := srv.Accepted(); n != 1 {
		t.Fatalf("connections accepted: got %d, want 1", n)
	}
	if st := c.State(); st == Ready {
		t.Fatalf("State after Logoff: got %v", st)
	}
}
