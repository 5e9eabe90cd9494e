package campaign

import (
	"context"
	"sync"
	"testing"
	"time"
)

// memLease is a LeaseKV in memory with JetStream's revisions: one
// sequence for the whole bucket, a delete leaves a tombstone.
type memLease struct {
	mu   sync.Mutex
	seq  uint64
	val  map[string][]byte
	rev  map[string]uint64
	down bool // every call fails, as a store out of reach
}

func newMemLease() *memLease { return &memLease{val: map[string][]byte{}, rev: map[string]uint64{}} }

func (m *memLease) setDown(d bool) { m.mu.Lock(); m.down = d; m.mu.Unlock() }

func (m *memLease) Get(_ context.Context, key string) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, 0, errBoom
	}
	v, ok := m.val[key]
	if !ok {
		return nil, 0, ErrNoKey
	}
	return v, m.rev[key], nil
}

func (m *memLease) Create(_ context.Context, key string, v []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return 0, errBoom
	}
	if _, ok := m.val[key]; ok {
		return 0, ErrRevision
	}
	return m.write(key, v), nil
}

func (m *memLease) Update(_ context.Context, key string, v []byte, rev uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return 0, errBoom
	}
	if m.rev[key] != rev {
		return 0, ErrRevision
	}
	return m.write(key, v), nil
}

func (m *memLease) Delete(_ context.Context, key string, rev uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errBoom
	}
	if m.rev[key] != rev {
		return ErrRevision
	}
	delete(m.val, key)
	m.seq++
	m.rev[key] = m.seq // the tombstone
	return nil
}

func (m *memLease) write(key string, v []byte) uint64 {
	m.seq++
	m.val[key], m.rev[key] = append([]byte(nil), v...), m.seq
	return m.seq
}

func newTestLease(kv LeaseKV, value string, clk *clock) *Lease {
	return NewLease(LeaseConfig{KV: kv, Key: "lease", Value: value, Duration: 9 * time.Second, Now: clk.Now})
}

func acquire(t *testing.T, l *Lease) bool {
	t.Helper()
	ok, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestLeaseOneHolder: the first instance takes the lease; the other sees
// it held as long as it is renewed, whatever its own clock says, and
// takes it over only once the holder's writes stopped for the lease's
// duration, after the holder stopped counting itself valid.
func TestLeaseOneHolder(t *testing.T) {
	kv := newMemLease()
	// Clocks of different machines: b's is hours ahead.
	ca := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	cb := &clock{t: ca.t.Add(3 * time.Hour)}
	a, b := newTestLease(kv, "http://a", ca), newTestLease(kv, "http://b", cb)
	if !acquire(t, a) || !a.Valid() || a.Holder() != "http://a" {
		t.Fatal("a did not take the free lease")
	}
	if acquire(t, b) || b.Valid() || b.Holder() != "http://a" {
		t.Fatalf("b took a held lease, or does not name its holder (%q)", b.Holder())
	}
	// a renews every 3 s: b never takes over.
	for range 10 {
		ca.Add(3 * time.Second)
		cb.Add(3 * time.Second)
		if !acquire(t, a) {
			t.Fatal("a could not renew")
		}
		if acquire(t, b) {
			t.Fatal("b took over a lease being renewed")
		}
	}
	// a stops renewing (stalled, or cut off from the store).
	ca.Add(8200 * time.Millisecond)
	if a.Valid() {
		t.Fatal("a counts itself valid 8.2 s after its last renewal (9 s less a tenth)")
	}
	cb.Add(8 * time.Second)
	if acquire(t, b) {
		t.Fatal("b took over before the lease's duration")
	}
	cb.Add(time.Second)
	if !acquire(t, b) || !b.Valid() || b.Holder() != "http://b" {
		t.Fatal("b did not take over the expired lease")
	}
	// a's late renewal finds the key taken: a does not hold it any more.
	if acquire(t, a) || a.Valid() || a.Holder() != "" {
		t.Fatal("a renewed a lease b had taken over")
	}
	if acquire(t, a) || a.Holder() != "http://b" {
		t.Fatalf("a does not see b as the holder: %q", a.Holder())
	}
}

// TestLeaseRelease: a lease released on shutdown is taken at once.
func TestLeaseRelease(t *testing.T) {
	kv := newMemLease()
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	a, b := newTestLease(kv, "http://a", clk), newTestLease(kv, "http://b", clk)
	acquire(t, a)
	if acquire(t, b) {
		t.Fatal("b took a held lease")
	}
	if err := a.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Valid() {
		t.Fatal("a valid after release")
	}
	if !acquire(t, b) {
		t.Fatal("b did not take the released lease at once")
	}
	if err := a.Release(context.Background()); err != nil {
		t.Fatalf("release of a lease not held: %v", err)
	}
	if !b.Valid() {
		t.Fatal("a's second release took b's lease")
	}
}

// TestLeaseStoreDown: while the store does not answer, the holder stays
// valid only until its last renewal runs out, and others take nothing.
func TestLeaseStoreDown(t *testing.T) {
	kv := newMemLease()
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	a, b := newTestLease(kv, "http://a", clk), newTestLease(kv, "http://b", clk)
	acquire(t, a)
	kv.setDown(true)
	clk.Add(3 * time.Second)
	if ok, err := a.Acquire(context.Background()); err == nil || !ok {
		t.Fatalf("renewal with the store down: ok %v, err %v; want still valid, an error", ok, err)
	}
	if ok, err := b.Acquire(context.Background()); err == nil || ok {
		t.Fatalf("b with the store down: ok %v, err %v", ok, err)
	}
	clk.Add(6 * time.Second)
	if ok, _ := a.Acquire(context.Background()); ok || a.Valid() {
		t.Fatal("a still valid after its lease ran out with the store down")
	}
	// The store is back before anyone took over: a renews its own
	// revision and holds the lease again.
	kv.setDown(false)
	if !acquire(t, a) || acquire(t, b) {
		t.Fatal("a did not get its lease back, or b took it")
	}
}

// TestLeaseJetStream: the lease on JetStream's KV, whose revisions are
// the stream's sequences and whose delete leaves a marker: a second
// create and a stale update are refused, a released key is created again.
func TestLeaseJetStream(t *testing.T) {
	kv, err := NewLeaseKV(context.Background(), jetStream(t))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	a, b := newTestLease(kv, "http://a", clk), newTestLease(kv, "http://b", clk)
	if !acquire(t, a) || acquire(t, b) {
		t.Fatal("a did not take the lease alone")
	}
	clk.Add(9 * time.Second)
	if !acquire(t, b) {
		t.Fatal("b did not take over")
	}
	if acquire(t, a) {
		t.Fatal("a's stale update went through")
	}
	if err := b.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !acquire(t, a) || a.Holder() != "http://a" {
		t.Fatal("a did not take the released lease")
	}
	if !acquire(t, a) {
		t.Fatal("a could not renew")
	}
}
