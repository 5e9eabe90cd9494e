package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

type memKV struct {
	mu     sync.Mutex
	m      map[string][]byte
	putErr error
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) Get(_ context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return nil, ErrNoKey
	}
	return v, nil
}

func (k *memKV) Put(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.putErr != nil {
		return k.putErr
	}
	k.m[key] = append([]byte(nil), v...)
	return nil
}

func (k *memKV) Delete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func (k *memKV) Keys(_ context.Context, prefix string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.m {
		if strings.HasPrefix(key, prefix) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out, nil
}

// fakePBX is the dialer and the calls: it records every Originate by
// number and ends calls when the test says so.
type fakePBX struct {
	mu      sync.Mutex
	dials   []amigate.CampaignDial
	byNum   map[string]int
	calls   map[string]amigate.Call
	dialErr error
}

func newFakePBX() *fakePBX {
	return &fakePBX{byNum: map[string]int{}, calls: map[string]amigate.Call{}}
}

func (f *fakePBX) CheckCampaign(r *amigate.CampaignRequest) error {
	for i, c := range r.Contacts {
		if c.Number == "" || strings.ContainsAny(c.Number, "\r\n") {
			return &amigate.FieldError{Field: fmt.Sprintf("contacts[%d].number", i), Message: "is not a phone number"}
		}
	}
	return nil
}

func (f *fakePBX) DialCampaign(_ context.Context, d amigate.CampaignDial) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dialErr != nil {
		return f.dialErr
	}
	f.dials = append(f.dials, d)
	f.byNum[d.Number]++
	f.calls[d.ID] = amigate.Call{ID: d.ID, State: amigate.StateRinging, Channels: []amigate.Channel{{Name: "Local/" + d.Number + "@from-internal-1;1"}}}
	return nil
}

func (f *fakePBX) Get(_ context.Context, id string) (amigate.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.calls[id]
	if !ok {
		return amigate.Call{}, amigate.ErrNotFound
	}
	return c, nil
}

// end ends every call in progress with disposition disp (answered calls
// get an agent).
func (f *fakePBX) end(at time.Time, disp func(number string) string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.dials {
		c, ok := f.calls[d.ID]
		if !ok || c.State == amigate.StateEnded {
			continue
		}
		c.State, c.EndedAt, c.Disposition = amigate.StateEnded, &at, disp(d.Number)
		if c.Disposition == amigate.DispositionAnswered {
			c.Agent = &amigate.Agent{Extension: "101"}
		}
		f.calls[d.ID] = c
		n++
	}
	return n
}

func (f *fakePBX) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dials)
}

func (f *fakePBX) times(number string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byNum[number]
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// memEvents is the event store: it keeps every event published, and
// counts how often each id was published.
type memEvents struct {
	mu     sync.Mutex
	evs    []amigate.CallEvent
	times  map[string]int
	pubErr error
	// published, when set, runs after each successful Publish.
	published func()
}

func newMemEvents() *memEvents { return &memEvents{times: map[string]int{}} }

func (e *memEvents) Publish(_ context.Context, evs []amigate.CallEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pubErr != nil {
		return e.pubErr
	}
	for _, ev := range evs {
		e.times[ev.ID]++
		e.evs = append(e.evs, ev)
	}
	if e.published != nil {
		e.published()
	}
	return nil
}

func (e *memEvents) Stored(_ context.Context, id string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.times[id] > 0, nil
}

func (e *memEvents) list() []amigate.CallEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]amigate.CallEvent(nil), e.evs...)
}

type harness struct {
	t   *testing.T
	kv  *memKV
	pbx *fakePBX
	ev  *memEvents
	clk *clock
	svc *Service
	n   int
}

func newHarness(t *testing.T) *harness {
	// Monday 2026-11-30 10:00 UTC.
	h := &harness{t: t, kv: newMemKV(), pbx: newFakePBX(), ev: newMemEvents(), clk: &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}}
	h.restart()
	return h
}

// restart builds a new service on the same store, as after a kill -9.
func (h *harness) restart() {
	h.t.Helper()
	svc, err := New(context.Background(), Config{KV: h.kv, Dialer: h.pbx, Calls: h.pbx, Events: h.ev, Now: h.clk.Now,
		NewID: func() string { h.n++; return fmt.Sprintf("id%d", h.n) }})
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
}

// reloaded is a campaign's counts as the next holder finds them in the
// store (a new service on it).
func (h *harness) reloaded(id string) amigate.CampaignCounts {
	h.t.Helper()
	h.restart()
	return h.get(id).Counts
}

func (h *harness) create(r amigate.CampaignRequest) amigate.Campaign {
	h.t.Helper()
	if r.Name == "" {
		r.Name = "test"
	}
	if r.Target == (amigate.CampaignTarget{}) {
		r.Target.Queue = "support"
	}
	c, err := h.svc.Create(context.Background(), r)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) get(id string) amigate.Campaign {
	h.t.Helper()
	c, err := h.svc.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func contacts(n int) []amigate.CampaignContact {
	out := make([]amigate.CampaignContact, n)
	for i := range out {
		out[i].Number = fmt.Sprintf("7900%07d", i)
	}
	return out
}

func answered(string) string { return amigate.DispositionAnswered }

var errBoom = errors.New("boom")

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// fakeAgents are the agents free per target, as the test sets them.
type fakeAgents struct {
	mu   sync.Mutex
	free map[amigate.CampaignTarget][]string
}

func (f *fakeAgents) Free(t amigate.CampaignTarget) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.free[t]
}

func (f *fakeAgents) set(t amigate.CampaignTarget, exts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.free == nil {
		f.free = map[amigate.CampaignTarget][]string{}
	}
	f.free[t] = exts
}

// take marks the calls in progress of the first n dials as answered by an
// agent (the customer reached one).
func (f *fakePBX) take(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.dials[:n] {
		c := f.calls[d.ID]
		if c.State != amigate.StateEnded {
			c.State, c.Agent = amigate.StateAnswered, &amigate.Agent{Extension: "101"}
			f.calls[d.ID] = c
		}
	}
}
