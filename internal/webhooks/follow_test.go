package webhooks

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
)

// follow runs Follow in the background and collects event ids.
func follow(t *testing.T, d *Dispatcher, last string) (ids func() []string, stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan string, 1000)
	errc := make(chan error, 1)
	go func() {
		errc <- d.Follow(ctx, last, func(ev amigate.CallEvent) error {
			if ev.ReadAt.IsZero() {
				t.Errorf("event %s without ReadAt", ev.ID)
			}
			ch <- ev.ID
			return nil
		})
	}()
	var got []string
	ids = func() []string {
		for {
			select {
			case id := <-ch:
				got = append(got, id)
			default:
				return got
			}
		}
	}
	stop = func() error { cancel(); return <-errc }
	return ids, stop
}

func TestFollow(t *testing.T) {
	d := open(t, testConfig(t))
	evs := events("f", 1, 5)
	publish(t, d, evs[:3])

	// Resume after the second event: the third is replayed, then live ones follow.
	resumed, stopResumed := follow(t, d, evs[1].ID)
	waitFor(t, "replay", 20*time.Second, func() bool { return len(resumed()) == 1 })

	// Live only: what is published once the follower is in place. It is in
	// place when a probe published after Follow started reaches it.
	live, stopLive := follow(t, d, "")
	probes := events("probe", 1, 100)
	n := 0
	for len(live()) == 0 {
		if n == len(probes) {
			t.Fatalf("live follower got none of %d probes", n)
		}
		publish(t, d, probes[n:n+1])
		n++
		// Each probe gets 200 ms to arrive: 100 probes span 20 s.
		end := time.Now().Add(200 * time.Millisecond)
		for len(live()) == 0 && time.Now().Before(end) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	publish(t, d, evs[3:])
	last := func(l []string) bool { return len(l) > 0 && l[len(l)-1] == evs[4].ID }
	waitFor(t, "live events at both followers", 20*time.Second, func() bool {
		return last(live()) && last(resumed())
	})
	want := append([]string{evs[2].ID}, ids(probes[:n])...)
	want = append(want, evs[3].ID, evs[4].ID)
	if diff := cmp.Diff(want, resumed()); diff != "" {
		t.Errorf("resumed (-want +got):\n%s", diff)
	}
	if l := live(); len(l) < 3 || l[len(l)-2] != evs[3].ID {
		t.Errorf("live: got %v, want probes then %s, %s", l, evs[3].ID, evs[4].ID)
	}
	if l := live(); slices.Contains(l, evs[2].ID) {
		t.Errorf("live follower got %s, stored before it started", evs[2].ID)
	}
	if err := stopResumed(); !errors.Is(err, context.Canceled) {
		t.Errorf("Follow after cancel: got %v, want context.Canceled", err)
	}
	if err := stopLive(); !errors.Is(err, context.Canceled) {
		t.Errorf("Follow after cancel: got %v, want context.Canceled", err)
	}

	if err := d.Follow(context.Background(), "evt_never", func(amigate.CallEvent) error { return nil }); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("unknown Last-Event-ID: got %v, want ErrNotFound", err)
	}
	boom := errors.New("client went away")
	if err := d.Follow(context.Background(), evs[0].ID, func(amigate.CallEvent) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("fn failing: got %v, want its error", err)
	}
}

func ids(evs []amigate.CallEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}
