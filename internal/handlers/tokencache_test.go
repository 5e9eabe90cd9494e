package handlers

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/auth"
)

// countingVerifier accepts "good-*" tokens until exp and counts its calls.
type countingVerifier struct {
	mu    sync.Mutex
	calls int
	exp   time.Time
}

func (v *countingVerifier) Verify(tok string) (*auth.Claims, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls++
	if len(tok) < 5 || tok[:5] != "good-" {
		return nil, errors.New("bad token")
	}
	return &auth.Claims{Subject: tok, ExpiresAt: v.exp}, nil
}

func TestTokenCache(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	now := t0
	v := &countingVerifier{exp: t0.Add(time.Minute)}
	c := newTokenCache(v, 2, func() time.Time { return now })
	steps := []struct {
		at        time.Duration
		token     string
		wantOK    bool
		wantCalls int // cumulative Verifier calls
	}{
		{0, "good-a", true, 1},
		{time.Second, "good-a", true, 1}, // cached
		{time.Second, "bad", false, 2},   // refusals are not cached
		{time.Second, "bad", false, 3},   //
		{time.Minute, "good-a", true, 4}, // expired: verified again
		{time.Minute, "good-b", true, 5}, // cache full after this
		{time.Minute, "good-c", true, 6}, // evicts one
		{time.Minute + time.Second, "good-c", true, 6},
	}
	for i, s := range steps {
		now = t0.Add(s.at)
		if s.at >= time.Minute {
			v.exp = t0.Add(time.Hour)
		}
		cl, err := c.Verify(s.token)
		if (err == nil) != s.wantOK || (s.wantOK && cl.Subject != s.token) {
			t.Fatalf("step %d %q: claims %v, err %v", i, s.token, cl, err)
		}
		if v.calls != s.wantCalls {
			t.Fatalf("step %d %q: %d verifier calls, want %d", i, s.token, v.calls, s.wantCalls)
		}
		if len(c.m) > 2 {
			t.Fatalf("step %d: %d entries, bound 2", i, len(c.m))
		}
	}
	// No entry outlives maxCacheAge, however long the token lives.
	now = t0.Add(time.Minute + maxCacheAge + time.Second)
	before := v.calls
	if _, err := c.Verify("good-c"); err != nil || v.calls != before+1 {
		t.Fatalf("after maxCacheAge: err %v, calls %d, want %d", err, v.calls, before+1)
	}
}

func TestTokenCacheConcurrent(t *testing.T) {
	v := &countingVerifier{exp: time.Now().Add(time.Hour)}
	c := newTokenCache(v, 8, time.Now)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				tok := fmt.Sprintf("good-%d", (g+i)%16)
				if cl, err := c.Verify(tok); err != nil || cl.Subject != tok {
					t.Errorf("%s: %v %v", tok, cl, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
