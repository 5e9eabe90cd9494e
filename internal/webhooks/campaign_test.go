package webhooks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// campaignEvents makes a campaign's events: started, n contacts, completed.
func campaignEvents(id string, n int) []amigate.CallEvent {
	ref := &amigate.CampaignRef{ID: id, Name: "December", State: amigate.CampaignRunning}
	out := []amigate.CallEvent{{ID: "evt_" + id + "_s", Type: amigate.EventCampaignStarted, Sequence: 1, Campaign: ref, OccurredAt: time.Now().UTC()}}
	for i := range n {
		out = append(out, amigate.CallEvent{ID: fmt.Sprintf("evt_%s_c%d", id, i), Type: amigate.EventCampaignContactCompleted, Sequence: int64(2 + i),
			Campaign: ref, Contact: &amigate.CampaignContactStatus{Index: i, Outcome: amigate.OutcomeAnswered}, OccurredAt: time.Now().UTC()})
	}
	return append(out, amigate.CallEvent{ID: "evt_" + id + "_e", Type: amigate.EventCampaignCompleted, Sequence: int64(n + 2), Campaign: ref, OccurredAt: time.Now().UTC()})
}

// TestCampaignEventsOptIn: campaign events go to the subscriptions that
// name them, in order per campaign, never to "*"; Stored finds an event
// by id and opens no call (OpenCalls).
func TestCampaignEventsOptIn(t *testing.T) {
	all := newReceiver(t, testSecret)
	camp := newReceiver(t, testSecret)
	cfg := testConfig(t,
		ConfigSubscription{URL: all.srv.URL, Secret: testSecret},
		ConfigSubscription{URL: camp.srv.URL, Secret: testSecret, Events: amigate.CampaignEventTypes})
	d := open(t, cfg)
	calls := events("o", 1, 1)
	evs := campaignEvents("m1", 3)
	publish(t, d, append(append([]amigate.CallEvent(nil), evs...), calls...))
	waitFor(t, "campaign events", 10*time.Second, func() bool { return len(camp.distinct()) == len(evs) })
	waitFor(t, "the call event", 10*time.Second, func() bool { return len(all.distinct()) == len(calls) })
	got, _, _ := camp.snapshot()
	var last int64
	for _, g := range got {
		if !amigate.IsCampaignEvent(g.Event.Type) || g.Event.Campaign == nil || g.Event.Campaign.ID != "m1" {
			t.Fatalf("the campaign subscription got %+v", g.Event)
		}
		if g.Event.Sequence <= last {
			t.Errorf("sequence %d after %d", g.Event.Sequence, last)
		}
		last = g.Event.Sequence
	}
	ctx := context.Background()
	for id, want := range map[string]bool{evs[2].ID: true, "evt_m1_c9": false} {
		if ok, err := d.Stored(ctx, id); err != nil || ok != want {
			t.Errorf("Stored(%s) = %v, %v; want %v", id, ok, err, want)
		}
	}
	open, err := d.OpenCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range open {
		if ev.Call.ID == "" {
			t.Errorf("a campaign event left a call open: %+v", ev)
		}
	}
	waitFor(t, "deliveries to settle", 10*time.Second, func() bool { return settled(t, d) })
	got, _, _ = all.snapshot()
	for _, g := range got {
		if amigate.IsCampaignEvent(g.Event.Type) {
			t.Errorf("the * subscription got %s", g.Event.Type)
		}
	}
}
