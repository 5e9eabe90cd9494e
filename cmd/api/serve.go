package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/calls"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/control"
	"github.com/amigate/amigate/internal/control/dialrules"
	"github.com/amigate/amigate/internal/handlers"
	"github.com/amigate/amigate/internal/history"
	"github.com/amigate/amigate/internal/metrics"
	"github.com/amigate/amigate/internal/panel"
	"github.com/amigate/amigate/internal/pipeline"
	"github.com/amigate/amigate/internal/presence"
	"github.com/amigate/amigate/internal/webhooks"
)

// started is what serve reports once it accepts requests: for the demo's
// welcome text and for tests, which listen on port 0.
type started struct {
	URL   string // http://host:port of the API
	Token string // demo only: a token with every scope
}

// shutdownStep is one part of the service to stop; serve stops them in the
// reverse order of start.
type shutdownStep struct {
	name string
	stop func(ctx context.Context) error
}

// serve runs the service until ctx ends (SIGINT/SIGTERM) or a part of it
// fails, then shuts down in reverse order of start: HTTP (in-flight
// requests finish), the event loop, the webhook dispatcher (store flushed),
// the AMI client (Logoff, then Close), and in demo mode the simulated PBX.
// onStart, when set, is called once the API accepts requests.
func serve(ctx context.Context, args, environ []string, stdout, stderr io.Writer, onStart func(started)) (err error) {
	cfg, err := config.Load(args, environ)
	if err != nil {
		return err
	}
	log := slog.New(newLogHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	for _, w := range append(cfg.Unknown, cfg.Warnings...) {
		log.Warn("configuration", "warning", w)
	}

	var steps []shutdownStep
	defer func() {
		// Reverse order of start, under one deadline for the whole shutdown.
		sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		for i := len(steps) - 1; i >= 0; i-- {
			if serr := steps[i].stop(sctx); serr != nil {
				log.Error("shutdown", "part", steps[i].name, "err", serr)
				err = errors.Join(err, fmt.Errorf("shutdown %s: %w", steps[i].name, serr))
			}
		}
		log.Info("stopped")
	}()
	add := func(name string, stop func(context.Context) error) {
		steps = append(steps, shutdownStep{name, stop})
	}

	var demo *demoPBX
	if cfg.Demo {
		if demo, err = startDemo(&cfg, log); err != nil {
			return err
		}
		add("demo", demo.close)
	}
	log.Info("starting", "version", buildVersion(), "config", cfg)

	verifier, err := newVerifier(cfg)
	if err != nil {
		return err
	}
	devices, err := agentDevices(cfg)
	if err != nil {
		return err
	}
	controlCfg, err := controlConfig(cfg, devices)
	if err != nil {
		return err
	}
	m := metrics.New()

	// Listen first: the demo's webhook subscription needs the address.
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("AMIGATE_HTTP_ADDR: %w", err)
	}
	base := "http://" + dialable(ln.Addr())
	if demo != nil {
		demo.subscribe(&cfg, base)
	}

	amiCfg, err := amiConfig(cfg, log, m)
	if err != nil {
		ln.Close()
		return err
	}
	client, err := amiclient.New(amiCfg)
	if err != nil {
		ln.Close()
		return fmt.Errorf("AMIGATE_AMI_*: %w", err)
	}
	add("ami", func(ctx context.Context) error {
		if client.State() == amiclient.Ready {
			if err := client.Logoff(ctx); err != nil {
				log.Warn("ami logoff", "err", err)
			}
		}
		return client.Close()
	})
	// The correlator reads reported numbers with the same rules as call
	// control (checked by controlConfig above).
	numbers, err := dialrules.Compile(controlCfg.Rules)
	if err != nil {
		ln.Close()
		return fmt.Errorf("AMIGATE_PHONE_*: %w", err)
	}
	tracker := calls.NewTracker(trackerConfig(cfg, devices, numbers, log, m))
	m.CallsActive(tracker.Active)
	agents := presence.New(presence.Config{Devices: devices, Log: log.With("component", "presence"), Metrics: m})
	// Subscribed before anything is read, so that no event is missed.
	sub := client.Subscribe(amiclient.SubscribeOptions{Name: "correlator", Lossless: true, MaxBuffer: cfg.AMI.EventBuffer, MaxBufferBytes: cfg.AMI.EventBufferBytes})
	add("ami subscription", func(context.Context) error { sub.Close(); return nil })

	whCfg, err := webhooksConfig(cfg, log, m)
	if err != nil {
		ln.Close()
		return err
	}
	store, err := webhooks.New(ctx, whCfg)
	if err != nil {
		ln.Close()
		return fmt.Errorf("event store (AMIGATE_DATA_DIR / AMIGATE_NATS_URL): %w", err)
	}
	add("webhooks", store.Close)
	// The calls an earlier process reported and did not end: the first
	// resync follows them on or ends them.
	open, err := store.OpenCalls(ctx)
	if err != nil {
		ln.Close()
		return fmt.Errorf("event store: %w", err)
	}
	tracker.Restore(open)
	if len(open) > 0 {
		log.Info("calls left open by an earlier run; the first resync settles them", "calls", len(open))
	}

	// The call history: a local database fed from the store's stream of
	// ended calls; stopped before the store it reads.
	histDB, histFeed, err := openHistory(ctx, cfg, store, log)
	if err != nil {
		ln.Close()
		return err
	}
	add("history database", func(context.Context) error { return histDB.Close() })
	add("history feed", histFeed.Close)

	// The campaigns' dialler wakes when an agent or a call changes.
	wake := make(chan struct{}, 1)
	loop := pipeline.New(pipeline.Config{
		Events: sub, PBX: client, Correlator: tracker, Store: store, Metrics: m,
		Agents:        &pipeline.Agents{Model: wakingPresence{agents, wake}, PBX: client, Calls: tracker},
		Logger:        log.With("component", "pipeline"),
		ResyncTimeout: cfg.AMI.ActionTimeout,
	})
	loopCtx, stopLoop := context.WithCancel(context.Background())
	loopDone := make(chan error, 1)
	go func() { loopDone <- loop.Run(loopCtx) }()
	add("event loop", func(ctx context.Context) error {
		stopLoop()
		select {
		case err := <-loopDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})

	svc := control.New(controlCfg, client, tracker)
	calls := callsAPI{Service: svc, history: history.NewService(tracker, histDB, customerNormalizer(cfg))}
	var (
		dialer      handlers.Campaigns // nil: no /v1/campaigns routes
		campaignsAt func() string      // nil: the campaigns run here
	)
	if cfg.CampaignsOn() {
		var advertise string // "": this instance dials alone
		if cfg.CampaignElection() {
			if advertise, err = advertiseURL(cfg.Campaign.AdvertiseURL, ln.Addr()); err != nil {
				ln.Close()
				return err
			}
		}
		d, lease, err := startCampaigns(ctx, cfg.Campaign, advertise, campaignDeps{store, svc, calls, agents, wake}, client, loop, log, add)
		if err != nil {
			ln.Close()
			return err
		}
		dialer = d
		if lease != nil {
			campaignsAt = campaignsAtHolder(lease, advertise)
		}
	}
	streamsDone := make(chan struct{})
	e := handlers.New(handlers.Deps{
		Calls:       calls,
		Campaigns:   dialer,
		CampaignsAt: campaignsAt,
		Queues:      svc,
		Webhooks:    store,
		Agents:      svc.Agents(agents),
		Verifier:    verifier,
		Ready:       readiness(client, loop, store),
		Metrics:     m.Handler(),
		HTTPMetrics: m,
		Logger:      log.With("component", "http"),
	}, handlers.Options{
		Timeout:     cfg.AMI.ActionTimeout,
		Devices:     devices,
		StreamsDone: streamsDone,
		CORSOrigins: cfg.HTTP.CORSOrigins,

		MaxStreams:           cfg.HTTP.MaxStreams,
		MaxStreamsPerSubject: cfg.HTTP.MaxStreamsPerSubject,
	})
	// The operator panel: a page of static files that signs in with a
	// token and uses the API like any other client.
	info := started{URL: base}
	var panelOpts panel.Options
	if demo != nil {
		if info.Token, err = demo.token(cfg); err != nil {
			ln.Close()
			return err
		}
		demo.routes(e, info.Token)
		if info.Token != "" {
			panelOpts.DemoTokenPath = demoTokenPath
		}
	}
	ph := echo.WrapHandler(panel.Handler(panelOpts))
	e.GET(panel.Path, ph)
	e.GET(panel.Path+"/*", ph)
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(func() { close(streamsDone) })
	serveDone := make(chan error, 1)
	// net/http's own refusals (431, 400 before routing) answer problem+json too.
	go func() { serveDone <- srv.Serve(handlers.ProblemListener(ln)) }()
	add("http", func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if serr := <-serveDone; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	})

	log.Info("serving", "url", base, "swagger_ui", base+"/swagger/index.html")
	if demo != nil {
		demo.welcome(stdout, info)
	}
	if onStart != nil {
		onStart(info)
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down", "cause", context.Cause(ctx))
		return nil
	case err := <-serveDone:
		serveDone <- err // for the http step
		return fmt.Errorf("http server: %w", err)
	case err := <-loopDone:
		loopDone <- err // for the event loop step
		return fmt.Errorf("event loop: %w", err)
	}
}

// dialable turns a listen address into one a client can use: a wildcard
// host (":8080", "[::]:8080") becomes 127.0.0.1.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
