package control

import (
	"strings"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
)

// Which channel of a call is the agent's and which the customer's is read
// from channel names: agent devices are recognised by the configured channel
// templates (Config.Devices), everything else is the customer's side. Local
// channels come in pairs; Asterisk names the halves ";1" and ";2".
//
// The half that sits in the bridge with the other party is what transfers
// must name (testdata/ami/blind_transfer_action.txt: BlindTransfer on the
// ;2 half is "Transfer invalid"):
//   - the agent's ;1 half, which Dial (incoming) or Originate (click-to-call)
//     created, is bridged; its ;2 half runs the phone's dialplan;
//   - the customer's Local pair, when customers are Local channels, is
//     bridged by its ;1 half when the call was dialled out (Dial created it)
//     and by its ;2 half when the customer called in (the ;2 half runs the
//     trunk's dialplan, which dialled the agent).

// liveChannels returns the channels of c that have not hung up. The
// correlator may keep ended channels with a hung-up state.
func liveChannels(c amigate.Call) []amigate.Channel {
	out := make([]amigate.Channel, 0, len(c.Channels))
	for _, ch := range c.Channels {
		if ch.Name == "" {
			continue
		}
		switch strings.ToLower(ch.State) {
		case "hungup", "hangup", "ended", "gone":
			continue
		}
		out = append(out, ch)
	}
	return out
}

// agentExtension returns the extension of an agent channel name and
// whether name is one (so that with "PJSIP/{ext}" a trunk's
// "PJSIP/trunk-00000004" is not an agent's).
func (s *Service) agentExtension(name string) (string, bool) {
	return s.cfg.Devices.Extension(name)
}

// agentChannel returns the agent's channel bridged with the customer: the
// call's agent's (any agent's when the call has none) live channel that is
// not the ;2 half of a Local pair.
func (s *Service) agentChannel(c amigate.Call) (string, bool) {
	live := liveChannels(c)
	// The correlator knows which channel is bridged: trust it first.
	for _, ch := range live {
		if ch.Role != amigate.RoleAgent || !ch.Bridged {
			continue
		}
		if ext, ok := s.agentExtension(ch.Name); ok && (c.Agent == nil || c.Agent.Extension == ext) {
			return ch.Name, true
		}
	}
	for _, ch := range live {
		ext, ok := s.agentExtension(ch.Name)
		if !ok || c.Agent != nil && c.Agent.Extension != ext {
			continue
		}
		if agent.LocalHalf(ch.Name) != 2 {
			return ch.Name, true
		}
	}
	return "", false
}

// customerChannel returns the customer's channel bridged with the agent: a
// live channel that is no agent's, and of a Local pair the half that faces
// the agent (see above).
func (s *Service) customerChannel(c amigate.Call) (string, bool) {
	live := liveChannels(c)
	for _, ch := range live {
		if ch.Role == amigate.RoleCustomer && ch.Bridged {
			return ch.Name, true
		}
	}
	skip := 1 // inbound: the ;1 half is the trunk side
	if c.Direction == amigate.DirectionOutbound {
		skip = 2 // outbound: the ;2 half runs the customer's dialplan
	}
	for _, ch := range live {
		if _, agent := s.agentExtension(ch.Name); agent {
			continue
		}
		if agent.LocalHalf(ch.Name) != skip {
			return ch.Name, true
		}
	}
	return "", false
}
