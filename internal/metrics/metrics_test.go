package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// The method sets the consumers declare (amiclient.Metrics takes a State,
// which cmd/api adapts to SetAMIState). Declared here so that this package
// need not import them; cmd/api checks the real interfaces.
var (
	_ interface {
		Reconnected()
		EventReceived()
		EventsDropped(n int)
		ActionDone(action, outcome string, d time.Duration)
	} = (*Metrics)(nil)
	_ interface {
		DeliveryDone(outcome string, latency time.Duration)
		Backlog(pending int, oldest time.Duration)
	} = (*Metrics)(nil)
	_ interface {
		ObserveHTTP(method, route string, status int, d time.Duration)
	} = (*Metrics)(nil)
)

// value returns the value of the series name{labels}; ok is false when it
// does not exist. Histograms give their sample count.
func value(t *testing.T, m *Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if len(got) != len(labels) {
				continue
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return s.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return s.GetGauge().GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(s.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func TestRecords(t *testing.T) {
	type series struct {
		name   string
		labels map[string]string
		want   float64
	}
	tests := []struct {
		name string
		do   func(m *Metrics)
		want []series
	}{
		{
			name: "ami state",
			do: func(m *Metrics) {
				m.SetAMIState("connecting", false)
				m.SetAMIState("authenticating", false)
				m.SetAMIState("ready", true)
			},
			want: []series{
				{"amigate_ami_connected", nil, 1},
				{"amigate_ami_state", map[string]string{"state": "ready"}, 1},
				{"amigate_ami_state", map[string]string{"state": "connecting"}, 0},
				{"amigate_ami_state", map[string]string{"state": "authenticating"}, 0},
			},
		},
		{
			name: "ami lost",
			do: func(m *Metrics) {
				m.SetAMIState("ready", true)
				m.SetAMIState("backing_off", false)
				m.Reconnected()
				m.SetAMIState("ready", true)
				m.SetAMIState("backing_off", false)
			},
			want: []series{
				{"amigate_ami_connected", nil, 0},
				{"amigate_ami_state", map[string]string{"state": "backing_off"}, 1},
				{"amigate_ami_state", map[string]string{"state": "ready"}, 0},
				{"amigate_ami_reconnects_total", nil, 1},
			},
		},
		{
			name: "events",
			do: func(m *Metrics) {
				for range 5 {
					m.EventReceived()
				}
				m.EventsDropped(3)
				m.EventsDropped(0)
				m.EventsDropped(-1)
			},
			want: []series{
				{"amigate_ami_events_received_total", nil, 5},
				{"amigate_ami_events_dropped_total", nil, 3},
			},
		},
		{
			name: "actions",
			do: func(m *Metrics) {
				m.ActionDone("Originate", "success", 2*time.Millisecond)
				m.ActionDone("Originate", "success", 3*time.Millisecond)
				m.ActionDone("Originate", "error", time.Millisecond)
				m.ActionDone("Hangup", "timeout", 10*time.Second)
			},
			want: []series{
				{"amigate_ami_actions_total", map[string]string{"action": "Originate", "outcome": "success"}, 2},
				{"amigate_ami_actions_total", map[string]string{"action": "Originate", "outcome": "error"}, 1},
				{"amigate_ami_actions_total", map[string]string{"action": "Hangup", "outcome": "timeout"}, 1},
				{"amigate_ami_action_duration_seconds", map[string]string{"action": "Originate"}, 3},
				{"amigate_ami_action_duration_seconds", map[string]string{"action": "Hangup"}, 1},
			},
		},
		{
			name: "calls",
			do: func(m *Metrics) {
				m.CallEvent("call.ringing")
				m.CallEvent("call.ringing")
				m.CallEvent("call.ended")
				m.CallEventInvalid("call.answered")
				m.CallsActive(func() int { return 7 })
			},
			want: []series{
				{"amigate_call_events_total", map[string]string{"type": "call.ringing"}, 2},
				{"amigate_call_events_total", map[string]string{"type": "call.ended"}, 1},
				{"amigate_call_events_total", map[string]string{"type": "call.answered"}, 0},
				{"amigate_call_events_invalid_total", map[string]string{"type": "call.answered"}, 1},
				{"amigate_calls_active", nil, 7},
			},
		},
		{
			name: "webhooks",
			do: func(m *Metrics) {
				m.DeliveryDone("delivered", 120*time.Millisecond)
				m.DeliveryDone("retry", 0)
				m.DeliveryDone("retry", 5*time.Second) // not a latency: not delivered
				m.Backlog(4, 90*time.Second)
			},
			want: []series{
				{"amigate_webhook_deliveries_total", map[string]string{"outcome": "delivered"}, 1},
				{"amigate_webhook_deliveries_total", map[string]string{"outcome": "retry"}, 2},
				{"amigate_webhook_deliveries_total", map[string]string{"outcome": "dead"}, 0},
				{"amigate_webhook_delivery_latency_seconds", nil, 1},
				{"amigate_webhook_backlog", nil, 4},
				{"amigate_webhook_backlog_oldest_seconds", nil, 90},
			},
		},
		{
			name: "http",
			do: func(m *Metrics) {
				m.ObserveHTTP("POST", "/v1/calls", 202, time.Millisecond)
				m.ObserveHTTP("POST", "/v1/calls", 202, time.Millisecond)
				m.ObserveHTTP("POST", "/v1/calls", 422, time.Millisecond)
				m.ObserveHTTP("GET", "", 404, time.Millisecond)
				m.ObserveHTTP("BREW", "/v1/calls", 405, time.Millisecond)
			},
			want: []series{
				{"amigate_http_requests_total", map[string]string{"method": "POST", "route": "/v1/calls", "status": "202"}, 2},
				{"amigate_http_requests_total", map[string]string{"method": "POST", "route": "/v1/calls", "status": "422"}, 1},
				{"amigate_http_requests_total", map[string]string{"method": "GET", "route": "unmatched", "status": "404"}, 1},
				{"amigate_http_requests_total", map[string]string{"method": "OTHER", "route": "/v1/calls", "status": "405"}, 1},
				{"amigate_http_request_duration_seconds", map[string]string{"method": "POST", "route": "/v1/calls"}, 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			tt.do(m)
			for _, s := range tt.want {
				got, ok := value(t, m, s.name, s.labels)
				if !ok {
					t.Errorf("%s%v: missing", s.name, s.labels)
					continue
				}
				if got != s.want {
					t.Errorf("%s%v = %v, want %v", s.name, s.labels, got, s.want)
				}
			}
		})
	}
}

// TestHandlerExposesContractNames scrapes /metrics and checks every name
// that api.md fixes, plus the Go and process collectors.
func TestHandlerExposesContractNames(t *testing.T) {
	m := New()
	m.CallsActive(func() int { return 0 })
	m.ActionDone("Ping", "success", time.Millisecond)
	m.ObserveHTTP("GET", "/healthz", 200, time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, name := range []string{
		"amigate_ami_connected", "amigate_ami_reconnects_total",
		"amigate_ami_events_received_total", "amigate_ami_events_dropped_total",
		"amigate_ami_actions_total", "amigate_ami_action_duration_seconds",
		"amigate_calls_active", "amigate_call_events_total",
		"amigate_webhook_deliveries_total", "amigate_webhook_delivery_latency_seconds",
		"amigate_webhook_backlog",
		"amigate_http_requests_total", "amigate_http_request_duration_seconds",
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(string(body), "\n# TYPE "+name+" ") {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestConcurrent hammers every method from several goroutines; run with
// -race.
func TestConcurrent(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				m.EventReceived()
				m.ActionDone([]string{"Originate", "Hangup"}[i%2], "success", time.Millisecond)
				m.ObserveHTTP("GET", "/v1/calls/:id", 200+g, time.Millisecond)
				m.CallEvent("call.ringing")
				m.SetAMIState([]string{"ready", "backing_off"}[i%2], i%2 == 0)
				m.DeliveryDone("delivered", time.Millisecond)
				m.Backlog(i, time.Second)
			}
		})
	}
	wg.Wait()
	if got, _ := value(t, m, "amigate_ami_events_received_total", nil); got != 800 {
		t.Errorf("events = %v, want 800", got)
	}
	if got, _ := value(t, m, "amigate_ami_actions_total", map[string]string{"action": "Hangup", "outcome": "success"}); got != 400 {
		t.Errorf("Hangup actions = %v, want 400", got)
	}
}
