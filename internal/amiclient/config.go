package amiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// Defaults of Config.
const (
	DefaultDialTimeout   = 5 * time.Second
	DefaultLoginTimeout  = 5 * time.Second
	DefaultPingInterval  = 20 * time.Second
	DefaultPingTimeout   = 5 * time.Second
	DefaultActionTimeout = 10 * time.Second
	DefaultBackoffMin    = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
)

// Config configures a Client. Zero values take the stated defaults.
type Config struct {
	// Addr is Asterisk's AMI address, "host:port" (5038, or 5039 for TLS).
	// Required.
	Addr string
	// Username and Secret are the manager.conf credentials. Username is
	// required.
	Username string
	Secret   string
	// Auth is "md5" (Challenge, then Login with Key: the secret never
	// crosses the wire) or "plain". Default "md5".
	Auth string
	// Events is the Login Events mask: "on", "off" or a list of classes
	// ("call,agent"). Default "on".
	Events string
	// TLS, when set, wraps the connection in TLS (AMI's tls port). Default
	// nil: plain TCP. See TLSConfig.
	TLS *tls.Config
	// Dial opens the TCP connection. Default: a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds dialling and the TLS handshake. Default 5s.
	DialTimeout time.Duration
	// LoginTimeout bounds reading the banner, the login exchange, and then
	// the wait for FullyBooted: Asterisk sends it once per login to users
	// with the system read class only, so after this bound the client
	// proceeds as ready and logs it. Default 5s.
	LoginTimeout time.Duration
	// PingInterval is how often an idle connection is checked with Ping.
	// Default 20s; negative disables pinging.
	PingInterval time.Duration
	// PingTimeout: a Ping unanswered this long means the connection is
	// dead and is dropped. Default 5s.
	PingTimeout time.Duration
	// ActionTimeout bounds an action whose context has no deadline, and
	// every socket write. Default 10s.
	ActionTimeout time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay, which doubles
	// after each failed attempt, with jitter. Defaults 500ms and 30s.
	BackoffMin, BackoffMax time.Duration
	// MaxMessageSize bounds one AMI message, counted as ami.Message.Size
	// says (its bytes and ami.FieldCost per field); a bigger one is skipped
	// and logged. Default 1 MiB.
	MaxMessageSize int
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
	// Metrics receives state changes, counters and action durations.
	// Default: none.
	Metrics Metrics
	// OnStateChange, when set, is called on every state change, in order,
	// from a goroutine of its own (never under a lock, never blocking the
	// connection). It must not call Close, which waits for it. Default nil.
	OnStateChange func(State)
	// Now is the clock for ReadAt and durations. Default time.Now.
	Now func() time.Time
}

// Metrics receives what the client observes; a Prometheus implementation
// lives in internal/metrics. Methods must be fast and safe for concurrent
// use: EventReceived is called on the reader's hot path.
type Metrics interface {
	SetState(State)
	Reconnected()
	EventReceived()
	EventsDropped(n int)
	// ActionDone reports an action's outcome: success, error, timeout,
	// disconnected or canceled.
	ActionDone(action, outcome string, d time.Duration)
}

type nopMetrics struct{}

func (nopMetrics) SetState(State)                           {}
func (nopMetrics) Reconnected()                             {}
func (nopMetrics) EventReceived()                           {}
func (nopMetrics) EventsDropped(int)                        {}
func (nopMetrics) ActionDone(string, string, time.Duration) {}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("amiclient: invalid config")

func (cfg *Config) setDefaults() error {
	if cfg.Addr == "" {
		return fmt.Errorf("%w: addr is required", ErrConfig)
	}
	if cfg.Username == "" {
		return fmt.Errorf("%w: username is required", ErrConfig)
	}
	for name, v := range map[string]string{"username": cfg.Username, "secret": cfg.Secret, "events": cfg.Events} {
		if err := ami.CheckValue(v); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
		}
	}
	cfg.Auth = strings.ToLower(cfg.Auth)
	switch cfg.Auth {
	case "":
		cfg.Auth = "md5"
	case "md5", "plain":
	default:
		return fmt.Errorf("%w: auth %q is neither md5 nor plain", ErrConfig, cfg.Auth)
	}
	if cfg.Events == "" {
		cfg.Events = "on"
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	durations := []struct {
		p   *time.Duration
		def time.Duration
		neg bool // negative allowed
	}{
		{&cfg.DialTimeout, DefaultDialTimeout, false},
		{&cfg.LoginTimeout, DefaultLoginTimeout, false},
		{&cfg.PingInterval, DefaultPingInterval, true},
		{&cfg.PingTimeout, DefaultPingTimeout, false},
		{&cfg.ActionTimeout, DefaultActionTimeout, false},
		{&cfg.BackoffMin, DefaultBackoffMin, false},
		{&cfg.BackoffMax, DefaultBackoffMax, false},
	}
	for _, d := range durations {
		if *d.p < 0 && !d.neg {
			return fmt.Errorf("%w: negative duration %v", ErrConfig, *d.p)
		}
		if *d.p == 0 {
			*d.p = d.def
		}
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		return fmt.Errorf("%w: backoff max %v below min %v", ErrConfig, cfg.BackoffMax, cfg.BackoffMin)
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = ami.DefaultMaxMessageSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return nil
}

// TLSConfig builds the TLS settings for AMI's TLS port: the CA that signed
// Asterisk's certificate (PEM file; empty: the system roots) and the name
// to verify it against (empty: the host of Addr, which crypto/tls fills in
// only for its own dialer, so set it when Addr is an IP).
func TLSConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("amiclient: tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("amiclient: tls ca %s: no certificate found", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
