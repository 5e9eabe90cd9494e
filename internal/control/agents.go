package control

import (
	"context"
	"fmt"

	"github.com/amigate/amigate"
)

// Presence is the agents' live model (presence.Tracker).
type Presence interface {
	Get(ext string) (amigate.AgentPresence, bool)
	List() []amigate.AgentPresence
}

// Agents reads agents' presence and pauses them in their queues.
type Agents struct {
	s *Service
	p Presence
}

// Agents returns the agent service: presence from p, actions through s's
// AMI connection and rules.
func (s *Service) Agents(p Presence) *Agents { return &Agents{s: s, p: p} }

// List returns every agent the PBX told of.
func (a *Agents) List(context.Context) ([]amigate.AgentPresence, error) {
	return a.p.List(), nil
}

// Get returns one agent; an extension the PBX told nothing of is
// ErrNotFound.
func (a *Agents) Get(_ context.Context, ext string) (amigate.AgentPresence, error) {
	if err := a.s.checkExtension("ext", ext); err != nil {
		return amigate.AgentPresence{}, err
	}
	p, ok := a.p.Get(ext)
	if !ok {
		return p, amigate.Errorf(amigate.ErrNotFound, "agent %s not found", ext)
	}
	return p, nil
}

// Pause pauses (or unpauses) an agent in one queue, or in every queue it
// is a member of when r.Queue is empty: one QueuePause per membership, on
// the member interface the queue knows the agent by. It returns the agent
// as known before the PBX confirms (agent.paused events follow). An agent
// in no such queue is ErrNotFound; when some QueuePause fails, the first
// failure is returned after the others were tried.
func (a *Agents) Pause(ctx context.Context, ext string, paused bool, r amigate.PauseRequest) (amigate.AgentPresence, error) {
	if r.Queue != "" {
		if err := checkQueueName(r.Queue); err != nil {
			return amigate.AgentPresence{}, fieldErr("queue", "must be a queue name of at most %d characters", MaxQueueName)
		}
	}
	p, err := a.Get(ctx, ext)
	if err != nil {
		return p, err
	}
	var errs []error
	n := 0
	for _, q := range p.Queues {
		if r.Queue != "" && q.Queue != r.Queue {
			continue
		}
		n++
		req := amigate.QueuePauseRequest{Interface: q.Interface, Paused: paused}
		if paused {
			req.Reason = r.Reason
		}
		if err := a.s.Pause(ctx, q.Queue, req); err != nil {
			errs = append(errs, fmt.Errorf("queue %s: %w", q.Queue, err))
		}
	}
	switch {
	case n == 0 && r.Queue != "":
		return p, amigate.Errorf(amigate.ErrNotFound, "agent %s is no member of queue %q", ext, r.Queue)
	case n == 0:
		return p, amigate.Errorf(amigate.ErrNotFound, "agent %s is in no queue", ext)
	case len(errs) > 0:
		return p, errs[0]
	}
	return p, nil
}
