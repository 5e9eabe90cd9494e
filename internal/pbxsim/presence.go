package pbxsim

import (
	"strconv"
	"strings"

	"github.com/amigate/amigate/internal/ami"
)

// Hint is one extension hint of the recorded dialplan's [hints] context:
// the device whose state the extension reports (ExtensionStatus).
type Hint struct {
	Exten  string
	Device string
}

// defaultHints are the recorded extensions.conf's hints.
func defaultHints() []Hint {
	return []Hint{
		{"101", "Local/101@phones"}, {"102", "Local/102@phones"}, {"103", "Local/103@phones"},
		{"201", "PJSIP/201"}, {"202", "PJSIP/202"},
	}
}

// hintStatus is ExtensionStatus's Status and StatusText of a device state.
func hintStatus(state string) (int, string) {
	switch state {
	case "INUSE":
		return 1, "InUse"
	case "BUSY":
		return 2, "Busy"
	case "UNAVAILABLE", "INVALID":
		return 4, "Unavailable"
	case "RINGING":
		return 8, "Ringing"
	case "RINGINUSE":
		return 9, "InUse&Ringing"
	case "ONHOLD":
		return 16, "Hold"
	}
	return 0, "Idle"
}

// deviceStateLocked reports a device's new state: ExtensionStatus first for
// the extensions whose hint it is (only when their status changes), then
// DeviceStateChange, in the order Asterisk sends them.
func (p *PBX) deviceStateLocked(device, state string) {
	p.devState[device] = state
	status, text := hintStatus(state)
	for _, h := range p.office.Hints {
		if h.Device != device || p.hintStatus[h.Exten] == status {
			continue
		}
		p.hintStatus[h.Exten] = status
		m := p.event("ExtensionStatus", "call")
		m.Add("Exten", h.Exten)
		m.Add("Context", "hints")
		m.Add("Hint", h.Device)
		m.Add("Status", strconv.Itoa(status))
		m.Add("StatusText", text)
		p.emitLocked(m)
	}
	m := p.event("DeviceStateChange", "call")
	m.Add("Device", device)
	m.Add("State", state)
	p.emitLocked(m)
}

// deviceStateList answers DeviceStateList as Asterisk 22 does: the queues'
// pseudo-devices and the SIP devices, never Local channels' devices.
func (s *session) deviceStateList(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	var b strings.Builder
	start := response(req, "Success")
	start.Add("EventList", "start")
	start.Add("Message", "Device State Changes will follow")
	b.WriteString(start.String())
	n := 0
	item := func(device, state string) {
		m := &ami.Message{}
		m.Add("Event", "DeviceStateChange")
		m.Add("ActionID", id)
		m.Add("Device", device)
		m.Add("State", state)
		b.WriteString(m.String())
		n++
	}
	for _, q := range p.office.Queues {
		qs := p.queues[q.Name]
		item("Queue:"+q.Name, "NOT_INUSE")
		item("Queue:"+q.Name+"_avail", "NOT_INUSE")
		for _, m := range qs.members {
			st := "NOT_INUSE"
			if m.paused {
				st = "INUSE"
			}
			item("Queue:"+q.Name+"_pause_"+m.iface, st)
		}
	}
	for _, h := range p.office.Hints {
		if strings.HasPrefix(h.Device, "Local/") {
			continue
		}
		st := p.devState[h.Device]
		if st == "" {
			st = "NOT_INUSE"
		}
		item(h.Device, st)
	}
	b.WriteString(complete("DeviceStateListComplete", id, n))
	s.queueLocked([]byte(b.String()))
}

// extensionStateList answers ExtensionStateList: one ExtensionStatus per
// hint (list items carry ActionID, no Privilege or Timestamp).
func (s *session) extensionStateList(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	var b strings.Builder
	start := response(req, "Success")
	start.Add("EventList", "start")
	start.Add("Message", "Extension Statuses will follow")
	b.WriteString(start.String())
	for _, h := range p.office.Hints {
		status, text := hintStatus(p.devState[h.Device])
		m := &ami.Message{}
		m.Add("Event", "ExtensionStatus")
		m.Add("ActionID", id)
		m.Add("Exten", h.Exten)
		m.Add("Context", "hints")
		m.Add("Hint", h.Device)
		m.Add("Status", strconv.Itoa(status))
		m.Add("StatusText", text)
		b.WriteString(m.String())
	}
	b.WriteString(complete("ExtensionStateListComplete", id, len(p.office.Hints)))
	s.queueLocked([]byte(b.String()))
}
