package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate"
)

// instance is one of several services on one store and one PBX.
type instance struct {
	svc   *Service
	lease *Lease
}

func newInstance(t *testing.T, h *harness, lkv LeaseKV, name string, d time.Duration, ids *atomic.Int64) instance {
	t.Helper()
	l := NewLease(LeaseConfig{KV: lkv, Key: "lease", Value: name, Duration: d, Now: h.clk.Now})
	svc, err := New(context.Background(), Config{KV: h.kv, Dialer: h.pbx, Calls: h.pbx, Events: h.ev, Now: h.clk.Now,
		Holds: l.Valid, Tick: time.Millisecond,
		NewID: func() string { return fmt.Sprintf("%s-%d", name, ids.Add(1)) }})
	if err != nil {
		t.Fatal(err)
	}
	return instance{svc, l}
}

// TestTakeOverNeverRedials: the holder dials, then stops renewing its
// lease (it hangs, or is cut off) with calls in progress. It dials nothing
// once its lease ran out; the other instance takes over after the lease's
// duration, follows the calls left in progress, and finishes the campaign
// with every contact dialled once. An instance without the lease answers
// the API unavailable rather than from campaigns that may be out of date.
func TestTakeOverNeverRedials(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	lkv := newMemLease()
	var ids atomic.Int64
	a := newInstance(t, h, lkv, "a", 9*time.Second, &ids)
	b := newInstance(t, h, lkv, "b", 9*time.Second, &ids)
	if ok, err := a.lease.Acquire(ctx); !ok || err != nil {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, _ := b.lease.Acquire(ctx); ok {
		t.Fatal("b took a held lease")
	}
	if err := a.svc.takeOver(ctx); err != nil {
		t.Fatal(err)
	}
	h.svc = a.svc
	c := h.create(amigate.CampaignRequest{Contacts: contacts(6), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
	if _, err := b.svc.Get(ctx, c.ID); !errors.Is(err, amigate.ErrUnavailable) {
		t.Fatalf("b without the lease: %v, want unavailable", err)
	}
	if _, err := b.svc.Create(ctx, amigate.CampaignRequest{Name: "x", Contacts: contacts(1), Target: amigate.CampaignTarget{Queue: "q"}}); !errors.Is(err, amigate.ErrUnavailable) {
		t.Fatalf("create on b without the lease: %v, want unavailable", err)
	}
	a.svc.Step(ctx)
	b.svc.Step(ctx)
	if n := h.pbx.count(); n != 2 {
		t.Fatalf("%d dialled, want 2 (max concurrent), by a alone", n)
	}

	// a stops renewing; one call ends while no one dials.
	h.clk.Add(3 * time.Second)
	if ok, _ := b.lease.Acquire(ctx); ok {
		t.Fatal("b took a lease just written")
	}
	h.pbx.end(h.clk.Now(), answered)
	h.clk.Add(6 * time.Second)
	a.svc.Step(ctx) // its lease ran out: the fence holds
	if n := h.pbx.count(); n != 2 {
		t.Fatalf("a dialled %d after its lease ran out", n-2)
	}
	if ok, _ := b.lease.Acquire(ctx); !ok {
		t.Fatal("b did not take over the expired lease")
	}
	if err := b.svc.takeOver(ctx); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		b.svc.Step(ctx)
		a.svc.Step(ctx)
		h.pbx.end(h.clk.Now(), answered)
	}
	got, err := b.svc.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != amigate.CampaignCompleted || got.Counts.Outcomes[amigate.OutcomeAnswered] != 6 {
		t.Fatalf("after the take-over: %s %+v, want completed, 6 answered", got.State, got.Counts)
	}
	for _, k := range contacts(6) {
		if n := h.pbx.times(k.Number); n != 1 {
			t.Errorf("%s dialled %d times, want once", k.Number, n)
		}
	}
	// a's late renewal finds b's revision: a stays fenced.
	if ok, _ := a.lease.Acquire(ctx); ok {
		t.Fatal("a renewed a lease b holds")
	}
}

// TestRunElectedHandsOver: two instances run the election; the holder
// dials, then shuts down in the middle of the campaign and releases the
// lease, and the other takes over and finishes with nobody dialled twice.
// The election's goroutines end with their contexts.
func TestRunElectedHandsOver(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := newHarness(t)
	h.clk = &clock{t: time.Now()} // the scheduler's ticks and the lease's renewals run on the real clock here
	lkv := newMemLease()
	var ids atomic.Int64
	// A lease far longer than the test waits: a take-over within it is
	// the release's doing.
	const lease = time.Hour
	insts := []instance{newInstance(t, h, lkv, "a", lease, &ids), newInstance(t, h, lkv, "b", lease, &ids)}
	for _, in := range insts {
		in.lease.cfg.Now, in.lease.cfg.Every, in.lease.cfg.Poll = time.Now, 5*time.Millisecond, 5*time.Millisecond
		in.svc.cfg.Now = time.Now
	}
	type runner struct {
		cancel context.CancelFunc
		done   chan error
	}
	var runs []runner
	for _, in := range insts {
		ctx, cancel := context.WithCancel(context.Background())
		r := runner{cancel, make(chan error, 1)}
		go func() { r.done <- in.svc.RunElected(ctx, in.lease) }()
		runs = append(runs, r)
	}
	defer func() {
		for _, r := range runs {
			r.cancel()
			<-r.done
		}
	}()
	holder := -1
	waitFor(t, "one instance holds the lease", func() bool {
		for i, in := range insts {
			if in.lease.Valid() {
				holder = i
				return true
			}
		}
		return false
	})
	other := 1 - holder
	h.svc = insts[holder].svc
	c := h.create(amigate.CampaignRequest{Contacts: contacts(20), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
	waitFor(t, "the holder dialled a few", func() bool {
		h.pbx.end(time.Now(), answered)
		return h.pbx.count() >= 6
	})
	runs[holder].cancel()
	if err := <-runs[holder].done; err != nil {
		t.Fatal(err)
	}
	runs[holder].done <- nil // for the deferred stop
	waitFor(t, "the other instance completed the campaign", func() bool {
		h.pbx.end(time.Now(), answered)
		got, err := insts[other].svc.Get(context.Background(), c.ID)
		return err == nil && got.State == amigate.CampaignCompleted
	})
	for _, k := range contacts(20) {
		if n := h.pbx.times(k.Number); n != 1 {
			t.Errorf("%s dialled %d times, want once", k.Number, n)
		}
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFenceBeforeOriginate: the lease runs out between the step's start
// and the Originate (the attempts are recorded by then): nothing is
// dialled, and the attempts are taken back for the next holder.
func TestFenceBeforeOriginate(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
	var checks atomic.Int64
	h.svc.cfg.Holds = func() bool { return checks.Add(1) == 1 } // valid at the step's start only
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 0 {
		t.Fatalf("%d dialled after the lease ran out", n)
	}
	// The next holder loads the store: every contact untried.
	h.restart()
	got := h.get(c.ID)
	if got.Counts.Pending != 3 || got.Counts.Attempts != 0 {
		t.Fatalf("after the fence: %+v, want 3 pending, no attempt", got.Counts)
	}
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 2 {
		t.Fatalf("the next holder dialled %d, want 2", n)
	}
}
