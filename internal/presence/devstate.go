package presence

import (
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// devState is a device state, ordered so that the state of several devices
// is the largest: on hold wins over in use, in use over ringing, ringing
// over unknown, unknown over idle, idle over unavailable.
type devState uint8

const (
	devNone        devState = iota // nothing reported
	devUnavailable                 // UNAVAILABLE, INVALID: not registered
	devNotInUse                    // NOT_INUSE
	devUnknown                     // UNKNOWN, or not recognised
	devRinging                     // RINGING
	devInUse                       // INUSE, BUSY, RINGINUSE
	devOnHold                      // ONHOLD
)

func (s devState) agentState() string {
	switch s {
	case devUnavailable:
		return amigate.AgentUnavailable
	case devNotInUse:
		return amigate.AgentAvailable
	case devRinging:
		return amigate.AgentRinging
	case devInUse:
		return amigate.AgentInCall
	case devOnHold:
		return amigate.AgentOnHold
	}
	return amigate.AgentUnknown
}

// busy reports whether the device is ringing or in a call.
func (s devState) busy() bool { return s >= devRinging }

// parseDeviceState reads Asterisk's device state names (ast_devstate_str).
// raw is the state as it will be shown: a constant for the known ones.
func parseDeviceState(s string) (st devState, raw string, ok bool) {
	for _, k := range deviceStates {
		if k.name == s {
			return k.state, k.name, true
		}
	}
	return devUnknown, keep(truncate(s, 32)), false
}

var deviceStates = []struct {
	name  string
	state devState
}{
	{"NOT_INUSE", devNotInUse}, {"INUSE", devInUse}, {"RINGING", devRinging},
	{"UNAVAILABLE", devUnavailable}, {"BUSY", devInUse}, {"RINGINUSE", devInUse},
	{"ONHOLD", devOnHold}, {"INVALID", devUnavailable}, {"UNKNOWN", devUnknown},
}

// parseHintState reads ExtensionStatus's Status, a bit set (ast_extension_state):
// 0 idle, 1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold; -1 and -2
// (hint removed, deactivated) are reported as gone.
func parseHintState(s string) (st devState, gone, ok bool) {
	switch s {
	case "-1", "-2":
		return devNone, true, true
	case "0":
		return devNotInUse, false, true
	case "4":
		return devUnavailable, false, true
	case "8":
		return devRinging, false, true
	case "1", "2", "3", "9", "10", "11":
		return devInUse, false, true
	case "16", "17", "18", "19", "24", "25":
		return devOnHold, false, true
	}
	return devUnknown, false, false
}

// deviceState applies a DeviceStateChange of an agent's device. Other
// devices (trunks, customers' Local channels, Queue: pseudo-devices) are
// not agents'.
func (t *Tracker) deviceState(out []amigate.CallEvent, m *ami.Message, at, readAt time.Time) []amigate.CallEvent {
	name := m.Get("Device")
	ext, ok := t.cfg.Devices.Extension(name)
	if !ok {
		return out
	}
	st, raw, known := parseDeviceState(m.Get("State"))
	if !known {
		t.unknownState("DeviceStateChange", name, raw)
	}
	a := t.agent(ext)
	if a == nil {
		return out
	}
	t.setDevice(a, name, st, raw)
	return t.changed(out, a, at, readAt)
}

// setDevice records a device's state. A device that stops ringing or
// talking ends the rings the call model still holds for the agent (a queue
// that moved on to the next member, a ring that timed out): the call model
// sees no event for those.
func (t *Tracker) setDevice(a *agent, name string, st devState, raw string) {
	d := a.device(name)
	if d == nil {
		if len(a.devices) >= maxDevices {
			return
		}
		a.devices = append(a.devices, device{name: keep(name)})
		d = &a.devices[len(a.devices)-1]
	}
	was := d.state
	d.state, d.raw = st, raw
	if was.busy() && !st.busy() && st != devUnknown {
		a.dropRings()
	}
}

// dropRings forgets the calls the agent was only ringing for, once none of
// its devices rings or talks.
func (a *agent) dropRings() {
	if a.hint.busy() {
		return
	}
	for _, d := range a.devices {
		if d.state.busy() {
			return
		}
	}
	a.calls = slices.DeleteFunc(a.calls, func(c callRef) bool { return !c.answered })
}

// extensionStatus applies an ExtensionStatus: the state of an agent's
// extension hint, when the hint names one of the agent's devices
// ("PJSIP/201", "Local/101@phones", "PJSIP/201&Custom:DND201"). Local
// devices are reported only this way after a login: DeviceStateList leaves
// them out.
func (t *Tracker) extensionStatus(out []amigate.CallEvent, m *ami.Message, at, readAt time.Time) []amigate.CallEvent {
	exten, hint := m.Get("Exten"), m.Get("Hint")
	if !hintNames(t.cfg.Devices, exten, hint) {
		return out
	}
	st, gone, known := parseHintState(m.Get("Status"))
	if !known {
		t.unknownState("ExtensionStatus", exten, m.Get("Status"))
	}
	a := t.agents[exten]
	if a == nil {
		if gone {
			return out
		}
		if a = t.agent(exten); a == nil {
			return out
		}
	}
	was := a.hint
	a.hint = st
	if !gone {
		a.showHintDevice(hint, m.Get("Status"))
	}
	if was.busy() && !st.busy() && st != devUnknown {
		a.dropRings()
	}
	if gone && a.empty() {
		delete(t.agents, a.ext)
		return out
	}
	return t.changed(out, a, at, readAt)
}

// hintDeviceStates are the hint states that are one device state: a hint
// of one device reports that device's state.
var hintDeviceStates = map[string]string{
	"0": "NOT_INUSE", "1": "INUSE", "2": "BUSY", "4": "UNAVAILABLE", "8": "RINGING", "9": "RINGINUSE", "16": "ONHOLD",
}

// showHintDevice lists the device of a hint that names one device, with
// the state the hint reports for it, unless the device reported its own:
// Asterisk's DeviceStateList leaves Local devices out, so after a login
// their hint is all there is.
func (a *agent) showHintDevice(hint, status string) {
	raw, ok := hintDeviceStates[status]
	if !ok || strings.IndexByte(hint, '&') >= 0 || len(a.devices) >= maxDevices {
		return
	}
	if a.device(hint) != nil {
		return
	}
	st, raw, _ := parseDeviceState(raw)
	a.devices = append(a.devices, device{name: keep(hint), raw: raw, state: st})
}

// hintNames reports whether a hint names a device of the agent exten.
func hintNames(devs Devices, exten, hint string) bool {
	if exten == "" {
		return false
	}
	for hint != "" {
		var part string
		part, hint, _ = strings.Cut(hint, "&")
		if ext, ok := devs.Extension(part); ok && ext == exten {
			return true
		}
	}
	return false
}
