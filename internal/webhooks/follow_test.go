package webhooks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// follow runs Follow in the background and collects event ids.
func follow(t *testing.T, d *Dispatcher, last string) (ids func() []string, stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan string, 100)
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
	live, stopLive := follow(t, d, "")
	waitFor(t, "replay", 5*time.Second, func() bool { return len(resumed()) == 1 })
	publish(t, d, evs[3:])
	waitFor(t, "live events", 5*time.Second, func() bool { return len(resumed()) == 3 && len(live()) == 2 })
	if got := resumed(); got[0] != evs[2].ID || got[1] != evs[3].ID || got[2] != evs[4].ID {
		t.Errorf("resumed: got %v", got)
	}
	if got := live(); got[0] != evs[3].ID || got[1] != evs[4].ID {
		t.Errorf("live: got %v", got)
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
