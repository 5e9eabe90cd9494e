package tests

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/pbxsim"
)

// office is the recorded office with millisecond delays. Talk times are
// long so that calls end when a test ends them (an API hang-up, the
// customer's HangupAfter, the side AMI connection), not by the clock;
// tests that need a call to end by itself set the talk they want.
func office() pbxsim.Office {
	o := pbxsim.DefaultOffice().Scaled(0.01) // 2 s ring → 20 ms
	o.AgentTalk = time.Minute
	o.CustomerTalk = time.Minute
	// Nothing gives up ringing on its own: on a busy machine a 20 ms ring
	// can take longer than the scaled 300 ms dial or 150 ms queue timeout,
	// which would turn an answered call into a no-answer or ring a queue
	// member twice. Tests that want a timeout ask for it (timeout_seconds).
	o.DialTimeout = time.Minute
	o.OriginateTimeout = time.Minute
	for i := range o.Queues {
		o.Queues[i].Timeout = time.Minute
	}
	o.TransferDigitTimeout = 30 * time.Millisecond
	return o
}

// pbx is a simulated Asterisk in the test process. The service reaches it
// through a gate (a listener the test can shut to new connections); the
// test's own AMI connection (side) goes around the gate.
type pbx struct {
	*pbxsim.PBX
	Addr string // the service's AMI address, behind the gate
	gate *gate
	side *amiclient.Client
}

// startPBX runs a PBX with office o until the test ends.
func startPBX(t testing.TB, o pbxsim.Office) *pbx {
	t.Helper()
	p := &pbx{PBX: pbxsim.New(pbxsim.Config{Office: o})}
	sideAddr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.gate = &gate{Listener: ln}
	p.Addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, p.gate) }()
	// Cleanups run last-in first-out: this one runs after the service's.
	t.Cleanup(func() {
		if p.side != nil {
			_ = p.side.Close()
		}
		cancel()
		_ = p.Close()
		if err := <-served; err != nil {
			t.Errorf("pbx serve: %v", err)
		}
	})
	p.side, err = amiclient.New(amiclient.Config{
		Addr: sideAddr, Username: "crm", Secret: "crmsecret", Events: "off",
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// hangupChannel hangs up one channel through the side connection, as a
// phone putting down its handset would (Cause 16).
func (p *pbx) hangupChannel(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The side connection may be reconnecting (a test dropped every AMI
	// connection): a Hangup that met the drop is tried again, and "No such
	// channel" then means the first one got through.
	retried := false
	for {
		if err := p.side.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		err := p.side.Hangup(ctx, amiclient.HangupParams{Channel: name, Cause: 16})
		var refused *amiclient.ActionError
		switch {
		case err == nil:
			return
		case errors.Is(err, amiclient.ErrDisconnected) || errors.Is(err, amiclient.ErrNotReady):
			retried = true
			continue
		case retried && errors.As(err, &refused) && refused.Message == "No such channel":
			return
		}
		t.Fatalf("hangup %s: %v", name, err)
	}
}

// incoming places a customer call on a DID.
func (p *pbx) incoming(t testing.TB, in pbxsim.Incoming) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := p.IncomingCall(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// hangupOnceAnswered hangs the customer of an incoming call up once the
// service reports the call answered: the conversation ends by cause, not
// by a timer racing the agent's answer on a busy machine.
func (p *pbx) hangupOnceAnswered(t testing.TB, a *api, linkedid string) {
	t.Helper()
	id := a.findCall(linkedid)
	eventually(t, 30*time.Second, "call "+id+" answered", func() bool { return a.getCall(id).AnsweredAt != nil })
	if err := p.HangupCall(linkedid); err != nil {
		t.Fatalf("hang up the customer of %s: %v", linkedid, err)
	}
}

// waitIdle waits until every call in the PBX has ended.
func (p *pbx) waitIdle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatalf("pbx not idle: %v", err)
	}
}

// gate is a listener that, while shut, closes each connection it accepts
// at once: an Asterisk that is down for the service.
type gate struct {
	net.Listener
	mu   sync.Mutex
	shut bool
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		shut := g.shut
		g.mu.Unlock()
		if !shut {
			return c, nil
		}
		c.Close()
	}
}

func (g *gate) setShut(shut bool) {
	g.mu.Lock()
	g.shut = shut
	g.mu.Unlock()
}
