package pbxsim

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SIP phones: an Originate to PJSIP/<ext> (or SIP/<ext>) rings a single
// channel, as in testdata/ami/pjsip_click_to_call.txt, so the product's
// default agent channel template works too. The office's agents answer,
// its busy extensions refuse, its no-answer ones ring; any other
// extension is unavailable.

// splitSIP parses "PJSIP/101" into its technology and extension.
func splitSIP(dial string) (tech, ext string, ok bool) {
	tech, ext, ok = strings.Cut(dial, "/")
	if !ok || (tech != "PJSIP" && tech != "SIP") || ext == "" || strings.ContainsAny(ext, "/@") {
		return "", "", false
	}
	return tech, ext, true
}

// newPhoneLocked creates PJSIP/<ext>-XXXXXXXX for an Originate, with the
// events Asterisk sends before DialBegin, and starts the phone behind it.
func (p *PBX) newPhoneLocked(o *originate) *channel {
	p.localSeq++
	c := p.newChannelLocked(fmt.Sprintf("%s/%s-%08x", o.tech, o.exten, p.localSeq), o.id1, "")
	c.context, c.exten = "from-internal", "s"
	c.cidNum, c.cidName = o.exten, o.exten
	c.device = o.tech + "/" + o.exten
	p.devUse[c.device]++
	p.emitLocked(p.chanEvent("Newchannel", "call", c))
	p.newextenLocked(c, "AppDial2", "(Outgoing Line)")
	for _, v := range o.vars {
		p.varsetLocked(c, v[0], v[1])
	}
	if o.cidNum != "" {
		p.setCallerIDLocked(c, o.cidNum, o.cidName)
		p.setConnectedLocked(c, o.cidNum, o.cidName)
	}
	p.dialEventLocked("DialBegin", nil, c, "DialString", o.exten)
	kind := p.office.phone(o.exten)
	p.spawnLocked(func(ctx context.Context) { p.runPhone(ctx, c, kind) })
	return c
}

// runPhone is the SIP phone: it rings, answers after AgentRing and hangs
// up (BYE) after AgentTalk; a busy one answers 486, an unknown one fails.
func (p *PBX) runPhone(ctx context.Context, c *channel, kind phoneKind) {
	o := &p.office
	step := func(d time.Duration, f func()) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-c.gone:
			return false
		case <-t.C:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if c.dead {
			return false
		}
		f()
		return true
	}
	switch kind {
	case phoneBusy, phoneUnknown:
		control, cause := "busy", 17
		if kind == phoneUnknown {
			control, cause = "unavailable", 20
		}
		step(0, func() {
			c.ownCause, c.control = cause, control
			c.notify()
		})
		return
	}
	if !step(0, func() {
		p.newstateLocked(c, stateRinging)
		p.deviceStateLocked(c.device, "RINGING")
		p.memberStatusLocked(c.device)
	}) || kind == phoneNoAnswer {
		return
	}
	if !step(o.AgentRing, func() { p.newstateLocked(c, stateUp) }) {
		return
	}
	step(o.AgentTalk, func() { p.requestHangupLocked(c, 16, false) })
}
