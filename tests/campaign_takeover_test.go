package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// dialsMsg is what an instance logs when it takes the dialer lease.
const dialsMsg = "this instance dials the campaigns"

// dialing is the index of the instance that took the dialer lease last,
// or -1.
func dialing(svcs []*service) int {
	for i, s := range svcs {
		for _, l := range s.logs() {
			if strings.Contains(l, dialsMsg) {
				return i
			}
		}
	}
	return -1
}

// campaignState reads a campaign through a, or "" while a cannot answer
// (the instance that dials stopped and another takes over).
func campaignState(t *testing.T, a *api, id string) (campaignView, bool) {
	r, err := a.try(http.MethodGet, "/v1/campaigns/"+id, nil)
	if err != nil || r.Status != http.StatusOK {
		return campaignView{}, false
	}
	var c campaignView
	r.decode(t, &c)
	return c, true
}

// electedPair starts two instances with env on one NATS server and the
// simulated PBX p, and waits until one of them dials: it returns them,
// their APIs and the index of that one.
func electedPair(t *testing.T, p *pbx, env ...string) ([]*service, []*api, int) {
	t.Helper()
	natsURL := startNATS(t)
	var svcs []*service
	var apis []*api
	for range 2 {
		s := startService(t, append(append(baseEnv(p.Addr, t.TempDir()), "AMIGATE_NATS_URL="+natsURL, "AMIGATE_CAMPAIGN_TICK=50ms"), env...))
		a := newAPI(t, s.URL, token(t, campaignScopes, ""))
		a.waitReady()
		svcs, apis = append(svcs, s), append(apis, a)
	}
	holder := -1
	eventually(t, wait, "one instance dials", func() bool { holder = dialing(svcs); return holder >= 0 })
	return svcs, apis, holder
}

// TestCampaignTakeOver: two instances on one NATS server elect the one
// that dials; a campaign created and read through the other one is
// forwarded to it. The dialing instance is killed (SIGKILL) in the middle
// of the campaign: the other takes over within seconds and finishes it,
// and at the PBX's side no customer was dialled twice.
func TestCampaignTakeOver(t *testing.T) {
	t.Parallel()
	p := startPBX(t, campaignOffice())
	svcs, apis, holder := electedPair(t, p, "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT=2s", "AMIGATE_CAMPAIGN_LEASE=1s")
	other := 1 - holder
	// The other instance learns which one dials when it next looks at
	// the lease.
	eventually(t, wait, "the campaigns served through the other instance", func() bool {
		r, err := apis[other].try(http.MethodGet, "/v1/campaigns", nil)
		return err == nil && r.Status == http.StatusOK
	})

	contacts := numbered(60)
	// Through the instance that does not dial: forwarded to the one that does.
	c := createCampaign(t, apis[other], map[string]any{
		"name": "take-over", "contacts": contacts, "target": map[string]string{"queue": "support"},
		"pacing": map[string]int{"max_concurrent": 3, "per_minute": 6000},
		"retry":  map[string]any{"failed": map[string]int{"attempts": 3}, "no_answer": map[string]int{"attempts": 3}},
	})
	eventually(t, 60*time.Second, "a third of the campaign done", func() bool { return apis[other].campaign(c.ID).Counts.Done >= 20 })
	if got := apis[holder].campaign(c.ID); got.ID != c.ID {
		t.Fatalf("the dialing instance shows %+v", got)
	}
	if d := dialing(svcs[other : other+1]); d >= 0 {
		t.Fatal("both instances dial")
	}

	svcs[holder].kill()
	killed := time.Now()
	eventually(t, wait, "the other instance took over", func() bool { return dialing(svcs[other:other+1]) == 0 })
	took := time.Since(killed)
	eventually(t, 90*time.Second, "the campaign completed after the take-over", func() bool {
		got, ok := campaignState(t, apis[other], c.ID)
		return ok && got.State == "completed"
	})
	t.Logf("taken over %v after the kill, completed %v after it", took.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	// The lease lasts 1s: the take-over follows within it and a renewal
	// period, with room for a loaded machine.
	if took > 6*time.Second {
		t.Errorf("taken over %v after the kill, want within seconds", took)
	}
	got := apis[other].campaign(c.ID)
	if got.Counts.Done != 60 {
		t.Errorf("counts %+v, want 60 done", got.Counts)
	}
	// As after a restart.
	dialledOnceAfterKill(t, p, apis[other].contacts(c.ID), 3)
}

// TestCampaignHandOverOnShutdown: the dialing instance stops gracefully
// (SIGTERM) in the middle of a campaign and releases its lease: the other
// takes over at its next look (every second), long before a lease of a
// minute would have run out, and finishes the campaign with nobody
// dialled twice.
func TestCampaignHandOverOnShutdown(t *testing.T) {
	t.Parallel()
	p := startPBX(t, campaignOffice())
	// A shutdown that lands while an attempt is being stored leaves that
	// attempt's outcome unknown to the store (the write may or may not
	// have reached it): the next holder looks for its call for the
	// resolve timeout before it ends as unknown, never dialling it again.
	svcs, apis, holder := electedPair(t, p, "AMIGATE_CAMPAIGN_LEASE=1m", "AMIGATE_CAMPAIGN_RESOLVE_TIMEOUT=2s")
	other := 1 - holder
	contacts := numbered(40)
	c := createCampaign(t, apis[holder], map[string]any{
		"name": "hand-over", "contacts": contacts, "target": map[string]string{"queue": "support"},
		"pacing": map[string]int{"max_concurrent": 2, "per_minute": 6000},
	})
	eventually(t, 60*time.Second, "a quarter of the campaign done", func() bool { return apis[holder].campaign(c.ID).Counts.Done >= 10 })
	svcs[holder].stop()
	stopped := time.Now()
	eventually(t, wait, "the other instance took over", func() bool { return dialing(svcs[other:other+1]) == 0 })
	if took := time.Since(stopped); took > 10*time.Second {
		t.Errorf("taken over %v after the shutdown; the released lease is taken at the next look, every second", took)
	}
	eventually(t, 90*time.Second, "the campaign completed after the hand-over", func() bool {
		got, ok := campaignState(t, apis[other], c.ID)
		return ok && got.State == "completed"
	})
	for _, k := range apis[other].contacts(c.ID) {
		if n := p.Originates("Local/" + strings.TrimPrefix(k.Number, "+") + "@from-internal"); n > 1 {
			t.Errorf("%s dialled %d times", k.Number, n)
		}
	}
}
