package main

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
	// agentModel is the presence model (*presence.Tracker).
	agentModel interface {
		Handle(m ami.Message, readAt time.Time) []amigate.CallEvent
		CallEvents(evs []amigate.CallEvent) []amigate.CallEvent
		Resync(s presence.Snapshot, now time.Time) []amigate.CallEvent
	}
	// agentLister lists what the presence resync reads (*amiclient.Client).
	agentLister interface {
		DeviceStateList(ctx context.Context) ([]ami.Message, error)
		ExtensionStateList(ctx context.Context) ([]ami.Message, error)
		QueueStatus(ctx context.Context, p amiclient.QueueStatusParams) ([]ami.Message, error)
	}
	// activeCalls lists the calls in progress (*calls.Tracker).
	activeCalls interface {
		List(f amigate.CallFilter) []amigate.Call
	}
)

// agentSync feeds the presence model beside the correlator: every AMI
// event and the call events it caused, and after the correlator's resync
// the PBX's device, hint and queue lists with the calls then in progress.
type agentSync struct {
	model agentModel
	pbx   agentLister
	calls activeCalls
	log   *slog.Logger
}

// handle applies one AMI event (none when m is empty) and the call events
// it caused, and returns out with the agent events appended.
func (a *agentSync) handle(out []amigate.CallEvent, m ami.Message, readAt time.Time, calls []amigate.CallEvent) []amigate.CallEvent {
	if len(m.Fields) > 0 {
		out = append(out, a.model.Handle(m, readAt)...)
	}
	return append(out, a.model.CallEvents(calls)...)
}

// resync reads the lists and resyncs the model; a list that cannot be read
// leaves what it would have told unknown (see presence.Snapshot).
func (a *agentSync) resync(ctx context.Context, out []amigate.CallEvent, now time.Time) []amigate.CallEvent {
	var s presence.Snapshot
	var err error
	if s.Devices, err = a.pbx.DeviceStateList(ctx); err != nil {
		a.log.Warn("resync: listing device states failed; they are unknown until they change", "err", err)
	}
	s.DevicesOK = err == nil
	if s.Hints, err = a.pbx.ExtensionStateList(ctx); err != nil {
		a.log.Warn("resync: listing extension states failed; they are unknown until they change", "err", err)
	}
	s.HintsOK = err == nil
	if s.Queues, err = a.pbx.QueueStatus(ctx, amiclient.QueueStatusParams{}); err != nil {
		a.log.Warn("resync: listing queue members failed; memberships as before", "err", err)
	}
	s.QueuesOK = err == nil
	s.Calls = a.calls.List(amigate.CallFilter{})
	evs := a.model.Resync(s, now)
	a.log.Info("resynced agents", "devices", len(s.Devices), "hints", len(s.Hints), "queue_items", len(s.Queues), "events", len(evs))
	return append(out, evs...)
}
