package calls

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/amigate/amigate"
)

// channel is one Asterisk channel of a call in progress.
type channel struct {
	uniqueid string
	name     string
	state    string
	ext      string // agent extension when the channel is an agent's device
	cidNum   string
	cidName  string
	call     *call
	peer     *channel // the other half of a Local channel pair
	dialer   *channel // the channel whose Dial created this one, while both live
	bridge   *bridge
	// enterCtx and enterExten are where the channel stood in the dialplan
	// when it entered its bridge: a Redirect changes them, which is how a
	// blind transfer by Redirect shows in the stream.
	enterCtx   string
	enterExten string
	trunk      bool // created in a trunk context: the customer of an inbound call
	cust       bool // the customer's side: trunk, dialled party, or a Local half standing for it
	dialing    bool // dialled as an agent's device, not yet ended
	rung       bool // call.ringing was emitted for this device
}

// bridge is an Asterisk bridge and the channels in it.
type bridge struct {
	id      string
	members []*channel
}

// call is the model of one conversation in progress.
type call struct {
	id        string
	linkedids []string // every Linkedid that maps to this call
	direction string
	custNum   string
	custName  string
	agent     string
	caller    string   // the calling agent of an internal call
	exts      []string // every agent extension that took part
	answered  []string // agents that were connected with the customer
	// unrecognised is the channel the customer was connected with when no
	// recognised agent was: the call is answered, by no known agent.
	unrecognised string
	ringing      []string // agents whose device rings now
	queue        string
	did          string
	state        string
	metadata     json.RawMessage
	rare         *rare // nil until the call has any of it

	started  time.Time
	answerAt time.Time

	channels []*channel
	seq      int64 // events emitted by this process
	// seqBase is added to seq to number the call's events: 0 for a call
	// followed from its start, the adoption clock for a call picked up by
	// Reconcile (see adoptedAt).
	seqBase int64

	dialStatus string // the last unsuccessful DialStatus
	causeText  string
	xferUID    string         // transferee of the last BlindTransfer: its BridgeLeave is no Redirect
	blind      *blindTransfer // told by Asterisk, reported when the target dials
	atxfer     *atxfer        // the API's attended transfer, not started yet
	actionID   string         // the Originate's ActionID of an expected call
	sent       lifecycle
	failReason int // Reason of a failed OriginateResponse, -1 when none
	cause      int
	atxferN    int // attended transfers asked for, for event ids

	// The flags stay together at the end: scattered between wider fields
	// each took a word of padding, and the call is allocated per call in
	// progress (its size class is what BenchmarkMemoryPerActiveCall counts).
	abandoned bool
	causeSet  bool
	causeCust bool
	expected  bool
	fixedCust bool // the customer came from Expect and is not guessed again
	// restored: the call was known from the store of open calls (Restore)
	// and not yet seen in a channel list; endInferred: its end was not
	// seen but learnt from a channel list.
	restored    bool
	endInferred bool
	sentEnded   bool // call.ended was sent (see lifecycle)
}

// rare is what only some calls carry, out of line so that a call in
// progress fits the 512-byte size class: the correlator touches every
// call's struct on every event of it.
type rare struct {
	// custE164 is custNum in E.164, computed when e164Of (the custNum it
	// was computed for) differs: once per number, not per event.
	custE164 string
	e164Of   string
	// campaign and contact name the campaign attempt that originated the
	// call (Expect), so that its events open the contact's card.
	campaign string
	contact  *int
}

// more returns c.rare, made on first use.
func (c *call) more() *rare {
	if c.rare == nil {
		c.rare = &rare{}
	}
	return c.rare
}

// takeParties takes the customer (its E.164 as call control or an earlier
// process read it) and the campaign of a call reported whole: one
// expected from call control, or restored after a restart.
func (c *call) takeParties(from *amigate.Call) {
	if p := from.Customer; p != nil {
		c.custNum, c.custName = p.Number, p.Name
		if p.Number != "" {
			r := c.more()
			r.custE164, r.e164Of = p.E164, p.Number
		}
	}
	if from.Campaign != "" || from.Contact != nil {
		r := c.more()
		r.campaign, r.contact = from.Campaign, from.Contact
	}
}

// campaign is the campaign that originated the call, "" for none.
func (c *call) campaign() string {
	if c.rare == nil {
		return ""
	}
	return c.rare.campaign
}

// contact is the campaign contact the call is an attempt of, nil for none.
func (c *call) contact() *int {
	if c.rare == nil {
		return nil
	}
	return c.rare.contact
}

// next counts one more event of the call and returns its sequence.
func (c *call) next() int64 {
	c.seq++
	return c.seqBase + c.seq
}

// adoptedAt numbers the events of a call that Reconcile picked up, with no
// memory of it, above anything an earlier process can have sent for it.
//
// The tracker keeps no state across a restart, so the sequence of an
// adopted call is derived from time: it starts at the Reconcile's clock in
// milliseconds since the Unix epoch (about 1.8e12, exact in a JSON number
// and a JavaScript double for millennia). A call followed from its start
// numbers from 1, far below; a call adopted by a process, then again by the
// next one after another restart, keeps increasing as long as the first of
// them emitted fewer events for it than milliseconds passed between the two
// resyncs (a Reconcile reports a handful of events, a restart takes far
// longer than that many milliseconds). The sequence only orders events:
// event ids do not depend on it and stay deterministic from the Asterisk
// data. Adopting again never lowers the base.
func (c *call) adoptedAt(now time.Time) {
	if b := now.UnixMilli(); b > c.seqBase {
		c.seqBase = b
	}
}

func (c *call) addExt(ext string) {
	if ext == "" || slices.Contains(c.exts, ext) {
		return
	}
	c.exts = append(c.exts, ext)
}

func (c *call) removeChannel(ch *channel) {
	for i, x := range c.channels {
		if x == ch {
			last := len(c.channels) - 1
			c.channels[i] = c.channels[last]
			c.channels[last] = nil
			c.channels = c.channels[:last]
			return
		}
	}
}

// isAnswered reports whether the customer was connected with anyone: an
// agent, or a channel no agent template recognises.
func (c *call) isAnswered() bool { return len(c.answered) > 0 || c.unrecognised != "" }

// snapshot is the call as the API shows it at time now.
func (c *call) snapshot(now time.Time) amigate.Call {
	s := amigate.Call{
		ID:        c.id,
		Direction: c.direction,
		State:     c.state,
		Queue:     c.queue,
		DID:       c.did,
		StartedAt: c.started,
		Metadata:  c.metadata,
		Campaign:  c.campaign(),
		Contact:   c.contact(),
		Channels:  make([]amigate.Channel, len(c.channels)),
	}
	if len(c.linkedids) > 0 {
		s.Linkedid = c.linkedids[0]
	}
	if c.caller != "" {
		s.Caller = &amigate.Agent{Extension: c.caller}
	}
	if c.custNum != "" || c.custName != "" {
		s.Customer = &amigate.Party{Number: c.custNum, Name: c.custName}
	}
	if c.agent != "" {
		s.Agent = &amigate.Agent{Extension: c.agent}
	}
	if len(c.exts) > 0 {
		s.Extensions = append([]string(nil), c.exts...)
	}
	if !c.answerAt.IsZero() {
		at := c.answerAt
		s.AnsweredAt = &at
		s.TalkSeconds = seconds(now.Sub(at))
	}
	s.DurationSeconds = seconds(now.Sub(c.started))
	// A leg's cause (26 "answered elsewhere" of the agent who lost a
	// ring-all race) is not the call's until the call has ended.
	if c.causeSet && c.state == amigate.StateEnded {
		cause := c.cause
		s.HangupCause = &cause
		s.HangupCauseText = c.causeText
	}
	for i, ch := range c.channels {
		s.Channels[i] = amigate.Channel{Name: ch.name, Uniqueid: ch.uniqueid, State: ch.state, Bridged: ch.bridge != nil}
		switch {
		case ch.ext != "":
			s.Channels[i].Role = amigate.RoleAgent
		case ch.cust:
			s.Channels[i].Role = amigate.RoleCustomer
		}
	}
	return s
}

// seconds rounds a duration to milliseconds, never below zero.
func seconds(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func remove(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// known reports whether an AMI value carries information: Asterisk writes
// "<unknown>" for an unset caller id.
func known(s string) bool { return s != "" && s != "<unknown>" }

// keep copies a string taken from a message before it is stored: a field is
// a substring of the whole message, and keeping it would keep the message.
func keep(s string) string { return strings.Clone(s) }

// update stores v in *dst, copying it only when it changed.
func update(dst *string, v string) {
	if *dst != v {
		*dst = strings.Clone(v)
	}
}
