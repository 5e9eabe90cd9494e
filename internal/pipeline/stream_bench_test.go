package pipeline_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/amitest"
	"github.com/amigate/amigate/internal/calls"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/presence"
)

// streamEnd is the event the flood ends with: the correlator reads it, so
// the loop has taken every event before it once it is handled.
var streamEnd = ami.Message{Fields: []ami.Field{
	{Name: "Event", Value: "Hangup"}, {Name: "Uniqueid", Value: "bench-end"},
}}

// recordedStream is every event of the recorded Asterisk streams
// (testdata/ami/raw/*.in) as wire bytes, and how many there are.
func recordedStream(b *testing.B) ([]byte, int) {
	b.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "ami", "raw", "*.in"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no recorded streams: %v", err)
	}
	var out []byte
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		_, rest, _ := bytes.Cut(raw, []byte("\n")) // the banner
		msgs, err := amitest.Messages(rest)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if m.IsEvent() {
				out = append(out, m.String()...)
				n++
			}
		}
	}
	return out, n
}

// endingCorrelator is the real correlator, telling when it saw streamEnd.
type endingCorrelator struct {
	*calls.Tracker
	done chan struct{}
}

func (c endingCorrelator) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	if m.Fields[0].Value == "Hangup" && m.Get("Uniqueid") == "bench-end" {
		close(c.done)
	}
	return c.Tracker.Handle(m, readAt)
}

type discardStore struct{}

func (discardStore) Publish(context.Context, []amigate.CallEvent) error { return nil }

type discardMetrics struct{}

func (discardMetrics) CallEvent(string)        {}
func (discardMetrics) CallEventInvalid(string) {}

// BenchmarkLoopStream is the production consumer at full speed: the
// recorded Asterisk event stream over loopback TCP, through amiclient's
// lossless subscription, into the event loop with the real correlator and
// presence model (the store discards). One op is one AMI event.
//
//	go test -run '^$' -bench LoopStream -benchmem ./internal/pipeline
func BenchmarkLoopStream(b *testing.B) {
	payload, perRound := recordedStream(b)
	// Empty lists for the resync after the login, which the flood waits for.
	emptyList := func(complete string) amitest.Handler {
		return func(c *amitest.Conn, a ami.Message) {
			c.Reply(a, "Success", "EventList", "start")
			c.Write(amitest.Msg("Event", complete, "ActionID", a.ActionID(), "EventList", "Complete", "ListItems", "0"))
		}
	}
	srv := amitest.Start(b, amitest.Config{NoFullyBooted: true, Handlers: map[string]amitest.Handler{
		"CoreShowChannels":   emptyList("CoreShowChannelsComplete"),
		"DeviceStateList":    emptyList("DeviceStateListComplete"),
		"ExtensionStateList": emptyList("ExtensionStateListComplete"),
		"QueueStatus":        emptyList("QueueStatusComplete"),
		"Flood": func(c *amitest.Conn, a ami.Message) {
			n, _ := strconv.Atoi(a.Get("Rounds"))
			c.Reply(a, "Success")
			for range n {
				if c.WriteRaw(payload) != nil {
					return
				}
			}
			c.Write(streamEnd)
		},
	}})
	client, err := amiclient.New(amiclient.Config{
		Addr: srv.Addr(), Username: "crm", Secret: "crmsecret", Auth: "plain", Events: "off",
		PingInterval: -1, LoginTimeout: 5 * time.Second, ActionTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := client.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	sub := client.Subscribe(amiclient.SubscribeOptions{Name: "correlator", Lossless: true})
	defer sub.Close()
	tracker := calls.NewTracker(calls.Config{})
	corr := endingCorrelator{Tracker: tracker, done: make(chan struct{})}
	loop := pipeline.New(pipeline.Config{
		Events: sub, PBX: client, Correlator: corr, Store: discardStore{}, Metrics: discardMetrics{},
		Agents: &pipeline.Agents{Model: presence.New(presence.Config{Devices: agent.Default()}), PBX: client, Calls: tracker},
	})
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- loop.Run(runCtx) }()
	for loop.Ready() != nil {
		if ctx.Err() != nil {
			b.Fatal("no resync after the login")
		}
		time.Sleep(time.Millisecond)
	}
	rounds := max(1, b.N/perRound)
	b.SetBytes(int64(len(payload) / perRound))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	if _, err := client.Send(ctx, ami.NewAction("Flood").Add("Rounds", strconv.Itoa(rounds))); err != nil {
		b.Fatal(err)
	}
	select {
	case <-corr.done:
	case <-ctx.Done():
		b.Fatal("the stream's end was not handled")
	}
	d, used := time.Since(start), cpuTime()-cpu
	b.StopTimer()
	stop()
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
	n := float64(rounds*perRound + 1)
	b.ReportMetric(n/d.Seconds(), "events/s")
	// The process's CPU time per event (the server's writes included):
	// steadier than the rate on a loaded machine.
	b.ReportMetric(float64(used)/n/1e3, "cpu-µs/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
