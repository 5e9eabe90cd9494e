package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// BenchmarkAPI measures the HTTP layer alone, through the whole echo stack
// with a production-like JSON access log (to io.Discard) and a fake service
// that answers at once:
//
//	go test -run '^$' -bench API -benchmem ./internal/handlers/
//
// healthz is the floor (routing and middleware); dial adds the bearer
// check, decoding, validation and the response; dial-no-token-cache
// verifies the HS256 token on every request.
func BenchmarkAPI(b *testing.B) {
	call := amigate.Call{ID: "0a1b2c3d-4e5f-6789-abcd-ef0123456789", State: amigate.StateDialing,
		Agent: &amigate.Agent{Extension: "101"}, Customer: &amigate.Party{Number: "79001234567"}, Channels: []amigate.Channel{}}
	calls := &fakeCalls{DialFn: func(context.Context, amigate.DialRequest) (amigate.Call, error) { return call, nil }}
	deps := Deps{Calls: calls, Queues: &fakeQueues{}, Webhooks: &fakeWebhooks{}, Verifier: newVerifier(b),
		HTTPMetrics: &nopMetrics{}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	e, uncached := New(deps, Options{}), New(deps, Options{TokenCache: -1})
	tok := "Bearer " + token(b, "calls:write", "")
	const body = `{"from":"101","to":"+7 (900) 123-45-67","timeout_seconds":30,"variables":{"CRM_DEAL_ID":"42"}}`

	run := func(b *testing.B, e http.Handler, method, path, body string, want int) {
		b.ReportAllocs()
		for b.Loop() {
			var r io.Reader
			if body != "" {
				r = strings.NewReader(body)
			}
			req := httptest.NewRequest(method, path, r)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tok)
			req.Header.Set("Idempotency-Key", "crm-req-42")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("got %d, want %d: %s", rec.Code, want, rec.Body)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("healthz", func(b *testing.B) { run(b, e, "GET", "/healthz", "", 200) })
	b.Run("dial", func(b *testing.B) { run(b, e, "POST", "/v1/calls", body, 202) })
	b.Run("dial-no-token-cache", func(b *testing.B) { run(b, uncached, "POST", "/v1/calls", body, 202) })
	b.Run("dial-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("POST", "/v1/calls", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", tok)
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				if rec.Code != 202 {
					b.Errorf("got %d", rec.Code)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

type nopMetrics struct{}

func (nopMetrics) ObserveHTTP(string, string, int, time.Duration) {}
