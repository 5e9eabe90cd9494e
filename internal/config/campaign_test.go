package config

import "testing"

// TestCampaignsOn: auto and true run campaigns; with an external NATS,
// where other instances see the same ones, the instances elect the one
// that dials.
func TestCampaignsOn(t *testing.T) {
	for _, tt := range []struct {
		enabled, nats string
		on, elect     bool
	}{
		{"auto", "", true, false},
		{"true", "", true, false},
		{"auto", "nats://nats:4222", true, true},
		{"true", "nats://nats:4222", true, true},
		{"false", "", false, false},
		{"false", "nats://nats:4222", false, false},
	} {
		c := Defaults()
		c.Campaign.Enabled, c.Store.NATSURL = tt.enabled, tt.nats
		if on, elect := c.CampaignsOn(), c.CampaignElection(); on != tt.on || elect != tt.elect {
			t.Errorf("enabled %q, nats %q: on %v, election %v; want %v, %v", tt.enabled, tt.nats, on, elect, tt.on, tt.elect)
		}
	}
}
