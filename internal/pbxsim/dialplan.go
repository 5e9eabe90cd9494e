package pbxsim

import (
	"strings"
	"time"
)

// runDialplan executes the channel's dialplan from its context and exten,
// following Redirects, then hangs the channel up. It is the body of every
// Local ;2 thread and of a redirected channel.
func (t *thread) runDialplan() {
	for t.alive() {
		t.lock()
		if r := t.c.redirect; r != nil {
			t.c.redirect = nil
			t.c.context, t.c.exten = r.context, r.exten
			if r.transferer != "" {
				t.p.varsetLocked(t.c, "BLINDTRANSFER", r.transferer)
			}
		}
		context, exten := t.c.context, t.c.exten
		t.unlock()
		t.exec(context, exten)
		t.lock()
		again := t.c.redirect != nil && !t.c.hangupReq && !t.c.dead
		t.unlock()
		if !again {
			break
		}
	}
	t.end()
}

// exec runs one extension of the recorded extensions.conf.
func (t *thread) exec(context, exten string) {
	o := &t.p.office
	prio := 1
	switch context {
	case "phones":
		switch o.phone(exten) {
		case phoneAgent:
			t.app(&prio, "NoOp", "Agent phone "+exten+" is ringing")
			t.ringAnswerTalk(&prio, o.AgentRing, o.AgentTalk)
		case phoneBusy:
			t.app(&prio, "NoOp", "Phone "+exten+" is busy")
			t.fail(&prio, "Busy", 17, "busy")
		case phoneNoAnswer:
			t.app(&prio, "NoOp", "Phone "+exten+" never answers")
			t.ring(&prio, o.NoAnswerRing)
			if !t.wait(o.NoAnswerRing) {
				return
			}
			t.app(&prio, "Hangup", "")
		}
	case "from-queue":
		// FreePBX's queue member: the Local channel dials the phone,
		// with the transfer feature.
		if o.phone(exten) == phoneUnknown {
			return
		}
		dest := "Local/" + exten + "@phones"
		t.app(&prio, "Dial", dest+",,tT")
		if t.dial(dest, true) {
			return
		}
		t.app(&prio, "Hangup", "")
	case "pstn":
		if o.CongestedPrefix != "" && strings.HasPrefix(exten, o.CongestedPrefix) {
			t.app(&prio, "NoOp", "Congested number "+exten)
			t.fail(&prio, "Congestion", 34, "congestion")
			return
		}
		if o.BusyPrefix != "" && strings.HasPrefix(exten, o.BusyPrefix) {
			t.app(&prio, "NoOp", "Busy customer "+exten)
			t.fail(&prio, "Busy", 17, "busy")
			return
		}
		if o.NoAnswerPrefix != "" && strings.HasPrefix(exten, o.NoAnswerPrefix) {
			t.app(&prio, "NoOp", "Customer "+exten+" never answers")
			t.ring(&prio, o.NoAnswerRing)
			if !t.wait(o.NoAnswerRing) {
				return
			}
			t.app(&prio, "Hangup", "")
			return
		}
		t.app(&prio, "NoOp", "Customer "+exten+" is ringing")
		t.ringAnswerTalk(&prio, o.CustomerRing, o.CustomerTalk)
	case "from-internal":
		dest := "Local/" + exten + "@pstn"
		switch o.phone(exten) {
		case phoneAgent:
			t.app(&prio, "NoOp", "Internal call to agent "+exten)
			dest = "Local/" + exten + "@phones"
		case phoneBusy, phoneNoAnswer:
			dest = "Local/" + exten + "@phones"
		default:
			if !isDigits(exten) {
				return
			}
			t.app(&prio, "NoOp", "Outbound call to customer "+exten)
		}
		t.app(&prio, "Dial", dest+","+seconds(o.DialTimeout))
		if t.dial(dest, false) {
			return
		}
		t.app(&prio, "Hangup", "")
	case "from-trunk":
		did, ok := o.did(exten)
		if !ok {
			return
		}
		if did.Queue != "" {
			t.app(&prio, "NoOp", "Incoming call to "+did.Queue+" queue")
			t.app(&prio, "Answer", "")
			t.lock()
			t.p.answerLocked(t.c)
			t.unlock()
			t.app(&prio, "Queue", did.Queue)
			if t.queue(did.Queue) {
				return
			}
			t.app(&prio, "Hangup", "")
			return
		}
		t.app(&prio, "NoOp", "Incoming direct call to agent "+did.Agent)
		dest := "Local/" + did.Agent + "@phones"
		data := dest + "," + seconds(o.DialTimeout)
		if did.Transfer {
			data += ",tT"
		}
		t.app(&prio, "Dial", data)
		if t.dial(dest, did.Transfer) {
			return
		}
		t.app(&prio, "Hangup", "")
	case "amigate-campaign":
		// The campaign dialplan of the README: an answered campaign
		// customer joins the queue the extension names.
		t.app(&prio, "Queue", exten)
		if t.queue(exten) {
			return
		}
		t.app(&prio, "Hangup", "")
	case "test-originate":
		t.app(&prio, "Answer", "")
		t.lock()
		t.p.answerLocked(t.c)
		t.unlock()
		d := o.OriginateTimeout / 3
		t.app(&prio, "Wait", seconds(d))
		if !t.wait(d) {
			return
		}
		t.app(&prio, "Hangup", "")
	}
}

// ring runs Ringing() and the Wait that follows; the phone's device goes
// in use and queue members report it.
func (t *thread) ring(prio *int, d time.Duration) {
	t.app(prio, "Ringing", "")
	t.lock()
	t.p.ringingLocked(t.c)
	t.unlock()
	t.app(prio, "Wait", seconds(d))
	t.lock()
	if t.c.device != "" {
		t.p.deviceStateLocked(t.c.device, "INUSE")
		t.p.memberStatusLocked(t.c.device)
	}
	t.unlock()
}

// fail runs Busy() or Congestion(): the channel signals its peer and waits
// for the caller to hang up.
func (t *thread) fail(prio *int, app string, cause int, control string) {
	t.app(prio, app, "10")
	t.lock()
	t.c.ownCause = cause
	t.p.newstateLocked(t.c, stateBusy)
	if t.c.device != "" && t.c.context == "phones" {
		t.p.deviceStateLocked(t.c.device, "BUSY")
	}
	if pr := t.c.peer; pr != nil && !pr.dead {
		pr.control = control
		pr.notify()
	}
	t.unlock()
	t.wait(-1)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ringAnswerTalk is the recorded phones' and customers' dialplan:
// Ringing(), Wait(ring), Answer(), Wait(talk), Hangup(). It returns early
// when the channel is hung up or moved meanwhile.
func (t *thread) ringAnswerTalk(prio *int, ring, talk time.Duration) {
	t.ring(prio, ring)
	if !t.wait(ring) {
		return
	}
	t.app(prio, "Answer", "")
	t.lock()
	t.p.answerLocked(t.c)
	t.unlock()
	t.awaitAck()
	t.app(prio, "Wait", seconds(talk))
	if !t.wait(talk) {
		return
	}
	t.app(prio, "Hangup", "")
}
