package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate/internal/auth"
	"github.com/amigate/amigate/internal/config"
	"github.com/amigate/amigate/internal/sealed"
)

// Demo mode's PBX account: the least-privileged one of pbxsim's manager.conf.
const (
	demoAMIUser   = "amigate"
	demoAMISecret = "amigate"
	// demoAgentChannel is how the simulated office's phones are dialled.
	demoAgentChannel = "Local/{ext}@phones"
)

// demoPBX is --demo: a simulated Asterisk in-process, a throw-away event
// store, and a webhook inspector that receives the service's own webhooks.
type demoPBX struct {
	pbx       simulatedPBX
	dataDir   string // removed on close; empty with an external NATS
	inspector *inspector
	log       *slog.Logger
}

// startDemo starts the simulated PBX on a loopback port and points cfg at
// it: the AMI address and account, the office's agent channels, a
// temporary data directory and a generated key for the secrets in it, a
// generated JWT secret unless one is configured, and private webhook
// addresses allowed (the inspector is on loopback).
func startDemo(cfg *config.Config, log *slog.Logger) (*demoPBX, error) {
	d := &demoPBX{log: log.With("component", "demo")}
	pbx, addr, err := startSimulatedPBX(log.With("component", "pbxsim"))
	if err != nil {
		return nil, fmt.Errorf("demo: start simulated pbx: %w", err)
	}
	d.pbx = pbx
	if cfg.Store.NATSURL == "" {
		if d.dataDir, err = os.MkdirTemp("", "amigate-demo-"); err != nil {
			d.pbx.Close()
			return nil, fmt.Errorf("demo: data dir: %w", err)
		}
	}
	applyDemo(cfg, addr, d.dataDir)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	d.inspector = newInspector(secret, 100, time.Now)
	d.log.Info("simulated pbx started", "ami_addr", addr, "agent_channel", demoAgentChannel, "data_dir", d.dataDir)
	return d, nil
}

// applyDemo points cfg at the simulated PBX listening at amiAddr and at
// dataDir (unused with an external NATS): what --demo runs with, which
// `check --demo` shows too.
func applyDemo(cfg *config.Config, amiAddr, dataDir string) {
	cfg.AMI.Addr, cfg.AMI.Username, cfg.AMI.Secret = amiAddr, demoAMIUser, demoAMISecret
	cfg.AMI.Auth, cfg.AMI.TLS = config.AuthMD5, false
	cfg.Dial.AgentChannels = []string{demoAgentChannel}
	if cfg.Phone.Region == "" {
		// The office is in Russia and dials digits only (its dialplan
		// matches _X.), as most do: api.md's "+7 (900) 123-45-67" is read
		// in RU and dialled 89001234567; a foreign number is outside the
		// home region, refused with a 422 that says so.
		cfg.Phone.Region = "RU"
	}
	cfg.Webhooks.AllowPrivate = true
	if cfg.Store.NATSURL == "" {
		cfg.Store.DataDir = dataDir
		if cfg.Store.SecretsKey == "" {
			// The store goes with the process, and so may its key.
			cfg.Store.SecretsKey = sealed.NewKeyText()
		}
	}
	if cfg.JWT.Secret == "" && cfg.JWT.PublicKeyFile == "" {
		cfg.JWT.Secret = randomText(32)
	}
}

// subscribe adds the inspector's subscription, once the API's address is
// known.
func (d *demoPBX) subscribe(cfg *config.Config, base string) {
	cfg.Webhooks.Subscriptions = append(cfg.Webhooks.Subscriptions, config.Subscription{
		URL: base + inspectorPath, Secret: d.inspector.secret,
	})
}

// token mints the token printed for the demo: every scope, a day.
func (d *demoPBX) token(cfg config.Config) (string, error) {
	if cfg.JWT.Secret == "" {
		return "", nil // a public-key-only setup: tokens come from its issuer
	}
	return auth.Mint([]byte(cfg.JWT.Secret), auth.MintParams{
		Subject: "demo", Scopes: auth.Scopes, TTL: 24 * time.Hour,
		Issuer: cfg.JWT.Issuer, Audience: cfg.JWT.Audience,
	})
}

// demoPBXPath is where the simulated PBX's control API is mounted:
// POST /demo/pbx/calls places an incoming customer call, POST
// /demo/pbx/drop cuts the AMI connections, GET /demo/pbx/ shows its state.
const demoPBXPath = "/demo/pbx"

// demoTokenPath hands the demo's token to the operator panel, which signs
// in by itself in the demo. Only the demo serves it: its PBX is simulated
// and its token is printed on start anyway.
const demoTokenPath = "/demo/token"

// routes adds the demo's endpoints to the API: the webhook inspector, the
// panel's token and the simulated PBX's control API.
func (d *demoPBX) routes(e *echo.Echo, token string) {
	e.GET(demoTokenPath, func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if token == "" {
			return c.JSON(http.StatusNotFound, map[string]string{"detail": "tokens come from the configured issuer: sign in with one"})
		}
		return c.JSON(http.StatusOK, map[string]string{"token": token})
	})
	e.POST(inspectorPath, d.inspector.receive)
	e.GET(inspectorPath, d.inspector.list)
	e.Any(demoPBXPath+"/*", echo.WrapHandler(http.StripPrefix(demoPBXPath, d.pbx.Handler())))
}

// welcome prints what a person needs to try the API.
func (d *demoPBX) welcome(w io.Writer, s started) {
	fmt.Fprintf(w, `
amigate demo: a simulated Asterisk runs in-process (agents 101-105; 198 busy; 199 never answers;
DIDs 5550100 queue support (101+102, ring-all), 5550101 agent 101, 5550102 queue sales,
5550103 queue nobody (callers abandon), 5550111 agent 101 with the attended-transfer feature).

  Operator panel:    %[1]s/panel   (signed in by itself)
  Swagger UI:        %[1]s/swagger/index.html   (Authorize: type "Bearer " and the token below)
  Webhooks received: %[1]s/demo/webhooks
  Metrics:           %[1]s/metrics

Token (every scope, valid 24h):

  %[2]s

Try:
  export TOKEN=%[2]s
  curl -s -X POST %[1]s/v1/calls -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"from": "101", "to": "+7 (900) 123-45-67"}'
  curl -s -X POST %[1]s/demo/pbx/calls -d '{"did": "5550100", "from": "79005550001", "name": "Ivan Petrov"}'
  curl -s %[1]s/v1/queues -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/demo/webhooks

`, s.URL, s.Token)
}

// close stops the simulated PBX and removes the temporary store.
func (d *demoPBX) close(context.Context) error {
	err := d.pbx.Close()
	if d.dataDir != "" {
		err = errors.Join(err, os.RemoveAll(d.dataDir))
	}
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// randomText is n random bytes as URL-safe base64: a printable secret.
func randomText(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
