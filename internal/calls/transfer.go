package calls

import (
	"slices"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// transferred emits call.transferred of an attended transfer; the target,
// when it is an extension, takes part in the call and becomes its agent.
func (t *Tracker) transferred(out []amigate.CallEvent, c *call, mode, from, to, chanID string, at, readAt time.Time) []amigate.CallEvent {
	x := &amigate.Transfer{FromExtension: from, ToExtension: to, To: to, Mode: mode}
	c.state = amigate.StateTransferring
	if t.match.isExtension(to) {
		c.addExt(to)
		c.agent = to // the customer now goes to the target
	}
	return t.emit(out, c, amigate.EventCallTransferred, chanID, mode+"\x00"+to, "", x, at, readAt)
}

// blindTransfer is a blind transfer Asterisk reported, whose target is not
// known yet to be an agent's extension or an outside number: "102" and
// "79001234567" both fit an extension pattern of digits. What the
// transferred customer dials next tells.
type blindTransfer struct {
	from, to, chanID string
	at               time.Time
}

// blindTransferred notes a blind transfer; call.transferred follows when the
// target is known (reportBlind).
func (t *Tracker) blindTransferred(out []amigate.CallEvent, c *call, from, to, chanID string, at, readAt time.Time) []amigate.CallEvent {
	if c.blind != nil {
		out = t.reportBlind(out, c, "", readAt) // an earlier one led nowhere known
	}
	c.blind = &blindTransfer{from: from, to: to, chanID: keep(chanID), at: at}
	c.state = amigate.StateTransferring
	return out
}

// reportBlind emits the pending blind transfer's call.transferred: to
// extension ext when an agent's device was dialled for it, to a number when
// something else was, and with the target alone (neither) when the call
// ends before dialling anything.
func (t *Tracker) reportBlind(out []amigate.CallEvent, c *call, dialled string, readAt time.Time) []amigate.CallEvent {
	b := c.blind
	if b == nil {
		return out
	}
	c.blind = nil
	x := &amigate.Transfer{FromExtension: b.from, To: b.to, Mode: amigate.TransferBlind}
	switch {
	case dialled == "":
	case dialled == dialledNumber:
		x.ToNumber = b.to
		if t.cfg.Numbers != nil {
			x.ToE164 = t.cfg.Numbers.E164(b.to)
		}
	default:
		x.ToExtension = dialled
		c.addExt(dialled)
		c.agent = dialled // the customer now goes to the target
	}
	return t.emit(out, c, amigate.EventCallTransferred, b.chanID, amigate.TransferBlind+"\x00"+b.to, "", x, b.at, readAt)
}

// fullNumber reports whether s reads as a full phone number in the home
// region (it has an E.164 form), which no agent extension is.
func (t *Tracker) fullNumber(s string) bool {
	return t.cfg.Numbers != nil && t.cfg.Numbers.E164(s) != ""
}

// dialledNumber is reportBlind's dialled for a target that is no agent's.
const dialledNumber = "\x00number"

// blindTransfer reports a successful BlindTransfer (the AMI action or a
// phone's transfer key) and remembers the transferee, whose BridgeLeave that
// follows is not a second transfer.
func (t *Tracker) blindTransfer(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	if m.Get("Result") != "Success" {
		return out
	}
	transferee := t.channels[m.Get("TransfereeUniqueid")]
	transferer := t.channels[m.Get("TransfererUniqueid")]
	var c *call
	switch {
	case transferee != nil:
		c = transferee.call
		c.xferUID = transferee.uniqueid
	case transferer != nil:
		c = transferer.call
	default:
		return out
	}
	from := t.match.agentExt(m.Get("TransfererChannel"))
	if transferer != nil && transferer.ext != "" {
		from = transferer.ext
	}
	return t.blindTransferred(out, c, from, keep(m.Get("Extension")), m.Get("TransfererUniqueid"), eventTime(m, readAt), readAt)
}

// attendedTransfer reports the transfer and, when the consultation was a
// call of its own (a phone's transfer key), moves the target's channels into
// the customer's call, which keeps its id.
func (t *Tracker) attendedTransfer(out []amigate.CallEvent, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	if m.Get("Result") != "Success" {
		return out
	}
	transferee := t.channels[m.Get("TransfereeUniqueid")]
	orig := t.channels[m.Get("OrigTransfererUniqueid")]
	target := t.channels[m.Get("TransferTargetUniqueid")]
	var c *call
	switch {
	case transferee != nil:
		c = transferee.call
	case orig != nil:
		c = orig.call
	default:
		return out
	}
	t.atxferStarted(c)
	from := t.match.agentExt(m.Get("OrigTransfererChannel"))
	to := t.match.agentExt(m.Get("TransferTargetChannel"))
	if to == "" {
		if e := m.Get("TransferTargetExten"); t.match.isExtension(e) {
			to = keep(e)
		}
	}
	if to == "" {
		// Asterisk sometimes sends AttendedTransfer without any
		// TransferTarget* header (attended_transfer_atxfer_no_target): the
		// channels that entered the destination bridge still say who it is.
		to = t.bridgeAgent(m.Get("DestBridgeUniqueid"), from)
	}
	at := eventTime(m, readAt)
	var moved []*channel
	var consult *call
	if target != nil && target.call != c {
		consult = target.call
		moved = t.pull(consult, c, from)
	}
	out = t.transferred(out, c, amigate.TransferAttended, from, to, m.Get("OrigTransfererUniqueid"), at, readAt)
	for _, ch := range moved {
		if ch.bridge != nil {
			out = t.connect(out, ch.bridge, at, readAt, 0)
		}
	}
	if len(c.answered) > 0 && to != "" && slices.Contains(c.answered, to) {
		c.agent = to
		c.state = amigate.StateAnswered
	}
	if consult != nil && len(consult.channels) == 0 {
		out = t.end(out, consult, at, readAt)
	}
	return out
}

// pull moves the channels of a consultation call that are not the
// transferer's into the customer's call and returns them; the consultation
// ends when its transferer legs hang up.
func (t *Tracker) pull(src, dst *call, transferer string) []*channel {
	var stay, moved []*channel
	for _, ch := range src.channels {
		if ch.ext != "" && ch.ext == transferer {
			stay = append(stay, ch)
			continue
		}
		ch.call = dst
		ch.cust = false
		dst.channels = append(dst.channels, ch)
		dst.addExt(ch.ext)
		moved = append(moved, ch)
	}
	src.channels = stay
	return moved
}
