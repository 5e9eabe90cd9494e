package pbxsim

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// fieldNames is the header names of a message, in order.
func fieldNames(m ami.Message) string {
	var out []string
	for _, f := range m.Fields {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}

// recordedItems returns the list items (event name → header names) that
// Asterisk sent for one ActionID in the device_state recording.
func recordedItems(t *testing.T, actionID string) map[string]string {
	out := map[string]string{}
	for _, st := range readTranscript(t, filepath.Join("..", "..", "testdata", "ami", "device_state.txt")) {
		if m := st.msg; !st.sent && m.IsEvent() && m.ActionID() == actionID {
			out[m.Event()] = fieldNames(m)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no list items for %s in device_state", actionID)
	}
	return out
}

// TestStateLists: DeviceStateList and ExtensionStateList answer with the
// recorded headers; Local devices are not in the device list, their state
// is in the hints.
func TestStateLists(t *testing.T) {
	_, addr := startPBX(t)
	c := login(t, addr, "amigate", "amigate", "off")
	for _, l := range []struct{ action, id, complete string }{
		{"DeviceStateList", "dsl-1", "DeviceStateListComplete"},
		{"ExtensionStateList", "esl-1", "ExtensionStateListComplete"},
	} {
		if r := c.response(ami.NewAction(l.action), l.id); r.Response() != "Success" {
			t.Fatalf("%s: %v", l.action, r.Fields)
		}
		if _, ok := c.waitEvent(5*time.Second, l.complete, "ActionID", l.id); !ok {
			t.Fatalf("no %s", l.complete)
		}
		want := recordedItems(t, l.id)
		for _, m := range c.messages() {
			if !m.IsEvent() || m.ActionID() != l.id {
				continue
			}
			if got := fieldNames(m); got != want[m.Event()] {
				t.Errorf("%s item %s has headers %s, recorded %s", l.action, m.Event(), got, want[m.Event()])
			}
			if strings.HasPrefix(m.Get("Device"), "Local/") {
				t.Errorf("DeviceStateList lists a Local device: %v", m.Fields)
			}
		}
	}
	if m, ok := c.waitEvent(waitLong, "ExtensionStatus", "ActionID", "esl-1", "Exten", "101"); !ok || m.Get("Hint") != "Local/101@phones" || m.Get("StatusText") != "Idle" {
		t.Errorf("hint 101: %v", m.Fields)
	}
}

// TestExtensionStatus: a call to agent 101 reports its hint in use, before
// the device state (as recorded), then idle again.
func TestExtensionStatus(t *testing.T) {
	p, addr := startPBX(t)
	c := login(t, addr, "crm", "crmsecret", "on")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := p.IncomingCall(ctx, Incoming{DID: "5550101", From: "79005550001"}); err != nil {
		t.Fatal(err)
	}
	inUse, ok := c.waitEvent(10*time.Second, "ExtensionStatus", "Exten", "101", "Status", "1")
	if !ok {
		t.Fatal("no ExtensionStatus 101 InUse")
	}
	if inUse.Get("StatusText") != "InUse" || inUse.Get("Hint") != "Local/101@phones" {
		t.Errorf("ExtensionStatus %v", inUse.Fields)
	}
	if _, ok := c.waitEventAfter(waitLong, inUse, "DeviceStateChange", "Device", "Local/101@phones", "State", "INUSE"); !ok {
		t.Error("no DeviceStateChange INUSE after the ExtensionStatus")
	}
	if _, ok := c.waitEventAfter(10*time.Second, inUse, "ExtensionStatus", "Exten", "101", "Status", "0"); !ok {
		t.Error("no ExtensionStatus 101 Idle after the call")
	}
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, m := range c.messages() {
		if m.Event() == "ExtensionStatus" && m.Get("Exten") == "101" {
			statuses = append(statuses, m.Get("Status"))
		}
	}
	if len(statuses) < 2 || len(slices.Compact(slices.Clone(statuses))) != len(statuses) {
		t.Errorf("ExtensionStatus repeated an unchanged status: %v", statuses)
	}
}
