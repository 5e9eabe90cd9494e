package presence

import (
	"slices"
	"testing"
	"time"

	"github.com/amigate/amigate"
)

// TestFree: a queue's free agents are its members available and not
// paused in it; an extension's, that agent when available.
func TestFree(t *testing.T) {
	p := New(Config{Devices: testDevices(t, office)})
	now := time.Unix(1795449000, 0)
	status := func(ext, st string) {
		p.Handle(msg("Event", "ExtensionStatus", "Exten", ext, "Hint", "Local/"+ext+"@phones", "Status", st), now)
	}
	join := func(ext, queue, paused string) {
		p.Handle(msg("Event", "QueueMemberAdded", "Queue", queue, "MemberName", "Agent "+ext, "Interface", "Local/"+ext+"@phones", "Paused", paused), now)
	}
	for _, ext := range []string{"101", "102", "103", "104"} {
		status(ext, "0") // idle
	}
	join("101", "support", "0")
	join("102", "support", "0")
	join("103", "support", "1") // paused in support
	join("103", "sales", "0")
	join("104", "sales", "0")
	status("102", "1") // in use
	for _, tc := range []struct {
		target amigate.CampaignTarget
		want   []string
	}{
		{amigate.CampaignTarget{Queue: "support"}, []string{"101"}},
		{amigate.CampaignTarget{Queue: "sales"}, []string{"103", "104"}},
		{amigate.CampaignTarget{Queue: "nobody"}, nil},
		{amigate.CampaignTarget{Extension: "104"}, []string{"104"}},
		{amigate.CampaignTarget{Extension: "102"}, nil},
		{amigate.CampaignTarget{Extension: "199"}, nil},
	} {
		if got := p.Free(tc.target); !slices.Equal(got, tc.want) {
			t.Errorf("Free(%+v) = %v, want %v", tc.target, got, tc.want)
		}
	}
}
