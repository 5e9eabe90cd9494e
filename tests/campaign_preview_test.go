package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestCampaignPreview: a preview campaign to a queue rings a free member
// first, then the customer from the agent's phone; every customer is
// dialled once per attempt, each call is the attempt's (its id, campaign,
// contact and agent), and the campaign completes.
func TestCampaignPreview(t *testing.T) {
	t.Parallel()
	o := campaignOffice()
	o.AgentTalk = 500 * time.Millisecond // the agent stays until the customer answers
	e := start(t, o, "AMIGATE_CAMPAIGN_TICK=50ms")
	a := newAPI(t, e.svc.URL, token(t, campaignScopes, ""))
	var contacts []map[string]any
	for i := range 12 {
		contacts = append(contacts, map[string]any{"number": fmt.Sprintf("+7900%07d", i), "name": fmt.Sprintf("Customer %d", i)})
	}
	c := createCampaign(t, a, map[string]any{
		"name": "preview", "mode": "preview", "contacts": contacts, "target": map[string]string{"queue": "support"},
		"pacing": map[string]int{"max_concurrent": 4, "per_minute": 6000}, "ring_timeout_seconds": 30,
	})
	eventually(t, 90*time.Second, "the preview campaign completed", func() bool { return a.campaign(c.ID).State == "completed" })
	got := a.campaign(c.ID)
	if got.Counts.Done != 12 || got.Counts.Attempts != 12 {
		t.Errorf("counts %+v, want 12 done in 12 attempts", got.Counts)
	}
	for _, k := range a.contacts(c.ID) {
		if len(k.Attempts) != 1 {
			t.Errorf("contact %d: %d attempts", k.Index, len(k.Attempts))
			continue
		}
		if k.Outcome != "answered" {
			t.Errorf("contact %d %s: outcome %q", k.Index, k.Number, k.Outcome)
		}
		var call struct {
			Campaign string `json:"campaign"`
			Contact  *int   `json:"contact"`
			Agent    *agent `json:"agent"`
			Customer *party `json:"customer"`
		}
		r := a.do(http.MethodGet, "/v1/calls/"+k.Attempts[0].CallID, nil)
		if r.Status != http.StatusOK {
			t.Errorf("contact %d: call %s: %d", k.Index, k.Attempts[0].CallID, r.Status)
			continue
		}
		r.decode(t, &call)
		if call.Campaign != c.ID || call.Contact == nil || *call.Contact != k.Index || call.Agent == nil ||
			call.Customer == nil || call.Customer.E164 != k.Number {
			t.Errorf("contact %d %s: call %+v", k.Index, k.Number, call)
		}
	}
}
