package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/webhooks"
)

// runCheck is `amigate check`: the configuration checks of start-up (the
// settings, the JWT keys, the dial rules, the webhook URLs against the
// address guard, resolving their hosts) without connecting to anything,
// for deployment pipelines. It prints the configuration as the start-up
// log shows it, without secrets, and the agents' devices as resolved.
func runCheck(args, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(args, environ)
	if err != nil {
		return err
	}
	keys := cfg
	if cfg.Demo && cfg.JWT.Secret == "" && cfg.JWT.PublicKeyFile == "" {
		// The demo generates its secret at start: check with a stand-in.
		keys.JWT.Secret = randomText(32)
	}
	if _, err := newVerifier(keys); err != nil {
		return err
	}
	devices, err := agentDevices(cfg)
	if err != nil {
		return err
	}
	if _, err := controlConfig(cfg, devices); err != nil {
		return err
	}
	if err := checkWebhookURLs(cfg); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
	// The agents' devices as the service reads them: click-to-call rings
	// the first; all of them recognise agents.
	log.Info("configuration ok", "config", cfg,
		"agent_devices", devices.Templates(), "extension_pattern", devices.Pattern())
	return nil
}

// checkWebhookURLs refuses configured webhook URLs that the address guard
// would refuse at every delivery, as start-up does.
func checkWebhookURLs(cfg config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range cfg.Webhooks.All() {
		if err := webhooks.CheckConfigURL(ctx, net.DefaultResolver, cfg.Webhooks.AllowPrivate, s.URL); err != nil {
			return err
		}
	}
	return nil
}
