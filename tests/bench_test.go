package tests

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amitest"
)

// BenchmarkPostCalls measures POST /v1/calls end to end against the built
// binary: HTTP, JWT, validation, dial rules, the Originate over AMI and its
// response, from an amitest server that answers Originate at once, so that
// the time is the service's. For each concurrency it reports requests per
// second and the latency percentiles a client sees, and those of GET
// /healthz on the same connections (the HTTP floor): added-p50 and
// added-p99 are what the service adds to it. The customer's number comes
// as a CRM stores it, "+7 (900) 123-45-67", which the dial rules read with
// libphonenumber (number=read: its E.164 for the card, its type and country
// checked), and as bare digits the rules keep as they are (number=digits:
// no home region is configured), which tells that reading's share.
//
//	go test -run '^$' -bench PostCalls -benchtime 2000x ./tests/
func BenchmarkPostCalls(b *testing.B) {
	for _, conc := range []int{1, 16} {
		for _, number := range []struct{ name, to string }{{"read", customerRaw}, {"digits", "79001234567"}} {
			b.Run(fmt.Sprintf("conc=%d/number=%s", conc, number.name), func(b *testing.B) { benchPostCalls(b, conc, number.to) })
		}
	}
}

func benchPostCalls(b *testing.B, conc int, to string) {
	srv := amitest.Start(b, amitest.Config{Handlers: map[string]amitest.Handler{
		"Originate": func(c *amitest.Conn, a ami.Message) {
			_ = c.Reply(a, "Success", "Message", "Originate successfully queued")
		},
		"CoreShowChannels": replay(recorded(b, "core_show_channels.txt", "csc-idle")),
	}})
	// Logs at error level, which leaves out the "serving" line: a known port.
	svc := startService(b, append(baseEnv(srv.Addr(), b.TempDir()),
		"AMIGATE_LOG_LEVEL=error", "AMIGATE_HTTP_ADDR="+freeAddr(b)))
	tr := &http.Transport{MaxIdleConnsPerHost: conc}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	a := newAPI(b, svc.URL, "")
	a.waitReady()
	tok := "Bearer " + token(b, scopeCallsWrite, "")

	send := func(method, path, body string) (time.Duration, error) {
		req, err := http.NewRequest(method, svc.URL+path, strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tok)
		}
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if want := map[string]int{"POST": 202, "GET": 200}[method]; resp.StatusCode != want {
			return 0, fmt.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
		}
		return d, nil
	}
	// run sends n requests from conc goroutines and returns their latencies.
	run := func(n int, method, path, body string) ([]time.Duration, time.Duration) {
		var (
			next atomic.Int64
			mu   sync.Mutex
			all  = make([]time.Duration, 0, n)
			wg   sync.WaitGroup
		)
		start := time.Now()
		for range conc {
			wg.Go(func() {
				var mine []time.Duration
				for next.Add(1) <= int64(n) {
					d, err := send(method, path, body)
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
		}
		wg.Wait()
		elapsed := time.Since(start)
		slices.Sort(all)
		return all, elapsed
	}
	pct := func(ds []time.Duration, p int) float64 {
		if len(ds) == 0 {
			return 0
		}
		return float64(ds[(len(ds)-1)*p/100].Microseconds())
	}

	floor, _ := run(1000, http.MethodGet, "/healthz", "")
	body := `{"from": "101", "to": "` + to + `", "variables": {"CRM_DEAL_ID": "42"}}`
	b.ResetTimer()
	lat, elapsed := run(b.N, http.MethodPost, "/v1/calls", body)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(lat, 50), "p50-µs")
	b.ReportMetric(pct(lat, 99), "p99-µs")
	b.ReportMetric(pct(floor, 50), "healthz-p50-µs")
	b.ReportMetric(pct(lat, 50)-pct(floor, 50), "added-p50-µs")
	b.ReportMetric(pct(lat, 99)-pct(floor, 99), "added-p99-µs")
	b.ReportMetric(0, "ns/op") // the rates above say it better
	if got := countOriginates(srv); got < len(lat) {
		b.Errorf("%d Originates reached the PBX for %d accepted requests", got, len(lat))
	}
}

func countOriginates(srv *amitest.Server) int {
	n := 0
	for _, m := range srv.Actions() {
		if m.Get("Action") == "Originate" {
			n++
		}
	}
	return n
}
