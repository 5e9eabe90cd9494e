package main

import (
	"context"
	"fmt"
	"log/slog"
	_ "time/tzdata" // campaign calling windows name IANA time zones; images may lack the database

	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/campaign"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/webhooks"
)

var (
	_ campaign.Dialer = (*control.Service)(nil)
	_ campaign.Calls  = callsAPI{}
	_ campaign.Events = (*webhooks.Dispatcher)(nil)
)

// startCampaigns opens the campaigns in the event store's JetStream and
// starts the dialer, which dials only while the PBX is logged in and the
// calls are resynced; add registers its stop.
func startCampaigns(ctx context.Context, cfg config.Campaign, store *webhooks.Dispatcher, svc *control.Service, calls callsAPI,
	client *amiclient.Client, loop *pipeline.Loop, log *slog.Logger, add func(string, func(context.Context) error)) (*campaign.Service, error) {
	kv, err := campaign.NewKV(ctx, store.JetStream())
	if err != nil {
		return nil, fmt.Errorf("campaigns (event store): %w", err)
	}
	dialer, err := campaign.New(ctx, campaign.Config{
		KV: kv, Dialer: svc, Calls: calls, Events: store,
		Ready:        func() bool { return client.State() == amiclient.Ready && loop.Ready() == nil },
		Tick:         cfg.Tick,
		ResolveAfter: cfg.ResolveTimeout,
		Logger:       log.With("component", "campaign"),
	})
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dialer.Run(runCtx) }()
	add("campaigns", func(ctx context.Context) error {
		stop()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return dialer, nil
}
