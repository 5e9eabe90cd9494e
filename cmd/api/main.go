// Command api is the amigate service: a REST API that turns CRM requests
// into Asterisk Manager Interface actions, and an event pipeline
// (internal/pipeline) that turns the AMI event stream into calls and signed
// webhooks. This package only wires the parts together.
//
//	amigate [--config FILE] [--demo]      serve (the default)
//	amigate token --sub NAME --scope "calls:read calls:write" [--ext 101] [--ttl 24h]
//	amigate check [--config FILE] [--demo]
//
// Configuration comes from AMIGATE_* environment variables over an optional
// YAML file (configs/amigate.example.yaml documents every key).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; the
// module version from the build info otherwise.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the default handling is back: a second
	// Ctrl-C ends a shutdown that takes too long.
	context.AfterFunc(ctx, stop)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "amigate:", err)
		os.Exit(1)
	}
}

// run is main without the process: arguments, environment and output are
// passed in, so that tests run the whole command in-process.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return runToken(args[1:], environ, stdout, stderr)
		case "serve":
			return serve(ctx, args[1:], environ, stdout, stderr, nil)
		case "check":
			return runCheck(args[1:], environ, stdout)
		case "version":
			fmt.Fprintln(stdout, buildVersion())
			return nil
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	return serve(ctx, args, environ, stdout, stderr, nil)
}

const usage = `Usage:
  amigate [serve] [--config FILE] [--demo]
      Serve the REST API. --demo runs an in-process simulated Asterisk and
      prints a token and the Swagger UI address: no PBX needed.
  amigate token --sub NAME --scope "calls:read calls:write" [--ext 101] [--ttl 24h] [--config FILE]
      Print a token signed with AMIGATE_JWT_SECRET, living at most
      AMIGATE_TOKEN_MAX_TTL (90 days by default).
  amigate check [--config FILE] [--demo]
      Validate the configuration as start-up would and print it, secrets
      left out (with --demo: the demo's own values); otherwise exit status 1
      with every problem named, AMIGATE_* variables that name no setting
      among them.
  amigate version

Configuration: AMIGATE_* environment variables over an optional YAML file
(--config or AMIGATE_CONFIG); configs/amigate.example.yaml documents every key.
`

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
