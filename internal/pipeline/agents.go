package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/presence"
)

type (
	// Presence is the agents' presence model (*presence.Tracker).
	Presence interface {
		Wants(f ami.Frame) bool
		Handle(m ami.Message, readAt time.Time) []amigate.CallEvent
		CallEvents(evs []amigate.CallEvent) []amigate.CallEvent
		Resync(s presence.Snapshot, now time.Time) []amigate.CallEvent
	}
	// AgentLists lists what the presence resync reads (*amiclient.Client).
	AgentLists interface {
		DeviceStateList(ctx context.Context) ([]ami.Message, error)
		ExtensionStateList(ctx context.Context) ([]ami.Message, error)
		QueueStatus(ctx context.Context, p amiclient.QueueStatusParams) ([]ami.Message, error)
	}
	// ActiveCalls lists the calls in progress (*calls.Tracker).
	ActiveCalls interface {
		List(f amigate.CallFilter) []amigate.Call
	}
)

// Agents is what the presence model needs: the model, the PBX's lists it
// resyncs from and the calls in progress.
type Agents struct {
	Model Presence
	PBX   AgentLists
	Calls ActiveCalls
}

// agentSync feeds the presence model beside the correlator: every AMI
// event and the call events it caused, and after the correlator's resync
// the PBX's device, hint and queue lists with the calls then in progress.
type agentSync struct {
	Agents
	log *slog.Logger
}

// handle applies one AMI event (none when m is empty) and the call events
// it caused, and returns out with the agent events appended.
func (a *agentSync) handle(out []amigate.CallEvent, m ami.Message, readAt time.Time, calls []amigate.CallEvent) []amigate.CallEvent {
	if len(m.Fields) > 0 {
		out = append(out, a.Model.Handle(m, readAt)...)
	}
	return append(out, a.Model.CallEvents(calls)...)
}

// resync reads the lists and resyncs the model; a list that cannot be read
// leaves what it would have told unknown (see presence.Snapshot).
func (a *agentSync) resync(ctx context.Context, out []amigate.CallEvent, now time.Time) []amigate.CallEvent {
	var s presence.Snapshot
	var err error
	if s.Devices, err = a.PBX.DeviceStateList(ctx); err != nil {
		a.log.Warn("resync: listing device states failed; they are unknown until they change", "err", err)
	}
	s.DevicesOK = err == nil
	if s.Hints, err = a.PBX.ExtensionStateList(ctx); err != nil {
		a.log.Warn("resync: listing extension states failed; they are unknown until they change", "err", err)
	}
	s.HintsOK = err == nil
	if s.Queues, err = a.PBX.QueueStatus(ctx, amiclient.QueueStatusParams{}); err != nil {
		a.log.Warn("resync: listing queue members failed; memberships as before", "err", err)
	}
	s.QueuesOK = err == nil
	s.Calls = a.Calls.List(amigate.CallFilter{})
	evs := a.Model.Resync(s, now)
	a.log.Info("resynced agents", "devices", len(s.Devices), "hints", len(s.Hints), "queue_items", len(s.Queues), "events", len(evs))
	return append(out, evs...)
}
