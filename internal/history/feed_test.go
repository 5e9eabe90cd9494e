package history

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/webhooks"
)

// openEvents opens the real call-event store (embedded NATS) in dir.
func openEvents(t testing.TB, dir string) *webhooks.Dispatcher {
	t.Helper()
	d, err := webhooks.New(context.Background(), webhooks.Config{DataDir: dir, AllowPrivate: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("webhooks.New: %v", err)
	}
	return d
}

func startFeed(t testing.TB, d *webhooks.Dispatcher, s *Store, now func() time.Time) *Feed {
	t.Helper()
	f, err := StartFeed(context.Background(), FeedConfig{
		JetStream: d.JetStream(),
		Source:    webhooks.EventStream,
		Subject:   webhooks.EventSubject(amigate.EventCallEnded),
		Retention: 24 * time.Hour,
		Now:       now,
	}, s)
	if err != nil {
		t.Fatalf("StartFeed: %v", err)
	}
	return f
}

// lifecycle is the events of one call: ringing, then ended.
func lifecycle(c amigate.Call) []amigate.CallEvent {
	ringing := c
	ringing.State, ringing.EndedAt, ringing.Disposition = amigate.StateRinging, nil, ""
	return []amigate.CallEvent{
		{ID: "evt_" + c.ID + "_1", Type: amigate.EventCallRinging, OccurredAt: c.StartedAt, Sequence: 1, Call: ringing},
		{ID: "evt_" + c.ID + "_2", Type: amigate.EventCallEnded, OccurredAt: *c.EndedAt, Sequence: 2, Call: c},
	}
}

func publishCalls(t testing.TB, d *webhooks.Dispatcher, from, n int, started time.Time) {
	t.Helper()
	var evs []amigate.CallEvent
	for i := from; i < from+n; i++ {
		evs = append(evs, lifecycle(ended(fmt.Sprintf("call%04d", i), started.Add(time.Duration(i)*time.Second), nil))...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Publish(ctx, evs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// waitCount waits until the store holds n calls.
func waitCount(t testing.TB, s *Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := s.Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("store holds %d calls, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFeedBuildsAndResumes(t *testing.T) {
	dir := t.TempDir()
	d := openEvents(t, dir)
	defer d.Close(context.Background())
	now := time.Now
	started := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

	// Events stored before the history existed are taken too.
	publishCalls(t, d, 0, 30, started)
	s := openStore(t)
	f := startFeed(t, d, s, now)
	waitCount(t, s, 30)
	c, err := s.Get(context.Background(), "call0007")
	if err != nil || c.State != amigate.StateEnded || !c.StartedAt.Equal(started.Add(7*time.Second)) {
		t.Fatalf("call0007: %+v, %v", c, err)
	}
	publishCalls(t, d, 30, 10, started)
	waitCount(t, s, 40)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Stopped, more calls end; started again, it goes on from its position
	// and stores each call once.
	publishCalls(t, d, 40, 5, started)
	pos, err := s.position(context.Background())
	if err != nil || pos.seq != 40 {
		t.Fatalf("position after 40 calls: %+v, %v", pos, err)
	}
	f = startFeed(t, d, s, now)
	waitCount(t, s, 45)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A second instance with an empty database builds the same history.
	s2 := openStore(t)
	f2 := startFeed(t, d, s2, now)
	waitCount(t, s2, 45)
	if err := f2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFeedRebuildsWhenTheStreamIsNew(t *testing.T) {
	d := openEvents(t, t.TempDir())
	defer d.Close(context.Background())
	started := time.Now().Add(-time.Hour).UTC()
	publishCalls(t, d, 0, 5, started)
	s := openStore(t)
	f := startFeed(t, d, s, time.Now)
	waitCount(t, s, 5)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The stream is deleted (an operator reset the store); the calls it
	// held are gone from the source of truth, and the local history follows.
	if err := d.JetStream().DeleteStream(context.Background(), "AMIGATE_CALLS"); err != nil {
		t.Fatal(err)
	}
	if err := d.JetStream().DeleteStream(context.Background(), webhooks.EventStream); err != nil {
		t.Fatal(err)
	}
	d.Close(context.Background())
	d = openEvents(t, t.TempDir())
	defer d.Close(context.Background())
	publishCalls(t, d, 100, 2, started)
	f = startFeed(t, d, s, time.Now)
	defer f.Close(context.Background())
	waitCount(t, s, 2)
	if _, err := s.Get(context.Background(), "call0000"); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("a call of the old stream is still listed: %v", err)
	}
}

func TestFeedPrunes(t *testing.T) {
	d := openEvents(t, t.TempDir())
	defer d.Close(context.Background())
	s := openStore(t)
	// Calls that ended two days ago, past the feed's 24 h retention (the
	// stream keeps them: its age counts from when they were stored).
	publishCalls(t, d, 0, 3, time.Now().Add(-48*time.Hour))
	f := startFeed(t, d, s, time.Now)
	publishCalls(t, d, 3, 2, time.Now().Add(-time.Hour))
	// Pruned at start and then every PruneEvery; a restart prunes at once.
	waitCount(t, s, 5)
	f.Close(context.Background())
	f = startFeed(t, d, s, time.Now)
	defer f.Close(context.Background())
	waitCount(t, s, 2)
}
