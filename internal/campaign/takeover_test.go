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

// elected is an instance running the election in a goroutine of the
// test's, on the real clock.
type elected struct {
	instance
	ready  atomic.Bool  // what its Config.Ready answers: its PBX link
	polls  atomic.Int64 // how often the election asked it: once per round
	cancel context.CancelFunc
	done   chan error
}

// stop ends the instance's election and waits for it; more calls do
// nothing.
func (e *elected) stop(t *testing.T) {
	t.Helper()
	if e.done == nil {
		return
	}
	e.cancel()
	if err := <-e.done; err != nil {
		t.Error(err)
	}
	e.done = nil
}

// electPair starts two instances on one store and one PBX running the
// election with a lease of d (renewed and polled every 5 ms), stopped when
// the test ends, and returns them with the index of the one that took the
// lease.
func electPair(t *testing.T, h *harness, d time.Duration) ([]*elected, int) {
	t.Helper()
	h.clk = &clock{t: time.Now()} // the scheduler's ticks and the lease's renewals run on the real clock here
	lkv := newMemLease()
	var ids atomic.Int64
	var pair []*elected
	for _, name := range []string{"a", "b"} {
		e := &elected{instance: newInstance(t, h, lkv, name, d, &ids), done: make(chan error, 1)}
		e.ready.Store(true)
		e.lease.cfg.Now, e.lease.cfg.Every, e.lease.cfg.Poll = time.Now, 5*time.Millisecond, 5*time.Millisecond
		e.svc.cfg.Now = time.Now
		e.svc.cfg.Ready = func() bool { e.polls.Add(1); return e.ready.Load() }
		var ctx context.Context
		ctx, e.cancel = context.WithCancel(context.Background())
		go func() { e.done <- e.svc.RunElected(ctx, e.lease) }()
		t.Cleanup(func() { e.stop(t) })
		pair = append(pair, e)
	}
	holder := -1
	waitFor(t, "one instance holds the lease", func() bool {
		for i, e := range pair {
			if e.lease.Valid() {
				holder = i
				return true
			}
		}
		return false
	})
	return pair, holder
}

// completes waits for the campaign to complete at e, the PBX answering
// every call, and checks that every one of its n contacts was dialled once.
func completes(t *testing.T, h *harness, e *elected, id string, n int) {
	t.Helper()
	waitFor(t, "the other instance completed the campaign", func() bool {
		h.pbx.end(time.Now(), answered)
		got, err := e.svc.Get(context.Background(), id)
		return err == nil && got.State == amigate.CampaignCompleted
	})
	for _, k := range contacts(n) {
		if got := h.pbx.times(k.Number); got != 1 {
			t.Errorf("%s dialled %d times, want once", k.Number, got)
		}
	}
}

// TestRunElectedHandsOver: two instances run the election; the holder
// dials, then shuts down in the middle of the campaign and releases the
// lease, and the other takes over and finishes with nobody dialled twice.
// The election's goroutines end with their contexts.
func TestRunElectedHandsOver(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := newHarness(t)
	// A lease far longer than the test waits: a take-over within it is
	// the release's doing.
	pair, holder := electPair(t, h, time.Hour)
	h.svc = pair[holder].svc
	c := h.create(amigate.CampaignRequest{Contacts: contacts(20), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
	waitFor(t, "the holder dialled a few", func() bool {
		h.pbx.end(time.Now(), answered)
		return h.pbx.count() >= 6
	})
	pair[holder].stop(t)
	completes(t, h, pair[1-holder], c.ID, 20)
	pair[1-holder].stop(t)
}

// TestHolderWithoutPBXStepsAside: the holder loses its PBX link in the
// middle of a campaign. It keeps the lease for a while (a link comes back
// within seconds), then, a whole lease later, hands the campaigns over to
// the instance that can still dial, which finishes them with every contact
// dialled once. While its own link is down it does not take the lease
// back, not even once the other has stopped and released it.
func TestHolderWithoutPBXStepsAside(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := newHarness(t)
	const lease = 300 * time.Millisecond
	pair, holder := electPair(t, h, lease)
	h.svc = pair[holder].svc
	c := h.create(amigate.CampaignRequest{Contacts: contacts(20), Pacing: amigate.CampaignPacing{MaxConcurrent: 2}})
	waitFor(t, "the holder dialled a few", func() bool {
		h.pbx.end(time.Now(), answered)
		return h.pbx.count() >= 6
	})
	down := time.Now()
	pair[holder].ready.Store(false)
	waitFor(t, "the other instance holds the lease", pair[1-holder].lease.Valid)
	if waited := time.Since(down); waited < lease {
		t.Errorf("handed over %v after the PBX went away, want a whole lease (%v) first", waited, lease)
	}
	completes(t, h, pair[1-holder], c.ID, 20)
	pair[1-holder].stop(t) // releases the lease
	from := pair[holder].polls.Load()
	waitFor(t, "five more rounds of the election without a PBX", func() bool { return pair[holder].polls.Load() >= from+5 })
	if pair[holder].lease.Valid() {
		t.Error("the instance without a PBX took the lease")
	}
	pair[holder].stop(t)
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
	if got := h.reloaded(c.ID); got.Pending != 3 || got.Attempts != 0 {
		t.Fatalf("after the fence: %+v, want 3 pending, no attempt", got)
	}
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 2 {
		t.Fatalf("the next holder dialled %d, want 2", n)
	}
}

// stopsAfterFirst dials through the fake PBX and ends the step's context
// once the first Originate is sent: a service stopping mid-step.
type stopsAfterFirst struct {
	*fakePBX
	cancel context.CancelFunc
	n      atomic.Int64
}

func (d *stopsAfterFirst) DialCampaign(ctx context.Context, dial amigate.CampaignDial) error {
	err := d.fakePBX.DialCampaign(ctx, dial)
	if d.n.Add(1) == 1 {
		d.cancel()
	}
	return err
}

// TestStopMidStep: the service stops (its context ends) after a step has
// recorded its attempts and sent the first Originate: the rest are not
// sent and are taken back in the store, whole, so that whoever dials next
// finds them untried rather than of unknown outcome.
func TestStopMidStep(t *testing.T) {
	h := newHarness(t)
	c := h.create(amigate.CampaignRequest{Contacts: contacts(3), Pacing: amigate.CampaignPacing{MaxConcurrent: 3}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.svc.cfg.Dialer = &stopsAfterFirst{fakePBX: h.pbx, cancel: cancel}
	h.svc.Step(ctx)
	if n := h.pbx.count(); n != 1 {
		t.Fatalf("%d dialled, want the one sent before the stop", n)
	}
	if got := h.reloaded(c.ID); got.Pending != 2 || got.Attempts != 1 {
		t.Fatalf("after the stop: %+v, want 2 pending and the one attempt made", got)
	}
}
