package pbxsim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// Errors of IncomingCall.
var (
	// ErrUnknownDID: the office has no such DID.
	ErrUnknownDID = errors.New("pbxsim: unknown DID")
	// ErrBadValue: a caller number or name that would break the AMI framing
	// (CR, LF or NUL) or is too long for a header line.
	ErrBadValue = errors.New("pbxsim: caller id not allowed in an AMI header")
)

// Incoming is a customer call arriving from the trunk.
type Incoming struct {
	DID  string // an Office DID: 5550100 (queue support), 5550101 (agent 101), ...
	From string // the customer's number, CallerIDNum; default "79000000000"
	Name string // CallerIDName; default From
	// HangupAfter is when the customer hangs up, counted from the start of
	// the call: before an agent answers it is a caller giving up (ringing or
	// waiting in a queue), after it the end of the conversation. 0 means the
	// customer waits until the other side ends the call.
	HangupAfter time.Duration
}

// IncomingCall places a customer call on a DID, as the recordings do: a
// Local/<DID>@from-trunk channel whose ;1 half is the customer and whose ;2
// half runs the DID's dialplan. It returns at once with the call's Linkedid
// (the Uniqueid of the customer channel). No OriginateResponse is emitted:
// a trunk call has none.
func (p *PBX) IncomingCall(ctx context.Context, in Incoming) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	for _, v := range []string{in.From, in.Name} {
		if ami.CheckValue(v) != nil || len(v) > 256 {
			return "", fmt.Errorf("%w: %q", ErrBadValue, v)
		}
	}
	if _, ok := p.office.did(in.DID); !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownDID, in.DID)
	}
	if in.From == "" {
		in.From = "79000000000"
	}
	if in.Name == "" {
		in.Name = in.From
	}
	o := &originate{
		dial: "Local/" + in.DID + "@from-trunk", exten: in.DID, context: "from-trunk",
		app: "Wait", cidNum: in.From, cidName: in.Name, silent: true,
		timeout: 24 * time.Hour, hangupAfter: -1,
	}
	if in.HangupAfter > 0 {
		o.timeout = in.HangupAfter
		o.hangupAt = time.Now().Add(in.HangupAfter)
		o.data = seconds(in.HangupAfter)
	}
	p.mu.Lock()
	linkedid, ok := p.startOriginateLocked(o)
	p.mu.Unlock()
	if !ok {
		return "", ErrClosed
	}
	return linkedid, nil
}

// ErrNoCall is returned by HangupCall for a call that is not up.
var ErrNoCall = errors.New("pbxsim: no such call")

// HangupCall makes the party who started the call hang up now: the
// customer of an IncomingCall, the agent leg of an Originate (the channel
// whose Uniqueid is the call's Linkedid), with cause 16. For tests and the
// demo: end a call at a chosen moment.
func (p *PBX) HangupCall(linkedid string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.chans {
		if c.uniqueid == linkedid && !c.dead {
			p.requestHangupLocked(c, 16, true)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrNoCall, linkedid)
}
