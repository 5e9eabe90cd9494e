package main

import (
	"github.com/amigate/amigate/internal/agent"

	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/auth"
	"github.com/amigate/amigate/internal/config"
)

// runToken is `amigate token`: it mints a token with the configured HMAC secret
// (and issuer and audience, which the server would require) and checks that
// this configuration's verifier accepts it before printing it.
func runToken(args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("amigate token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sub := fs.String("sub", "", "who the token is for: a CRM, an agent, an operator (required)")
	scope := fs.String("scope", "", "space-separated scopes: "+strings.Join(auth.Scopes, " "))
	ext := fs.String("ext", "", "restrict the token to this agent extension")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime of the token, at most AMIGATE_TOKEN_MAX_TTL (default 2160h, 90 days)")
	file := fs.String("config", "", "YAML configuration file (default $"+config.EnvConfig+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token: unexpected argument %q", fs.Arg(0))
	}
	scopes := strings.Fields(strings.ReplaceAll(*scope, ",", " "))
	if len(scopes) == 0 {
		return fmt.Errorf("token: --scope is required, some of: %s", strings.Join(auth.Scopes, " "))
	}
	var cfgArgs []string
	if *file != "" {
		cfgArgs = []string{"--config", *file}
	}
	cfg, err := config.LoadForMinting(cfgArgs, environ)
	if err != nil {
		return err
	}
	// The bound is the operator's policy, raised in configuration, not by
	// a flag of the command that it bounds.
	if *ttl > cfg.JWT.TokenMaxTTL {
		return fmt.Errorf("token: --ttl %v is longer than AMIGATE_TOKEN_MAX_TTL (%v): a leaked token works until it expires; mint a shorter one, or raise AMIGATE_TOKEN_MAX_TTL", *ttl, cfg.JWT.TokenMaxTTL)
	}
	if *ext != "" {
		devices, err := agent.New(nil, cfg.Dial.ExtensionPattern)
		if err != nil {
			return fmt.Errorf("token: AMIGATE_DIAL_EXTENSION_PATTERN: %w", err)
		}
		if !devices.IsExtension(*ext) {
			return fmt.Errorf("token: --ext %q does not match the extension pattern %q", *ext, cfg.Dial.ExtensionPattern)
		}
	}
	tok, err := auth.Mint([]byte(cfg.JWT.Secret), auth.MintParams{
		Subject:  *sub,
		Scopes:   scopes,
		Ext:      *ext,
		TTL:      *ttl,
		Issuer:   cfg.JWT.Issuer,
		Audience: cfg.JWT.Audience,
	})
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	v, err := newVerifier(cfg)
	if err != nil {
		return err
	}
	if _, err := v.Verify(tok); err != nil {
		return fmt.Errorf("token: this configuration would refuse the token (AMIGATE_JWT_ALGORITHMS must allow HS256): %w", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
