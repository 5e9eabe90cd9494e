package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
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
	srv := amitest.Start(b, amitest.Config{NoFullyBooted: true, Handlers: map[string]amitest.Handler{
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
	// The loop's resync after KindConnected fails at once (the server
	// knows no CoreShowChannels); the flood starts after it.
	rounds := max(1, b.N/perRound)
	b.SetBytes(int64(len(payload) / perRound))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if _, err := client.Send(ctx, ami.NewAction("Flood").Add("Rounds", strconv.Itoa(rounds))); err != nil {
		b.Fatal(err)
	}
	select {
	case <-corr.done:
	case <-ctx.Done():
		b.Fatal("the stream's end was not handled")
	}
	d := time.Since(start)
	b.StopTimer()
	stop()
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rounds*perRound+1)/d.Seconds(), "events/s")
}
