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

// TestFreePBXMemberInUse: a FreePBX member's device is Local/<ext>@from-queue
// (the interface without /n): while its chain lives, QueueMemberStatus for
// the fpq interface says in use (Status 2), as recorded, and a second
// caller is not offered to the busy member; at the hang-up it is free again.
func TestFreePBXMemberInUse(t *testing.T) {
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
	const iface = "Local/101@from-queue/n"
	dev, ok := c.waitEvent(10*time.Second, "DeviceStateChange", "Device", "Local/101@from-queue", "State", "INUSE")
	if !ok {
		t.Fatal("no DeviceStateChange Local/101@from-queue INUSE")
	}
	busy, ok := c.waitEventAfter(10*time.Second, dev, "QueueMemberStatus", "Queue", "fpq", "Interface", iface)
	if !ok || busy.Get("Status") != "2" {
		t.Fatalf("QueueMemberStatus after the member's device went in use: %v", busy.Fields)
	}
	connect, ok := c.waitEvent(10*time.Second, "AgentConnect", "Queue", "fpq", "Interface", iface)
	if !ok {
		t.Fatal("no AgentConnect for the member")
	}
	p.mu.Lock()
	inUse := p.memberStatus(p.queues["fpq"].members[0])
	p.mu.Unlock()
	if inUse != 2 {
		t.Fatalf("member status during the call = %d, want 2 (in use)", inUse)
	}
	// A second caller waits: the only member is busy, so it is not rung
	// again until its chain (the from-queue ;2 holds the device) hung up.
	if _, err := p.IncomingCall(context.Background(), Incoming{DID: "5550300", From: "79005550002"}); err != nil {
		t.Fatal(err)
	}
	chain := strings.TrimSuffix(connect.Get("DestChannel"), ";1") + ";2"
	freed, ok := c.waitEventAfter(30*time.Second, connect, "Hangup", "Channel", chain)
	if !ok {
		t.Fatalf("the member's chain %s never hung up", chain)
	}
	next, ok := c.waitEventAfter(30*time.Second, connect, "AgentCalled", "Queue", "fpq", "Interface", iface)
	if !ok {
		t.Fatal("the second caller was never offered to the member")
	}
	if after, ok := c.waitEventAfter(30*time.Second, freed, "AgentCalled", "Queue", "fpq", "Interface", iface); !ok || after.String() != next.String() {
		t.Fatalf("the busy member was rung again (AgentCalled %v) before its device was free (%v)", next.Fields, freed.Fields)
	}
}
