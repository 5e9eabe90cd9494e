package presence

import (
	"slices"
	"testing"
	"time"
)

var states = []string{"available", "ringing", "in_call", "on_hold", "paused", "unavailable", "unknown"}

// FuzzHandle feeds made-up device, hint, hold and queue-member events: the
// tracker never panics, stays within its bounds, and says only the states
// of the contract.
func FuzzHandle(f *testing.F) {
	f.Add(uint8(0), "PJSIP/101", "INUSE", "101", "0", "support", "0", "lunch")
	f.Add(uint8(1), "Local/101@phones", "17", "101", "Local/101@phones&Custom:DND101", "sales", "1", "")
	f.Add(uint8(3), "Local/101@from-queue/n", "BOGUS", "101", "-1", "fpq", "1", "x\r\ny")
	f.Fuzz(func(t *testing.T, kind uint8, device, state, exten, hint, queue, paused, reason string) {
		p := New(Config{Devices: testDevices(t, office), MaxAgents: 4, MaxQueues: 2})
		now := time.Unix(1795449000, 0)
		events := []string{"DeviceStateChange", "ExtensionStatus", "Hold", "QueueMemberStatus", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause"}
		for i := range 3 {
			name := events[(int(kind)+i)%len(events)]
			p.Handle(msg("Event", name, "Device", device, "State", state, "Exten", exten, "Hint", hint, "Status", state,
				"Channel", device, "Linkedid", exten, "Queue", queue, "Interface", device, "MemberName", hint,
				"Paused", paused, "PausedReason", reason, "CallsTaken", state, "LastCall", exten), now)
		}
		if p.Len() > 4 {
			t.Fatalf("%d agents, bound 4", p.Len())
		}
		for _, a := range p.List() {
			if !slices.Contains(states, a.State) || len(a.Queues) > 2 || len(a.Devices) > maxDevices || len(a.Name) > maxText {
				t.Fatalf("agent %+v", a)
			}
		}
	})
}
