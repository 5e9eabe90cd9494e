//go:build nodemo

package main

import (
	"errors"
	"log/slog"
	"net/http"
)

// A build with -tags nodemo leaves the simulated PBX (package pbxsim) out
// of the binary: --demo then stops start-up with errNoDemo, and everything
// else works as in the full build.

// simulatedPBX is never set in this build.
type simulatedPBX interface {
	Handler() http.Handler
	Close() error
}

var errNoDemo = errors.New("this binary was built without the demo (go build -tags nodemo); use the full build for --demo")

func startSimulatedPBX(*slog.Logger) (simulatedPBX, string, error) { return nil, "", errNoDemo }
