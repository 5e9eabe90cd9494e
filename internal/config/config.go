// Package config reads the service's configuration: an optional YAML file
// under AMIGATE_* environment variables, checked as a whole so that a bad
// value stops start-up with a message naming the key. It imports nothing of
// the product but package agent, whose rules of agent devices it applies to
// check them: cmd/api turns a Config into each package's own settings.
package config

import (
	"log/slog"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/control"
)

// Config is the whole configuration. Every field is documented with its
// environment variable, YAML key and default in configs/amigate.example.yaml
// and in the key table (keys.go); Defaults returns the defaults.
type Config struct {
	// Demo runs the simulated PBX in-process (--demo): no Asterisk needed.
	Demo bool
	// File is the YAML file read, if any.
	File     string
	LogLevel slog.Level
	// Warnings are problems that do not stop start-up (no
	// AMIGATE_SECRETS_KEY); cmd/api logs them, and check prints them.
	Warnings []string
	// Unknown are the AMIGATE_ variables that name no setting, each with
	// the setting probably meant: start-up logs them as warnings, check
	// fails on them.
	Unknown []string

	HTTP     HTTP
	AMI      AMI
	JWT      JWT
	Dial     Dial
	Phone    Phone
	Calls    Calls
	Webhooks Webhooks
	Store    Store
	History  History
	Campaign Campaign
}

// HTTP is the API server.
type HTTP struct {
	Addr              string
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the whole graceful shutdown.
	ShutdownTimeout time.Duration
	// MaxStreams and MaxStreamsPerSubject bound the open /v1/events
	// streams, in all and per token subject.
	MaxStreams           int
	MaxStreamsPerSubject int
	// CORSOrigins are the browser origins allowed across origins; empty:
	// CORS off. "*" alone allows any.
	CORSOrigins []string
}

// AMI is the connection to Asterisk's manager interface.
type AMI struct {
	Addr     string
	Username string
	Secret   string
	Auth     string // AuthMD5 or AuthPlain
	TLS      bool
	// TLSCAFile is a PEM bundle to trust instead of the system roots;
	// TLSCAPEM holds its content, read by Load.
	TLSCAFile     string
	TLSCAPEM      []byte
	TLSServerName string
	DialTimeout   time.Duration
	ActionTimeout time.Duration
	PingInterval  time.Duration
	ReconnectMin  time.Duration
	ReconnectMax  time.Duration
	// EventBuffer and EventBufferBytes bound the events queued for the
	// event loop (in events, in bytes) before the subscription overflows
	// and the loop resyncs.
	EventBuffer      int
	EventBufferBytes int
}

// AMI authentication methods.
const (
	AuthMD5   = "md5"
	AuthPlain = "plain"
)

// JWT is how bearer tokens are verified.
type JWT struct {
	Secret        string
	PublicKeyFile string
	// PublicKeyPEM is the content of PublicKeyFile, read by Load.
	PublicKeyPEM []byte
	Issuer       string
	Audience     string
	Algorithms   []string // empty: chosen from the keys (see package auth)
	Leeway       time.Duration
	// TokenMaxTTL bounds the lifetime `amigate token` mints. Verification
	// does not apply it: a token from another issuer follows its rules.
	TokenMaxTTL time.Duration
}

// Dial is call control: how a click-to-call and a transfer become AMI
// actions, and which customer numbers may be dialled.
type Dial struct {
	AgentChannels    []string // device templates; see package agent
	Context          string
	TransferContext  string
	CampaignContext  string // where a campaign's answered customer reaches its target queue
	ExtensionPattern string
	VariablePattern  string   // RE2 pattern a request's channel variable name must match whole; see package chanvar
	Allow            []string // RE2 patterns a rewritten number must match as a whole
	Deny             []string // prefixes refused after rewriting
	Rewrite          []Rewrite
	MinDigits        int
	MaxDigits        int
	DefaultTimeout   time.Duration
	MaxTimeout       time.Duration
	BlindTransfer    string // control.BlindTransferAction or control.BlindRedirect
}

// Rewrite replaces a number's leading Prefix with Replace ("+7" → "8").
type Rewrite struct {
	Prefix  string
	Replace string
}

// Phone is how phone numbers are read and written: the home region, the
// format the PBX dials, and the toll-fraud rules by number type and country.
type Phone struct {
	Region         string   // ISO 3166 code; empty: numbers kept as digits
	DialFormat     string   // national, e164_digits or e164_plus
	CallerIDFormat string   // national or international
	DenyTypes      []string // number types refused; "none" for none
	Countries      []string // regions allowed; empty: the home region; "*": any
}

// PhoneNoTypes in Phone.DenyTypes denies no number type.
const PhoneNoTypes = "none"

// Calls is the correlator.
type Calls struct {
	TrunkContexts []string
	Retention     time.Duration
}

// Webhooks is webhook delivery and the subscriptions from configuration.
type Webhooks struct {
	// URL and Secret make one subscription to every event
	// (AMIGATE_WEBHOOK_URL, AMIGATE_WEBHOOK_SECRET); Events narrows it.
	URL    string
	Secret string
	Events []string
	// Subscriptions are more subscriptions, from the YAML file only.
	Subscriptions []Subscription
	AllowPrivate  bool
	Timeout       time.Duration
}

// Subscription is a webhook receiver from configuration.
type Subscription struct {
	URL    string
	Secret string   // whsec_...; several space-separated during a rotation
	Events []string // empty: every event
}

// All returns every configured subscription: URL/Secret first, then the
// file's list.
func (w Webhooks) All() []Subscription {
	var out []Subscription
	if w.URL != "" {
		out = append(out, Subscription{URL: w.URL, Secret: w.Secret, Events: w.Events})
	}
	return append(out, w.Subscriptions...)
}

// History is the call history GET /v1/calls lists.
type History struct {
	// Retention is how long an ended call is kept (in the stream of ended
	// calls and in each instance's database under DataDir).
	Retention time.Duration
}

// Campaign is the outbound dialer.
type Campaign struct {
	// Enabled is "auto" or "true" (this instance serves /v1/campaigns
	// and dials; instances sharing one NATS elect the one that dials),
	// or "false".
	Enabled string
	// Tick is how often the dialer collects outcomes and starts calls.
	Tick time.Duration
	// ResolveTimeout is how long an attempt that neither the PBX nor the
	// call history knows is looked for (while connected) before it ends
	// as unknown, never dialled again.
	ResolveTimeout time.Duration
	// Lease is how long the dialing instance's lease lasts without a
	// renewal (renewed every third of it) when instances share one NATS:
	// another takes over after it.
	Lease time.Duration
	// AdvertiseURL is where the other instances reach this one's API, to
	// forward campaign requests while it dials. Empty: http:// and the
	// host name (or the listen address's host) and port of HTTP.Addr.
	AdvertiseURL string
}

// CampaignsOn reports whether this instance serves the campaigns and takes
// part in dialling them.
func (c Config) CampaignsOn() bool { return c.Campaign.Enabled != "false" }

// CampaignElection reports whether the instances that run campaigns elect
// the one that dials: they share an external NATS, where each would see
// the same campaigns.
func (c Config) CampaignElection() bool { return c.CampaignsOn() && c.Store.NATSURL != "" }

// Store is where call events wait for delivery.
type Store struct {
	DataDir string
	NATSURL string
	// SecretsKey encrypts the secrets of subscriptions created through the
	// API where they are stored (package sealed reads it);
	// SecretsKeyPrevious is the key it replaces, during a key rotation.
	SecretsKey         string
	SecretsKeyPrevious string
}

// Defaults returns the configuration used where neither the file nor the
// environment says otherwise.
func Defaults() Config {
	return Config{
		LogLevel: slog.LevelInfo,
		HTTP: HTTP{
			Addr:                 ":8080",
			ReadHeaderTimeout:    5 * time.Second,
			ReadTimeout:          15 * time.Second,
			WriteTimeout:         30 * time.Second,
			IdleTimeout:          2 * time.Minute,
			ShutdownTimeout:      15 * time.Second,
			MaxStreams:           1000,
			MaxStreamsPerSubject: 10,
		},
		AMI: AMI{
			Auth:             AuthMD5,
			DialTimeout:      5 * time.Second,
			ActionTimeout:    10 * time.Second,
			PingInterval:     20 * time.Second,
			ReconnectMin:     500 * time.Millisecond,
			ReconnectMax:     30 * time.Second,
			EventBuffer:      500000,
			EventBufferBytes: 64 << 20,
		},
		// 90 days: a CRM integration's token rotated every quarter.
		JWT: JWT{Leeway: 30 * time.Second, TokenMaxTTL: 90 * 24 * time.Hour},
		Dial: Dial{
			AgentChannels:    []string{agent.DefaultTemplate},
			Context:          "from-internal",
			CampaignContext:  "amigate-campaign",
			ExtensionPattern: agent.DefaultPattern,
			VariablePattern:  chanvar.DefaultPattern,
			Deny:             []string{"00", "810", "8809"},
			MinDigits:        3,
			MaxDigits:        20,
			DefaultTimeout:   30 * time.Second,
			MaxTimeout:       2 * time.Minute,
			BlindTransfer:    control.BlindTransferAction,
		},
		Phone: Phone{
			DialFormat:     "national",
			CallerIDFormat: "national",
			DenyTypes:      []string{"premium_rate"},
		},
		Calls: Calls{
			TrunkContexts: []string{"from-trunk", "from-pstn", "from-external"},
			Retention:     15 * time.Minute,
		},
		Webhooks: Webhooks{Timeout: 10 * time.Second},
		Store:    Store{DataDir: "./data"},
		History:  History{Retention: 30 * 24 * time.Hour},
		Campaign: Campaign{Enabled: "auto", Tick: time.Second, ResolveTimeout: 2 * time.Minute, Lease: 10 * time.Second},
	}
}

// LogValue keeps secrets out of logs: a Config logged with slog shows where
// things are, never the AMI, JWT or webhook secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("demo", c.Demo),
		slog.String("file", c.File),
		slog.String("http_addr", c.HTTP.Addr),
		slog.String("cors_origins", strings.Join(c.HTTP.CORSOrigins, ",")),
		slog.String("ami_addr", c.AMI.Addr),
		slog.String("ami_username", c.AMI.Username),
		slog.String("ami_auth", c.AMI.Auth),
		slog.Bool("ami_tls", c.AMI.TLS),
		slog.Bool("jwt_secret_set", c.JWT.Secret != ""),
		slog.String("jwt_public_key_file", c.JWT.PublicKeyFile),
		slog.String("dial_agent_channel", strings.Join(c.Dial.AgentChannels, ",")),
		slog.String("dial_context", c.Dial.Context),
		slog.String("transfer_context", c.Dial.TransferContext),
		slog.String("campaign_context", c.Dial.CampaignContext),
		slog.String("phone_region", c.Phone.Region),
		slog.String("phone_dial_format", c.Phone.DialFormat),
		slog.Int("webhook_subscriptions", len(c.Webhooks.All())),
		slog.String("data_dir", c.Store.DataDir),
		slog.Bool("nats_external", c.Store.NATSURL != ""),
		slog.Bool("secrets_key_set", c.Store.SecretsKey != ""),
	)
}
