package config

import "testing"

// TestCampaignsOn: auto runs campaigns with the embedded store only, where
// no other instance can dial the same ones.
func TestCampaignsOn(t *testing.T) {
	for _, tt := range []struct {
		enabled, nats string
		want          bool
	}{
		{"auto", "", true},
		{"auto", "nats://nats:4222", false},
		{"true", "nats://nats:4222", true},
		{"false", "", false},
	} {
		c := Defaults()
		c.Campaign.Enabled, c.Store.NATSURL = tt.enabled, tt.nats
		if got := c.CampaignsOn(); got != tt.want {
			t.Errorf("enabled %q, nats %q: got %v, want %v", tt.enabled, tt.nats, got, tt.want)
		}
	}
}
