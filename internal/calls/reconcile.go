package calls

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
	"github.com/amigate/amigate/internal/ami"
)

// Reconcile brings the model in line with the channels Asterisk lists
// (the CoreShowChannel events of a CoreShowChannels action) after an AMI
// reconnect: calls whose channels are all gone end (call.ended, with the
// disposition known so far), channels that appeared are picked up, and what
// the bridges now show is applied (a call answered meanwhile gets its
// call.answered, an agent's device that rings now gets call.ringing).
// Events lost while disconnected are not replayed: transfers in that window
// are not reported.
//
// A call the tracker has no memory of (a fresh process after a restart, or a
// call that started while disconnected) is adopted: its id comes from its
// Linkedid as for any unexpected call (the API's id for a click-to-call,
// see unexpectedCallID), its bridged channels note where they stand in the
// dialplan so that a later hangup is not taken for a Redirect, and its
// events are numbered from now's clock in milliseconds (see adoptedAt), so
// that they come after any an earlier process sent for it. A call the
// tracker knows from Restore is followed on under its id, or ended.
//
// Every call.ended of a Reconcile has end_inferred: the end was not seen.
func (t *Tracker) Reconcile(channels []ami.Message, now time.Time) []amigate.CallEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []amigate.CallEvent

	live := make(map[string]*ami.Message, len(channels))
	for i := range channels {
		if uid := channels[i].Get("Uniqueid"); uid != "" {
			live[uid] = &channels[i]
		}
	}

	// Channels that are gone: hung up while we were away.
	var emptied []*call
	for uid, ch := range t.channels {
		if live[uid] != nil {
			continue
		}
		c := ch.call
		t.drop(ch)
		if len(c.channels) == 0 && !slices.Contains(emptied, c) {
			emptied = append(emptied, c)
		}
	}
	slices.SortFunc(emptied, func(a, b *call) int { return strings.Compare(a.id, b.id) })
	for _, c := range emptied {
		if len(c.channels) == 0 {
			c.endInferred = true
			out = t.end(out, c, now, now)
		}
	}

	// Channels that are new: the one whose Uniqueid is its Linkedid first,
	// so that it starts its call and sets the direction.
	var fresh []*ami.Message
	for uid, m := range live {
		if t.channels[uid] == nil {
			fresh = append(fresh, m)
		}
	}
	slices.SortFunc(fresh, func(a, b *ami.Message) int {
		if c := strings.Compare(a.Get("Linkedid"), b.Get("Linkedid")); c != 0 {
			return c
		}
		ao, bo := a.Get("Uniqueid") == a.Get("Linkedid"), b.Get("Uniqueid") == b.Get("Linkedid")
		if ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Get("Uniqueid"), b.Get("Uniqueid"))
	})
	var picked []*call
	for _, m := range fresh {
		started := now.Add(-parseDuration(m.Get("Duration")))
		ch, created := t.newChannel(m, started)
		if ch == nil {
			continue
		}
		// A call this Reconcile starts is adopted; so is a call that began
		// before the tracker knew it (a channel of it seen live between a
		// restart's login and this list): an earlier process may have sent
		// events of it, its numbering goes above them.
		if c := ch.call; created || started.Before(c.started) && !c.expected && !c.restored {
			c.adoptedAt(now)
		}
		if c := ch.call; started.Before(c.started) && !c.expected {
			c.started = started
		}
		if !slices.Contains(picked, ch.call) {
			picked = append(picked, ch.call)
		}
	}
	pairLocals(fresh, t.channels)
	// Calls known from before a restart that nothing listed belongs to.
	out = t.endRestored(out, now)
	for _, c := range picked {
		t.guessRoles(c, live)
	}

	// What the bridges and states show now. Only what changed unseen is
	// applied: a state the events already told (a Ringing channel whose
	// DialState has not come yet) is the model's own, and the events
	// after the list tell the rest as they would have anyway.
	uids := make([]string, 0, len(live))
	for uid := range live {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	changed := make(map[*channel]bool, len(uids))
	for _, m := range fresh {
		if ch := t.channels[m.Get("Uniqueid")]; ch != nil {
			changed[ch] = true
		}
	}
	for _, uid := range uids {
		ch, m := t.channels[uid], live[uid]
		if ch == nil {
			continue
		}
		if st := m.Get("ChannelStateDesc"); st != ch.state {
			changed[ch] = true
		}
		update(&ch.state, m.Get("ChannelStateDesc"))
		id := m.Get("BridgeId")
		switch {
		case id == "" && ch.bridge != nil:
			t.leave(ch)
		case id != "" && (ch.bridge == nil || ch.bridge.id != id):
			// Where the channel stands in the dialplan, as a BridgeEnter
			// would have told, so that its BridgeLeave tells a Redirect
			// (a blind transfer) from a hangup.
			update(&ch.enterCtx, m.Get("Context"))
			update(&ch.enterExten, listedExten(m))
			out = t.enter(out, ch, id, now, now)
		}
	}
	for _, uid := range uids {
		if ch := t.channels[uid]; ch != nil && changed[ch] && ch.ext != "" && !ch.rung && ch.bridge == nil &&
			(ch.state == "Ringing" || ch.state == "Ring") && len(ch.call.answered) == 0 && !ch.call.hasOriginOf(ch) {
			ch.dialing = true
			out = t.ring(out, ch, now, now)
		}
	}
	return out
}

// hasOriginOf reports whether ch is the channel that started the call (an
// agent placing a call is not rung).
func (c *call) hasOriginOf(ch *channel) bool {
	return len(c.linkedids) > 0 && ch.uniqueid == c.linkedids[0] && !c.expected
}

// guessRoles sets the direction and the customer of a call picked up from
// a channel list, which says less than the events would have.
func (t *Tracker) guessRoles(c *call, live map[string]*ami.Message) {
	// The other half of a customer's Local pair is the customer's side
	// too, wherever it stands now in the dialplan.
	for _, ch := range c.channels {
		if ch.cust {
			markCust(ch)
		}
	}
	if c.direction == amigate.DirectionInbound || hasCust(c) {
		return
	}
	var origin *channel
	for _, ch := range c.channels {
		if len(c.linkedids) > 0 && ch.uniqueid == c.linkedids[0] {
			origin = ch
		}
	}
	if origin == nil || origin.ext == "" {
		if origin != nil {
			markCust(origin)
			c.custNum, c.custName = origin.cidNum, origin.cidName
			if c.direction == "" {
				c.direction = amigate.DirectionInbound
			}
		}
		return
	}
	// An agent's call: to whoever is not an agent (outbound), else internal.
	for _, ch := range c.channels {
		if ch.ext != "" {
			continue
		}
		ch.cust = true
		if c.direction == "" {
			c.direction = amigate.DirectionOutbound
		}
		if !c.fixedCust && c.custNum == "" {
			if e := listedExten(live[ch.uniqueid]); e != "" && e != "s" {
				c.custNum = keep(e)
			}
		}
	}
	if c.direction == "" {
		c.direction = amigate.DirectionInternal
		markCust(origin)
		if !c.fixedCust {
			c.custNum = origin.ext
		}
	}
}

// pairLocals links the two halves of Local channels that were picked up:
// they share their name up to the ";1"/";2".
func pairLocals(fresh []*ami.Message, channels map[string]*channel) {
	halves := map[string]*channel{}
	for _, m := range fresh {
		ch := channels[m.Get("Uniqueid")]
		if ch == nil || !agent.IsLocal(ch.name) || len(ch.name) < 3 || ch.name[len(ch.name)-2] != ';' {
			continue
		}
		base := ch.name[:len(ch.name)-2]
		if other := halves[base]; other != nil && other != ch {
			ch.peer, other.peer = other, ch
			continue
		}
		halves[base] = ch
	}
}

// listedExten is the dialplan extension of a listed channel: Exten
// (Asterisk 12 and later), Extension (Asterisk 11).
func listedExten(m *ami.Message) string {
	if e, ok := m.Lookup("Exten"); ok {
		return e
	}
	return m.Get("Extension")
}

// parseDuration reads CoreShowChannel's "HH:MM:SS".
func parseDuration(s string) time.Duration {
	var d time.Duration
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return 0
		}
		d = d*60 + time.Duration(n)
	}
	return d * time.Second
}
