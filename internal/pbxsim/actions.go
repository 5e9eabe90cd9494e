package pbxsim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// actions maps lower-case action names to their handlers; Login, Challenge
// and Logoff are handled by the session itself.
var actions map[string]func(*session, ami.Message)

func init() {
	actions = map[string]func(*session, ami.Message){
		"ping":               (*session).ping,
		"events":             (*session).events,
		"filter":             (*session).filter,
		"command":            (*session).command,
		"originate":          (*session).originate,
		"hangup":             (*session).hangup,
		"redirect":           (*session).redirect,
		"blindtransfer":      (*session).blindTransfer,
		"atxfer":             (*session).atxfer,
		"getvar":             (*session).getvar,
		"setvar":             (*session).setvar,
		"status":             (*session).status,
		"coreshowchannels":   (*session).coreShowChannels,
		"coreshowchannelmap": (*session).coreShowChannelMap,
		"queuestatus":        (*session).queueStatus,
		"queuesummary":       (*session).queueSummary,
		"queuepause":         (*session).queuePause,
	}
}

func (s *session) ping(req ami.Message) {
	m := response(req, "Success")
	m.Add("Ping", "Pong")
	m.Add("Timestamp", timestamp(s.p.now()))
	s.send(m)
}

func (s *session) events(req ami.Message) {
	mask := parseEventMask(req.Get("EventMask"))
	s.p.mu.Lock()
	s.mask = mask
	s.p.mu.Unlock()
	m := response(req, "Success")
	if mask != 0 {
		m.Add("Events", "On")
	} else {
		m.Add("Events", "Off")
	}
	s.send(m)
}

// filter adds an event filter: a regular expression over the event's lines,
// "!" in front for one that drops events.
func (s *session) filter(req ami.Message) {
	op := req.Get("Operation")
	if op != "" && !strings.EqualFold(op, "Add") {
		s.sendError(req, "Unknown operation")
		return
	}
	f := req.Get("Filter")
	deny := strings.HasPrefix(f, "!")
	re, err := regexp.Compile("(?m)" + strings.TrimPrefix(f, "!"))
	if f == "" || err != nil {
		s.sendError(req, "Filter Not Added")
		return
	}
	s.p.mu.Lock()
	if deny {
		s.deny = append(s.deny, re)
	} else {
		s.allow = append(s.allow, re)
	}
	s.p.mu.Unlock()
	s.sendSuccess(req, "Filter Added Successfully")
}

func (s *session) command(req ami.Message) {
	cmd := strings.Join(strings.Fields(req.Get("Command")), " ")
	var out []string
	p := s.p
	switch cmd {
	case "core show uptime":
		up := int(p.now().Sub(p.started).Seconds())
		out = []string{fmt.Sprintf("System uptime: %d seconds", up), fmt.Sprintf("Last reload: %d seconds", up)}
	case "core show version":
		out = []string{"Asterisk 22.10.1 (simulated by amigate pbxsim)"}
	case "core show channels":
		p.mu.Lock()
		n := len(p.chans)
		p.mu.Unlock()
		out = []string{fmt.Sprintf("%d active channels", n)}
	default:
		m := response(req, "Error")
		m.Add("Message", "Command output follows")
		words := strings.Fields(cmd)
		if len(words) > 2 {
			words = words[:2]
		}
		m.Add("Output", fmt.Sprintf("No such command '%s' (type 'core show help %s' for other possible commands)", cmd, strings.Join(words, " ")))
		s.send(m)
		return
	}
	m := response(req, "Success")
	m.Add("Message", "Command output follows")
	for _, l := range out {
		m.Add("Output", l)
	}
	s.send(m)
}

func (s *session) originate(req ami.Message) {
	o, msg := s.p.parseOriginate(req)
	if o == nil {
		s.sendError(req, msg)
		return
	}
	if !o.async {
		o.result = make(chan originateResult, 1)
	}
	s.p.mu.Lock()
	if o.async {
		s.queueLocked([]byte(successText(req, "Originate successfully queued")))
	}
	_, ok := s.p.startOriginateLocked(o)
	res := o.result
	s.p.mu.Unlock()
	if !ok {
		s.sendError(req, "Originate failed")
		return
	}
	if o.async {
		return
	}
	r, err := waitResult(s.p.ctx, res)
	if err != nil || !r.ok {
		s.sendError(req, "Originate failed")
		return
	}
	s.sendSuccess(req, "Originate successfully queued")
}

// lookupLocked finds a live channel by exact name.
func (p *PBX) lookupLocked(name string) *channel {
	c := p.chans[name]
	if c == nil || c.dead {
		return nil
	}
	return c
}

func (s *session) hangup(req ami.Message) {
	name := req.Get("Channel")
	if name == "" {
		s.sendError(req, "No channel specified")
		return
	}
	cause := 16
	if v, err := strconv.Atoi(req.Get("Cause")); err == nil && v > 0 {
		cause = v
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookupLocked(name)
	if c == nil {
		s.queueLocked([]byte(errorText(req, "No such channel")))
		return
	}
	m := response(req, "Success")
	m.Add("Message", "Channel Hungup")
	s.queueLocked([]byte(m.String()))
	p.requestHangupLocked(c, cause, true)
}

func errorText(req ami.Message, msg string) string {
	m := response(req, "Error")
	m.Add("Message", msg)
	return m.String()
}

// redirect moves a channel to Context,Exten,Priority (ExtraChannel too).
func (s *session) redirect(req ami.Message) {
	name, ctx, exten := req.Get("Channel"), req.Get("Context"), req.Get("Exten")
	if name == "" {
		s.sendError(req, "Channel not specified")
		return
	}
	if ctx == "" || exten == "" {
		s.sendError(req, "Exten not specified")
		return
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookupLocked(name)
	if c == nil {
		s.queueLocked([]byte(errorText(req, "Channel does not exist: "+name)))
		return
	}
	p.redirectLocked(c, target{context: ctx, exten: exten, priority: 1})
	if extra := p.lookupLocked(req.Get("ExtraChannel")); extra != nil {
		p.redirectLocked(extra, target{context: req.Get("ExtraContext"), exten: req.Get("ExtraExten"), priority: 1})
	}
	s.queueLocked([]byte(successText(req, "Redirect successful")))
}

func successText(req ami.Message, msg string) string {
	m := response(req, "Success")
	m.Add("Message", msg)
	return m.String()
}

func (p *PBX) redirectLocked(c *channel, to target) {
	c.redirect = &to
	c.notify()
}

// blindTransfer transfers the party bridged with Channel to Exten@Context.
// The channel must be in a bridge (for a Local agent leg: the ;1 half).
func (s *session) blindTransfer(req ami.Message) {
	name, ctx, exten := req.Get("Channel"), req.Get("Context"), req.Get("Exten")
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookupLocked(name)
	if c == nil {
		s.queueLocked([]byte(errorText(req, "No such channel")))
		return
	}
	if ctx == "" {
		ctx = c.context
	}
	var other *channel
	if c.bridge != nil {
		for _, x := range c.bridge.chans {
			if x != c {
				other = x
			}
		}
	}
	ev := p.event("BlindTransfer", "call")
	if other == nil {
		s.queueLocked([]byte(errorText(req, "Transfer invalid")))
		ev.Add("Result", "Invalid")
		addChannel(ev, "Transferer", c)
		ev.Add("IsExternal", "Yes")
		ev.Add("Context", ctx)
		ev.Add("Extension", exten)
		p.emitLocked(ev)
		return
	}
	s.queueLocked([]byte(successText(req, "Transfer succeeded")))
	p.emitLocked(p.chanEvent("Unhold", "call", c))
	p.varsetLocked(c, "BLINDTRANSFER", other.name)
	ev.Add("Result", "Success")
	addChannel(ev, "Transferer", c)
	addChannel(ev, "Transferee", other)
	addBridge(ev, "", c.bridge)
	ev.Add("IsExternal", "Yes")
	ev.Add("Context", ctx)
	ev.Add("Extension", exten)
	p.emitLocked(ev)
	p.redirectLocked(other, target{context: ctx, exten: exten, priority: 1, transferer: c.name})
	p.requestHangupLocked(c, 16, true)
}

func (s *session) getvar(req ami.Message) {
	name := req.Get("Variable")
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	val := ""
	if ch := req.Get("Channel"); ch != "" {
		c := p.lookupLocked(ch)
		if c == nil {
			s.queueLocked([]byte(errorText(req, "No such channel")))
			return
		}
		val = channelVar(c, name)
	}
	m := response(req, "Success")
	m.Add("Variable", name)
	m.Add("Value", val)
	s.queueLocked([]byte(m.String()))
}

// channelVar reads a channel variable or one of the functions Getvar is
// used for (CHANNEL(linkedid), CALLERID(num), ...).
func channelVar(c *channel, name string) string {
	switch strings.ToUpper(name) {
	case "CHANNEL(LINKEDID)":
		return c.linkedid
	case "UNIQUEID", "CHANNEL(UNIQUEID)":
		return c.uniqueid
	case "CALLERID(NUM)":
		return c.cidNum
	case "CALLERID(NAME)":
		return c.cidName
	case "CHANNEL(STATE)":
		return stateDesc(c.state)
	case "BRIDGEPEER":
		if c.bridge != nil {
			for _, x := range c.bridge.chans {
				if x != c {
					return x.name
				}
			}
		}
	}
	return c.vars[name]
}

func (s *session) setvar(req ami.Message) {
	name := req.Get("Variable")
	if name == "" {
		s.sendError(req, "No variable specified")
		return
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch := req.Get("Channel"); ch != "" {
		c := p.lookupLocked(ch)
		if c == nil {
			s.queueLocked([]byte(errorText(req, "No such channel")))
			return
		}
		p.varsetLocked(c, name, req.Get("Value"))
	}
	s.queueLocked([]byte(successText(req, "Variable Set")))
}

// sortedChannelsLocked lists live channels in creation order.
func (p *PBX) sortedChannelsLocked() []*channel {
	out := make([]*channel, 0, len(p.chans))
	for _, c := range p.chans {
		if !c.dead {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].name < out[j].name
	})
	return out
}

func duration(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func (s *session) coreShowChannels(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	var b strings.Builder
	start := response(req, "Success")
	start.Add("EventList", "start")
	start.Add("Message", "Channels will follow")
	b.WriteString(start.String())
	chans := p.sortedChannelsLocked()
	for _, c := range chans {
		m := &ami.Message{}
		m.Add("Event", "CoreShowChannel")
		m.Add("ActionID", id)
		addChannel(m, "", c)
		m.Add("Application", c.app)
		m.Add("ApplicationData", c.appData)
		m.Add("Duration", duration(p.now().Sub(c.created)))
		bid := ""
		if c.bridge != nil {
			bid = c.bridge.id
		}
		m.Add("BridgeId", bid)
		b.WriteString(m.String())
	}
	b.WriteString(complete("CoreShowChannelsComplete", id, len(chans)))
	s.queueLocked([]byte(b.String()))
}

func complete(event, id string, n int) string {
	m := &ami.Message{}
	m.Add("Event", event)
	m.Add("ActionID", id)
	m.Add("EventList", "Complete")
	m.Add("ListItems", strconv.Itoa(n))
	return m.String()
}

// status lists channels (or one, with Channel) as Status events.
func (s *session) status(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Get("ActionID")
	chans := p.sortedChannelsLocked()
	if name := req.Get("Channel"); name != "" {
		c := p.lookupLocked(name)
		if c == nil {
			s.queueLocked([]byte(errorText(req, "No such channel")))
			return
		}
		chans = []*channel{c}
	}
	var b strings.Builder
	start := response(req, "Success")
	start.Add("EventList", "start")
	start.Add("Message", "Channel status will follow")
	b.WriteString(start.String())
	for _, c := range chans {
		m := &ami.Message{}
		m.Add("Event", "Status")
		m.Add("Privilege", "Call")
		addChannel(m, "", c)
		m.Add("Type", "Local")
		m.Add("DNID", "")
		m.Add("EffectiveConnectedLineNum", c.connNum)
		m.Add("EffectiveConnectedLineName", c.connName)
		m.Add("TimeToHangup", "0")
		bid := ""
		if c.bridge != nil {
			bid = c.bridge.id
		}
		m.Add("BridgeID", bid)
		m.Add("Application", c.app)
		m.Add("Data", c.appData)
		m.Add("Nativeformats", "(slin)")
		m.Add("Readformat", "slin")
		m.Add("Readtrans", "")
		m.Add("Writeformat", "slin")
		m.Add("Writetrans", "")
		m.Add("Callgroup", "0")
		m.Add("Pickupgroup", "0")
		m.Add("Seconds", strconv.Itoa(int(p.now().Sub(c.created).Seconds())))
		m.Add("ActionID", id)
		b.WriteString(m.String())
	}
	b.WriteString(complete("StatusComplete", id, len(chans)))
	s.queueLocked([]byte(b.String()))
}

// coreShowChannelMap lists the channels connected to Channel through
// bridges and Local pairs (not its own Local peer), as Asterisk 22 does.
func (s *session) coreShowChannelMap(req ami.Message) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookupLocked(req.Get("Channel"))
	if c == nil {
		s.queueLocked([]byte(errorText(req, "Channel does not exist")))
		return
	}
	id := req.Get("ActionID")
	seen := map[*channel]bool{c: true}
	if c.peer != nil {
		seen[c.peer] = true
	}
	var out []*channel
	var visit func(x *channel, viaBridge bool)
	visit = func(x *channel, viaBridge bool) {
		if x.bridge != nil {
			for _, y := range x.bridge.chans {
				if !seen[y] {
					seen[y] = true
					out = append(out, y)
					visit(y, true)
				}
			}
		}
		if viaBridge && x.peer != nil && !seen[x.peer] && !x.peer.dead {
			seen[x.peer] = true
			out = append(out, x.peer)
			visit(x.peer, false)
		}
	}
	visit(c, false)
	var b strings.Builder
	b.WriteString(listStartText(req, "Channel map will follow"))
	for _, x := range out {
		m := &ami.Message{}
		m.Add("Event", "CoreShowChannelMap")
		m.Add("ActionID", id)
		m.Add("Channel", c.name)
		m.Add("ConnectedChannel", x.name)
		b.WriteString(m.String())
	}
	b.WriteString(complete("CoreShowChannelMapComplete", id, len(out)))
	s.queueLocked([]byte(b.String()))
}

func listStartText(req ami.Message, msg string) string {
	m := response(req, "Success")
	m.Add("EventList", "start")
	m.Add("Message", msg)
	return m.String()
}
