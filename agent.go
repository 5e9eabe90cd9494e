package amigate

import "time"

// Agent states: what GET /v1/agents and agent.state_changed report.
const (
	AgentAvailable   = "available"
	AgentRinging     = "ringing"
	AgentInCall      = "in_call"
	AgentOnHold      = "on_hold"
	AgentPaused      = "paused"
	AgentUnavailable = "unavailable"
	// AgentUnknown is said whenever the service cannot tell: no device
	// state known yet, or a device state it does not recognise.
	AgentUnknown = "unknown"
)

// Agent event types. Unlike call events they are opt-in: a subscription
// (or an SSE client) receives them only when it names them.
const (
	EventAgentStateChanged = "agent.state_changed"
	EventAgentQueueJoined  = "agent.queue_joined"
	EventAgentQueueLeft    = "agent.queue_left"
	EventAgentPaused       = "agent.paused"
	EventAgentUnpaused     = "agent.unpaused"
)

// AgentEventTypes lists every agent event type.
var AgentEventTypes = []string{EventAgentStateChanged, EventAgentQueueJoined, EventAgentQueueLeft, EventAgentPaused, EventAgentUnpaused}

// IsAgentEvent reports whether typ is an agent event type.
func IsAgentEvent(typ string) bool {
	for _, t := range AgentEventTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// AgentPresence is an agent as GET /v1/agents shows it and as agent events
// carry it: the agent's devices, live state and queue memberships.
type AgentPresence struct {
	Extension string        `json:"extension"`
	Name      string        `json:"name,omitempty"`
	Devices   []AgentDevice `json:"devices"`
	State     string        `json:"state" enums:"available,ringing,in_call,on_hold,paused,unavailable,unknown"`
	// Calls are the ids of the calls the agent is ringing for or talking in.
	Calls []string `json:"calls"`
	// Since is when State began (as far as the service saw it: at most
	// since the last login to the PBX when it was unknown before).
	Since  time.Time    `json:"since" format:"date-time"`
	Queues []AgentQueue `json:"queues"`
}

// AgentDevice is one device of an agent and its state as Asterisk reports
// it (NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD, UNAVAILABLE,
// INVALID, UNKNOWN; anything else is passed on as received).
type AgentDevice struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// AgentQueue is an agent's membership of one queue.
type AgentQueue struct {
	Queue        string     `json:"queue"`
	Interface    string     `json:"interface"`
	Paused       bool       `json:"paused"`
	PausedReason string     `json:"paused_reason,omitempty"`
	CallsTaken   int        `json:"calls_taken"`
	LastCallAt   *time.Time `json:"last_call_at,omitempty" format:"date-time"`
}

// PauseRequest pauses or unpauses an agent in one queue, or in all of the
// agent's queues when Queue is empty.
type PauseRequest struct {
	Queue  string
	Reason string
}
