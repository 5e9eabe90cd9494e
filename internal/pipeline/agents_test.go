package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/presence"
)

// fakeLists answers the presence resync's lists, or fails them.
type fakeLists struct {
	devices, hints, queues []ami.Message
	fail                   error
}

func (f fakeLists) DeviceStateList(context.Context) ([]ami.Message, error)    { return f.devices, f.fail }
func (f fakeLists) ExtensionStateList(context.Context) ([]ami.Message, error) { return f.hints, f.fail }
func (f fakeLists) QueueStatus(context.Context, amiclient.QueueStatusParams) ([]ami.Message, error) {
	return f.queues, f.fail
}

type noCalls struct{}

func (noCalls) List(amigate.CallFilter) []amigate.Call { return nil }

func item(kv ...string) ami.Message {
	var m ami.Message
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// TestAgentSyncResync: the lists reach the model; when they cannot be read,
// the agents' device states become unknown instead of staying as they were.
func TestAgentSyncResync(t *testing.T) {
	devices, err := agent.New([]string{"PJSIP/{ext}"}, agent.DefaultPattern)
	if err != nil {
		t.Fatal(err)
	}
	model := presence.New(presence.Config{Devices: devices})
	lists := fakeLists{
		devices: []ami.Message{item("Event", "DeviceStateChange", "Device", "PJSIP/201", "State", "NOT_INUSE"), item("Event", "DeviceStateChange", "Device", "PJSIP/trunk", "State", "UNAVAILABLE")},
		queues:  []ami.Message{item("Event", "QueueMember", "Queue", "pjsupport", "Name", "Softphone 201", "Location", "PJSIP/201", "Paused", "0")},
	}
	s := &agentSync{Agents: Agents{Model: model, PBX: lists, Calls: noCalls{}}, log: slog.New(slog.DiscardHandler)}
	now := time.Unix(1795449000, 0)
	evs := s.resync(context.Background(), nil, now)
	if len(evs) != 1 || evs[0].Type != amigate.EventAgentStateChanged || evs[0].Presence.State != amigate.AgentAvailable {
		t.Fatalf("first resync: %+v, want 201 available", evs)
	}
	if a, ok := model.Get("201"); !ok || a.Name != "Softphone 201" || len(a.Queues) != 1 {
		t.Errorf("agent 201: %+v", a)
	}
	s.PBX = fakeLists{fail: errors.New("asterisk not connected")}
	evs = s.resync(context.Background(), nil, now.Add(time.Second))
	if len(evs) != 1 || evs[0].Presence.State != amigate.AgentUnknown {
		t.Fatalf("resync without lists: %+v, want 201 unknown", evs)
	}
	if a, _ := model.Get("201"); len(a.Queues) != 1 {
		t.Errorf("memberships lost when QueueStatus failed: %+v", a.Queues)
	}
}
