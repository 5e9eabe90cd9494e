package pbxsim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

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
