package pbxsim

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFreePBXQueue: a FreePBX-style member is rung as Local/<ext>@from-queue
// (AgentCalled's Interface Local/<ext>@from-queue/n) whose ;2 half dials the
// phone, Local/<ext>@phones, as in freepbx_queue.txt.
func TestFreePBXQueue(t *testing.T) {
	o := DefaultOffice().Scaled(scale)
	o.Queues = append(o.Queues, Queue{Name: "fpq", Timeout: o.DialTimeout, Retry: o.DialTimeout,
		Members: []Member{{Exten: "101", Name: "Agent 101", FreePBX: true}}})
	o.DIDs = append(o.DIDs, DID{Exten: "5550300", Queue: "fpq"})
	p := New(Config{Office: o})
	t.Cleanup(func() { p.Close() })
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := login(t, addr, "crm", "crmsecret", "on")
	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550300", From: "79005550001"}); err != nil {
		t.Fatal(err)
	}
	called, ok := c.waitEvent(10*time.Second, "AgentCalled", "Queue", "fpq")
	if !ok || called.Get("Interface") != "Local/101@from-queue/n" || !strings.HasPrefix(called.Get("DestChannel"), "Local/101@from-queue-") {
		t.Fatalf("AgentCalled: %v", called.Fields)
	}
	inner, ok := c.waitEvent(10*time.Second, "DialBegin", "DestExten", "101", "Context", "from-queue")
	if !ok || !strings.HasPrefix(inner.Get("Channel"), "Local/101@from-queue-") || !strings.HasSuffix(inner.Get("Channel"), ";2") ||
		!strings.HasPrefix(inner.Get("DestChannel"), "Local/101@phones-") {
		t.Fatalf("the member's ;2 does not dial the phone: %v", inner.Fields)
	}
	if _, ok := c.waitEvent(10*time.Second, "AgentConnect", "Queue", "fpq", "Interface", "Local/101@from-queue/n"); !ok {
		t.Fatal("no AgentConnect for the member")
	}
}
