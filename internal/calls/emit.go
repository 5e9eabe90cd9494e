package calls

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

// emit appends one call event. Its id hashes the call id, the type, the
// channel concerned and a discriminator, so that the same stream always
// yields the same ids, whichever instance reads it.
func (t *Tracker) emit(out []amigate.CallEvent, c *call, typ, chanID, disc, agent string, xfer *amigate.Transfer, at, readAt time.Time) []amigate.CallEvent {
	if why := t.refuse(c, typ, agent); why != "" {
		// A bug in the model, or a stream no real call makes: say so
		// rather than send the CRM a lifecycle that goes back.
		t.cfg.Logger.Error("call event against the call's lifecycle not sent", "call_id", c.id, "type", typ, "agent", agent, "why", why)
		return out
	}
	seq := c.next()
	snap := t.snapshot(c, at, true)
	ev := amigate.CallEvent{
		ID:         eventID(c.id, typ, chanID, disc),
		Type:       typ,
		OccurredAt: at,
		Sequence:   seq,
		Transfer:   xfer,
		ReadAt:     readAt,
	}
	if agent != "" {
		ev.Agent = &amigate.Agent{Extension: agent}
		snap.Agent = &amigate.Agent{Extension: agent}
	}
	ev.Call = snap
	return append(out, ev)
}

func eventID(callID, typ, chanID, disc string) string {
	h := sha256.New()
	h.Write([]byte(callID))
	h.Write([]byte{0})
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write([]byte(chanID))
	h.Write([]byte{0})
	h.Write([]byte(disc))
	var sum [sha256.Size]byte
	return "evt_" + hex.EncodeToString(h.Sum(sum[:0])[:12])
}

// unexpectedCallID is the id of a call that was not expected (seen live
// without Expect, or picked up by Reconcile after a restart), deterministic
// from its Linkedid so that two instances, or a process and the next one,
// give the same call the same id. A Linkedid chosen by an Originate's
// ChannelId (the API's click-to-call sends its call id, a UUID, as
// ChannelId, and it becomes the Linkedid of every channel of the call) is
// the call id itself: the CRM reads and hangs up the call, and gets its
// webhooks, under the id POST /v1/calls gave it. Asterisk's own Linkedids
// are hashed by callID.
func unexpectedCallID(linkedid string) string {
	if chosenLinkedid(linkedid) {
		return keep(linkedid)
	}
	return callID(linkedid)
}

// chosenLinkedid reports whether a Linkedid was chosen by an Originate
// rather than made by Asterisk ("1795331360.12", or with asterisk.conf's
// systemname "pbx1-1795331360.12"), and is fit to be a call id: at most 150
// characters (Asterisk's limit), URL path safe, not of the form of a
// hashed id.
func chosenLinkedid(s string) bool {
	if s == "" || len(s) > 150 || strings.HasPrefix(s, "call_") || asteriskUniqueid(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '.', b == '_', b == '~':
		default:
			return false
		}
	}
	return true
}

// asteriskUniqueid reports whether s has the form of the uniqueids Asterisk
// makes: epoch seconds, a dot, a counter, after an optional "systemname-".
func asteriskUniqueid(s string) bool {
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		s = s[i+1:]
	}
	sec, n, ok := strings.Cut(s, ".")
	return ok && digits(sec) && digits(n)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// callID is the id of a call whose Linkedid Asterisk made: a hash of it.
func callID(linkedid string) string {
	sum := sha256.Sum256([]byte("linkedid\x00" + linkedid))
	return "call_" + hex.EncodeToString(sum[:10])
}

// eventTime is when the AMI event happened: its Timestamp header
// (timestampevents=yes) when present, else when it was read.
func eventTime(m *ami.Message, readAt time.Time) time.Time { return m.Time(readAt) }

// disposition is how an ended call went, from what the stream told.
func (c *call) disposition() string {
	switch {
	case c.isAnswered():
		return amigate.DispositionAnswered
	case c.abandoned:
		return amigate.DispositionAbandoned
	case c.failReason >= 0:
		switch c.failReason {
		case 5:
			return amigate.DispositionBusy
		case 3:
			return amigate.DispositionNoAnswer
		}
		// A generic failure (the originated Local channel hung up): the
		// dial its other half made says why.
		switch c.dialStatus {
		case "BUSY":
			return amigate.DispositionBusy
		case "NOANSWER":
			return amigate.DispositionNoAnswer
		}
		return amigate.DispositionFailed
	}
	switch c.dialStatus {
	case "BUSY":
		return amigate.DispositionBusy
	case "NOANSWER":
		return amigate.DispositionNoAnswer
	case "CONGESTION", "CHANUNAVAIL", "INVALIDARGS":
		return amigate.DispositionFailed
	case "CANCEL":
		return amigate.DispositionCanceled
	}
	switch c.cause {
	case 17:
		return amigate.DispositionBusy
	case 18, 19:
		return amigate.DispositionNoAnswer
	case 0, 16, 31:
		return amigate.DispositionCanceled
	}
	return amigate.DispositionFailed
}

// end closes a call whose last channel is gone and returns call.ended.
func (t *Tracker) end(out []amigate.CallEvent, c *call, at, readAt time.Time) []amigate.CallEvent {
	out = t.reportBlind(out, c, "", readAt)
	t.atxferStarted(c) // moot now
	c.state = amigate.StateEnded
	disp := c.disposition()
	c.ringing = nil
	if why := t.refuse(c, amigate.EventCallEnded, ""); why != "" {
		t.cfg.Logger.Error("call event against the call's lifecycle not sent", "call_id", c.id, "type", amigate.EventCallEnded, "why", why)
		t.forget(c)
		return out
	}
	seq := c.next()
	snap := t.snapshot(c, at, true)
	end := at
	snap.EndedAt = &end
	snap.Disposition = disp
	snap.EndInferred = c.endInferred
	if c.agent == "" && len(c.exts) == 1 {
		snap.Agent = &amigate.Agent{Extension: c.exts[0]}
	}
	out = append(out, amigate.CallEvent{
		ID:         eventID(c.id, amigate.EventCallEnded, "", ""),
		Type:       amigate.EventCallEnded,
		OccurredAt: at,
		Sequence:   seq,
		Call:       snap,
		ReadAt:     readAt,
	})
	t.retire(c, snap)
	return out
}
