package webhooks

import (
	"testing"
	"time"
)

func TestDefaultScheduleCoversADay(t *testing.T) {
	var total time.Duration
	for _, d := range DefaultSchedule {
		total += d
	}
	if total > 24*time.Hour || total < 23*time.Hour {
		t.Errorf("schedule totals %v, want just under 24h", total)
	}
	want := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, time.Hour}
	for i, d := range want {
		if DefaultSchedule[i] != d {
			t.Errorf("step %d: got %v, want %v", i, DefaultSchedule[i], d)
		}
	}
}

func TestBackoffNext(t *testing.T) {
	sched := []time.Duration{time.Second, 10 * time.Second}
	tests := []struct {
		name     string
		jitter   float64
		rnd      float64
		failures int
		want     time.Duration
		ok       bool
	}{
		{"first retry", 0, 0, 1, time.Second, true},
		{"second retry", 0, 0, 2, 10 * time.Second, true},
		{"used up: dead", 0, 0, 3, 0, false},
		{"no failure yet", 0, 0, 0, 0, false},
		{"jitter low end", 0.2, 0, 2, 8 * time.Second, true},
		{"jitter middle", 0.2, 0.5, 2, 10 * time.Second, true},
		{"jitter high end", 0.2, 0.75, 2, 11 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{Schedule: sched, Jitter: tt.jitter, Rand: func() float64 { return tt.rnd }}
			got, ok := b.Next(tt.failures)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Next(%d): got %v, %v, want %v, %v", tt.failures, got, ok, tt.want, tt.ok)
			}
		})
	}
}
