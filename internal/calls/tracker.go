// Package calls is the call correlator: it consumes the AMI event stream in
// order, keeps a model of the calls in progress (one call per conversation,
// however many channels it spreads over) and returns the call events of the
// webhooks (call.ringing, call.answered, call.transferred, call.ended).
package calls

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amigate/amigate"
)

// Tracker is the call model. Handle and Reconcile are called from one
// goroutine, in stream order; Get, List and Active may be called
// concurrently from HTTP handlers. It does no I/O and starts no goroutine.
type Tracker struct {
	cfg   Config
	match matcher

	mu         sync.RWMutex
	active     map[string]*call    // by call id
	channels   map[string]*channel // by Uniqueid
	byLinkedid map[string]*call
	byAction   map[string]*call // expected calls by their Originate's ActionID
	bridges    map[string]*bridge
	ended      map[string]*amigate.Call
	endedOrder []endedRef // oldest first, for Expire and the MaxEnded bound
	atxfers    []*call    // calls with an attended transfer not yet started

	// pendingAtxfers is len(atxfers), read without the lock by Handle: while
	// it is 0, events the correlator has no use for cost no lock.
	pendingAtxfers atomic.Int32
}

type endedRef struct {
	id string
	at time.Time
}

// NewTracker returns an empty Tracker.
func NewTracker(cfg Config) *Tracker {
	cfg = cfg.withDefaults()
	return &Tracker{
		cfg:        cfg,
		match:      newMatcher(cfg),
		active:     map[string]*call{},
		channels:   map[string]*channel{},
		byLinkedid: map[string]*call{},
		byAction:   map[string]*call{},
		bridges:    map[string]*bridge{},
		ended:      map[string]*amigate.Call{},
	}
}

// Expect registers a click-to-call before the API sends its Originate, so
// that the call keeps the API's id and metadata. c.ID must be the
// Originate's ChannelId (and AMIGATE_CALL_ID variable): it becomes the
// Uniqueid and Linkedid of the originated channel. actionID is the
// Originate's ActionID, the only key a failed async OriginateResponse
// carries.
func (t *Tracker) Expect(c amigate.Call, actionID string) {
	if c.ID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.active[c.ID]; dup {
		return
	}
	k := &call{
		id:         keep(c.ID),
		linkedids:  []string{keep(c.ID)},
		direction:  c.Direction,
		state:      c.State,
		queue:      c.Queue,
		did:        c.DID,
		metadata:   c.Metadata,
		started:    c.StartedAt,
		failReason: -1,
		actionID:   keep(actionID),
		expected:   true,
	}
	if k.direction == "" {
		k.direction = amigate.DirectionOutbound
	}
	if k.state == "" {
		k.state = amigate.StateDialing
	}
	if k.started.IsZero() {
		k.started = t.cfg.Now()
	}
	k.takeParties(&c)
	k.fixedCust = k.custNum != ""
	if c.Agent != nil && c.Agent.Extension != "" {
		k.agent = c.Agent.Extension
		k.addExt(k.agent)
	}
	t.active[k.id] = k
	t.byLinkedid[k.id] = k
	if actionID != "" {
		t.byAction[k.actionID] = k
	}
}

// Unexpect forgets an expected call that never reached Asterisk (its
// Originate was refused); a call that already has channels is kept.
func (t *Tracker) Unexpect(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.active[id]
	if c == nil || !c.expected || len(c.channels) > 0 || c.seq > 0 {
		return
	}
	t.forget(c)
}

// Get returns a call in progress or one that ended within the retention.
func (t *Tracker) Get(id string) (amigate.Call, bool) {
	now := t.cfg.Now()
	t.mu.RLock()
	defer t.mu.RUnlock()
	if c := t.active[id]; c != nil {
		return t.snapshot(c, now, false), true
	}
	if s := t.ended[id]; s != nil {
		cp := *s
		cp.Extensions = slices.Clone(s.Extensions)
		cp.Channels = slices.Clone(s.Channels)
		return cp, true
	}
	return amigate.Call{}, false
}

// List returns the calls in progress that match f, oldest first.
func (t *Tracker) List(f amigate.CallFilter) []amigate.Call {
	now := t.cfg.Now()
	t.mu.RLock()
	out := make([]amigate.Call, 0, len(t.active))
	for _, c := range t.active {
		if f.State != "" && c.state != f.State {
			continue
		}
		if f.Extension != "" && c.agent != f.Extension && !slices.Contains(c.exts, f.Extension) {
			continue
		}
		out = append(out, t.snapshot(c, now, false))
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b amigate.Call) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Active is the number of calls in progress (the amigate_calls_active gauge).
func (t *Tracker) Active() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.active)
}

// Expire forgets the calls that ended more than the retention before now,
// and expected calls that never saw a channel within ExpectTimeout.
func (t *Tracker) Expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cut := now.Add(-t.cfg.Retention)
	n := 0
	for n < len(t.endedOrder) && t.endedOrder[n].at.Before(cut) {
		delete(t.ended, t.endedOrder[n].id)
		n++
	}
	t.endedOrder = slices.Delete(t.endedOrder, 0, n)
	for _, c := range t.active {
		if c.expected && len(c.channels) == 0 && c.seq == 0 && now.Sub(c.started) > t.cfg.ExpectTimeout {
			t.forget(c)
		}
	}
}

// forget drops every index entry of a call.
func (t *Tracker) forget(c *call) {
	delete(t.active, c.id)
	for _, l := range c.linkedids {
		if t.byLinkedid[l] == c {
			delete(t.byLinkedid, l)
		}
	}
	if c.actionID != "" && t.byAction[c.actionID] == c {
		delete(t.byAction, c.actionID)
	}
}

// retire moves an ended call from the model to the bounded ended store.
func (t *Tracker) retire(c *call, final amigate.Call) {
	t.forget(c)
	t.ended[c.id] = &final
	t.endedOrder = append(t.endedOrder, endedRef{id: c.id, at: *final.EndedAt})
	if over := len(t.endedOrder) - t.cfg.MaxEnded; over > 0 {
		for _, r := range t.endedOrder[:over] {
			delete(t.ended, r.id)
		}
		t.endedOrder = slices.Delete(t.endedOrder, 0, over)
	}
}

// snapshot is c as the API shows it, with the customer's E.164. store
// (only under the write lock) keeps a newly computed E.164 for the next
// snapshot.
func (t *Tracker) snapshot(c *call, now time.Time, store bool) amigate.Call {
	s := c.snapshot(now)
	if s.Customer == nil || c.custNum == "" {
		return s
	}
	if r := c.rare; r != nil && r.e164Of == c.custNum {
		s.Customer.E164 = r.custE164
		return s
	}
	if t.cfg.Numbers == nil {
		return s
	}
	e := t.cfg.Numbers.E164(c.custNum)
	if store {
		r := c.more()
		r.custE164, r.e164Of = e, c.custNum
	}
	s.Customer.E164 = e
	return s
}
