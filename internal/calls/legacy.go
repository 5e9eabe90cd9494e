package calls

import (
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// legacy handles the Asterisk 11 events that have a cheap equivalent:
// Dial (SubEvent Begin/End) for DialBegin/DialEnd, and Bridge (Bridgestate
// Link/Unlink), Link and Unlink for two-party bridges. Channels without a
// Linkedid start a call of their own and are grouped by the Dial that
// reaches them. Masquerades (Asterisk 11 transfers) are not followed.
func (t *Tracker) legacy(out []amigate.CallEvent, name string, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	switch name {
	case "Dial":
		caller := t.channels[m.Get("Uniqueid")]
		switch m.Get("SubEvent") {
		case "Begin":
			return t.dialBegin(out, caller, t.channels[m.Get("DestUniqueID")], m, readAt, true)
		case "End":
			if caller == nil {
				return out
			}
			c := caller.call
			c.ringing = c.ringing[:0]
			if s := m.Get("DialStatus"); s != "ANSWER" && s != "" && (s != "CANCEL" || c.dialStatus == "") {
				c.dialStatus = keep(s)
			}
		}
	case "Bridge", "Link", "Unlink":
		one, two := t.channels[m.Get("Uniqueid1")], t.channels[m.Get("Uniqueid2")]
		if one == nil || two == nil {
			return out
		}
		if name == "Unlink" || m.Get("Bridgestate") == "Unlink" {
			t.leave(one)
			t.leave(two)
			return out
		}
		if one.call != two.call && !t.mergeFresh(two.call, one.call) {
			return out
		}
		at := eventTime(m, readAt)
		id := "legacy:" + one.uniqueid
		out = t.enter(out, one, id, at, readAt)
		out = t.enter(out, two, id, at, readAt)
	}
	return out
}
