package history

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate"
)

func TestMain(m *testing.M) {
	// The embedded nats-server waits up to 30 s for the reply that sets up
	// a stream source (the call history's stream of ended calls) in a
	// goroutine of its own that its Shutdown does not stop; it ends by
	// itself and holds nothing of ours.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*stream).trySetupSourceConsumer.func3"))
}

// t0 is a fixed start for generated calls.
var t0 = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// openStore opens a store in a fresh directory, closed at the end of t.
func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ended makes an ended call.
func ended(id string, started time.Time, mod func(*amigate.Call)) amigate.Call {
	end := started.Add(90 * time.Second)
	ans := started.Add(10 * time.Second)
	c := amigate.Call{
		ID: id, Direction: amigate.DirectionInbound, State: amigate.StateEnded,
		Customer: &amigate.Party{Number: "79001234567"}, Agent: &amigate.Agent{Extension: "101"},
		Extensions: []string{"101"}, Queue: "support", DID: "5550100",
		StartedAt: started, AnsweredAt: &ans, EndedAt: &end,
		DurationSeconds: 90, TalkSeconds: 80, Disposition: amigate.DispositionAnswered,
		Channels: []amigate.Channel{{Name: "PJSIP/101-00000001", Uniqueid: "1.1", State: "Down"}},
	}
	if mod != nil {
		mod(&c)
	}
	return c
}

// put stores calls (as the feed would) at consecutive positions.
func put(t testing.TB, s *Store, calls ...amigate.Call) {
	t.Helper()
	recs := make([]record, 0, len(calls))
	for i := range calls {
		raw, err := json.Marshal(&calls[i])
		if err != nil {
			t.Fatal(err)
		}
		r, err := recordOf(raw, nil)
		if err != nil {
			t.Fatalf("recordOf %s: %v", calls[i].ID, err)
		}
		recs = append(recs, r)
	}
	ctx := context.Background()
	pos, err := s.position(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pos.seq += uint64(len(calls))
	if err := s.apply(ctx, pos, recs); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// randomCalls makes n varied ended calls, a few starting at the same
// instant so that ties on the start time are exercised.
func randomCalls(rng *rand.Rand, n int) []amigate.Call {
	dirs := []string{amigate.DirectionInbound, amigate.DirectionOutbound, amigate.DirectionInternal}
	disps := []string{amigate.DispositionAnswered, amigate.DispositionNoAnswer, amigate.DispositionBusy, amigate.DispositionAbandoned}
	queues := []string{"", "support", "sales"}
	exts := []string{"101", "102", "103"}
	out := make([]amigate.Call, n)
	for i := range out {
		started := t0.Add(time.Duration(rng.IntN(n/2+1)) * time.Minute)
		out[i] = ended(fmt.Sprintf("c%05d", i), started, func(c *amigate.Call) {
			c.Direction = dirs[rng.IntN(len(dirs))]
			c.Disposition = disps[rng.IntN(len(disps))]
			c.Queue = queues[rng.IntN(len(queues))]
			c.Customer = &amigate.Party{Number: fmt.Sprintf("+7 900 000-00-%02d", rng.IntN(5))}
			c.Agent = &amigate.Agent{Extension: exts[rng.IntN(len(exts))]}
			c.Extensions = []string{c.Agent.Extension}
			if rng.IntN(3) == 0 {
				c.Extensions = append(c.Extensions, exts[rng.IntN(len(exts))])
			}
			if c.Direction == amigate.DirectionInternal {
				c.Customer = nil
			}
		})
	}
	return out
}

// fakeLive is the live model: calls in progress by id.
type fakeLive struct {
	mu    sync.Mutex
	calls map[string]amigate.Call
}

var _ Live = (*fakeLive)(nil)

func newLive(calls ...amigate.Call) *fakeLive {
	l := &fakeLive{calls: map[string]amigate.Call{}}
	for _, c := range calls {
		l.calls[c.ID] = c
	}
	return l
}

func (l *fakeLive) Get(id string) (amigate.Call, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.calls[id]
	return c, ok
}

func (l *fakeLive) List(f amigate.CallFilter) []amigate.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []amigate.Call
	for _, c := range l.calls {
		if c.State == amigate.StateEnded || (f.State != "" && c.State != f.State) || (f.Extension != "" && !c.HasExtension(f.Extension)) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (l *fakeLive) remove(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.calls, id)
}

func ids(calls []amigate.Call) []string {
	out := make([]string, len(calls))
	for i := range calls {
		out[i] = calls[i].ID
	}
	return out
}
