package amiclient

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// repeated is an event with repeated keys, mixed into the flood to check
// that none is lost on the way.
var repeated = amitest.Msg("Event", "VarSet", "Channel", "PJSIP/201-00000001",
	"ChanVariable", "A=1", "ChanVariable", "B=2", "ChanVariable", "C=3")

// recordedEvents returns every event of the recorded Asterisk streams
// (testdata/ami/raw/*.in), plus the repeated-keys event, as wire bytes,
// and their names in order.
func recordedEvents(tb testing.TB) ([]byte, []string) {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(transcripts, "raw", "*.in"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded streams: %v", err)
	}
	var out []byte
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		_, rest, _ := bytes.Cut(b, []byte("\n"))
		msgs, err := amitest.Messages(rest)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range msgs {
			if m.IsEvent() {
				out = append(out, m.String()...)
				names = append(names, m.Event())
			}
		}
	}
	out = append(out, repeated.String()...)
	names = append(names, "VarSet")
	return out, names
}

// floodServer answers the action "Flood" (Rounds: n) with Success, then
// writes the payload n times.
func floodServer(tb testing.TB, payload []byte) *amitest.Server {
	return amitest.Start(tb, amitest.Config{NoFullyBooted: true, Handlers: map[string]amitest.Handler{
		"Flood": func(c *amitest.Conn, a ami.Message) {
			n, _ := strconv.Atoi(a.Get("Rounds"))
			c.Reply(a, "Success")
			for range n {
				if c.WriteRaw(payload) != nil {
					return
				}
			}
		},
	}})
}

// flood connects a client, subscribes a lossless counter, asks for rounds
// copies of the payload, and returns the events received and the time
// taken. check, when set, sees every event.
func flood(tb testing.TB, payload []byte, rounds, perRound int, check func(i int, ev Event)) (int, time.Duration) {
	srv := floodServer(tb, payload)
	cfg := testConfig(tb, srv.Addr())
	cfg.Events = "off" // no FullyBooted wait
	cfg.Logger = discardLogger
	c := start(tb, cfg)
	waitReady(tb, c)
	sub := c.Subscribe(SubscribeOptions{Name: "counter", Lossless: true})
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindConnected {
		tb.Fatalf("first item: %v %v", ev.Kind, err)
	}
	want := rounds * perRound
	start := time.Now()
	if _, err := c.Send(ctx, ami.NewAction("Flood").Add("Rounds", strconv.Itoa(rounds))); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for n < want {
		ev, err := sub.Next(ctx)
		if err != nil {
			tb.Fatalf("after %d of %d events: %v", n, want, err)
		}
		if ev.Kind != KindEvent {
			tb.Fatalf("after %d events: got %v", n, ev.Kind)
		}
		if check != nil {
			check(n, ev)
		}
		n++
	}
	return n, time.Since(start)
}

// TestFloodLossless: tens of thousands of recorded events through TCP and
// the public API: none lost, in order, repeated keys kept, nothing dropped.
func TestFloodLossless(t *testing.T) {
	payload, names := recordedEvents(t)
	rounds := 20
	var mu sync.Mutex
	bad := 0
	n, d := flood(t, payload, rounds, len(names), func(i int, ev Event) {
		want := names[i%len(names)]
		ok := ev.Message.Event() == want
		if want == "VarSet" && i%len(names) == len(names)-1 {
			ok = ok && len(ev.Message.Values("ChanVariable")) == 3
		}
		if !ok {
			mu.Lock()
			if bad == 0 {
				t.Errorf("event %d: got %q (%d fields), want %q", i, ev.Message.Event(), len(ev.Message.Fields), want)
			}
			bad++
			mu.Unlock()
		}
	})
	t.Logf("%d events in %v: %.0f events/s", n, d, float64(n)/d.Seconds())
}

// BenchmarkEventsE2E is bench/amiflood in one process (the acceptance
// measurement runs the server in another process): the recorded Asterisk
// event stream over loopback TCP, through the client's public API, to a
// lossless subscriber that only counts. One op is one event.
func BenchmarkEventsE2E(b *testing.B) {
	payload, names := recordedEvents(b)
	rounds := b.N/len(names) + 1
	b.SetBytes(int64(len(payload) / len(names)))
	b.ReportAllocs()
	b.ResetTimer()
	n, d := flood(b, payload, rounds, len(names), nil)
	b.StopTimer()
	b.ReportMetric(float64(n)/d.Seconds(), "events/s")
}

// BenchmarkSend64 measures Send round trips per second with 64 concurrent
// callers over loopback TCP (Ping against the in-process server).
func BenchmarkSend64(b *testing.B) {
	srv := amitest.Start(b, amitest.Config{Handlers: map[string]amitest.Handler{
		"Ping": func(c *amitest.Conn, a ami.Message) { c.Reply(a, "Success", "Ping", "Pong") },
	}})
	cfg := testConfig(b, srv.Addr())
	cfg.Events, cfg.Logger = "off", discardLogger
	c := start(b, cfg)
	waitReady(b, c)
	ctx := context.Background()
	ping := ami.NewAction("Ping")
	b.ReportAllocs()
	b.SetParallelism(32) // 64 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Send(ctx, ping); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkSplitFramesTCP is the floor for BenchmarkEventsE2E: the same
// flood over loopback TCP, read by a bare loop that only finds where each
// message ends (no parsing, no client). One op is one event.
func BenchmarkSplitFramesTCP(b *testing.B) {
	payload, names := recordedEvents(b)
	srv := floodServer(b, payload)
	rounds := b.N/len(names) + 1
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	if _, err := br.ReadString('\n'); err != nil { // banner
		b.Fatal(err)
	}
	fmt.Fprintf(nc, "Action: Login\r\nUsername: crm\r\nSecret: x\r\nEvents: off\r\n\r\nAction: Flood\r\nRounds: %d\r\n\r\n", rounds)
	frame := func() {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
				return
			}
		}
	}
	frame() // login response
	frame() // flood response
	b.SetBytes(int64(len(payload) / len(names)))
	b.ResetTimer()
	want := rounds * len(names)
	for range want {
		frame()
	}
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "events/s")
}

// TestConsumerStalls: while the lossless subscriber does not read at all,
// the reader keeps draining the socket (the server manages to write far
// more than the socket buffers hold) and answers actions; afterwards every
// event is there, in order.
func TestConsumerStalls(t *testing.T) {
	payload, names := recordedEvents(t)
	const rounds = 20 // about 14 MB
	written := make(chan struct{})
	srv := amitest.Start(t, amitest.Config{NoFullyBooted: true, Handlers: map[string]amitest.Handler{
		"Flood": func(c *amitest.Conn, a ami.Message) {
			c.Reply(a, "Success")
			for range rounds {
				if c.WriteRaw(payload) != nil {
					return
				}
			}
			close(written)
		},
	}})
	cfg := testConfig(t, srv.Addr())
	cfg.Events, cfg.Logger = "off", discardLogger
	c := start(t, cfg)
	waitReady(t, c)
	// The whole flood stays queued: bound it above what it holds.
	sub := c.Subscribe(SubscribeOptions{Lossless: true, MaxBufferBytes: 1 << 30})
	// 14 MB parsed, queued and read back: under -race on a loaded 2-core
	// machine that took over 30 s. Only that it ends is asserted.
	ctx := ctxLiveness(t)
	if _, err := c.Send(ctx, ami.NewAction("Flood")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-written:
	case <-ctx.Done():
		t.Fatal("the server could not write the flood: the reader is blocked by the stalled subscriber")
	}
	if err := c.Ping(ctx); err != nil { // answered behind 14 MB of events
		t.Fatal(err)
	}
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindConnected {
		t.Fatalf("first item: %v %v", ev.Kind, err)
	}
	for i := range rounds * len(names) {
		ev, err := sub.Next(ctx)
		if err != nil || ev.Message.Event() != names[i%len(names)] {
			t.Fatalf("event %d: got %q %v, want %q", i, ev.Message.Event(), err, names[i%len(names)])
		}
	}
	if d := sub.Dropped(); d != 0 {
		t.Fatalf("dropped %d", d)
	}
}

// TestFloodFrames: the same flood read with NextFrame: every event in
// order, lent in place, its repeated keys there; a frame parsed with
// Message is the event Next would have given.
func TestFloodFrames(t *testing.T) {
	payload, names := recordedEvents(t)
	const rounds = 5
	srv := floodServer(t, payload)
	cfg := testConfig(t, srv.Addr())
	cfg.Events, cfg.Logger = "off", discardLogger
	c := start(t, cfg)
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Name: "frames", Lossless: true})
	defer sub.Close()
	ctx := ctxT(t, time.Minute)
	if ev, frame, err := sub.NextFrame(ctx); err != nil || ev.Kind != KindConnected || frame != nil {
		t.Fatalf("first item: %v %q %v", ev.Kind, frame, err)
	}
	if _, err := c.Send(ctx, ami.NewAction("Flood").Add("Rounds", strconv.Itoa(rounds))); err != nil {
		t.Fatal(err)
	}
	parsed := 0
	for i := range rounds * len(names) {
		ev, frame, err := sub.NextFrame(ctx)
		if err != nil || ev.Kind != KindEvent {
			t.Fatalf("event %d: %v %v", i, ev.Kind, err)
		}
		m := ev.Message
		if frame != nil {
			if len(ev.Message.Fields) != 0 {
				t.Fatalf("event %d: both a frame and a message", i)
			}
			m = frame.Message()
		} else if m.Event() != "FullyBooted" {
			parsed++ // the reader needs to parse only the boot
		}
		if m.Event() != names[i%len(names)] {
			t.Fatalf("event %d: got %q, want %q", i, m.Event(), names[i%len(names)])
		}
		if i%len(names) == len(names)-1 {
			n := 0
			for name := range frame.All() {
				if string(name) == "ChanVariable" {
					n++
				}
			}
			if n != 3 || len(m.Values("ChanVariable")) != 3 {
				t.Fatalf("event %d: %d repeated keys in the frame, %d parsed, want 3", i, n, len(m.Values("ChanVariable")))
			}
		}
	}
	if parsed > 0 {
		t.Errorf("%d events came parsed", parsed)
	}
}

// TestNextFrameBounded: a bounded subscription lends no frames, its
// events come parsed.
func TestNextFrameBounded(t *testing.T) {
	payload, names := recordedEvents(t)
	srv := floodServer(t, payload)
	cfg := testConfig(t, srv.Addr())
	cfg.Events, cfg.Logger = "off", discardLogger
	c := start(t, cfg)
	waitReady(t, c)
	sub := c.Subscribe(SubscribeOptions{Name: "bounded", Buffer: 1 << 20})
	defer sub.Close()
	ctx := ctxT(t, time.Minute)
	if _, err := c.Send(ctx, ami.NewAction("Flood").Add("Rounds", "1")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(names); {
		ev, frame, err := sub.NextFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != KindEvent {
			continue
		}
		if frame != nil || ev.Message.Event() != names[i] {
			t.Fatalf("event %d: frame %q, message %q, want %q parsed", i, frame, ev.Message.Event(), names[i])
		}
		i++
	}
}
