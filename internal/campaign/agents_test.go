package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// TestAgentGate: a customer is dialled only while the target has a free
// agent, one call waiting per free agent, across the campaigns sharing
// the target; max_concurrent still bounds it.
func TestAgentGate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ag := &fakeAgents{}
	h.svc.cfg.Agents = ag
	q := amigate.CampaignTarget{Queue: "support"}
	a := h.create(amigate.CampaignRequest{Contacts: contacts(10), Pacing: amigate.CampaignPacing{MaxConcurrent: 5, PerMinute: 600}})
	h.create(amigate.CampaignRequest{Contacts: contacts(10), Pacing: amigate.CampaignPacing{MaxConcurrent: 5, PerMinute: 600}})
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 0 {
		t.Fatalf("dialled %d with no agent free", n)
	}
	ag.set(q, "101", "102", "103")
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 3 {
		t.Fatalf("dialled %d for 3 free agents", n)
	}
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 3 {
		t.Fatalf("dialled %d with 3 customers waiting for 3 agents", n)
	}
	// Two customers reach agents 101 and 102, who are no longer free.
	h.pbx.take(2)
	ag.set(q, "103")
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 3 {
		t.Fatalf("dialled %d: agent 103 is still held by the third call", n)
	}
	ag.set(q, "103", "104", "105", "106", "107", "108", "109", "110", "111", "112", "113")
	h.svc.Step(ctx)
	// 10 more free agents less the one waiting call: 9 more, of which
	// the first campaign takes 2 more (5 at most) and the second 5 more.
	if n := h.pbx.count(); n != 3+2+5 {
		t.Fatalf("dialled %d, want 10 (max_concurrent 5 per campaign)", n)
	}
	if got := h.get(a.ID); got.Counts.Dialing != 5 {
		t.Fatalf("first campaign: %+v", got.Counts)
	}
}

// TestAgentGateExtension: a campaign to an agent's extension dials one
// customer at a time, only while that agent is free.
func TestAgentGateExtension(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ag := &fakeAgents{}
	h.svc.cfg.Agents = ag
	ext := amigate.CampaignTarget{Extension: "101"}
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3), Target: ext, Pacing: amigate.CampaignPacing{MaxConcurrent: 3}})
	ag.set(ext, "101")
	h.svc.Step(ctx)
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 1 {
		t.Fatalf("dialled %d for one agent", n)
	}
	h.pbx.take(1)
	ag.set(ext) // in the call
	h.svc.Step(ctx)
	h.clk.Add(time.Minute)
	h.pbx.end(h.clk.Now(), answered)
	ag.set(ext, "101")
	h.svc.Step(ctx)
	if got := h.get(c.ID); h.pbx.count() != 2 || got.Counts.Done != 1 {
		t.Fatalf("after the first call: %d dials, %+v", h.pbx.count(), got.Counts)
	}
}

// TestWake: Run steps when woken, without waiting for its tick.
func TestWake(t *testing.T) {
	h := newHarness(t)
	wake := make(chan struct{}, 1)
	h.svc.cfg.Wake, h.svc.cfg.Tick = wake, time.Hour
	ag := &fakeAgents{}
	h.svc.cfg.Agents = ag
	h.create(amigate.CampaignRequest{Contacts: contacts(1)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ag.set(amigate.CampaignTarget{Queue: "support"}, "101")
	wake <- struct{}{}
	deadline := time.Now().Add(10 * time.Second)
	for h.pbx.count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not dialled after a wake-up")
		}
		select {
		case wake <- struct{}{}:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestPreview: a preview attempt names a free agent to ring first; an
// agent rung by an attempt in progress is not rung again, even while its
// state still shows it free; a queue with no free agent dials nothing.
func TestPreview(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ag := &fakeAgents{}
	h.svc.cfg.Agents = ag
	q := amigate.CampaignTarget{Queue: "support"}
	c := h.create(amigate.CampaignRequest{Mode: amigate.CampaignModePreview, Contacts: contacts(5), Pacing: amigate.CampaignPacing{MaxConcurrent: 5}})
	if c.Mode != amigate.CampaignModePreview {
		t.Fatalf("mode %q", c.Mode)
	}
	h.svc.Step(ctx)
	if h.pbx.count() != 0 {
		t.Fatal("dialled with no agent free")
	}
	ag.set(q, "101", "102")
	h.svc.Step(ctx)
	h.svc.Step(ctx) // the agents' state has not changed yet
	if h.pbx.count() != 2 || h.pbx.dials[0].Agent != "101" || h.pbx.dials[1].Agent != "102" {
		t.Fatalf("dials %+v, want one for 101 and one for 102", h.pbx.dials)
	}
	h.clk.Add(time.Minute)
	h.pbx.end(h.clk.Now(), answered)
	ag.set(q, "102")
	h.svc.Step(ctx)
	if h.pbx.count() != 3 || h.pbx.dials[2].Agent != "102" {
		t.Fatalf("after the calls ended: %d dials, last %+v", h.pbx.count(), h.pbx.dials[len(h.pbx.dials)-1])
	}
}
