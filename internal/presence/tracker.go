// Package presence tracks agents between and during calls: the devices
// they answer on and their state, the calls they ring for or talk in, and
// the queues they are members of (paused or not). It consumes the AMI
// stream beside the call correlator, in stream order, plus the correlator's
// call events, and returns agent events (agent.state_changed, ...).
package presence

import (
	"cmp"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// Devices recognises agent devices: the one definition of device templates
// and extensions (agent.Devices).
type Devices interface {
	// Extension returns the agent extension of a device, channel or member
	// interface name ("PJSIP/101", "Local/101@from-queue/n",
	// "PJSIP/101-0000001a"); ok is false for anything else.
	Extension(name string) (ext string, ok bool)
	// Member returns the agent extension of a queue member from its
	// interface, or else its member name.
	Member(iface, memberName string) (ext string, ok bool)
}

// Metrics counts what the tracker could not make sense of.
type Metrics interface {
	// UnknownDeviceState counts a device or hint state the tracker does
	// not recognise (reported as "unknown").
	UnknownDeviceState()
}

// Config configures a Tracker.
type Config struct {
	// Devices recognises agents' devices. Required.
	Devices Devices
	// MaxAgents bounds the agents tracked, whatever the PBX reports.
	// Default 10,000.
	MaxAgents int
	// MaxQueues bounds one agent's queue memberships. Default 64.
	MaxQueues int
	// Log receives warnings (unrecognised states, bounds reached).
	// Default: discarded.
	Log *slog.Logger
	// Metrics counts unrecognised states. Default: none.
	Metrics Metrics
}

// Defaults.
const (
	DefaultMaxAgents = 10_000
	DefaultMaxQueues = 64
	// maxDevices bounds one agent's devices (a few templates each).
	maxDevices = 16
	// maxCalls bounds the calls one agent rings for or talks in at once.
	maxCalls = 32
)

// Tracker is the presence model. Handle, CallEvents and Resync are called
// from one goroutine in stream order; List and Get may be called
// concurrently. It does no I/O and starts no goroutine.
type Tracker struct {
	cfg Config

	mu     sync.RWMutex
	agents map[string]*agent
	// queuesSynced is set once a Resync had the queues' memberships.
	queuesSynced bool
}

// New returns an empty Tracker.
func New(cfg Config) *Tracker {
	if cfg.MaxAgents <= 0 {
		cfg.MaxAgents = DefaultMaxAgents
	}
	if cfg.MaxQueues <= 0 {
		cfg.MaxQueues = DefaultMaxQueues
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Tracker{cfg: cfg, agents: map[string]*agent{}}
}

// Handle applies one AMI event and returns the agent events it causes
// (usually none). Events the tracker has no use for cost one string
// switch and take no lock.
func (t *Tracker) Handle(m ami.Message, readAt time.Time) []amigate.CallEvent {
	var name string
	if len(m.Fields) > 0 && ami.EqualFold(m.Fields[0].Name, "Event") {
		name = m.Fields[0].Value
	} else {
		name = m.Event()
	}
	if !uses(name) {
		return nil
	}
	at := m.Time(readAt)
	t.mu.Lock()
	defer t.mu.Unlock()
	switch name {
	case "DeviceStateChange":
		return t.deviceState(nil, &m, at, readAt)
	case "ExtensionStatus":
		return t.extensionStatus(nil, &m, at, readAt)
	case "Hold", "Unhold":
		return t.hold(nil, &m, name == "Hold", at, readAt)
	case "QueueMemberRemoved":
		return t.memberRemoved(nil, &m, at, readAt)
	default:
		return t.member(nil, &m, name == "QueueMemberAdded", at, readAt)
	}
}

// uses tells the events Handle applies.
func uses(name string) bool {
	switch name {
	case "DeviceStateChange", "ExtensionStatus", "Hold", "Unhold",
		"QueueMemberStatus", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "QueueMemberPaused":
		return true
	}
	return false
}

// Wants tells, from an event's raw text and without parsing it, whether
// Handle would do anything with it: a consumer parses only those.
func (t *Tracker) Wants(f ami.Frame) bool {
	name := f.Event()
	return name == nil || uses(string(name)) // nil: Handle looks further
}

// Get returns one agent.
func (t *Tracker) Get(ext string) (amigate.AgentPresence, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	a := t.agents[ext]
	if a == nil {
		return amigate.AgentPresence{}, false
	}
	return a.presence(), true
}

// List returns every agent, by extension.
func (t *Tracker) List() []amigate.AgentPresence {
	t.mu.RLock()
	out := make([]amigate.AgentPresence, 0, len(t.agents))
	for _, a := range t.agents {
		out = append(out, a.presence())
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b amigate.AgentPresence) int { return cmp.Compare(a.Extension, b.Extension) })
	return out
}

// Len returns how many agents are tracked.
func (t *Tracker) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.agents)
}

// agent returns ext's agent, creating it (unless the bound is reached:
// then nil, and a warning).
func (t *Tracker) agent(ext string) *agent {
	if a := t.agents[ext]; a != nil {
		return a
	}
	if len(t.agents) >= t.cfg.MaxAgents {
		t.cfg.Log.Warn("presence: too many agents; ignoring one", "extension", ext, "max", t.cfg.MaxAgents)
		return nil
	}
	a := &agent{ext: keep(ext), state: amigate.AgentUnknown}
	t.agents[a.ext] = a
	return a
}

// unknownState counts and logs a state the tracker does not recognise.
func (t *Tracker) unknownState(what, name, state string) {
	t.cfg.Log.Warn("presence: unrecognised state; agent reported as unknown", "source", what, "name", name, "state", state)
	if t.cfg.Metrics != nil {
		t.cfg.Metrics.UnknownDeviceState()
	}
}
