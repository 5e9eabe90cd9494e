package pbxsim

import (
	"fmt"
	"strconv"
	"time"
)

// Channel states, as Asterisk numbers them in ChannelState.
const (
	stateDown    = 0
	stateRing    = 4
	stateRinging = 5
	stateUp      = 6
	stateBusy    = 7
)

func stateDesc(s int) string {
	switch s {
	case stateDown:
		return "Down"
	case stateRing:
		return "Ring"
	case stateRinging:
		return "Ringing"
	case stateUp:
		return "Up"
	case stateBusy:
		return "Busy"
	}
	return "Unknown"
}

// channel is one simulated Asterisk channel. Every field is guarded by PBX.mu;
// sig wakes the one goroutine that watches the channel (its dialplan thread
// or the thread that dialled it) whenever something it may wait for changes.
type channel struct {
	name, uniqueid, linkedid string
	device                   string // Local/101@phones, for DeviceStateChange
	half                     int    // 1 or 2 for a Local pair, 0 otherwise
	peer                     *channel
	state                    int
	cidNum, cidName          string
	connNum, connName        string
	context, exten           string
	priority                 int
	app, appData             string
	vars                     map[string]string
	created, answered        time.Time
	bridge                   *bridge
	bLeg                     bool // created by Dial/Queue: no Cdr of its own
	transferFeature          bool // Dial option t/T: Atxfer works on it
	dialed                   string

	sig       chan struct{}
	gone      chan struct{} // closed when the channel is hung up
	hangupReq bool
	cause     int // cause of the hangup request
	ownCause  int // cause set by Busy/Congestion, used for its own Hangup
	control   string
	ackUp     bool // its dialer has handled the answer (see awaitAck)
	redirect  *target
	atxfer    *target
	dead      bool
}

// target is a dialplan location for Redirect and transfers.
type target struct {
	context, exten string
	priority       int
	transferer     string // BlindTransfer: set as BLINDTRANSFER on arrival
}

// bridge is a two-party basic bridge.
type bridge struct {
	id    string
	chans []*channel
}

func (c *channel) notify() {
	select {
	case c.sig <- struct{}{}:
	default:
	}
}

func (c *channel) callerID() string {
	if c.cidName == "" || c.cidName == "<unknown>" {
		if c.cidNum == "<unknown>" {
			return ""
		}
		return c.cidNum
	}
	return fmt.Sprintf("%q <%s>", c.cidName, c.cidNum)
}

// newChannelLocked registers a channel. ids are Uniqueids chosen by an
// Originate (ChannelId/OtherChannelId); empty means one is made up.
func (p *PBX) newChannelLocked(name, id, linkedid string) *channel {
	if id == "" {
		p.seq++
		// Asterisk's form: creation time in seconds, a dot, a counter.
		id = strconv.FormatInt(p.now().Unix(), 10) + "." + strconv.FormatInt(p.seq, 10)
	}
	if linkedid == "" {
		linkedid = id
	}
	c := &channel{
		name: name, uniqueid: id, linkedid: linkedid,
		cidNum: "<unknown>", cidName: "<unknown>", connNum: "<unknown>", connName: "<unknown>",
		priority: 1, vars: map[string]string{}, created: p.now(), sig: make(chan struct{}, 1),
		gone: make(chan struct{}),
	}
	p.chans[name] = c
	return c
}

// newLocalLocked creates a Local channel pair Local/exten@context-XXXXXXXX;1/;2
// and emits their Newchannel events. linkedid empty makes ;1 the call's first
// channel.
func (p *PBX) newLocalLocked(exten, context, linkedid, id1, id2 string) (*channel, *channel) {
	p.localSeq++
	base := fmt.Sprintf("Local/%s@%s-%08x", exten, context, p.localSeq)
	one := p.newChannelLocked(base+";1", id1, linkedid)
	two := p.newChannelLocked(base+";2", id2, one.linkedid)
	for _, c := range []*channel{one, two} {
		c.context, c.exten = context, exten
		c.device = "Local/" + exten + "@" + context
	}
	one.half, two.half = 1, 2
	one.peer, two.peer = two, one
	two.state = stateRing
	p.devUse[two.device]++
	p.emitLocked(p.chanEvent("Newchannel", "call", one))
	p.emitLocked(p.chanEvent("Newchannel", "call", two))
	return one, two
}

func (p *PBX) newBridgeLocked() *bridge {
	b := &bridge{id: p.uuid()}
	p.emitLocked(p.bridgeEvent("BridgeCreate", b))
	return b
}

// uuid returns a random-looking but repeatable UUID for bridge ids.
func (p *PBX) uuid() string {
	p.uuidSeq++
	x := p.uuidSeq*0x9e3779b97f4a7c15 + uint64(p.boot)
	y := x*0xbf58476d1ce4e5b9 ^ x>>31
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, uint16(y>>48)&0xfff, y&0xffffffffffff)
}

// bridgedPeer is the other party in c's bridge (the last one, in a bridge
// of more than two), or nil when c is in none.
func (c *channel) bridgedPeer() *channel {
	if c.bridge == nil {
		return nil
	}
	var other *channel
	for _, x := range c.bridge.chans {
		if x != c {
			other = x
		}
	}
	return other
}
