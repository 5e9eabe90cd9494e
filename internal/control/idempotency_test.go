package control

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

func dialReq(key string) amigate.DialRequest {
	return amigate.DialRequest{From: "101", To: "+7 900 123-45-67", IdempotencyKey: key, Variables: map[string]string{"CRM_DEAL_ID": "42"}}
}

func countOriginates(fa *fakeAMI) int {
	n := 0
	for _, a := range fa.actions() {
		if a.Name == "Originate" {
			n++
		}
	}
	return n
}

func TestIdempotency(t *testing.T) {
	other := dialReq("k1")
	other.To = "+7 900 000-00-01"
	sameNormalised := dialReq("k1")
	sameNormalised.To = "+7(900)1234567"
	otherVars := dialReq("k1")
	otherVars.Variables = map[string]string{"CRM_DEAL_ID": "43"}
	otherCaller := dialReq("k1")
	otherCaller.Caller = "another-crm"

	tests := []struct {
		name          string
		second        amigate.DialRequest
		wantErr       error
		wantOriginate int
	}{
		{"same request", dialReq("k1"), nil, 1},
		{"same request typed differently", sameNormalised, nil, 1},
		{"other number", other, amigate.ErrConflict, 1},
		{"other variables", otherVars, amigate.ErrConflict, 1},
		{"other key", dialReq("k2"), nil, 2},
		{"same key from another caller", otherCaller, nil, 2},
		{"no key", dialReq(""), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{}
			s := newTestService(t, Config{}, fa, newFakeCalls())
			first, err := s.Dial(context.Background(), dialReq("k1"))
			if err != nil {
				t.Fatal(err)
			}
			second, err := s.Dial(context.Background(), tt.second)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("second Dial error = %v, want %v", err, tt.wantErr)
			}
			if got := countOriginates(fa); got != tt.wantOriginate {
				t.Errorf("sent %d Originates, want %d", got, tt.wantOriginate)
			}
			if tt.wantErr == nil && tt.wantOriginate == 1 && second.ID != first.ID {
				t.Errorf("repeat returned call %q, want the first %q", second.ID, first.ID)
			}
		})
	}
}

// Concurrent repeats of one key dial once: the others wait for the first
// and return its call.
func TestIdempotencyConcurrent(t *testing.T) {
	release := make(chan struct{})
	fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
		<-release
		return success(a), nil
	}}
	s := newTestService(t, Config{}, fa, newFakeCalls())
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			c, err := s.Dial(context.Background(), dialReq("same"))
			ids[i], errs[i] = c.ID, err
		})
	}
	// Wait until the first Originate is in flight, then let it answer.
	waitFor(t, func() bool { return countOriginates(fa) >= 1 })
	close(release)
	wg.Wait()
	if got := countOriginates(fa); got != 1 {
		t.Fatalf("sent %d Originates, want 1", got)
	}
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("request %d: call %q err %v, want call %q", i, ids[i], errs[i], ids[0])
		}
	}
}

// A waiting repeat gives up with its own context.
func TestIdempotencyWaitCanceled(t *testing.T) {
	release := make(chan struct{})
	fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
		<-release
		return success(a), nil
	}}
	s := newTestService(t, Config{}, fa, newFakeCalls())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Dial(context.Background(), dialReq("k"))
	}()
	waitFor(t, func() bool { return countOriginates(fa) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Dial(ctx, dialReq("k")); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Dial error = %v, want context.Canceled", err)
	}
	close(release)
	<-done
}

// A definite failure releases the key so that the retry dials; a lost
// answer keeps it so that the retry does not dial twice.
func TestIdempotencyAfterFailure(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantOriginate int
	}{
		{"refused", refused("Originate", "Permission denied"), 2},
		{"not connected", amiclient.ErrNotReady, 2},
		{"timeout", amiclient.ErrTimeout, 1},
		{"disconnected", amiclient.ErrDisconnected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := true
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
				if fail {
					fail = false
					return ami.Message{}, tt.err
				}
				return success(a), nil
			}}
			s := newTestService(t, Config{}, fa, newFakeCalls())
			if _, err := s.Dial(context.Background(), dialReq("k")); err == nil {
				t.Fatal("first Dial succeeded, want an error")
			}
			c, err := s.Dial(context.Background(), dialReq("k"))
			if err != nil {
				t.Fatalf("retry error = %v", err)
			}
			if c.ID == "" {
				t.Error("retry returned no call")
			}
			if got := countOriginates(fa); got != tt.wantOriginate {
				t.Errorf("sent %d Originates, want %d", got, tt.wantOriginate)
			}
		})
	}
}

func TestIdempotencyExpiry(t *testing.T) {
	clock := &testClock{t: epoch}
	fa := &fakeAMI{}
	s := newTestService(t, Config{Now: clock.Now}, fa, newFakeCalls())
	ctx := context.Background()
	if _, err := s.Dial(ctx, dialReq("k")); err != nil {
		t.Fatal(err)
	}
	clock.Add(24*time.Hour - time.Second)
	if _, err := s.Dial(ctx, dialReq("k")); err != nil || countOriginates(fa) != 1 {
		t.Fatalf("repeat within 24h: err %v, %d Originates, want 1", err, countOriginates(fa))
	}
	clock.Add(time.Second)
	if _, err := s.Dial(ctx, dialReq("k")); err != nil || countOriginates(fa) != 2 {
		t.Fatalf("repeat after 24h: err %v, %d Originates, want 2", err, countOriginates(fa))
	}
	if n := s.idem.len(); n != 1 {
		t.Errorf("%d keys remembered, want 1", n)
	}
}

func TestIdempotencyBounded(t *testing.T) {
	fa := &fakeAMI{}
	s := newTestService(t, Config{IdempotencyMaxKeys: 100}, fa, newFakeCalls())
	ctx := context.Background()
	for i := range 1000 {
		if _, err := s.Dial(ctx, dialReq(string(rune('a'+i%26))+newUUID())); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.idem.len(); n != 100 {
		t.Errorf("%d keys remembered, want the cap 100", n)
	}
	s.idem.mu.Lock()
	queued := len(s.idem.order) - s.idem.head
	s.idem.mu.Unlock()
	if queued > 200 {
		t.Errorf("%d keys queued, want at most 200", queued)
	}
	// Failing requests release their keys and stay bounded too.
	fa.SendFunc = func(ctx context.Context, a *ami.Action) (ami.Message, error) {
		return ami.Message{}, refused("Originate", "Permission denied")
	}
	for range 1000 {
		s.Dial(ctx, dialReq(newUUID()))
	}
	s.idem.mu.Lock()
	queued = len(s.idem.order)
	s.idem.mu.Unlock()
	if queued > 400 {
		t.Errorf("order holds %d entries after failures, want it bounded", queued)
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
