package calls

import (
	"strconv"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// DefaultAtxferTimeout is how long an attended transfer may take to start
// (a consultation channel) after the Atxfer was accepted. Asterisk waits
// features.conf's transferdigittimeout (3 s by default) for more digits
// before dialling; the rest is margin for a loaded PBX.
const DefaultAtxferTimeout = 15 * time.Second

// atxfer is an attended transfer the API asked for, not yet started.
// Asterisk answers Success to an Atxfer whatever becomes of it: without the
// transfer feature on the bridge the digits simply go to the customer, and
// Asterisk may abort it (Hold, then Unhold at once). Only the stream tells,
// and only by what does not happen: no consultation channel.
type atxfer struct {
	from, to string
	channel  string // the agent's channel the Atxfer named
	deadline time.Time
	held     bool // Asterisk put the agent's channel on hold for it
}

// ExpectAtxfer tells the tracker that the API's Atxfer for call id was
// accepted, naming the agent's channel, at now: a call.transfer_failed
// follows when no consultation call starts in time, or at once when the
// stream shows it will not (Unhold after the Hold; the digits sent on to
// the customer, with the dtmf read class).
func (t *Tracker) ExpectAtxfer(id, channel, to string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.active[id]
	if c == nil {
		return
	}
	if c.atxfer == nil {
		t.atxfers = append(t.atxfers, c)
		t.pendingAtxfers.Store(int32(len(t.atxfers)))
	}
	c.atxferN++
	c.atxfer = &atxfer{from: c.agent, to: keep(to), channel: keep(channel), deadline: now.Add(t.cfg.AtxferTimeout)}
}

// atxferEvent looks at one AMI event for the pending attended transfers;
// t.mu is held. A new channel in the call is the consultation: the transfer
// started. Events past a deadline fail it.
func (t *Tracker) atxferEvent(out []amigate.CallEvent, name string, m *ami.Message, readAt time.Time) []amigate.CallEvent {
	at := eventTime(m, readAt)
	if ch := t.channels[m.Get("Uniqueid")]; ch != nil && ch.call.atxfer != nil {
		c, x := ch.call, ch.call.atxfer
		switch {
		case name == "Hold" && ch.name == x.channel:
			x.held = true
		case name == "Unhold" && ch.name == x.channel && x.held:
			out = t.atxferFailed(out, c, amigate.TransferAborted, ch.uniqueid, at, readAt)
		case name == "DTMFBegin" && ch.cust && m.Get("Direction") == "Sent" && !x.held:
			// The feature code and digits were passed to the customer.
			out = t.atxferFailed(out, c, amigate.TransferNoFeature, ch.uniqueid, at, readAt)
		}
	}
	for i := 0; i < len(t.atxfers); i++ {
		c := t.atxfers[i]
		if x := c.atxfer; at.After(x.deadline) {
			reason := amigate.TransferNoFeature
			if x.held {
				reason = amigate.TransferAborted
			}
			out = t.atxferFailed(out, c, reason, "", at, readAt)
			i-- // c left t.atxfers
		}
	}
	return out
}

// atxferStarted forgets a pending attended transfer that started (a
// consultation channel appeared, or Asterisk reported the transfer) or
// whose call ended.
func (t *Tracker) atxferStarted(c *call) {
	if c.atxfer == nil {
		return
	}
	c.atxfer = nil
	for i, x := range t.atxfers {
		if x == c {
			t.atxfers = append(t.atxfers[:i], t.atxfers[i+1:]...)
			break
		}
	}
	t.pendingAtxfers.Store(int32(len(t.atxfers)))
}

// atxferFailed emits call.transfer_failed; the call is answered again.
func (t *Tracker) atxferFailed(out []amigate.CallEvent, c *call, reason, chanID string, at, readAt time.Time) []amigate.CallEvent {
	x := c.atxfer
	t.atxferStarted(c)
	if c.isAnswered() {
		c.state = amigate.StateAnswered
	}
	n := len(out)
	out = t.emit(out, c, amigate.EventCallTransferFailed, chanID, reason+"\x00"+x.to+"\x00"+strconv.Itoa(c.atxferN), "",
		&amigate.Transfer{FromExtension: x.from, To: x.to, Mode: amigate.TransferAttended}, at, readAt)
	out[n].Reason = reason
	return out
}
