package presence

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/amigate/amigate"
)

// changed derives the agent's state and returns out with an
// agent.state_changed appended when it differs from the last one.
func (t *Tracker) changed(out []amigate.CallEvent, a *agent, at, readAt time.Time) []amigate.CallEvent {
	s := a.derive()
	if s == a.state {
		return out
	}
	prev := a.state
	a.state, a.since = s, at
	out = t.emit(out, a, amigate.EventAgentStateChanged, "", "", at, readAt)
	out[len(out)-1].PreviousState = prev
	return out
}

// emit appends one agent event carrying the agent as it is now. Its
// sequence is the event's time in microseconds, raised past the agent's
// last one: it increases per agent, across restarts too, and two
// instances reading one stream give the same. Its id hashes the
// extension, the type, the sequence and what changed, so that the same
// stream always yields the same ids.
func (t *Tracker) emit(out []amigate.CallEvent, a *agent, typ, queue, reason string, at, readAt time.Time) []amigate.CallEvent {
	a.seq = max(a.seq+1, at.UnixMicro())
	p := a.presence()
	return append(out, amigate.CallEvent{
		ID:         eventID(a.ext, typ, a.seq, queue+"\x00"+a.state),
		Type:       typ,
		OccurredAt: at,
		Sequence:   a.seq,
		Agent:      &amigate.Agent{Extension: a.ext, Name: a.name},
		Presence:   &p,
		Queue:      queue,
		Reason:     reason,
		ReadAt:     readAt,
	})
}

func eventID(ext, typ string, seq int64, disc string) string {
	h := sha256.New()
	h.Write([]byte("agent\x00"))
	h.Write([]byte(ext))
	h.Write([]byte{0})
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, seq, 10))
	h.Write([]byte{0})
	h.Write([]byte(disc))
	var sum [sha256.Size]byte
	return "evt_" + hex.EncodeToString(h.Sum(sum[:0])[:12])
}
