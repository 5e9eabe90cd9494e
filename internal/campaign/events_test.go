package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// run steps the scheduler, ending every call with disp after each step,
// until the campaign completes.
func (h *harness) run(id string, disp func(string) string) {
	h.t.Helper()
	for range 100 {
		h.svc.Step(context.Background())
		if h.get(id).State == amigate.CampaignCompleted {
			h.svc.Step(context.Background()) // reports what the last step did
			return
		}
		h.clk.Add(time.Minute)
		h.pbx.end(h.clk.Now(), disp)
	}
	h.t.Fatalf("campaign %s did not complete: %+v", id, h.get(id).Counts)
}

func types(evs []amigate.CallEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// checkOnce checks that every event was published once, in order of
// sequence, started first and completed last.
func checkOnce(t *testing.T, e *memEvents, contacts int) []amigate.CallEvent {
	t.Helper()
	evs := e.list()
	for id, n := range e.times {
		if n != 1 {
			t.Errorf("event %s published %d times", id, n)
		}
	}
	if len(evs) != contacts+2 || evs[0].Type != amigate.EventCampaignStarted || evs[len(evs)-1].Type != amigate.EventCampaignCompleted {
		t.Fatalf("events %v, want started, %d contact_completed, completed", types(evs), contacts)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Sequence <= evs[i-1].Sequence {
			t.Errorf("event %d (%s) sequence %d after %d", i, evs[i].Type, evs[i].Sequence, evs[i-1].Sequence)
		}
	}
	return evs
}

func TestEvents(t *testing.T) {
	h := newHarness(t)
	busyFirst := map[string]bool{}
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3), Pacing: amigate.CampaignPacing{MaxConcurrent: 3},
		Retry: amigate.CampaignRetry{Busy: amigate.RetryRule{Attempts: 1}}})
	h.run(c.ID, func(n string) string {
		if n == contacts(3)[1].Number && !busyFirst[n] {
			busyFirst[n] = true
			return amigate.DispositionBusy
		}
		return amigate.DispositionAnswered
	})
	evs := checkOnce(t, h.ev, 3)
	if r := evs[0].Campaign; r == nil || r.ID != c.ID || r.Name != "test" || r.Counts == nil || r.Counts.Total != 3 {
		t.Fatalf("campaign.started %+v", evs[0].Campaign)
	}
	if r := evs[4].Campaign; r.State != amigate.CampaignCompleted || r.Counts.Outcomes[amigate.OutcomeAnswered] != 3 {
		t.Fatalf("campaign.completed %+v", r)
	}
	for _, ev := range evs[1:4] {
		k := ev.Contact
		if ev.Campaign.ID != c.ID || k == nil || k.Outcome != amigate.OutcomeAnswered || k.State != amigate.ContactDone ||
			len(k.Attempts) == 0 || k.CallID != k.Attempts[len(k.Attempts)-1].CallID || ev.Call.ID != "" {
			t.Fatalf("contact_completed %+v contact %+v", ev, k)
		}
		if k.Index == 1 && (len(k.Attempts) != 2 || k.Attempts[0].Result != amigate.OutcomeBusy) {
			t.Fatalf("the busy-then-answered contact: %+v", k.Attempts)
		}
	}
}

// TestEventsAcrossRestart: an event is sent once whether the process
// stops before publishing it, or after publishing it and before marking it
// sent.
func TestEventsAcrossRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash func(h *harness)
	}{
		{"before publish", func(h *harness) { h.ev.pubErr = errBoom }},
		{"after publish, before the mark", func(h *harness) {
			h.ev.published = func() { h.kv.mu.Lock(); h.kv.putErr = errBoom; h.kv.mu.Unlock() }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			c := h.create(amigate.CampaignRequest{Contacts: contacts(2), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
			h.svc.Step(ctx)
			h.clk.Add(time.Minute)
			h.pbx.end(h.clk.Now(), answered)
			tc.crash(h)
			h.svc.Step(ctx) // both outcomes and the completion stored; events failed or unmarked
			h.ev.pubErr, h.ev.published = nil, nil
			h.kv.mu.Lock()
			h.kv.putErr = nil
			h.kv.mu.Unlock()
			if got := h.get(c.ID); got.State != amigate.CampaignCompleted {
				t.Fatalf("state %s", got.State)
			}
			h.restart()
			h.svc.Step(ctx)
			h.svc.Step(ctx)
			checkOnce(t, h.ev, 2)
			h.restart()
			h.svc.Step(ctx)
			checkOnce(t, h.ev, 2)
		})
	}
}

// TestEventsStartAfterPause: a campaign paused before its window opened
// and resumed sends campaign.started when it first dials.
func TestEventsStartAfterPause(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(1)})
	if _, err := h.svc.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.run(c.ID, answered)
	checkOnce(t, h.ev, 1)
	if got := h.get(c.ID); got.StartedAt == nil {
		t.Fatal("no started_at")
	}
}

// TestEventsNotForOldCampaigns: a campaign stored before campaign events
// existed does not report its past on the first start of a new version.
func TestEventsNotForOldCampaigns(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(2)})
	h.svc.cfg.Events = nil // the old version
	h.run(c.ID, answered)
	for k, v := range h.kv.m { // stored without the fields of this version
		if k == metaKey(c.ID) {
			var m meta
			decode(t, v, &m)
			m.Reporting, m.StartedSent, m.CompletedSent, m.CompletedSeq = false, false, false, 0
			h.kv.m[k] = encode(m)
		} else if _, kind, _, _ := parseKey(k); kind == "c" {
			var p progress
			decode(t, v, &p)
			p.Seq, p.Reported = 0, false
			h.kv.m[k] = encode(p)
		}
	}
	h.restart()
	h.svc.Step(ctx)
	if evs := h.ev.list(); len(evs) != 0 {
		t.Fatalf("an old campaign sent %v", types(evs))
	}
	if _, err := h.svc.AddContacts(ctx, c.ID, contacts(3)[2:]); err != nil {
		t.Fatal(err)
	}
	h.run(c.ID, answered)
	if evs := h.ev.list(); len(evs) != 2 || evs[0].Type != amigate.EventCampaignContactCompleted || evs[0].Contact.Index != 2 || evs[1].Type != amigate.EventCampaignCompleted {
		t.Fatalf("after appending a contact: %v", types(evs))
	}
}
