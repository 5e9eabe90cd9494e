package pbxsim

import (
	"fmt"
	"regexp"
	"strings"

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
		"devicestatelist":    (*session).deviceStateList,
		"extensionstatelist": (*session).extensionStateList,
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
