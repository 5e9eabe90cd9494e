package webhooks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

// TestGoneThenEnableResumesInOrder: a 410 disables the subscription; the
// events that come meanwhile wait in the store, listed as held (behind
// the event the receiver refused, or by the disabled subscription) with
// their call ids; enabling it again delivers every one of them, each
// call's in order, starting with the refused one.
func TestGoneThenEnableResumesInOrder(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusGone })
	m := &fakeMetrics{}
	cfg := testConfig(t)
	cfg.Metrics = m
	d := open(t, cfg)
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	first := events("g", 2, 3)
	publish(t, d, first)
	waitFor(t, "subscription disabled", 5*time.Second, func() bool {
		s, err := d.Get(ctx, sub.ID)
		return err == nil && s.Disabled && s.DisabledReason == amigate.DisabledGone && s.DisabledAt != nil
	})
	if m.count(OutcomeGone) == 0 {
		t.Errorf("no gone outcome counted")
	}
	later := events("h", 1, 2)
	publish(t, d, later)
	all := append(append([]amigate.CallEvent(nil), first...), later...)

	var list []amigate.Delivery
	// The two calls' first events go out at once. The first 410 disables
	// the subscription and stops its worker, so the other call's attempt,
	// if it was under way, is not recorded (it is sent again on resume):
	// at least one refusal is on record, and no more than were made.
	var requests int
	refused := make(map[string]bool)
	waitFor(t, "every event listed, a refusal recorded", 5*time.Second, func() bool {
		list, err = listDeliveries(ctx, d, sub.ID)
		_, requests, _ = rcv.snapshot()
		clear(refused)
		for _, dl := range list {
			if dl.State == amigate.DeliveryFailing {
				refused[dl.EventID] = true
			}
		}
		return err == nil && len(list) == len(all) && len(refused) > 0
	})
	if len(refused) > requests {
		t.Fatalf("%d failing deliveries, %d requests: want no more failing than requests (%+v)", len(refused), requests, list)
	}
	for _, dl := range list {
		wantBlock := ""
		callFirst := "evt_" + dl.CallID + "_1"
		if refused[callFirst] && dl.EventID != callFirst {
			wantBlock = callFirst
		}
		switch {
		case dl.CallID == "" || dl.Sequence == 0:
			t.Errorf("%s: no call id or sequence: %+v", dl.EventID, dl)
		case refused[dl.EventID]:
			if dl.Attempts != 1 || dl.StatusCode != http.StatusGone {
				t.Errorf("%s: got %+v, want one attempt answered 410", dl.EventID, dl)
			}
		case dl.State != amigate.DeliveryHeld || dl.BlockedBy != wantBlock:
			t.Errorf("%s: state %s blocked by %q, want held blocked by %q", dl.EventID, dl.State, dl.BlockedBy, wantBlock)
		}
	}
	held, err := d.Deliveries(ctx, sub.ID, amigate.DeliveryQuery{State: amigate.DeliveryHeld, CallID: "h-call0"})
	if err != nil || len(held.Deliveries) != 2 || held.Deliveries[0].EventID != "evt_h-call0_1" || held.Deliveries[1].EventID != "evt_h-call0_2" {
		t.Errorf("held of h-call0: got %+v, %v; want its two events in order", held.Deliveries, err)
	}

	rcv.setStatus(func(amigate.CallEvent) int { return http.StatusNoContent })
	enabled := true
	s, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Enabled: &enabled})
	if err != nil || s.Disabled || s.DisabledReason != "" || s.DisabledAt != nil {
		t.Fatalf("Patch enabled: got %+v, %v", s, err)
	}
	waitFor(t, "every event delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(all) })
	rcv.checkOrder(t)
	waitFor(t, "nothing left undelivered", 5*time.Second, func() bool {
		p, err := d.Deliveries(ctx, sub.ID, amigate.DeliveryQuery{State: amigate.DeliveryFailing})
		return err == nil && len(p.Deliveries) == 0
	})
	for id := range refused {
		p, _ := d.Deliveries(ctx, sub.ID, amigate.DeliveryQuery{State: amigate.DeliveryDelivered})
		for _, dl := range p.Deliveries {
			if dl.EventID == id && dl.Attempts != 2 {
				t.Errorf("%s: %d attempts, want 2 (410, then delivered)", id, dl.Attempts)
			}
		}
	}
}

// TestOperatorDisable: events published while an operator has the
// subscription disabled wait and are delivered, in order, once enabled.
func TestOperatorDisable(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	d := open(t, testConfig(t))
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	off, on := false, true
	s, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Enabled: &off})
	if err != nil || !s.Disabled || s.DisabledReason != amigate.DisabledOperator {
		t.Fatalf("disable: got %+v, %v", s, err)
	}
	waitFor(t, "worker stopped", 5*time.Second, func() bool { return d.worker(sub.ID) == nil })
	evs := events("op", 3, 3)
	publish(t, d, evs)
	waitFor(t, "events held", 5*time.Second, func() bool {
		p, err := d.Deliveries(ctx, sub.ID, amigate.DeliveryQuery{State: amigate.DeliveryHeld})
		return err == nil && len(p.Deliveries) == len(evs)
	})
	if _, n, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("a disabled subscription got %d requests", n)
	}
	if _, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every event delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	rcv.checkOrder(t)
}

func TestPatch(t *testing.T) {
	cfg := testConfig(t, ConfigSubscription{URL: "https://crm.example/hooks", Secret: testSecret})
	cfg.AllowPrivate = false
	cfg.Resolver = fakeResolver{
		"crm.example":      {"93.184.216.34"},
		"other.example":    {"93.184.216.35"},
		"internal.example": {"10.0.0.7"},
	}
	d := open(t, cfg)
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "https://other.example/h", Events: []string{"call.ringing"}})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	evs := func(e ...string) *[]string { return &e }
	dur := func(d time.Duration) *time.Duration { return &d }
	cfgID := configID("https://crm.example/hooks", []string{"*"})
	tests := []struct {
		name  string
		id    string
		patch amigate.SubscriptionPatch
		want  error
		field string
	}{
		{"empty", sub.ID, amigate.SubscriptionPatch{}, amigate.ErrInvalid, ""},
		{"configured", cfgID, amigate.SubscriptionPatch{URL: str("https://crm.example/x")}, amigate.ErrConfigured, ""},
		{"unknown", "wh_nope", amigate.SubscriptionPatch{URL: str("https://crm.example/x")}, amigate.ErrNotFound, ""},
		{"private url", sub.ID, amigate.SubscriptionPatch{URL: str("https://internal.example/h")}, amigate.ErrInvalid, "url"},
		{"bad url", sub.ID, amigate.SubscriptionPatch{URL: str("ftp://crm.example/h")}, amigate.ErrInvalid, "url"},
		{"unknown event", sub.ID, amigate.SubscriptionPatch{Events: evs("call.nope")}, amigate.ErrInvalid, "events"},
		{"grace alone", sub.ID, amigate.SubscriptionPatch{SecretGrace: dur(time.Hour)}, amigate.ErrInvalid, "secret_grace_seconds"},
		{"grace too long", sub.ID, amigate.SubscriptionPatch{RotateSecret: true, SecretGrace: dur(MaxSecretGrace + time.Second)}, amigate.ErrInvalid, "secret_grace_seconds"},
		{"negative grace", sub.ID, amigate.SubscriptionPatch{RotateSecret: true, SecretGrace: dur(-time.Second)}, amigate.ErrInvalid, "secret_grace_seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Patch(ctx, tt.id, tt.patch)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var fe *amigate.FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("got %v, want a field error on %s", err, tt.field)
			}
		})
	}
	if got, _ := d.Get(ctx, sub.ID); !cmp.Equal(got, func() amigate.Subscription { s := sub; s.Secret = ""; return s }()) {
		t.Errorf("refused patches changed the subscription: %+v", got)
	}

	got, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{URL: str("https://user:pw@crm.example/new"), Events: evs("call.ended", "call.answered")})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != RedactURL("https://user:pw@crm.example/new") || !cmp.Equal(got.Events, []string{"call.answered", "call.ended"}) || got.Secret != "" {
		t.Errorf("patched: got %+v", got)
	}
	cons, err := d.st.stream.Consumer(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := filterSubjects([]string{"call.answered", "call.ended"})
	if diff := cmp.Diff(want, cons.CachedInfo().Config.FilterSubjects); diff != "" {
		t.Errorf("consumer filter (-want +got):\n%s", diff)
	}
	rec, _ := d.record(ctx, sub.ID)
	if rec.URL != "https://user:pw@crm.example/new" || rec.Secret != sub.Secret {
		t.Errorf("stored: got %+v", rec)
	}
}

// TestPatchConcurrent: patches racing on one subscription from two
// dispatchers sharing its store are each applied, none lost.
func TestPatchConcurrent(t *testing.T) {
	d := open(t, testConfig(t))
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: "http://127.0.0.1:1/h", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	// Two writers: one rotates the secret, the other changes the URL; a
	// blind put would lose one of them.
	errs := make(chan error, 2)
	go func() {
		_, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{RotateSecret: true})
		errs <- err
	}()
	go func() {
		u := "http://127.0.0.1:2/h"
		_, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{URL: &u})
		errs <- err
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	rec, err := d.record(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.URL != "http://127.0.0.1:2/h" || rec.Secret == testSecret || rec.PrevSecret != testSecret {
		t.Errorf("a concurrent patch was lost: %+v", rec)
	}
	// A write against a stale revision is refused by the store.
	_, rev, _ := d.recordRev(ctx, sub.ID)
	if _, err := d.st.subs.Update(ctx, sub.ID, []byte(`{}`), rev-1); err == nil {
		t.Errorf("an update at a stale revision was accepted")
	}
}

func TestDeliveriesPaging(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	rcv.setStatus(func(ev amigate.CallEvent) int {
		if strings.HasPrefix(ev.Call.ID, "p-call0") {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	cfg := testConfig(t, ConfigSubscription{URL: rcv.srv.URL, Secret: testSecret})
	cfg.Schedule = []time.Duration{time.Hour} // call0's first event keeps failing
	d := open(t, cfg)
	ctx := context.Background()
	id := configID(rcv.srv.URL, []string{"*"})
	evs := events("p", 3, 3)
	publish(t, d, evs)
	waitFor(t, "other calls delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == 6 })
	var all []amigate.Delivery
	waitFor(t, "call0 failing", 5*time.Second, func() bool {
		p, err := d.Deliveries(ctx, id, amigate.DeliveryQuery{State: amigate.DeliveryFailing})
		return err == nil && len(p.Deliveries) == 1
	})
	q := amigate.DeliveryQuery{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		p, err := d.Deliveries(ctx, id, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Deliveries) > 2 {
			t.Fatalf("page of %d, limit 2", len(p.Deliveries))
		}
		all = append(all, p.Deliveries...)
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	var got []string
	for _, dl := range all {
		got = append(got, dl.State+" "+dl.EventID+" "+dl.BlockedBy)
	}
	wantHead := []string{
		"failing evt_p-call0_1 ",
		"held evt_p-call0_2 evt_p-call0_1",
		"held evt_p-call0_3 evt_p-call0_1",
	}
	if len(got) != len(evs) {
		t.Fatalf("listed %d deliveries, want %d: %q", len(got), len(evs), got)
	}
	if diff := cmp.Diff(wantHead, got[:3]); diff != "" {
		t.Errorf("undelivered first, in order (-want +got):\n%s", diff)
	}
	seen := make(map[string]bool)
	for _, dl := range all[3:] {
		if dl.State != amigate.DeliveryDelivered || seen[dl.EventID] {
			t.Errorf("after the undelivered: %+v (seen before: %v)", dl, seen[dl.EventID])
		}
		seen[dl.EventID] = true
	}
	for _, bad := range []amigate.DeliveryQuery{{Limit: MaxDeliveries + 1}, {Limit: -1}, {State: "lost"}, {Cursor: "x1"}, {Cursor: "q0"}, {Cursor: "a12"}} {
		var fe *amigate.FieldError
		if _, err := d.Deliveries(ctx, id, bad); !errors.As(err, &fe) {
			t.Errorf("%+v: got %v, want a field error", bad, err)
		}
	}
}

// TestPatchEvents: an event type added by a patch is delivered from the
// next event on, even one published right after the patch returns; a
// removed one is not.
func TestPatchEvents(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	d := open(t, testConfig(t))
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret, Events: []string{amigate.EventCallRinging}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(id string) []amigate.CallEvent {
		evs := events(id, 1, 5) // ringing, answered, transferred, transfer_failed, ended
		return []amigate.CallEvent{evs[0], evs[4]}
	}
	both := []string{amigate.EventCallRinging, amigate.EventCallEnded}
	if _, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Events: &both}); err != nil {
		t.Fatal(err)
	}
	first := call("added")
	publish(t, d, first)
	waitFor(t, "both events", 5*time.Second, func() bool { return len(rcv.distinct()) == 2 })

	ended := []string{amigate.EventCallEnded}
	if _, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Events: &ended}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the worker's filter", 5*time.Second, func() bool {
		w := d.worker(sub.ID)
		return w != nil && len(w.target.Load().rec.Events) == 1
	})
	second := call("removed")
	publish(t, d, second)
	// The call's events go out in order: once its call.ended is in, a
	// call.ringing still wanted would have been sent before it.
	waitFor(t, "call.ended", 5*time.Second, func() bool { return rcv.distinct()[second[1].ID] == 1 })
	if n := rcv.distinct()[second[0].ID]; n != 0 {
		t.Errorf("a removed event type was delivered %d times", n)
	}
	rcv.checkOrder(t)
}

// TestEnableWithoutConsumer: a subscription disabled by a version that
// deleted the consumer of a disabled subscription gets one when enabled,
// and delivers from then on.
func TestEnableWithoutConsumer(t *testing.T) {
	rcv := newReceiver(t, testSecret)
	d := open(t, testConfig(t))
	ctx := context.Background()
	sub, err := d.Create(ctx, amigate.SubscriptionRequest{URL: rcv.srv.URL, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.disable(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.st.stream.DeleteConsumer(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := d.Deliveries(ctx, sub.ID, amigate.DeliveryQuery{}); err != nil || len(p.Deliveries) != 0 {
		t.Fatalf("deliveries without a consumer: %+v, %v", p, err)
	}
	on := true
	if _, err := d.Patch(ctx, sub.ID, amigate.SubscriptionPatch{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "worker started", 5*time.Second, func() bool { return d.worker(sub.ID) != nil })
	evs := events("legacy", 2, 2)
	publish(t, d, evs)
	waitFor(t, "every event delivered", 10*time.Second, func() bool { return len(rcv.distinct()) == len(evs) })
	rcv.checkOrder(t)
}
