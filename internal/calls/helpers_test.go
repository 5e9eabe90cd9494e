package calls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ev builds an AMI event from name/value pairs.
func ev(event string, kv ...string) ami.Message {
	m := ami.Message{Fields: []ami.Field{{Name: "Event", Value: event}}}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// script is a made-up call: its events in order, with a clock that moves
// one second per event so durations are easy to read.
type script struct {
	t0  time.Time
	n   int
	out []ami.Message
}

func newScript() *script { return &script{t0: time.Unix(1_800_000_000, 0).UTC()} }

func (s *script) add(event string, kv ...string) *script {
	ts := s.t0.Add(time.Duration(s.n) * time.Second)
	s.n++
	kv = append([]string{"Timestamp", fmt.Sprintf("%d.000000", ts.Unix())}, kv...)
	s.out = append(s.out, ev(event, kv...))
	return s
}

// newchan is a Newchannel of a channel in context/exten with a caller id.
func (s *script) newchan(name, uid, linkedid, context, exten, cid string) *script {
	kv := []string{"Channel", name, "ChannelState", "0", "ChannelStateDesc", "Down",
		"CallerIDNum", cid, "CallerIDName", "", "Context", context, "Exten", exten, "Uniqueid", uid}
	if linkedid != "" {
		kv = append(kv, "Linkedid", linkedid)
	}
	return s.add("Newchannel", kv...)
}

func (s *script) dial(callerUID, destUID, exten string) *script {
	kv := []string{"DestUniqueid", destUID, "DestExten", exten, "DialString", exten}
	if callerUID != "" {
		kv = append(kv, "Uniqueid", callerUID, "Exten", exten)
	}
	return s.add("DialBegin", kv...)
}

func (s *script) ringing(destUID string) *script {
	return s.add("DialState", "DestUniqueid", destUID, "DialStatus", "RINGING")
}

func (s *script) dialEnd(destUID, status string) *script {
	return s.add("DialEnd", "DestUniqueid", destUID, "DialStatus", status)
}

func (s *script) enter(bridge, uid string) *script {
	return s.add("BridgeEnter", "BridgeUniqueid", bridge, "Uniqueid", uid)
}

func (s *script) leave(bridge, uid string) *script {
	return s.add("BridgeLeave", "BridgeUniqueid", bridge, "Uniqueid", uid)
}

func (s *script) hangup(uid string, cause int) *script {
	return s.add("Hangup", "Uniqueid", uid, "Cause", fmt.Sprint(cause), "Cause-txt", "cause")
}

// feed runs messages through a tracker and returns the call events.
func feed(tr *Tracker, msgs []ami.Message) []amigate.CallEvent {
	var out []amigate.CallEvent
	for _, m := range msgs {
		out = append(out, tr.Handle(m, time.Time{})...)
	}
	return out
}

// brief is a compact, comparable form of call events.
func brief(evs []amigate.CallEvent) []string {
	var out []string
	for _, e := range evs {
		s := fmt.Sprintf("%s %s #%d", e.Call.ID, strings.TrimPrefix(e.Type, "call."), e.Sequence)
		if e.Agent != nil {
			s += " agent=" + e.Agent.Extension
		}
		if e.Transfer != nil {
			// "->102" an extension, "->#7900..." a number, "->?102" unknown.
			to := e.Transfer.ToExtension
			switch {
			case e.Transfer.ToNumber != "":
				to = "#" + e.Transfer.ToNumber
			case to == "" && e.Transfer.To != "":
				to = "?" + e.Transfer.To
			}
			s += fmt.Sprintf(" %s:%s->%s", e.Transfer.Mode, e.Transfer.FromExtension, to)
		}
		if e.Type == amigate.EventCallEnded {
			s += " " + e.Call.Disposition
		}
		out = append(out, s)
	}
	return out
}

func checkBrief(t *testing.T, got []amigate.CallEvent, want ...string) {
	t.Helper()
	g := brief(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("got events:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}
