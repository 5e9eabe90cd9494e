package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// latencies is a Metrics that keeps every delivered latency.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) DeliveryDone(outcome string, d time.Duration) {
	if outcome == OutcomeDelivered {
		l.mu.Lock()
		l.d = append(l.d, d)
		l.mu.Unlock()
	}
}
func (l *latencies) Backlog(int, time.Duration) {}

func (l *latencies) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(l.d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkPublishToDelivery measures AMI event → webhook 2xx at a local
// receiver: events are published one at a time, as the AMI loop does, with
// ReadAt set at publish; latency is what amigate_webhook_delivery_latency_seconds
// records. "rate=1000" paces publishing at 1,000 events/s (run with
// -benchtime=5000x for 5 s); "rate=max" publishes in batches of 100 as fast
// as the store takes them and reports sustained events/s.
func BenchmarkPublishToDelivery(b *testing.B) {
	for _, rate := range []int{1000, 0} {
		name := fmt.Sprintf("rate=%d", rate)
		if rate == 0 {
			name = "rate=max"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			lat := &latencies{}
			cfg := testConfig(b, ConfigSubscription{URL: srv.URL, Secret: testSecret})
			cfg.Metrics = lat
			d, err := New(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = d.Close(context.Background()) }()
			evs := events(fmt.Sprintf("bench%d", rate), max(1, b.N/4), 4)[:b.N]
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			if rate > 0 {
				interval := time.Second / time.Duration(rate)
				for i := range evs {
					if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
						time.Sleep(wait) // pacing, not waiting for a result
					}
					evs[i].ReadAt = time.Now()
					if err := d.Publish(ctx, evs[i:i+1]); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				for i := 0; i < len(evs); i += 100 {
					batch := evs[i:min(i+100, len(evs))]
					now := time.Now()
					for j := range batch {
						batch[j].ReadAt = now
					}
					if err := d.Publish(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
			}
			waitFor(b, "every event delivered", time.Minute, func() bool { return lat.len() >= len(evs) })
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(len(evs))/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(lat.quantile(0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat.quantile(0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

var _ Metrics = (*latencies)(nil)
