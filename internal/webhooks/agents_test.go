package webhooks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// agentEvents makes n agent.state_changed events for one agent.
func agentEvents(ext string, n int) []amigate.CallEvent {
	var out []amigate.CallEvent
	for s := 1; s <= n; s++ {
		out = append(out, amigate.CallEvent{
			ID: fmt.Sprintf("evt_agent_%s_%d", ext, s), Type: amigate.EventAgentStateChanged,
			OccurredAt: time.Now().UTC(), Sequence: int64(s), Agent: &amigate.Agent{Extension: ext},
			Presence: &amigate.AgentPresence{Extension: ext, State: amigate.AgentAvailable}, ReadAt: time.Now(),
		})
	}
	return out
}

// TestAgentEventsOptIn: a subscription to every event ("*", or none named)
// gets call events only; one that names agent.state_changed gets those,
// in order per agent.
func TestAgentEventsOptIn(t *testing.T) {
	all := newReceiver(t, testSecret)
	agents := newReceiver(t, testSecret)
	cfg := testConfig(t,
		ConfigSubscription{URL: all.srv.URL, Secret: testSecret},
		ConfigSubscription{URL: agents.srv.URL, Secret: testSecret, Events: []string{amigate.EventAgentStateChanged, amigate.EventCallEnded}})
	d := open(t, cfg)
	calls := events("o", 2, len(amigate.EventTypes)) // every call event type once per call
	publish(t, d, append(append(agentEvents("101", 3), calls...), agentEvents("102", 2)...))
	waitFor(t, "call events to the * subscription", 10*time.Second, func() bool { return len(all.distinct()) == len(calls) })
	waitFor(t, "agent and call.ended events", 10*time.Second, func() bool { return len(agents.distinct()) == 5+2 })
	got, _, _ := all.snapshot()
	for _, g := range got {
		if amigate.IsAgentEvent(g.Event.Type) {
			t.Errorf("the * subscription got %s", g.Event.Type)
		}
	}
	got, _, _ = agents.snapshot()
	last := map[string]int64{}
	for _, g := range got {
		switch g.Event.Type {
		case amigate.EventAgentStateChanged:
			ext := g.Event.Agent.Extension
			if g.Event.Sequence <= last[ext] {
				t.Errorf("agent %s: sequence %d after %d", ext, g.Event.Sequence, last[ext])
			}
			last[ext] = g.Event.Sequence
		case amigate.EventCallEnded:
		default:
			t.Errorf("the agent subscription got %s", g.Event.Type)
		}
	}
	// Nothing more arrives: settle, then count again.
	waitFor(t, "deliveries to settle", 10*time.Second, func() bool { return settled(t, d) })
	if n := len(all.distinct()); n != len(calls) {
		t.Errorf("* subscription got %d events, want %d", n, len(calls))
	}
}

func TestNormalizeEvents(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, "[*]"},
		{[]string{"*"}, "[*]"},
		{[]string{"call.ended", "*"}, "[*]"},
		{[]string{"*", "agent.paused"}, "[* agent.paused]"},
		{[]string{"agent.state_changed", "call.ringing", "agent.state_changed"}, "[agent.state_changed call.ringing]"},
		{[]string{"*", "campaign.completed", "campaign.started"}, "[* campaign.completed campaign.started]"},
	} {
		got, err := normalizeEvents(tt.in)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("normalizeEvents(%v) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := normalizeEvents([]string{"agent.exploded"}); err == nil {
		t.Error("an unknown agent event type was accepted")
	}
}

// TestOldConsumerFilter: a subscription whose consumer was made before
// agent events existed (its filter takes every subject) still gets call
// events only.
func TestOldConsumerFilter(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	d := open(t, testConfig(t))
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	old := consumerConfig(sub.ID, sub.Events, d.cfg)
	old.FilterSubjects = []string{subjectPrefix + ".>"}
	if _, err := d.st.stream.UpdateConsumer(ctx, old); err != nil {
		t.Fatal(err)
	}
	calls := events("old", 1, 4)
	publish(t, d, append(agentEvents("101", 2), calls...))
	waitFor(t, "call events delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(calls) })
	waitFor(t, "deliveries to settle", 10*time.Second, func() bool { return settled(t, d) })
	got, _, _ := rcv.snapshot()
	for _, g := range got {
		if amigate.IsAgentEvent(g.Event.Type) {
			t.Errorf("got %s through the old filter", g.Event.Type)
		}
	}
}
