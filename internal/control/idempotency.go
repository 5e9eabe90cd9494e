package control

import (
	"context"
	"sync"
	"time"

	"github.com/amigate/amigate"
)

// idempotency remembers Idempotency-Keys of click-to-call requests so that a
// CRM's retry never dials twice. A key is claimed before the Originate is
// sent: a concurrent repeat waits for the first to finish and returns its
// call; the same key with another request is a conflict. Keys expire after
// ttl and at most max are kept (the oldest are forgotten first), so memory
// stays bounded.
type idempotency struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*idemEntry
	order   []*idemEntry // insertion order, which is also expiry order
	head    int
}

type idemEntry struct {
	key     string
	fp      [32]byte
	created time.Time
	done    chan struct{} // closed when the owner finishes
	call    amigate.Call  // set before done is closed, when it succeeded
}

func newIdempotency(ttl time.Duration, max int, now func() time.Time) *idempotency {
	return &idempotency{ttl: ttl, max: max, now: now, entries: make(map[string]*idemEntry)}
}

// claim returns the entry the caller now owns and must finish, or the call
// of an earlier identical request (owned == nil), or an error: ErrConflict
// for another request under the key, or ctx's error while waiting.
func (s *idempotency) claim(ctx context.Context, key string, fp [32]byte) (owned *idemEntry, call amigate.Call, err error) {
	for {
		s.mu.Lock()
		now := s.now()
		s.expire(now)
		e := s.entries[key]
		if e == nil {
			e = &idemEntry{key: key, fp: fp, created: now, done: make(chan struct{})}
			s.entries[key] = e
			s.order = append(s.order, e)
			s.evict()
			s.mu.Unlock()
			return e, amigate.Call{}, nil
		}
		s.mu.Unlock()
		if e.fp != fp {
			return nil, amigate.Call{}, amigate.Errorf(amigate.ErrKeyReused, "the Idempotency-Key was used with another request")
		}
		select {
		case <-e.done:
			s.mu.Lock()
			still := s.entries[key] == e
			s.mu.Unlock()
			if still {
				return nil, e.call, nil
			}
			// The first attempt failed and released the key: try again.
		case <-ctx.Done():
			return nil, amigate.Call{}, ctx.Err()
		}
	}
}

// finish records the owner's outcome. keep false (a definite failure:
// nothing was dialled) forgets the key so that a retry dials.
func (s *idempotency) finish(e *idemEntry, call amigate.Call, keep bool) {
	s.mu.Lock()
	if keep {
		e.call = call
	} else if s.entries[e.key] == e {
		delete(s.entries, e.key)
	}
	s.mu.Unlock()
	close(e.done)
}

// expire forgets keys older than ttl. Called with mu held.
func (s *idempotency) expire(now time.Time) {
	for s.head < len(s.order) && now.Sub(s.order[s.head].created) >= s.ttl {
		s.drop()
	}
	s.compact()
}

// evict forgets the oldest keys beyond max. Called with mu held.
func (s *idempotency) evict() {
	// Released keys stay in order until they reach the front; bound those
	// too, so that a stream of failing requests cannot grow it.
	for (len(s.entries) > s.max || len(s.order)-s.head > 2*s.max) && s.head < len(s.order) {
		s.drop()
	}
	s.compact()
}

func (s *idempotency) drop() {
	e := s.order[s.head]
	s.order[s.head] = nil
	s.head++
	if s.entries[e.key] == e {
		delete(s.entries, e.key)
	}
}

// compact reclaims the dropped front of order once it is half the slice.
func (s *idempotency) compact() {
	if s.head > 64 && s.head*2 >= len(s.order) {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order = s.order[:n]
		s.head = 0
	}
}

// len returns how many keys are remembered, for tests.
func (s *idempotency) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
