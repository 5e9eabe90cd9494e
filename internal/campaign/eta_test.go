package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

func TestWindowAfter(t *testing.T) {
	fri := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) // a Friday
	for _, tc := range []struct {
		name string
		w    amigate.CampaignWindow
		at   time.Time
		d    time.Duration
		want time.Time
	}{
		{"always", amigate.CampaignWindow{}, fri, 50 * time.Hour, fri.Add(50 * time.Hour)},
		{"open now", amigate.CampaignWindow{From: "09:00", To: "10:00"}, fri.Add(9 * time.Hour), 30 * time.Minute, fri.Add(9*time.Hour + 30*time.Minute)},
		{"closed now", amigate.CampaignWindow{From: "09:00", To: "10:00"}, fri.Add(8 * time.Hour), 0, fri.Add(9 * time.Hour)},
		{"over the night", amigate.CampaignWindow{From: "09:00", To: "10:00"}, fri.Add(9*time.Hour + 30*time.Minute), time.Hour, fri.Add(33*time.Hour + 30*time.Minute)},
		{"next week", amigate.CampaignWindow{Days: []string{"fri"}, From: "09:00", To: "10:00"}, fri.Add(9*time.Hour + 30*time.Minute), time.Hour, fri.Add(7*24*time.Hour + 9*time.Hour + 30*time.Minute)},
		{"past midnight", amigate.CampaignWindow{Days: []string{"fri"}, From: "22:00", To: "02:00"}, fri.Add(21 * time.Hour), 3 * time.Hour, fri.Add(25 * time.Hour)},
		{"time zone", amigate.CampaignWindow{TimeZone: "Europe/Moscow", From: "09:00", To: "18:00"}, fri, 2 * time.Hour, fri.Add(8 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := compileWindow(tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := w.after(tc.at, tc.d); !ok || !got.Equal(tc.want) {
				t.Errorf("after(%s, %s) = %s, %v; want %s", tc.at, tc.d, got, ok, tc.want)
			}
		})
	}
}

func (h *harness) eta(id string) *time.Time {
	h.t.Helper()
	return h.get(id).ETA
}

// TestETA: unknown before any call ended; then the attempts left at the
// pace of max_concurrent calls of the observed length (or per_minute),
// plus the last call; unknown while paused.
func TestETA(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(10), Pacing: amigate.CampaignPacing{MaxConcurrent: 2, PerMinute: 60}})
	if h.eta(c.ID) != nil {
		t.Fatal("an ETA before any call")
	}
	h.svc.Step(ctx)
	if h.eta(c.ID) != nil {
		t.Fatal("an ETA before any call ended")
	}
	h.clk.Add(time.Minute)
	h.pbx.end(h.clk.Now(), answered)
	h.svc.Step(ctx) // 2 done (60 s each), 2 dialling, 6 fresh
	// 6 attempts, 2 at a time, 60 s each: 180 s, then the last calls' 60 s.
	want := h.clk.Now().Add(4 * time.Minute)
	if got := h.eta(c.ID); got == nil || !got.Equal(want) {
		t.Fatalf("ETA %v, want %s", got, want)
	}
	if _, err := h.svc.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if h.eta(c.ID) != nil {
		t.Fatal("an ETA while paused")
	}
	if _, err := h.svc.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	// per_minute bounds it when calls are short: 6 attempts at 1 a
	// minute (after a restart: the average is read from the store).
	h2 := newHarness(t)
	c2 := h2.create(amigate.CampaignRequest{Contacts: contacts(8), Pacing: amigate.CampaignPacing{MaxConcurrent: 10, PerMinute: 1}})
	h2.svc.Step(ctx)
	h2.clk.Add(10 * time.Second)
	h2.pbx.end(h2.clk.Now(), answered)
	h2.svc.Step(ctx) // 1 done, nothing more this minute
	h2.restart()
	want = h2.clk.Now().Add(7*time.Minute + 10*time.Second)
	if got := h2.eta(c2.ID); got == nil || !got.Equal(want) {
		t.Fatalf("ETA %v, want %s", got, want)
	}
	h2.run(c2.ID, answered)
	if h2.eta(c2.ID) != nil {
		t.Fatal("an ETA once completed")
	}
}

// TestETAWindow: the time the calling window is closed does not count;
// retries count as observed so far.
func TestETAWindow(t *testing.T) {
	h := newHarness(t) // Monday 10:00 UTC, 13:00 in Moscow
	ctx := context.Background()
	c := h.create(amigate.CampaignRequest{Contacts: contacts(40), Pacing: amigate.CampaignPacing{MaxConcurrent: 1, PerMinute: 60},
		Window: amigate.CampaignWindow{TimeZone: "Europe/Moscow", Days: []string{"mon", "tue"}, From: "14:00", To: "15:00"}})
	h.clk.Add(time.Hour) // 11:00 UTC, the window opens
	h.svc.Step(ctx)
	h.clk.Add(2 * time.Minute)
	h.pbx.end(h.clk.Now(), answered)
	h.svc.Step(ctx) // 11:02: 1 done in 2 minutes, 1 dialling, 38 fresh
	// 38 × 2 min = 76 min: 58 today until 12:00 UTC, 18 on Tuesday from
	// 11:00, then the last call's 2 minutes.
	want := time.Date(2026, 12, 1, 11, 20, 0, 0, time.UTC)
	if got := h.eta(c.ID); got == nil || !got.Equal(want) {
		t.Fatalf("ETA %v, want %s", got, want)
	}
}
