package control

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/chanvar"
)

// ActionIDPrefix starts the ActionID of a click-to-call Originate; the rest
// is the call id. The correlator matches a failed OriginateResponse (whose
// Uniqueid is "<unknown>") by it.
const ActionIDPrefix = "c2c-"

// Dial places a click-to-call: Asterisk rings the agent's device (From) and,
// when the agent answers, dials the customer (To) in the dial context. It
// returns the call in state dialing; the correlator follows it from there.
//
// With an Idempotency-Key, a repeat of the same request within the TTL
// returns the first call and sends nothing, another request under the key
// is amigate.ErrConflict, and concurrent repeats wait for the first.
//
// When Asterisk refuses the Originate (Response: Error) or the client is not
// connected, nothing was dialled: the call is dropped from the correlator
// (Unexpecter) and the key released, so that a retry dials. When the answer
// is lost (timeout, disconnect after sending) the Originate may still run:
// the call stays with the correlator, which ends it from the
// OriginateResponse or its own expiry, and the key keeps the call so that a
// retry does not dial a second time.
func (s *Service) Dial(ctx context.Context, r amigate.DialRequest) (amigate.Call, error) {
	p, err := s.plan(r)
	if err != nil {
		return amigate.Call{}, err
	}
	if r.IdempotencyKey == "" {
		c, _, err := s.dial(ctx, p, r.Metadata)
		return c, err
	}
	if err := checkIdempotencyKey(r.IdempotencyKey); err != nil {
		return amigate.Call{}, err
	}
	// The caller's length first keeps ("a", "b:c") and ("a:b", "c") apart.
	key := strconv.Itoa(len(r.Caller)) + ":" + r.Caller + ":" + r.IdempotencyKey
	e, first, err := s.idem.claim(ctx, key, fingerprint(p, r.Metadata))
	if err != nil || e == nil {
		return first, err
	}
	c, sent, err := s.dial(ctx, p, r.Metadata)
	s.idem.finish(e, c, sent)
	return c, err
}

// dial sends the Originate. sent reports whether Asterisk may be dialling:
// true on success and when the outcome is unknown.
func (s *Service) dial(ctx context.Context, p dialPlan, metadata json.RawMessage) (c amigate.Call, sent bool, err error) {
	if err := ctx.Err(); err != nil {
		return amigate.Call{}, false, err
	}
	id := s.cfg.NewID()
	o := s.originate(p, id, s.cfg.NewID())
	c = amigate.Call{
		ID:         id,
		Direction:  amigate.DirectionOutbound,
		State:      amigate.StateDialing,
		Customer:   &amigate.Party{Number: p.to, E164: p.e164},
		Agent:      &amigate.Agent{Extension: p.from},
		Extensions: []string{p.from},
		StartedAt:  s.cfg.Now().UTC(),
		Channels:   []amigate.Channel{},
		Metadata:   metadata,
	}
	s.calls.Expect(c, o.ActionID)
	if _, err := s.ami.Originate(ctx, o); err != nil {
		if definite(err) {
			if u, ok := s.calls.(Unexpecter); ok {
				u.Unexpect(id)
			}
			return amigate.Call{}, false, pbxError("Originate", err, "")
		}
		return c, true, pbxError("Originate", err, "")
	}
	return c, true, nil
}

// originate is the click-to-call Originate. Nothing in it comes from the
// request unchecked: the channel is the configured template around a checked
// extension, the context is configuration, the extension is a number that
// passed the dial rules.
func (s *Service) originate(p dialPlan, id, otherID string) amiclient.OriginateParams {
	// The agent's phone shows the CRM's display name, or else the number
	// in the readable format; the number part is what is dialled, so that
	// the phone's redial reaches the customer.
	display := p.callerID
	if display == "" {
		display = p.display
	}
	vars := make([]ami.Field, 0, 1+len(p.vars))
	vars = append(vars, ami.Field{Name: chanvar.CallID, Value: id})
	return amiclient.OriginateParams{
		Channel:        s.cfg.Devices.Dial(p.from),
		Context:        s.cfg.DialContext,
		Exten:          p.to,
		Priority:       1,
		CallerID:       `"` + display + `" <` + p.to + `>`,
		Async:          true,
		ChannelID:      id,
		OtherChannelID: otherID,
		Variables:      append(vars, p.vars...),
		Timeout:        p.timeout,
		ActionID:       ActionIDPrefix + id,
	}
}

// fingerprint identifies a dial request for Idempotency-Key comparison: the
// checked values (so that "+7 900..." and "+7900..." are the same request)
// and the metadata with insignificant JSON whitespace removed.
func fingerprint(p dialPlan, metadata json.RawMessage) [32]byte {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(p.from)
	put(p.to)
	put(p.e164)
	put(p.callerID)
	put(p.timeout.String())
	put(strconv.Itoa(len(p.vars)))
	for _, v := range p.vars {
		put(v.Name)
		put(v.Value)
	}
	var buf bytes.Buffer
	if len(metadata) > 0 && json.Compact(&buf, metadata) == nil {
		put(buf.String())
	} else {
		put(string(metadata))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
