package webhooks

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/amigate/amigate/internal/sealed"
)

// Config configures a Dispatcher. Zero values take the defaults noted on
// each field.
type Config struct {
	// Subscriptions come from configuration (AMIGATE_WEBHOOK_URL/SECRET or
	// the config file). They cannot be deleted through the API.
	Subscriptions []ConfigSubscription

	// DataDir holds the embedded store (nats-server JetStream file storage
	// under DataDir/jetstream). Default "./data". Unused with NATSURL.
	DataDir string
	// NATSURL selects an external NATS JetStream server or cluster instead
	// of the embedded one; several instances share it. Default: embedded.
	NATSURL string

	// Keys seal the secrets of subscriptions created through the API where
	// the store keeps them (AMIGATE_SECRETS_KEY, and the previous key during
	// a rotation). Nil: such subscriptions cannot be created, and New
	// refuses a store that holds some.
	Keys *sealed.Keys

	// AllowPrivate lets subscriptions target loopback, private and
	// link-local addresses. Default false.
	AllowPrivate bool
	// Timeout bounds one delivery attempt, response included. Default 10 s.
	Timeout time.Duration
	// Schedule is the delay before each retry; its length is the number of
	// retries before a delivery is dead. Default DefaultSchedule.
	Schedule []time.Duration
	// Jitter spreads each retry delay by this fraction both ways. Default
	// DefaultJitter; negative turns it off.
	Jitter float64
	// MaxInFlight bounds concurrent requests per subscription. Default 32.
	MaxInFlight int
	// MaxPending bounds the events a subscription's worker holds unacked
	// (waiting behind an earlier event of their call, or for a retry);
	// beyond it the stream keeps them. Default 1000.
	MaxPending int
	// AckWait is how long the store waits for a worker that stopped
	// acknowledging (a crashed instance) before handing its events to
	// another worker. Held events are kept alive meanwhile. Default 30 s.
	AckWait time.Duration
	// Retention is how long events and delivery records stay in the store:
	// for retries (at least the schedule's span), Follow replay and manual
	// retry. Default 72 h.
	Retention time.Duration
	// DedupWindow is the store's window for dropping a second event with
	// the same id (two instances watching one Asterisk). Default 5 min.
	DedupWindow time.Duration
	// BacklogInterval is how often Metrics.Backlog is reported. Default 5 s.
	BacklogInterval time.Duration

	// UserAgent is sent with every delivery. Default "amigate".
	UserAgent string
	// Logger receives delivery failures and store trouble. Default: discard.
	Logger *slog.Logger
	// Metrics receives delivery outcomes and backlog. Default: none.
	Metrics Metrics
	// Now is the clock for timestamps and latency. Default time.Now.
	Now func() time.Time

	// Transport sends deliveries. Default: a transport without proxy whose
	// dialer refuses non-public addresses after DNS (unless AllowPrivate).
	Transport http.RoundTripper
	// Resolver resolves subscription hosts at create time. Default
	// net.DefaultResolver.
	Resolver Resolver
}

// ConfigSubscription is a subscription from configuration. Secret may hold
// two space-separated secrets during a rotation; both sign.
type ConfigSubscription struct {
	URL    string
	Secret string
	Events []string // empty or ["*"]: every event
}

// Metrics is what the dispatcher reports; internal/metrics implements it.
type Metrics interface {
	// DeliveryDone counts one attempt's outcome: delivered, retry, dead or
	// gone. For delivered, latency runs from the AMI event's read to the 2xx.
	DeliveryDone(outcome string, latency time.Duration)
	// Backlog reports events not yet delivered across subscriptions and the
	// age of the oldest.
	Backlog(pending int, oldest time.Duration)
}

// Outcomes passed to Metrics.DeliveryDone.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeDead      = "dead"
	OutcomeGone      = "gone"
)

// check refuses a configuration that would lose events: a retention
// shorter than the retry schedule would drop events still being retried.
func (c Config) check() error {
	var span time.Duration
	for _, d := range c.Schedule {
		if d < 0 {
			return fmt.Errorf("webhooks: negative retry delay %v", d)
		}
		span += d
	}
	if c.Retention < span {
		return fmt.Errorf("webhooks: retention %v is shorter than the retry schedule (%v)", c.Retention, span)
	}
	return nil
}

type nopMetrics struct{}

func (nopMetrics) DeliveryDone(string, time.Duration) {}
func (nopMetrics) Backlog(int, time.Duration)         {}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	} else if c.Jitter < 0 {
		c.Jitter = 0
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 32
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 1000
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Retention <= 0 {
		c.Retention = 72 * time.Hour
	}
	if c.DedupWindow <= 0 {
		c.DedupWindow = 5 * time.Minute
	}
	if c.BacklogInterval <= 0 {
		c.BacklogInterval = 5 * time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = "amigate"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Metrics == nil {
		c.Metrics = nopMetrics{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	return c
}
