// Package metrics exposes the service's Prometheus metrics under the names
// fixed by the API contract (operators build dashboards on them). One
// Metrics value implements the small Metrics interfaces that amiclient,
// webhooks and handlers declare; cmd/api passes it to each. The package
// imports nothing of the product.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Latency buckets, in seconds. AMI round trips on a LAN take a millisecond
// or two; webhooks include the receiver and retries, so they reach hours.
var (
	amiBuckets     = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	httpBuckets    = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	webhookBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 86400}
)

// Metrics holds the collectors on a registry of its own, so tests can make
// as many as they like and /metrics shows exactly what is registered here.
// Its methods are safe for concurrent use; those on hot paths use
// pre-bound children and never build labels per call.
type Metrics struct {
	reg *prometheus.Registry

	amiConnected   prometheus.Gauge
	amiState       *prometheus.GaugeVec
	amiReconnects  prometheus.Counter
	eventsReceived prometheus.Counter
	eventsDropped  prometheus.Counter
	actions        *prometheus.CounterVec
	actionDuration *prometheus.HistogramVec
	callEvents     *prometheus.CounterVec
	invalidEvents  *prometheus.CounterVec
	agentEvents    *prometheus.CounterVec
	unknownStates  prometheus.Counter
	unrecognised   prometheus.Counter
	deliveries     *prometheus.CounterVec
	deliveryLat    prometheus.Histogram
	backlog        prometheus.Gauge
	backlogOldest  prometheus.Gauge
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec

	stateMu   sync.Mutex
	lastState string

	actionsBound cache[actionKey, boundAction]
	callBound    cache[string, prometheus.Counter]
	deliverBound cache[string, prometheus.Counter]
	httpBound    cache[httpKey, boundHTTP]
}

type actionKey struct{ action, outcome string }

type boundAction struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

type httpKey struct {
	method, route string
	status        int
}

type boundHTTP struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// New registers every collector, with the Go runtime and process
// collectors, on a new registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := promauto.With(m.reg)
	m.amiConnected = f.NewGauge(prometheus.GaugeOpts{Name: "amigate_ami_connected", Help: "1 while logged in to the Asterisk manager interface, else 0."})
	m.amiState = f.NewGaugeVec(prometheus.GaugeOpts{Name: "amigate_ami_state", Help: "1 for the AMI connection's current state (connecting, authenticating, ready, backing_off, closed), 0 for the others seen."}, []string{"state"})
	m.amiReconnects = f.NewCounter(prometheus.CounterOpts{Name: "amigate_ami_reconnects_total", Help: "Logins to AMI after the first one."})
	m.eventsReceived = f.NewCounter(prometheus.CounterOpts{Name: "amigate_ami_events_received_total", Help: "AMI events read from Asterisk."})
	m.eventsDropped = f.NewCounter(prometheus.CounterOpts{Name: "amigate_ami_events_dropped_total", Help: "AMI events lost because a subscriber fell behind (each loss triggers a resync)."})
	m.actions = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_ami_actions_total", Help: "AMI actions sent, by action and outcome (success, error, timeout, disconnected, canceled)."}, []string{"action", "outcome"})
	m.actionDuration = f.NewHistogramVec(prometheus.HistogramOpts{Name: "amigate_ami_action_duration_seconds", Help: "AMI round trip from sending an action to its response.", Buckets: amiBuckets}, []string{"action"})
	m.callEvents = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_call_events_total", Help: "Call events produced by the correlator, by type."}, []string{"type"})
	m.invalidEvents = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_call_events_invalid_total", Help: "Call events the store refused as invalid and the pipeline skipped (logged with their AMI event), by type."}, []string{"type"})
	m.agentEvents = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_agent_events_total", Help: "Agent events produced by the presence tracker, by type."}, []string{"type"})
	m.unrecognised = f.NewCounter(prometheus.CounterOpts{Name: "amigate_calls_unrecognised_agent_total", Help: "Calls whose customer was connected with a channel no agent device template recognises (the warning log names it)."})
	m.unknownStates = f.NewCounter(prometheus.CounterOpts{Name: "amigate_agent_unknown_states_total", Help: "Device or extension states the presence tracker did not recognise (the agent is reported unknown)."})
	m.deliveries = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_webhook_deliveries_total", Help: "Webhook delivery attempts, by outcome (delivered, retry, dead, gone)."}, []string{"outcome"})
	m.deliveryLat = f.NewHistogram(prometheus.HistogramOpts{Name: "amigate_webhook_delivery_latency_seconds", Help: "From reading the AMI event to the receiver's 2xx, for delivered webhooks.", Buckets: webhookBuckets})
	m.backlog = f.NewGauge(prometheus.GaugeOpts{Name: "amigate_webhook_backlog", Help: "Webhook deliveries not yet done, across subscriptions."})
	m.backlogOldest = f.NewGauge(prometheus.GaugeOpts{Name: "amigate_webhook_backlog_oldest_seconds", Help: "Age of the oldest webhook delivery not yet done."})
	m.httpRequests = f.NewCounterVec(prometheus.CounterOpts{Name: "amigate_http_requests_total", Help: "HTTP requests, by method, route pattern and status."}, []string{"method", "route", "status"})
	m.httpDuration = f.NewHistogramVec(prometheus.HistogramOpts{Name: "amigate_http_request_duration_seconds", Help: "HTTP request latency, by method and route pattern.", Buckets: httpBuckets}, []string{"method", "route"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.actionsBound.make = func(k actionKey) boundAction {
		return boundAction{count: m.actions.WithLabelValues(k.action, k.outcome), duration: m.actionDuration.WithLabelValues(k.action)}
	}
	m.callBound.make = func(t string) prometheus.Counter { return m.callEvents.WithLabelValues(t) }
	m.deliverBound.make = func(o string) prometheus.Counter { return m.deliveries.WithLabelValues(o) }
	m.httpBound.make = func(k httpKey) boundHTTP {
		return boundHTTP{
			count:    m.httpRequests.WithLabelValues(k.method, k.route, statusText(k.status)),
			duration: m.httpDuration.WithLabelValues(k.method, k.route),
		}
	}
	// Children that dashboards expect to see from the start, at zero.
	for _, t := range callEventTypes {
		m.callBound.get(t)
	}
	for _, o := range deliveryOutcomes {
		m.deliverBound.get(o)
	}
	return m
}

// The call event types and delivery outcomes of the contract, shown at zero
// before the first one happens.
var (
	callEventTypes   = []string{"call.ringing", "call.answered", "call.transferred", "call.ended"}
	deliveryOutcomes = []string{"delivered", "retry", "dead", "gone"}
)

// Registry returns the registry, to add collectors or gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (or OpenMetrics
// when asked), for GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// CallsActive exposes amigate_calls_active, read from f at each scrape (the
// tracker's Active), so the correlator pays nothing per event.
func (m *Metrics) CallsActive(f func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "amigate_calls_active",
		Help: "Calls in progress known to the correlator.",
	}, func() float64 { return float64(f()) }))
}

// SetAMIState records the AMI connection's state by name; connected is
// whether actions can be sent (amiclient's Ready). cmd/api adapts
// amiclient.Metrics' SetState to it, so this package need not import
// amiclient.
func (m *Metrics) SetAMIState(state string, connected bool) {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if m.lastState != "" && m.lastState != state {
		m.amiState.WithLabelValues(m.lastState).Set(0)
	}
	m.amiState.WithLabelValues(state).Set(1)
	m.lastState = state
	if connected {
		m.amiConnected.Set(1)
	} else {
		m.amiConnected.Set(0)
	}
}

// Reconnected counts a login after the first.
func (m *Metrics) Reconnected() { m.amiReconnects.Inc() }

// EventReceived counts one AMI event; it is on the reader's hot path.
func (m *Metrics) EventReceived() { m.eventsReceived.Inc() }

// EventsDropped counts n events lost by a subscriber that fell behind.
func (m *Metrics) EventsDropped(n int) {
	if n > 0 {
		m.eventsDropped.Add(float64(n))
	}
}

// ActionDone counts an AMI action by outcome and observes its round trip.
func (m *Metrics) ActionDone(action, outcome string, d time.Duration) {
	b := m.actionsBound.get(actionKey{action, outcome})
	b.count.Inc()
	b.duration.Observe(d.Seconds())
}

// CallEvent counts one call event of type typ (call.ringing, ...).
func (m *Metrics) CallEvent(typ string) { m.callBound.get(typ).Inc() }

// CallEventInvalid counts one call event the store refused as invalid.
func (m *Metrics) CallEventInvalid(typ string) { m.invalidEvents.WithLabelValues(typ).Inc() }

// AgentEvent counts one stored agent event by type.
func (m *Metrics) AgentEvent(typ string) { m.agentEvents.WithLabelValues(typ).Inc() }

// UnrecognisedAgent counts a call answered by a channel that is no
// recognised agent device.
func (m *Metrics) UnrecognisedAgent() { m.unrecognised.Inc() }

// UnknownDeviceState counts a device or extension state the presence
// tracker did not recognise.
func (m *Metrics) UnknownDeviceState() { m.unknownStates.Inc() }

// DeliveryDone counts a webhook attempt's outcome; for a delivered one it
// observes latency, from the AMI event's read to the 2xx.
func (m *Metrics) DeliveryDone(outcome string, latency time.Duration) {
	m.deliverBound.get(outcome).Inc()
	if outcome == "delivered" && latency > 0 {
		m.deliveryLat.Observe(latency.Seconds())
	}
}

// Backlog reports the deliveries not yet done and the age of the oldest.
func (m *Metrics) Backlog(pending int, oldest time.Duration) {
	m.backlog.Set(float64(pending))
	m.backlogOldest.Set(oldest.Seconds())
}

// ObserveHTTP counts one request and observes its latency. route is the
// matched route pattern (/v1/calls/:id), never the raw path, so that ids
// do not become label values; an empty route (no match) is "unmatched".
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	b := m.httpBound.get(httpKey{method: normMethod(method), route: route, status: status})
	b.count.Inc()
	b.duration.Observe(d.Seconds())
}

// normMethod keeps the method label bounded: anything but the standard
// methods is OTHER.
func normMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}
