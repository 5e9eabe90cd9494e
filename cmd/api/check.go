package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/webhooks"
)

// The demo's values that are only known once it runs, as `check --demo`
// shows them.
const (
	demoAMIAddrShown = "127.0.0.1:(a free port chosen at start)"
	demoDataDirShown = "(a temporary directory, removed on exit)"
)

// runCheck is `amigate check`: the configuration checks of start-up (the
// settings, the JWT keys, the dial rules, the webhook URLs against the
// address guard, resolving their hosts) without connecting to anything,
// for deployment pipelines. Every problem is reported at once, an
// AMIGATE_ variable that names no setting among them (start-up only warns
// of it: see the README). It prints the configuration as the service
// would run with it, without secrets, and the agents' devices as resolved;
// with --demo, the demo's own values (its simulated PBX, office and
// generated JWT secret).
func runCheck(args, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(args, environ)
	var problems []string
	if err != nil {
		// A joined error is the settings' problems; any other (the
		// command line, an unreadable file) stopped Load before checking.
		if _, joined := err.(interface{ Unwrap() []error }); !joined {
			return err
		}
		problems = append(problems, flatten(err)...)
	}
	problems = append(problems, cfg.Unknown...)
	if cfg.Demo {
		applyDemo(&cfg, demoAMIAddrShown, demoDataDirShown)
	}
	// A rule a later check depends on already reported is not reported
	// again by it in other words.
	reported := func(keys ...string) bool {
		for _, p := range problems {
			for _, k := range keys {
				if strings.Contains(p, k) {
					return true
				}
			}
		}
		return false
	}
	if !reported("AMIGATE_JWT_") {
		if _, err := newVerifier(cfg); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if !reported("AMIGATE_DIAL_", "AMIGATE_PHONE_", "AMIGATE_TRANSFER_CONTEXT", "AMIGATE_CAMPAIGN_CONTEXT", "AMIGATE_BLIND_TRANSFER") {
		if devices, err := agentDevices(cfg); err != nil {
			problems = append(problems, err.Error())
		} else if _, err := controlConfig(cfg, devices); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if !reported("AMIGATE_WEBHOOK_", "webhooks.subscriptions") {
		problems = append(problems, checkWebhookURLs(cfg)...)
	}
	if len(problems) > 0 {
		return &checkError{problems}
	}
	log := slog.New(newLogHandler(stdout, &slog.HandlerOptions{
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
	devices, _ := agentDevices(cfg) // checked above
	// The agents' devices as the service reads them: click-to-call rings
	// the first; all of them recognise agents.
	log.Info("configuration ok", "config", cfg,
		"agent_devices", devices.Templates(), "extension_pattern", devices.Pattern())
	return nil
}

// flatten lists the problems errors.Join put together, one a line.
func flatten(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// checkError is every problem `check` found, one a line.
type checkError struct{ problems []string }

func (e *checkError) Error() string {
	return fmt.Sprintf("check: %d problem(s):\n  %s", len(e.problems), strings.Join(e.problems, "\n  "))
}

// checkWebhookURLs returns the configured webhook URLs that the address
// guard would refuse at every delivery, as start-up does.
func checkWebhookURLs(cfg config.Config) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for _, s := range cfg.Webhooks.All() {
		if err := webhooks.CheckConfigURL(ctx, net.DefaultResolver, cfg.Webhooks.AllowPrivate, s.URL); err != nil {
			out = append(out, err.Error())
		}
	}
	return out
}
