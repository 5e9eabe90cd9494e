package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/auth"
	"github.com/amigate/amigate/internal/calls"
	"github.com/amigate/amigate/internal/chanvar"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/control/dialrules"
	"github.com/amigate/amigate/internal/handlers"
	"github.com/amigate/amigate/internal/metrics"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/presence"
	"github.com/amigate/amigate/internal/sealed"
	"github.com/amigate/amigate/internal/webhooks"
)

// The one Metrics value serves every package's interface.
var (
	_ amiclient.Metrics     = amiMetrics{}
	_ webhooks.Metrics      = (*metrics.Metrics)(nil)
	_ handlers.HTTPMetrics  = (*metrics.Metrics)(nil)
	_ pipeline.Metrics      = (*metrics.Metrics)(nil)
	_ control.Calls         = (*calls.Tracker)(nil)
	_ control.Unexpecter    = (*calls.Tracker)(nil)
	_ control.AtxferWatcher = (*calls.Tracker)(nil)
	_ pipeline.Correlator   = (*calls.Tracker)(nil)
	_ pipeline.Store        = (*webhooks.Dispatcher)(nil)
	_ pipeline.PBX          = (*amiclient.Client)(nil)
	_ pipeline.Events       = (*amiclient.Subscription)(nil)
	_ pipeline.Presence     = (*presence.Tracker)(nil)
	_ pipeline.AgentLists   = (*amiclient.Client)(nil)
	_ pipeline.ActiveCalls  = (*calls.Tracker)(nil)
	_ control.Presence      = (*presence.Tracker)(nil)
	_ presence.Metrics      = (*metrics.Metrics)(nil)
	_ presence.Devices      = (*agent.Devices)(nil)
)

// amiMetrics adapts metrics to amiclient.Metrics, whose SetState takes an
// amiclient.State that package metrics does not know.
type amiMetrics struct{ *metrics.Metrics }

func (m amiMetrics) SetState(s amiclient.State) { m.SetAMIState(s.String(), s == amiclient.Ready) }

func newVerifier(cfg config.Config) (*auth.Verifier, error) {
	v, err := auth.NewVerifier(auth.Config{
		Secret:       []byte(cfg.JWT.Secret),
		PublicKeyPEM: cfg.JWT.PublicKeyPEM,
		Algorithms:   cfg.JWT.Algorithms,
		Issuer:       cfg.JWT.Issuer,
		Audience:     cfg.JWT.Audience,
		Leeway:       leeway(cfg.JWT.Leeway),
	})
	if err != nil {
		return nil, fmt.Errorf("AMIGATE_JWT_*: %w", err)
	}
	return v, nil
}

// leeway maps the configuration's 0 ("none") to auth's negative.
func leeway(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func amiConfig(cfg config.Config, log *slog.Logger, m *metrics.Metrics) (amiclient.Config, error) {
	c := amiclient.Config{
		Addr:          cfg.AMI.Addr,
		Username:      cfg.AMI.Username,
		Secret:        cfg.AMI.Secret,
		Auth:          cfg.AMI.Auth,
		DialTimeout:   cfg.AMI.DialTimeout,
		PingInterval:  cfg.AMI.PingInterval,
		ActionTimeout: cfg.AMI.ActionTimeout,
		BackoffMin:    cfg.AMI.ReconnectMin,
		BackoffMax:    cfg.AMI.ReconnectMax,
		Logger:        log.With("component", "amiclient"),
		Metrics:       amiMetrics{m},
	}
	if cfg.AMI.TLS {
		t, err := amiclient.TLSConfig(cfg.AMI.TLSCAFile, cfg.AMI.TLSServerName)
		if err != nil {
			return c, fmt.Errorf("AMIGATE_AMI_TLS_CA_FILE: %w", err)
		}
		c.TLS = t
	}
	return c, nil
}

// agentDevices is the one definition of the agents' devices that call
// control, the correlator and the API share.
func agentDevices(cfg config.Config) (*agent.Devices, error) {
	d, err := agent.New(cfg.Dial.AgentChannels, cfg.Dial.ExtensionPattern)
	if err != nil {
		return nil, fmt.Errorf("AMIGATE_DIAL_AGENT_CHANNEL: %w", err)
	}
	return d, nil
}

func controlConfig(cfg config.Config, devices *agent.Devices) (control.Config, error) {
	c := control.DefaultConfig()
	c.Devices = devices
	c.DialContext = cfg.Dial.Context
	c.TransferContext = cfg.Dial.TransferContext
	c.CampaignContext = cfg.Dial.CampaignContext
	vars, err := chanvar.New(cfg.Dial.VariablePattern)
	if err != nil {
		return c, fmt.Errorf("AMIGATE_DIAL_VARIABLE_PATTERN: %w", err)
	}
	c.Variables = vars
	c.Rules = dialrules.Config{
		Region:         cfg.Phone.Region,
		Format:         cfg.Phone.DialFormat,
		CallerIDFormat: cfg.Phone.CallerIDFormat,
		DenyTypes:      cfg.Phone.DenyTypes,
		Countries:      cfg.Phone.Countries,
		Allow:          cfg.Dial.Allow,
		Deny:           cfg.Dial.Deny,
		MinDigits:      cfg.Dial.MinDigits,
		MaxDigits:      cfg.Dial.MaxDigits,
	}
	if len(cfg.Phone.DenyTypes) == 1 && cfg.Phone.DenyTypes[0] == config.PhoneNoTypes {
		c.Rules.DenyTypes = []string{}
	}
	for _, r := range cfg.Dial.Rewrite {
		c.Rules.Rewrite = append(c.Rules.Rewrite, dialrules.Rewrite{Prefix: r.Prefix, Replace: r.Replace})
	}
	c.DefaultTimeout = cfg.Dial.DefaultTimeout
	c.MaxTimeout = cfg.Dial.MaxTimeout
	c.BlindMethod = cfg.Dial.BlindTransfer
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("AMIGATE_DIAL_* or AMIGATE_PHONE_*: %w", err)
	}
	return c, nil
}

func trackerConfig(cfg config.Config, devices *agent.Devices, numbers calls.Numbers, log *slog.Logger, m *metrics.Metrics) calls.Config {
	return calls.Config{
		Numbers:       numbers,
		TrunkContexts: cfg.Calls.TrunkContexts,
		Devices:       devices,
		Retention:     cfg.Calls.Retention,
		Logger:        log.With("component", "calls"),
		Metrics:       m,
	}
}

func webhooksConfig(cfg config.Config, log *slog.Logger, m *metrics.Metrics) (webhooks.Config, error) {
	c := webhooks.Config{
		DataDir:      cfg.Store.DataDir,
		NATSURL:      cfg.Store.NATSURL,
		AllowPrivate: cfg.Webhooks.AllowPrivate,
		Timeout:      cfg.Webhooks.Timeout,
		UserAgent:    "amigate/" + buildVersion(),
		Logger:       log.With("component", "webhooks"),
		Metrics:      m,
	}
	for _, s := range cfg.Webhooks.All() {
		c.Subscriptions = append(c.Subscriptions, webhooks.ConfigSubscription{URL: s.URL, Secret: s.Secret, Events: s.Events})
	}
	if cfg.Store.SecretsKey != "" {
		keys, err := sealed.New(cfg.Store.SecretsKey, cfg.Store.SecretsKeyPrevious)
		if err != nil {
			return c, err
		}
		c.Keys = keys
	}
	return c, nil
}

// readiness is /readyz: logged in to AMI, the calls resynced with the PBX
// since that login, and the event store writable. Each part is a check of
// the 503, the AMI one with why the last attempt failed.
func readiness(client *amiclient.Client, loop *pipeline.Loop, store *webhooks.Dispatcher) func(context.Context) error {
	return func(context.Context) error {
		h := client.Health()
		return readinessOf(h, loop.Ready(), store.Ready())
	}
}

// readinessOf makes the checks of /readyz from the AMI client's health and
// the errors of the calls and the event store; nil when all are ready.
func readinessOf(h amiclient.Health, calls, store error) error {
	since := h.Since
	ami := handlers.ReadinessCheck{State: h.State.String(), Reason: h.Reason, Since: &since}
	if h.Err != nil {
		ami.Detail = h.Err.Error()
	}
	checks := map[string]handlers.ReadinessCheck{"ami": ami, "calls": {State: "ready"}, "event_store": {State: "ready"}}
	ready := h.State == amiclient.Ready
	if calls != nil {
		checks["calls"] = handlers.ReadinessCheck{State: "not_synced", Detail: calls.Error()}
		ready = false
	}
	if store != nil {
		checks["event_store"] = handlers.ReadinessCheck{State: "unavailable", Detail: store.Error()}
		ready = false
	}
	if ready {
		return nil
	}
	return &handlers.NotReadyError{Checks: checks}
}
