package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

func TestPacing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(10), Pacing: amigate.CampaignPacing{MaxConcurrent: 2, PerMinute: 3}})
	h.svc.Step(ctx)
	if got := h.pbx.count(); got != 2 {
		t.Fatalf("first step dialled %d, want 2 (max_concurrent)", got)
	}
	h.svc.Step(ctx)
	if got := h.pbx.count(); got != 2 {
		t.Fatalf("second step with 2 in progress dialled %d in all, want 2", got)
	}
	h.clk.Add(10 * time.Second)
	h.pbx.end(h.clk.Now(), answered)
	h.svc.Step(ctx)
	if got := h.pbx.count(); got != 3 {
		t.Fatalf("after two ended: %d dialled, want 3 (per_minute)", got)
	}
	h.clk.Add(51 * time.Second) // 61 s after the first dials
	h.svc.Step(ctx)
	if got := h.pbx.count(); got != 4 {
		t.Fatalf("a minute later: %d dialled, want 4 (one in progress, max 2)", got)
	}
	for i := 0; i < 20; i++ {
		h.clk.Add(time.Minute)
		h.pbx.end(h.clk.Now(), answered)
		h.svc.Step(ctx)
	}
	got := h.get(c.ID)
	if got.State != amigate.CampaignCompleted || got.Counts.Done != 10 || got.Counts.Outcomes[amigate.OutcomeAnswered] != 10 || got.Counts.Attempts != 10 {
		t.Fatalf("got %s with counts %+v, want completed with 10 answered", got.State, got.Counts)
	}
	for _, k := range contacts(10) {
		if n := h.pbx.times(k.Number); n != 1 {
			t.Errorf("%s dialled %d times, want 1", k.Number, n)
		}
	}
}

func TestWindow(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// 10:00 UTC is 13:00 in Moscow; the window opens at 14:00 on weekdays.
	c := h.create(amigate.CampaignRequest{Contacts: contacts(1),
		Window: amigate.CampaignWindow{TimeZone: "Europe/Moscow", Days: []string{"mon", "tue"}, From: "14:00", To: "15:00"}})
	h.svc.Step(ctx)
	if h.pbx.count() != 0 || h.get(c.ID).State != amigate.CampaignScheduled {
		t.Fatalf("dialled %d before the window opened (state %s)", h.pbx.count(), h.get(c.ID).State)
	}
	h.clk.Add(time.Hour)
	h.svc.Step(ctx)
	if h.pbx.count() != 1 || h.get(c.ID).State != amigate.CampaignRunning {
		t.Fatalf("dialled %d in the window (state %s), want 1, running", h.pbx.count(), h.get(c.ID).State)
	}
}

func TestWindowOpen(t *testing.T) {
	w, err := compileWindow(amigate.CampaignWindow{Days: []string{"fri"}, From: "22:00", To: "02:00"})
	if err != nil {
		t.Fatal(err)
	}
	fri := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) // a Friday
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{fri.Add(21*time.Hour + 59*time.Minute), false},
		{fri.Add(22 * time.Hour), true},
		{fri.Add(25 * time.Hour), true}, // Saturday 01:00, the night of Friday
		{fri.Add(26 * time.Hour), false},
		{fri.Add(1 * time.Hour), false}, // Friday 01:00 is Thursday's night
	} {
		if got := w.open(tc.at); got != tc.want {
			t.Errorf("open(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestRetryPerOutcome(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(1),
		Retry: amigate.CampaignRetry{Busy: amigate.RetryRule{Attempts: 1, DelaySeconds: 300}}})
	busy := func(string) string { return amigate.DispositionBusy }
	h.svc.Step(ctx)
	h.pbx.end(h.clk.Now(), busy)
	h.svc.Step(ctx)
	if h.pbx.count() != 1 {
		t.Fatalf("redialled at once after busy: %d dials", h.pbx.count())
	}
	h.clk.Add(299 * time.Second)
	h.svc.Step(ctx)
	if h.pbx.count() != 1 {
		t.Fatalf("redialled before the delay: %d dials", h.pbx.count())
	}
	h.clk.Add(time.Second)
	h.svc.Step(ctx)
	if h.pbx.count() != 2 {
		t.Fatalf("not redialled after the delay: %d dials", h.pbx.count())
	}
	h.pbx.end(h.clk.Now(), busy)
	h.clk.Add(time.Hour)
	h.svc.Step(ctx)
	h.svc.Step(ctx)
	got := h.get(c.ID)
	if h.pbx.count() != 2 || got.State != amigate.CampaignCompleted || got.Counts.Outcomes[amigate.OutcomeBusy] != 1 {
		t.Fatalf("%d dials, %s, %+v; want 2 dials, completed, 1 busy", h.pbx.count(), got.State, got.Counts)
	}
	page, err := h.svc.Contacts(ctx, c.ID, amigate.ContactQuery{})
	if err != nil {
		t.Fatal(err)
	}
	k := page.Contacts[0]
	if len(k.Attempts) != 2 || k.Attempts[0].Result != amigate.OutcomeBusy || k.Attempts[1].Result != amigate.OutcomeBusy || k.Outcome != amigate.OutcomeBusy {
		t.Fatalf("contact %+v, want two busy attempts", k)
	}
	// no_answer has no retry rule: final at once.
	h2 := newHarness(t)
	c2 := h2.create(amigate.CampaignRequest{Contacts: contacts(1),
		Retry: amigate.CampaignRetry{Busy: amigate.RetryRule{Attempts: 3}}})
	h2.svc.Step(ctx)
	h2.pbx.end(h2.clk.Now(), func(string) string { return amigate.DispositionNoAnswer })
	h2.clk.Add(time.Hour)
	h2.svc.Step(ctx)
	if got := h2.get(c2.ID); h2.pbx.count() != 1 || got.Counts.Outcomes[amigate.OutcomeNoAnswer] != 1 {
		t.Fatalf("no_answer without a rule: %d dials, %+v", h2.pbx.count(), got.Counts)
	}
}

// TestRestartNeverRedials: an attempt recorded before a crash, whose call
// neither the PBX nor the history knows, ends as unknown and is never
// dialled again; one the calls know ends with its outcome.
func TestRestartNeverRedials(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3), Pacing: amigate.CampaignPacing{MaxConcurrent: 2},
		Retry: amigate.CampaignRetry{Failed: amigate.RetryRule{Attempts: 5}, NoAnswer: amigate.RetryRule{Attempts: 5}}})
	h.svc.Step(ctx)
	if h.pbx.count() != 2 {
		t.Fatalf("dialled %d, want 2", h.pbx.count())
	}
	// The crash: the first call's record is lost at the PBX (never
	// reached it), the second one ended unanswered while the service was
	// down.
	h.pbx.mu.Lock()
	delete(h.pbx.calls, h.pbx.dials[0].ID)
	h.pbx.mu.Unlock()
	h.restart()
	second := h.pbx.dials[1]
	end := h.clk.Now()
	h.pbx.mu.Lock()
	h.pbx.calls[second.ID] = amigate.Call{ID: second.ID, State: amigate.StateEnded, EndedAt: &end, Disposition: amigate.DispositionNoAnswer}
	h.pbx.mu.Unlock()

	h.svc.Step(ctx) // the third contact takes the second's place
	if h.pbx.count() != 3 || h.pbx.times(h.pbx.dials[0].Number) != 1 {
		t.Fatalf("after restart: %d dials, first contact %d times", h.pbx.count(), h.pbx.times(h.pbx.dials[0].Number))
	}
	h.clk.Add(time.Minute)
	h.svc.Step(ctx)
	if got := h.get(c.ID); got.Counts.Dialing != 2 {
		t.Fatalf("unknown resolved too early: %+v", got.Counts)
	}
	h.clk.Add(time.Minute)
	h.pbx.end(h.clk.Now(), answered)
	for range 5 {
		h.svc.Step(ctx)
		h.pbx.end(h.clk.Now(), answered)
	}
	got := h.get(c.ID)
	if got.Counts.Outcomes[amigate.OutcomeUnknown] != 1 || got.Counts.Outcomes[amigate.OutcomeAnswered] != 2 || got.State != amigate.CampaignCompleted {
		t.Fatalf("got %s %+v, want completed: 1 unknown, 2 answered", got.State, got.Counts)
	}
	if n := h.pbx.times(h.pbx.dials[0].Number); n != 1 {
		t.Fatalf("the unknown attempt's contact was dialled %d times, want 1", n)
	}
	if n := h.pbx.times(second.Number); n != 2 {
		t.Fatalf("the no_answer contact was dialled %d times, want 2 (one retry)", n)
	}
}

func TestNotReadyAndUnavailable(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ready := false
	h.svc.cfg.Ready = func() bool { return ready }
	c := h.create(amigate.CampaignRequest{Contacts: contacts(2)})
	h.svc.Step(ctx)
	if h.pbx.count() != 0 {
		t.Fatal("dialled while not ready")
	}
	ready = true
	h.pbx.dialErr = amigate.ErrUnavailable
	h.svc.Step(ctx)
	got := h.get(c.ID)
	if got.Counts.Attempts != 0 || got.Counts.Pending != 2 {
		t.Fatalf("an Originate never sent left %+v", got.Counts)
	}
	h.pbx.dialErr = nil
	h.svc.Step(ctx)
	if h.pbx.count() != 1 || h.pbx.dials[0].Number != contacts(1)[0].Number {
		t.Fatalf("after reconnect: %d dials", h.pbx.count())
	}
}

func TestStoreFailureDialsNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(1)})
	h.svc.Step(ctx) // running
	h.pbx.end(h.clk.Now(), answered)
	h2 := newHarness(t)
	c = h2.create(amigate.CampaignRequest{Contacts: contacts(1)})
	h2.kv.putErr = errBoom
	h2.svc.Step(ctx)
	if h2.pbx.count() != 0 {
		t.Fatal("dialled without storing the attempt")
	}
	h2.kv.putErr = nil
	h2.svc.Step(ctx)
	if h2.pbx.count() != 1 || h2.get(c.ID).State != amigate.CampaignRunning {
		t.Fatalf("after the store recovered: %d dials, %s", h2.pbx.count(), h2.get(c.ID).State)
	}
}

func TestPauseResumeCancelDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3)})
	if _, err := h.svc.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.svc.Step(ctx)
	if h.pbx.count() != 0 {
		t.Fatal("a paused campaign dialled")
	}
	if _, err := h.svc.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.svc.Step(ctx)
	if h.pbx.count() != 1 {
		t.Fatalf("resumed: %d dials, want 1", h.pbx.count())
	}
	if err := h.svc.Delete(ctx, c.ID); err == nil {
		t.Fatal("deleted a running campaign")
	}
	got, err := h.svc.Cancel(ctx, c.ID)
	if err != nil || got.Counts.Canceled != 2 || got.Counts.Dialing != 1 {
		t.Fatalf("cancel: %v %+v", err, got.Counts)
	}
	if _, err := h.svc.Resume(ctx, c.ID); err == nil {
		t.Fatal("resumed a canceled campaign")
	}
	h.pbx.end(h.clk.Now(), answered)
	h.svc.Step(ctx)
	if got := h.get(c.ID); h.pbx.count() != 1 || got.Counts.Outcomes[amigate.OutcomeAnswered] != 1 {
		t.Fatalf("after cancel: %d dials, %+v", h.pbx.count(), got.Counts)
	}
	if err := h.svc.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	h.restart()
	if l, _ := h.svc.List(ctx); len(l) != 0 || len(h.kv.m) != 0 {
		t.Fatalf("after delete and restart: %d campaigns, %d keys", len(l), len(h.kv.m))
	}
}

func TestCreateValidates(t *testing.T) {
	h := newHarness(t)
	for _, r := range []amigate.CampaignRequest{
		{Name: "x", Contacts: contacts(1), Mode: "predictive", Target: amigate.CampaignTarget{Queue: "q"}},
		{Name: "x", Target: amigate.CampaignTarget{Queue: "q"}},
		{Name: "x", Contacts: contacts(1)},
		{Name: "x", Contacts: contacts(1), Target: amigate.CampaignTarget{Queue: "q", Extension: "101"}},
		{Name: "x", Contacts: contacts(1), Target: amigate.CampaignTarget{Queue: "q"}, Window: amigate.CampaignWindow{TimeZone: "Mars/Base"}},
		{Name: "x", Contacts: contacts(1), Target: amigate.CampaignTarget{Queue: "q"}, Pacing: amigate.CampaignPacing{MaxConcurrent: 1000}},
		{Name: "x", Contacts: []amigate.CampaignContact{{Number: "1\r\nAction: Originate"}}, Target: amigate.CampaignTarget{Queue: "q"}},
	} {
		if _, err := h.svc.Create(context.Background(), r); err == nil {
			t.Errorf("Create(%+v) accepted", r)
		}
	}
	if len(h.kv.m) != 0 {
		t.Fatalf("refused requests stored %d keys", len(h.kv.m))
	}
}

// TestLostOriginate: an attempt whose call the calls expect but never saw
// on the PBX (the Originate's answer was lost with the connection) ends as
// unknown once the PBX has been connected ResolveAfter, and is not retried.
func TestLostOriginate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(1), Retry: amigate.CampaignRetry{Failed: amigate.RetryRule{Attempts: 3}}})
	h.svc.Step(ctx)
	id := h.pbx.dials[0].ID
	h.pbx.mu.Lock()
	h.pbx.calls[id] = amigate.Call{ID: id, State: amigate.StateDialing}
	h.pbx.mu.Unlock()
	h.clk.Add(time.Minute)
	h.svc.Step(ctx)
	if got := h.get(c.ID); got.Counts.Dialing != 1 {
		t.Fatalf("given up before ResolveAfter: %+v", got.Counts)
	}
	h.clk.Add(time.Minute)
	h.svc.Step(ctx)
	h.clk.Add(time.Hour)
	h.svc.Step(ctx)
	if got := h.get(c.ID); got.Counts.Outcomes[amigate.OutcomeUnknown] != 1 || h.pbx.count() != 1 || got.State != amigate.CampaignCompleted {
		t.Fatalf("%d dials, %s %+v; want 1 dial, completed, unknown", h.pbx.count(), got.State, got.Counts)
	}
}

// TestCampaignVariables: the campaign's variables go with every attempt
// beside the contact's own (call control merges them), after a restart too.
func TestCampaignVariables(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	in := contacts(2)
	in[1].Variables = map[string]string{"CRM_LEAD": "7"}
	c := h.create(amigate.CampaignRequest{Contacts: in, Variables: map[string]string{"CRM_SOURCE": "december"}, Pacing: amigate.CampaignPacing{MaxConcurrent: 1}})
	if c.Variables["CRM_SOURCE"] != "december" {
		t.Fatalf("campaign variables %v", c.Variables)
	}
	h.svc.Step(ctx)
	h.restart()
	h.pbx.end(h.clk.Now(), answered)
	h.svc.Step(ctx)
	if h.pbx.count() != 2 {
		t.Fatalf("%d dials", h.pbx.count())
	}
	for i, d := range h.pbx.dials {
		if d.CampaignVariables["CRM_SOURCE"] != "december" || d.Variables["CRM_LEAD"] != in[i].Variables["CRM_LEAD"] {
			t.Errorf("dial %d: campaign %v, contact %v", i, d.CampaignVariables, d.Variables)
		}
	}
}
