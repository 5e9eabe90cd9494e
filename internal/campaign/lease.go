package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrRevision is what a LeaseKV answers when a create or update finds the
// key at another revision than the one given: someone else wrote it.
var ErrRevision = errors.New("campaign: key changed")

// LeaseKey is the dialer lease's key in Bucket, apart from the campaigns'
// keys (keyPrefix), which a load lists.
const LeaseKey = "dialer.lease"

// LeaseKV is the compare-and-set part of a key-value store the dialer
// lease needs (JetStream KV: Create, Update with the last revision).
type LeaseKV interface {
	// Get returns the value and revision; ErrNoKey when absent or deleted.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Create writes key only if absent (or deleted); ErrRevision if not.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Update writes key only if it is at revision rev; ErrRevision if not.
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
	// Delete deletes key only if it is at revision rev.
	Delete(ctx context.Context, key string, rev uint64) error
}

// LeaseConfig configures a Lease.
type LeaseConfig struct {
	KV  LeaseKV
	Key string
	// Value names this instance to the others: the address its API is
	// reached at, where they forward campaign requests while it holds the
	// lease. Every instance needs its own.
	Value string
	// Duration is how long a lease write is good for. Default 10s.
	Duration time.Duration
	// Every is how often the holder renews the lease and the others try
	// to take it. Default: a third of Duration, so that two renewals may
	// fail before the lease runs out.
	Every time.Duration
	// Poll is how often an instance that does not hold the lease looks
	// at it. Default: Every, at most 1s, so that a lease released on
	// shutdown is taken over within a second whatever its Duration.
	Poll time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Lease is the dialer's lease: at most one instance on a store holds it
// and dials. The store's revision, not a time written by the holder, is
// what the others watch: each instance measures the lease against its own
// clock, so clocks that disagree between machines cannot make two holders.
//
// The holder counts its lease from before each write it sends (so it
// expires on the holder first); another instance counts from when it
// first saw that revision (after it was written) and takes the key over
// only once the revision has stayed the same for Duration.
type Lease struct {
	cfg LeaseConfig

	mu     sync.Mutex
	held   bool
	rev    uint64    // the key's revision: ours while held, else the last seen
	until  time.Time // held: valid before this instant
	seenAt time.Time // not held: when rev was first seen
	holder string    // the last seen holder's Value ("" when none)
}

// marginDiv: a tenth of Duration is taken off the holder's validity, so
// that an Originate checked just before the end still reaches Asterisk
// before another instance may take over.
const marginDiv = 10

// NewLease returns a lease not held.
func NewLease(cfg LeaseConfig) *Lease {
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Every <= 0 {
		cfg.Every = cfg.Duration / 3
	}
	if cfg.Poll <= 0 {
		cfg.Poll = min(cfg.Every, time.Second)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Lease{cfg: cfg}
}

// Valid reports whether this instance holds the lease now: the fence
// checked before every Originate and every change of a campaign.
func (l *Lease) Valid() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.cfg.Now().Before(l.until)
}

// Holder is the Value of the instance that holds the lease as last seen:
// this instance's own while Valid, "" when none is known.
func (l *Lease) Holder() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		if l.cfg.Now().Before(l.until) {
			return l.cfg.Value
		}
		return ""
	}
	return l.holder
}

// Acquire takes the lease when it is free or has expired (as seen from
// here), and renews it when held. It reports whether the lease is Valid
// afterwards. An error means the store did not answer: a holder's lease
// then runs out at its time.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	l.mu.Lock()
	held, rev := l.held, l.rev
	l.mu.Unlock()
	if held {
		return l.write(ctx, rev, true)
	}
	v, rev, err := l.cfg.KV.Get(ctx, l.cfg.Key)
	switch {
	case errors.Is(err, ErrNoKey):
		return l.write(ctx, 0, false)
	case err != nil:
		return false, fmt.Errorf("campaign lease: read: %w", err)
	}
	now := l.cfg.Now()
	l.mu.Lock()
	if rev != l.rev || l.seenAt.IsZero() {
		// Written since we last looked: its holder is alive.
		l.rev, l.seenAt, l.holder = rev, now, string(v)
	}
	expired := now.Sub(l.seenAt) >= l.cfg.Duration
	l.mu.Unlock()
	if !expired {
		return false, nil
	}
	return l.write(ctx, rev, true)
}

// write creates (rev 0, update false) or updates the key at rev with this
// instance's value.
func (l *Lease) write(ctx context.Context, rev uint64, update bool) (bool, error) {
	start := l.cfg.Now()
	var (
		nrev uint64
		err  error
	)
	if update {
		nrev, err = l.cfg.KV.Update(ctx, l.cfg.Key, []byte(l.cfg.Value), rev)
	} else {
		nrev, err = l.cfg.KV.Create(ctx, l.cfg.Key, []byte(l.cfg.Value))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case errors.Is(err, ErrRevision):
		// Another instance wrote it first (or took it over): not ours.
		l.held = false
		l.rev, l.seenAt, l.holder = 0, time.Time{}, ""
		return false, nil
	case err != nil:
		// Unknown whether it was written: a holder keeps its earlier
		// validity, which runs out unless a later renewal succeeds. (If
		// it was written, the next renewal finds another revision and
		// gives the lease up: a pause in dialling, never two holders.)
		return l.held && l.cfg.Now().Before(l.until), fmt.Errorf("campaign lease: write: %w", err)
	}
	l.held = true
	l.rev, l.until = nrev, start.Add(l.cfg.Duration-l.cfg.Duration/marginDiv)
	return l.cfg.Now().Before(l.until), nil
}

// Release gives the lease up (on shutdown), so that another instance
// takes over at once rather than after Duration.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	held, rev := l.held, l.rev
	l.held = false
	l.rev, l.seenAt, l.until = 0, time.Time{}, time.Time{}
	l.mu.Unlock()
	if !held {
		return nil
	}
	if err := l.cfg.KV.Delete(ctx, l.cfg.Key, rev); err != nil && !errors.Is(err, ErrRevision) {
		return fmt.Errorf("campaign lease: release: %w", err)
	}
	return nil
}
