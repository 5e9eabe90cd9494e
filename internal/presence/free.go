package presence

import (
	"slices"

	"github.com/amigate/amigate"
)

// Free lists, by extension, the agents who could take a call to target
// now: for a queue, its members available and not paused in it; for an
// extension, that agent when available. Outbound campaigns dial only as
// many customers as there are free agents.
func (t *Tracker) Free(target amigate.CampaignTarget) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	if target.Extension != "" {
		if a := t.agents[target.Extension]; a != nil && a.state == amigate.AgentAvailable {
			out = append(out, a.ext)
		}
		return out
	}
	for _, a := range t.agents {
		if a.state != amigate.AgentAvailable {
			continue
		}
		for _, m := range a.queues {
			if m.queue == target.Queue && !m.paused {
				out = append(out, a.ext)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
