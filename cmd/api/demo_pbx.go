//go:build !nodemo

package main

import (
	"log/slog"

	"github.com/amigate/amigate/internal/pbxsim"
)

// simulatedPBX is what --demo needs of the simulated Asterisk: its control
// API and a way to stop it.
type simulatedPBX = *pbxsim.PBX

// startSimulatedPBX starts the simulated PBX on a loopback port and returns
// its AMI address.
func startSimulatedPBX(log *slog.Logger) (simulatedPBX, string, error) {
	// Campaign customers: 8901… answer busy, 8902… never answer, the
	// rest answer (the README's campaign walk-through).
	office := pbxsim.DefaultOffice()
	office.BusyPrefix, office.NoAnswerPrefix = "8901", "8902"
	p := pbxsim.New(pbxsim.Config{Office: office, Logger: log})
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		p.Close()
		return nil, "", err
	}
	return p, addr, nil
}
