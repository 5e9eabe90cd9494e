package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/auth"
	"github.com/amigate/amigate/internal/webhooks"
)

// BenchmarkPostCalls measures POST /v1/calls end to end, in-process: HTTP,
// JWT, validation, dial rules, Originate over AMI to the simulated PBX and
// its response, with the event loop correlating the calls meanwhile. It
// reports requests per second and the latency percentiles a client sees.
//
//	go test -run '^$' -bench PostCalls -benchtime 3000x ./cmd/api
func BenchmarkPostCalls(b *testing.B) {
	_, addr := startPBX(b, 0.001)
	s := startServe(b, pbxEnv(b, addr))
	tok, err := auth.Mint([]byte(testSecret), auth.MintParams{Subject: "bench", Scopes: []string{auth.ScopeCallsWrite}, TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	post := func() (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/calls", strings.NewReader(`{"from": "101", "to": "+7 (900) 123-45-67"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return 0, &statusError{resp.StatusCode}
		}
		return time.Since(start), nil
	}
	eventually(b, 10*time.Second, "ready", func() bool {
		resp, err := client.Get(s.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	var (
		mu  sync.Mutex
		all []time.Duration
	)
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			d, err := post()
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, d)
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.code) }

// BenchmarkEventLoopStore feeds queued AMI events, each causing one call
// event, through the event loop into the real store (embedded JetStream on
// disk), one Publish per event against one per batch.
//
//	go test -run '^$' -bench EventLoopStore -benchtime 2000x ./cmd/api
func BenchmarkEventLoopStore(b *testing.B) {
	for _, batch := range []int{1, maxBatch} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			store, err := webhooks.New(context.Background(), webhooks.Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close(context.Background())
			evs := &fakeEvents{ch: make(chan amiclient.Event, b.N)}
			for i := range b.N {
				evs.ch <- event(amigate.EventCallRinging, fmt.Sprintf("evt_%d_%d", batch, i))
			}
			close(evs.ch)
			l := newLoop(evs, &fakeCalls{}, nil, fakePBX{}, &countingMetrics{types: map[string]int{}})
			l.store, l.batch = store, batch
			b.ResetTimer()
			if err := l.run(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}
