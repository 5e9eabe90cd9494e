package metrics

import (
	"testing"
	"time"
)

// The hot paths: one call per AMI event, per AMI action and per HTTP
// request. The *Vec benchmarks are the naive alternative, for the ratio.

func BenchmarkEventReceived(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.EventReceived()
	}
}

func BenchmarkActionDone(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.ActionDone("Originate", "success", time.Millisecond)
	}
}

func BenchmarkActionDoneWithLabelValues(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.actions.WithLabelValues("Originate", "success").Inc()
		m.actionDuration.WithLabelValues("Originate").Observe(0.001)
	}
}

func BenchmarkObserveHTTP(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveHTTP("POST", "/v1/calls", 202, time.Millisecond)
	}
}

func BenchmarkObserveHTTPWithLabelValues(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.httpRequests.WithLabelValues("POST", "/v1/calls", statusText(202)).Inc()
		m.httpDuration.WithLabelValues("POST", "/v1/calls").Observe(0.001)
	}
}
