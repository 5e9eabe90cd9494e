package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // campaign calling windows name IANA time zones; images may lack the database

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/campaign"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/presence"
	"github.com/amigate/amigate/internal/webhooks"
)

var (
	_ campaign.Dialer = (*control.Service)(nil)
	_ campaign.Calls  = callsAPI{}
	_ campaign.Events = (*webhooks.Dispatcher)(nil)
	_ campaign.Agents = (*presence.Tracker)(nil)
)

// wakingPresence is the presence model that also wakes the dialer when an
// agent or a call changed (a free agent may take the next customer).
type wakingPresence struct {
	*presence.Tracker
	wake chan<- struct{}
}

func (p wakingPresence) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	return p.poke(p.Tracker.Handle(m, readAt))
}

func (p wakingPresence) CallEvents(evs []amigate.CallEvent) []amigate.CallEvent {
	out := p.Tracker.CallEvents(evs)
	if len(evs) > 0 {
		p.poke(evs)
	}
	return out
}

func (p wakingPresence) Resync(s presence.Snapshot, now time.Time) []amigate.CallEvent {
	return p.poke(p.Tracker.Resync(s, now))
}

// poke wakes the dialer when evs is not empty; a wake-up already pending
// is enough.
func (p wakingPresence) poke(evs []amigate.CallEvent) []amigate.CallEvent {
	if len(evs) > 0 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return evs
}

// campaignDeps are the parts of the service the dialer uses.
type campaignDeps struct {
	store  *webhooks.Dispatcher
	svc    *control.Service
	calls  callsAPI
	agents *presence.Tracker
	wake   <-chan struct{}
}

// startCampaigns opens the campaigns in the event store's JetStream and
// starts the dialer, which dials only while the PBX is logged in and the
// calls are resynced; add registers its stop. With advertise set
// (instances sharing one NATS), the dialer dials only while this instance
// holds the lease, which names it by advertise; the lease is returned.
func startCampaigns(ctx context.Context, cfg config.Campaign, advertise string, d campaignDeps,
	client *amiclient.Client, loop *pipeline.Loop, log *slog.Logger, add func(string, func(context.Context) error)) (*campaign.Service, *campaign.Lease, error) {
	kv, err := campaign.NewKV(ctx, d.store.JetStream())
	if err != nil {
		return nil, nil, fmt.Errorf("campaigns (event store): %w", err)
	}
	var lease *campaign.Lease
	if advertise != "" {
		lkv, err := campaign.NewLeaseKV(ctx, d.store.JetStream())
		if err != nil {
			return nil, nil, fmt.Errorf("campaigns (event store): %w", err)
		}
		lease = campaign.NewLease(campaign.LeaseConfig{KV: lkv, Key: campaign.LeaseKey, Value: advertise, Duration: cfg.Lease})
	}
	ccfg := campaign.Config{
		KV: kv, Dialer: d.svc, Calls: d.calls, Events: d.store, Agents: d.agents, Wake: d.wake,
		Ready:        func() bool { return client.State() == amiclient.Ready && loop.Ready() == nil },
		Tick:         cfg.Tick,
		ResolveAfter: cfg.ResolveTimeout,
		Logger:       log.With("component", "campaign"),
	}
	if lease != nil {
		ccfg.Holds = lease.Valid
	}
	dialer, err := campaign.New(ctx, ccfg)
	if err != nil {
		return nil, nil, fmt.Errorf("campaigns: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		if lease != nil {
			done <- dialer.RunElected(runCtx, lease)
			return
		}
		done <- dialer.Run(runCtx)
	}()
	add("campaigns", func(ctx context.Context) error {
		stop()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return dialer, lease, nil
}

// campaignsAtHolder is where this instance forwards campaign requests: the
// holder of the lease when it is another instance; "" serves them here
// (this instance holds it, or no holder is known: the dialer then answers
// that the campaigns are unavailable).
func campaignsAtHolder(l *campaign.Lease, self string) func() string {
	return func() string {
		if h := l.Holder(); h != self {
			return h
		}
		return ""
	}
}

// advertiseURL is the URL the other instances reach this one's API at:
// configured, or http:// with the listener's host (the host name when it
// listens on every address) and port.
func advertiseURL(configured string, ln net.Addr) (string, error) {
	if configured != "" {
		return strings.TrimSuffix(configured, "/"), nil
	}
	host, port, err := net.SplitHostPort(ln.String())
	if err != nil {
		return "", fmt.Errorf("campaigns: advertise URL from %s: %w", ln, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if host, err = os.Hostname(); err != nil {
			return "", fmt.Errorf("campaigns: advertise URL: %w", err)
		}
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
