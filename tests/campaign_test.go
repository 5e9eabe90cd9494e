package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/pbxsim"
)

const campaignScopes = "campaigns:read campaigns:write calls:read"

type campaignView struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Counts struct {
		Total    int            `json:"total"`
		Pending  int            `json:"pending"`
		Dialing  int            `json:"dialing"`
		Done     int            `json:"done"`
		Outcomes map[string]int `json:"outcomes"`
		Attempts int            `json:"attempts"`
	} `json:"counts"`
}

type contactView struct {
	Index    int    `json:"index"`
	Number   string `json:"number"`
	State    string `json:"state"`
	Outcome  string `json:"outcome"`
	Attempts []struct {
		CallID string `json:"call_id"`
		Result string `json:"result"`
	} `json:"attempts"`
}

// campaignOffice: customers 7901... are busy, 7902... never answer, the
// rest answer and wait in the queue (seconds) for an agent, who hangs up
// quickly so that calls end by themselves.
func campaignOffice() (o pbxsim.Office) {
	o = office()
	o.BusyPrefix, o.NoAnswerPrefix = "7901", "7902"
	o.CustomerTalk = 10 * time.Second
	o.AgentTalk = 30 * time.Millisecond
	o.NoAnswerRing = 50 * time.Millisecond
	return o
}

func (a *api) campaign(id string) campaignView {
	a.t.Helper()
	r := a.do(http.MethodGet, "/v1/campaigns/"+id, nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("GET campaign: %d %s", r.Status, r.Body)
	}
	var c campaignView
	r.decode(a.t, &c)
	return c
}

// contacts reads every contact, a page at a time through the Link header.
func (a *api) contacts(id string) []contactView {
	a.t.Helper()
	var all []contactView
	path := "/v1/campaigns/" + id + "/contacts?limit=70"
	for path != "" {
		r := a.do(http.MethodGet, path, nil)
		if r.Status != http.StatusOK {
			a.t.Fatalf("GET contacts: %d %s", r.Status, r.Body)
		}
		var page []contactView
		r.decode(a.t, &page)
		all = append(all, page...)
		path = ""
		if l := r.Header.Get("Link"); l != "" {
			path = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
		}
	}
	return all
}

func createCampaign(t *testing.T, a *api, body map[string]any) campaignView {
	t.Helper()
	r := a.do(http.MethodPost, "/v1/campaigns", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /v1/campaigns: %d %s", r.Status, r.Body)
	}
	var c campaignView
	r.decode(t, &c)
	return c
}

// numbers are n customers: every third busy, every third never answering.
func campaignNumbers(n int) (contacts []map[string]any, want map[string]int) {
	want = map[string]int{}
	for i := range n {
		prefix := []string{"7900", "7901", "7902"}[i%3]
		num := fmt.Sprintf("%s%07d", prefix, i)
		contacts = append(contacts, map[string]any{"number": "+" + num, "metadata": map[string]int{"i": i}})
		want[num] = map[string]int{"7900": 1, "7901": 2, "7902": 1}[prefix] // busy: one retry
	}
	return contacts, want
}

// TestCampaignMixedOutcomes: a 200-contact campaign against the simulated
// PBX ends with exactly the attempts the retry policy asks for, counted
// at the PBX's side; a subscription to the campaign events gets each once,

// numbered is n contacts with the numbers +79000000000, +79000000001, …
func numbered(n int) []map[string]any {
	contacts := make([]map[string]any, n)
	for i := range contacts {
		contacts[i] = map[string]any{"number": fmt.Sprintf("+7900%07d", i)}
	}
	return contacts
}

// dialledOnceAfterKill checks the contacts of a campaign that completed
// after the process dialling it was killed with up to inFlight calls in
// progress. An attempt in flight at the kill whose call the PBX no longer
// has (it ended while no process watched, or its Originate never left)
// ends as unknown and is not dialled again; a call picked up afterwards
// may have lost its agent (the resync adopts it without the queue's
// history): abandoned. Every other contact was dialled exactly once, and
// answered.
func dialledOnceAfterKill(t *testing.T, p *pbx, contacts []contactView, inFlight int) {
	t.Helper()
	unknown := 0
	for _, k := range contacts {
		n := p.Originates("Local/" + strings.TrimPrefix(k.Number, "+") + "@from-internal")
		switch {
		case n > 1:
			t.Errorf("%s dialled %d times", k.Number, n)
		case k.Outcome == "unknown" || k.Outcome == "abandoned" && n == 1 && len(k.Attempts) == 1:
			unknown++
		case n != 1 || k.Outcome != "answered" || len(k.Attempts) != 1:
			t.Errorf("%s: dialled %d times, outcome %q after %d attempts; want once, answered", k.Number, n, k.Outcome, len(k.Attempts))
		}
	}
	if unknown > inFlight {
		t.Errorf("%d unknown or abandoned outcomes, more than the %d calls in flight at the kill", unknown, inFlight)
	}
}

// and the calls' own events carry the campaign and contact.
func TestCampaignMixedOutcomes(t *testing.T) {
	t.Parallel()
	e := start(t, campaignOffice(), "AMIGATE_CAMPAIGN_TICK=50ms",
		"AMIGATE_WEBHOOK_EVENTS=*,campaign.started,campaign.contact_completed,campaign.completed")
	a := newAPI(t, e.svc.URL, token(t, campaignScopes, ""))
	contacts, want := campaignNumbers(200)
	c := createCampaign(t, a, map[string]any{
		"name": "mixed", "mode": "progressive", "contacts": contacts,
		"target":               map[string]string{"queue": "support"},
		"pacing":               map[string]int{"max_concurrent": 8, "per_minute": 6000},
		"retry":                map[string]any{"busy": map[string]int{"attempts": 1, "delay_seconds": 0}},
		"ring_timeout_seconds": 5,
	})
	eventually(t, 90*time.Second, "the campaign completed", func() bool { return a.campaign(c.ID).State == "completed" })
	got := a.campaign(c.ID)
	if got.Counts.Done != 200 || got.Counts.Attempts != 200+67 {
		t.Errorf("counts %+v, want 200 done in 267 attempts", got.Counts)
	}
	for num, n := range want {
		if o := e.pbx.Originates("Local/" + num + "@from-internal"); o != n {
			t.Errorf("%s: %d Originates at the PBX, want %d", num, o, n)
		}
	}
	for _, k := range a.contacts(c.ID) {
		prefix := strings.TrimPrefix(k.Number, "+")[:4]
		wantOutcome := map[string]string{"7900": "answered", "7901": "busy", "7902": "no_answer"}[prefix]
		if k.Outcome != wantOutcome || len(k.Attempts) != want[strings.TrimPrefix(k.Number, "+")] {
			t.Errorf("contact %d %s: outcome %q after %d attempts, want %q", k.Index, k.Number, k.Outcome, len(k.Attempts), wantOutcome)
		}
		for _, at := range k.Attempts {
			if at.CallID == "" || at.Result == "" {
				t.Errorf("contact %d: attempt %+v", k.Index, at)
			}
		}
	}
	// The calls carry the campaign and the contact.
	k := a.contacts(c.ID)[0]
	var call struct {
		Campaign string `json:"campaign"`
		Contact  *int   `json:"contact"`
	}
	a.do(http.MethodGet, "/v1/calls/"+k.Attempts[0].CallID, nil).decode(t, &call)
	if call.Campaign != c.ID || call.Contact == nil || *call.Contact != 0 {
		t.Errorf("call of contact 0: campaign %q contact %v", call.Campaign, call.Contact)
	}
	checkCampaignEvents(t, e.rcv, c.ID, a.contacts(c.ID))
}

// checkCampaignEvents waits for the campaign's events at the receiver:
// campaign.started first, one campaign.contact_completed per contact with
// its outcome and last call, campaign.completed last; and every call
// event of the campaign's calls names the campaign and its contact.
func checkCampaignEvents(t *testing.T, rcv *receiver, id string, contacts []contactView) {
	t.Helper()
	var mine []event
	rcv.wait(30*time.Second, "campaign.completed", func(ds []delivery) bool {
		mine = mine[:0]
		for _, d := range ds {
			if d.Event.Campaign != nil && d.Event.Campaign.ID == id {
				mine = append(mine, d.Event)
			}
		}
		return len(mine) > 0 && mine[len(mine)-1].Type == "campaign.completed"
	})
	seen := map[string]int{}
	for _, ev := range mine {
		seen[ev.ID]++
	}
	for evID, n := range seen {
		if n > 1 {
			t.Errorf("event %s delivered %d times", evID, n) // the receiver answers 2xx: never retried
		}
	}
	if len(mine) != len(contacts)+2 || mine[0].Type != "campaign.started" {
		t.Fatalf("%d campaign events, first %s; want started, %d contact_completed, completed", len(mine), mine[0].Type, len(contacts))
	}
	byIndex := map[int]event{}
	for _, ev := range mine[1 : len(mine)-1] {
		if ev.Type != "campaign.contact_completed" || ev.Contact == nil {
			t.Fatalf("event %+v between started and completed", ev)
		}
		byIndex[ev.Contact.Index] = ev
	}
	calls := map[string]int{} // call id → contact
	for _, k := range contacts {
		ev, ok := byIndex[k.Index]
		last := k.Attempts[len(k.Attempts)-1].CallID
		if !ok || ev.Contact.Outcome != k.Outcome || ev.Contact.CallID != last {
			t.Errorf("contact %d (%s, last call %s): event %+v", k.Index, k.Outcome, last, ev.Contact)
		}
		for _, at := range k.Attempts {
			calls[at.CallID] = k.Index
		}
	}
	for _, d := range rcv.deliveries() {
		if k, ok := calls[d.Event.Call.ID]; ok {
			if c := d.Event.Call; c.Campaign != id || c.Contact == nil || *c.Contact != k {
				t.Errorf("%s of call %s: campaign %q contact %v, want %s %d", d.Event.Type, c.ID, c.Campaign, c.Contact, id, k)
			}
		}
	}
}

// TestCampaignKillAndRestart: the service is killed (SIGKILL) in the
// middle of a campaign and restarted on the same store; at the PBX's
// side, no customer was dialled twice, and the campaign completes.
func TestCampaignKillAndRestart(t *testing.T) {
	t.Parallel()
	o := campaignOffice()
	e := start(t, o, "AMIGATE_CAMPAIGN_TICK=50ms", "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT=2s")
	dataDir := lastValue(e.svc.cmd.Env, "AMIGATE_DATA_DIR")
	a := newAPI(t, e.svc.URL, token(t, campaignScopes, ""))
	contacts := numbered(60)
	c := createCampaign(t, a, map[string]any{
		"name": "restart", "contacts": contacts, "target": map[string]string{"queue": "support"},
		"pacing": map[string]int{"max_concurrent": 3, "per_minute": 6000},
		"retry":  map[string]any{"failed": map[string]int{"attempts": 3}, "no_answer": map[string]int{"attempts": 3}},
	})
	eventually(t, 60*time.Second, "a third of the campaign done", func() bool { return a.campaign(c.ID).Counts.Done >= 20 })
	e.svc.kill()

	e.svc = startService(t, append(baseEnv(e.pbx.Addr, dataDir), "AMIGATE_CAMPAIGN_TICK=50ms", "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT=2s"))
	a = newAPI(t, e.svc.URL, token(t, campaignScopes, ""))
	eventually(t, 90*time.Second, "the campaign completed after the restart", func() bool { return a.campaign(c.ID).State == "completed" })
	got := a.campaign(c.ID)
	if got.Counts.Done != 60 {
		t.Errorf("counts %+v, want 60 done", got.Counts)
	}
	dialledOnceAfterKill(t, e.pbx, a.contacts(c.ID), 3)
	t.Logf("outcomes after the restart: %v", got.Counts.Outcomes)
}

// TestCampaignAMIDrop: the AMI connection drops in the middle of a
// campaign; the dialler starts nothing while Asterisk is away, goes on
// after the login and resync, and dials nobody twice.
func TestCampaignAMIDrop(t *testing.T) {
	t.Parallel()
	e := start(t, campaignOffice(), "AMIGATE_CAMPAIGN_TICK=50ms", "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT=2s")
	a := newAPI(t, e.svc.URL, token(t, campaignScopes, ""))
	contacts := numbered(40)
	c := createCampaign(t, a, map[string]any{
		"name": "drop", "contacts": contacts, "target": map[string]string{"queue": "support"},
		"pacing": map[string]int{"max_concurrent": 2, "per_minute": 6000},
	})
	eventually(t, 60*time.Second, "a quarter of the campaign done", func() bool { return a.campaign(c.ID).Counts.Done >= 10 })
	e.pbx.gate.setShut(true)
	e.pbx.DropConnections()
	eventually(t, wait, "not ready while Asterisk is away", func() bool { return a.readyz() != http.StatusOK })
	before := a.campaign(c.ID).Counts.Attempts
	// A few ticks with Asterisk away: no attempt is started. One recorded
	// just as the connection dropped is taken back when its Originate
	// cannot be sent, so the count may go down, never up.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		got := a.campaign(c.ID).Counts.Attempts
		if got > before {
			t.Fatalf("%d attempts started while Asterisk was away", got-before)
		}
		before = got
	}
	e.pbx.gate.setShut(false)
	eventually(t, 90*time.Second, "the campaign completed after the reconnect", func() bool { return a.campaign(c.ID).State == "completed" })
	unknown := 0
	for _, k := range a.contacts(c.ID) {
		n := e.pbx.Originates("Local/" + strings.TrimPrefix(k.Number, "+") + "@from-internal")
		switch {
		case n > 1:
			t.Errorf("%s dialled %d times", k.Number, n)
		case k.Outcome == "unknown":
			unknown++
		case n != 1 || len(k.Attempts) != 1:
			t.Errorf("%s: dialled %d times, %d attempts; want once", k.Number, n, len(k.Attempts))
		}
	}
	if unknown > 2 {
		t.Errorf("%d unknown outcomes, more than the 2 calls in flight at the drop", unknown)
	}
}
