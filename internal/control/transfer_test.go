package control

import (
	"github.com/amigate/amigate/internal/agent"

	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
	"github.com/amigate/amigate/internal/control/dialrules"
)

// Calls shaped as the correlator reports them, with the channel names of the
// recorded transcripts.
var (
	// blind_transfer_action.txt: DID 5550101 answered by agent 101.
	inboundLocal = amigate.Call{
		ID: "1795331400.20", Direction: amigate.DirectionInbound, State: amigate.StateAnswered,
		Customer: &amigate.Party{Number: "79005550001"}, Agent: &amigate.Agent{Extension: "101"},
		Channels: []amigate.Channel{
			{Name: "Local/5550101@from-trunk-0000000e;1", Uniqueid: "1795331400.20", State: "Up"},
			{Name: "Local/5550101@from-trunk-0000000e;2", Uniqueid: "1795331400.21", State: "Up"},
			{Name: "Local/101@phones-0000000f;1", Uniqueid: "1795331400.22", State: "Up"},
			{Name: "Local/101@phones-0000000f;2", Uniqueid: "1795331400.23", State: "Up"},
		},
	}
	// click_to_call_channelid.txt: agent 101 called 79001234567.
	outboundLocal = amigate.Call{
		ID: callID, Direction: amigate.DirectionOutbound, State: amigate.StateAnswered,
		Customer: &amigate.Party{Number: "79001234567"}, Agent: &amigate.Agent{Extension: "101"},
		Channels: []amigate.Channel{
			{Name: "Local/101@phones-0000000c;1", Uniqueid: callID, State: "Up"},
			{Name: "Local/101@phones-0000000c;2", Uniqueid: otherID, State: "Up"},
			{Name: "Local/79001234567@pstn-0000000d;1", Uniqueid: "1795331362.30", State: "Up"},
			{Name: "Local/79001234567@pstn-0000000d;2", Uniqueid: "1795331362.31", State: "Up"},
		},
	}
	// pjsip_click_to_call.txt with a SIP trunk for the customer.
	outboundSIP = amigate.Call{
		ID: "c-sip", Direction: amigate.DirectionOutbound, State: amigate.StateAnswered,
		Agent: &amigate.Agent{Extension: "201"},
		Channels: []amigate.Channel{
			{Name: "PJSIP/201-00000003", Uniqueid: "c-sip", State: "Up"},
			{Name: "PJSIP/trunk-00000004", Uniqueid: "1795331500.2", State: "Up"},
		},
	}
)

func withState(c amigate.Call, state string) amigate.Call {
	c.State = state
	return c
}

func TestTransferAction(t *testing.T) {
	local := Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}
	redirect := Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, ""), BlindMethod: BlindRedirect}
	tests := []struct {
		name string
		cfg  Config
		call amigate.Call
		req  amigate.TransferRequest
		want string // the action as sent, ActionID left out
	}{
		{
			// As recorded: BlindTransfer on the agent's ;1 half succeeded.
			name: "blind inbound", cfg: local, call: inboundLocal,
			req:  amigate.TransferRequest{To: "102", Mode: "blind"},
			want: "Action: BlindTransfer\r\nActionID: x\r\nChannel: Local/101@phones-0000000f;1\r\nExten: 102\r\nContext: from-internal\r\n\r\n",
		},
		{
			name: "blind is the default mode", cfg: local, call: outboundLocal,
			req:  amigate.TransferRequest{To: "102"},
			want: "Action: BlindTransfer\r\nActionID: x\r\nChannel: Local/101@phones-0000000c;1\r\nExten: 102\r\nContext: from-internal\r\n\r\n",
		},
		{
			name: "blind SIP", cfg: Config{TransferContext: "xfer"}, call: outboundSIP,
			req:  amigate.TransferRequest{To: "202", Mode: "blind"},
			want: "Action: BlindTransfer\r\nActionID: x\r\nChannel: PJSIP/201-00000003\r\nExten: 202\r\nContext: xfer\r\n\r\n",
		},
		{
			// As recorded in redirect_blind_transfer_via_dial.txt.
			name: "redirect inbound", cfg: redirect, call: inboundLocal,
			req:  amigate.TransferRequest{To: "102", Mode: "blind"},
			want: "Action: Redirect\r\nActionID: x\r\nChannel: Local/5550101@from-trunk-0000000e;2\r\nContext: from-internal\r\nExten: 102\r\nPriority: 1\r\n\r\n",
		},
		{
			name: "redirect outbound", cfg: redirect, call: outboundLocal,
			req:  amigate.TransferRequest{To: "102", Mode: "blind"},
			want: "Action: Redirect\r\nActionID: x\r\nChannel: Local/79001234567@pstn-0000000d;1\r\nContext: from-internal\r\nExten: 102\r\nPriority: 1\r\n\r\n",
		},
		{
			name: "redirect SIP", cfg: Config{BlindMethod: BlindRedirect}, call: outboundSIP,
			req:  amigate.TransferRequest{To: "202"},
			want: "Action: Redirect\r\nActionID: x\r\nChannel: PJSIP/trunk-00000004\r\nContext: from-internal\r\nExten: 202\r\nPriority: 1\r\n\r\n",
		},
		{
			name: "blind falls back to redirect without an agent channel", cfg: Config{}, call: inboundLocal,
			req:  amigate.TransferRequest{To: "102"},
			want: "Action: Redirect\r\nActionID: x\r\nChannel: Local/5550101@from-trunk-0000000e;2\r\nContext: from-internal\r\nExten: 102\r\nPriority: 1\r\n\r\n",
		},
		{
			// As recorded in attended_transfer_atxfer.txt.
			name: "attended", cfg: local, call: inboundLocal,
			req:  amigate.TransferRequest{To: "102", Mode: "attended"},
			want: "Action: Atxfer\r\nActionID: x\r\nChannel: Local/101@phones-0000000f;1\r\nExten: 102\r\nContext: from-internal\r\n\r\n",
		},
		{
			name: "attended on hold", cfg: local, call: withState(outboundLocal, amigate.StateOnHold),
			req:  amigate.TransferRequest{To: "103", Mode: "attended"},
			want: "Action: Atxfer\r\nActionID: x\r\nChannel: Local/101@phones-0000000c;1\r\nExten: 103\r\nContext: from-internal\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fc := &fakeAMI{}, newFakeCalls(tt.call)
			s := newTestService(t, tt.cfg, fa, fc)
			c, err := s.Transfer(context.Background(), tt.call.ID, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			// An accepted Atxfer is watched: the correlator reports it if
			// it never starts.
			if w := fc.watched(); (len(w) == 1) != (tt.req.Mode == "attended") {
				t.Errorf("watched attended transfers %q", w)
			}
			if c.ID != tt.call.ID {
				t.Errorf("returned call %q, want %q", c.ID, tt.call.ID)
			}
			sent := fa.actions()
			if len(sent) != 1 {
				t.Fatalf("sent %d actions, want 1", len(sent))
			}
			got, err := sent[0].Encode(nil, "x")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransferRefused(t *testing.T) {
	noAgent := inboundLocal
	noAgent.Channels = inboundLocal.Channels[:2]
	tests := []struct {
		name     string
		call     amigate.Call
		id       string
		req      amigate.TransferRequest
		asterisk error
		want     error
		field    string
		text     string
	}{
		{name: "unknown call", call: inboundLocal, id: "nope", req: amigate.TransferRequest{To: "102"}, want: amigate.ErrNotFound},
		{name: "ringing", call: withState(inboundLocal, amigate.StateRinging), req: amigate.TransferRequest{To: "102"}, want: amigate.ErrConflict},
		{name: "dialing", call: withState(inboundLocal, amigate.StateDialing), req: amigate.TransferRequest{To: "102"}, want: amigate.ErrConflict},
		{name: "ended", call: withState(inboundLocal, amigate.StateEnded), req: amigate.TransferRequest{To: "102"}, want: amigate.ErrConflict},
		{name: "transferring", call: withState(inboundLocal, amigate.StateTransferring), req: amigate.TransferRequest{To: "102"}, want: amigate.ErrConflict},
		{name: "attended without agent channel", call: noAgent, req: amigate.TransferRequest{To: "102", Mode: "attended"}, want: amigate.ErrConflict},
		{name: "to CRLF", call: inboundLocal, req: amigate.TransferRequest{To: "102\r\nContext: evil"}, want: amigate.ErrInvalid, field: "to"},
		{name: "to NUL", call: inboundLocal, req: amigate.TransferRequest{To: "102\x00"}, want: amigate.ErrInvalid, field: "to"},
		{name: "to external number", call: inboundLocal, req: amigate.TransferRequest{To: "88091234567"}, want: amigate.ErrInvalid, field: "to"},
		{name: "to context", call: inboundLocal, req: amigate.TransferRequest{To: "102@evil"}, want: amigate.ErrInvalid, field: "to"},
		{name: "bad mode", call: inboundLocal, req: amigate.TransferRequest{To: "102", Mode: "warm"}, want: amigate.ErrInvalid, field: "mode"},
		{
			name: "asterisk refuses blind", call: inboundLocal, req: amigate.TransferRequest{To: "102"},
			asterisk: refused("BlindTransfer", "Transfer invalid"), want: amigate.ErrPBXRefused, text: "Transfer invalid",
		},
		{
			name: "asterisk refuses atxfer", call: inboundLocal, req: amigate.TransferRequest{To: "102", Mode: "attended"},
			asterisk: refused("Atxfer", "No attended transfer feature code found"), want: amigate.ErrPBXRefused, text: "features.conf",
		},
		{
			name: "not connected", call: inboundLocal, req: amigate.TransferRequest{To: "102"},
			asterisk: amiclient.ErrDisconnected, want: amigate.ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
				if tt.asterisk != nil {
					return ami.Message{}, tt.asterisk
				}
				return success(a), nil
			}}
			cfg := DefaultConfig()
			cfg.Devices = agent.MustNew([]string{"Local/{ext}@phones"}, "")
			cfg.NewID, cfg.Now = nil, nil
			fc := newFakeCalls(tt.call)
			s := newTestService(t, cfg, fa, fc)
			id := tt.id
			if id == "" {
				id = tt.call.ID
			}
			_, err := s.Transfer(context.Background(), id, tt.req)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			var fe *amigate.FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("error = %v, want a FieldError on %q", err, tt.field)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
			if w := fc.watched(); len(w) != 0 {
				t.Errorf("a refused transfer is watched: %q", w)
			}
			if tt.asterisk == nil && len(fa.actions()) != 0 {
				t.Errorf("sent %d actions, want none", len(fa.actions()))
			}
		})
	}
}

// TestBridgedChannelsFromTracker: when the correlator marks roles and the
// bridged halves, those are the channels named, whatever the names say.
func TestBridgedChannelsFromTracker(t *testing.T) {
	s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}, &fakeAMI{}, newFakeCalls())
	c := inboundLocal
	c.Channels = append([]amigate.Channel(nil), c.Channels...)
	// Mark the ;2 halves bridged (the opposite of what the name rule picks)
	// to prove the tracker's view wins.
	c.Channels[1].Role, c.Channels[1].Bridged = amigate.RoleCustomer, false
	c.Channels[0].Role, c.Channels[0].Bridged = amigate.RoleCustomer, true
	c.Channels[3].Role, c.Channels[3].Bridged = amigate.RoleAgent, true
	c.Channels[2].Role = amigate.RoleAgent
	if got, _ := s.agentChannel(c); got != c.Channels[3].Name {
		t.Errorf("agent channel: got %q, want %q", got, c.Channels[3].Name)
	}
	if got, _ := s.customerChannel(c); got != c.Channels[0].Name {
		t.Errorf("customer channel: got %q, want %q", got, c.Channels[0].Name)
	}
	// Without the tracker's marks, the name rule applies.
	if got, _ := s.agentChannel(inboundLocal); got != inboundLocal.Channels[2].Name {
		t.Errorf("agent channel by name: got %q, want %q", got, inboundLocal.Channels[2].Name)
	}
}

// TestLocalHalvesAnyCase: the halves of a Local pair are told apart with the
// technology in any case, as agent devices are recognised, so that a
// transfer never names the ;2 half of the agent's pair nor the trunk side of
// the customer's.
func TestLocalHalvesAnyCase(t *testing.T) {
	s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}, &fakeAMI{}, newFakeCalls())
	c := inboundLocal
	c.Channels = []amigate.Channel{
		{Name: "LOCAL/5550101@from-trunk-0000000e;1", Uniqueid: "1795331400.20", State: "Up"},
		{Name: "LOCAL/5550101@from-trunk-0000000e;2", Uniqueid: "1795331400.21", State: "Up"},
		{Name: "LOCAL/101@phones-0000000f;2", Uniqueid: "1795331400.23", State: "Up"},
		{Name: "LOCAL/101@phones-0000000f;1", Uniqueid: "1795331400.22", State: "Up"},
	}
	if got, _ := s.agentChannel(c); got != c.Channels[3].Name {
		t.Errorf("agent channel: got %q, want %q", got, c.Channels[3].Name)
	}
	if got, _ := s.customerChannel(c); got != c.Channels[1].Name {
		t.Errorf("customer channel: got %q, want %q", got, c.Channels[1].Name)
	}
}

// TestTransferTarget: an agent extension goes as it is; an outside number
// is read, checked and written by the dial rules as a click-to-call's "to"
// is, so that a transfer reaches nothing a click-to-call may not.
func TestTransferTarget(t *testing.T) {
	ru := dialrules.Config{Region: "RU", Deny: []string{"00", "810", "8809"}}
	us := dialrules.Config{Region: "US", Format: dialrules.FormatE164Digits, Deny: []string{"011"}}
	tests := []struct {
		name  string
		rules dialrules.Config
		to    string
		exten string // the Exten sent; "" when refused
		why   string // a part of the refusal's message
	}{
		{name: "extension", rules: ru, to: "102", exten: "102"},
		{name: "RU formatted", rules: ru, to: "+7 (900) 123-45-67", exten: "89001234567"},
		{name: "RU digits a full number", rules: ru, to: "79001234567", exten: "89001234567"},
		{name: "RU national", rules: ru, to: "8 900 123-45-67", exten: "89001234567"},
		{name: "RU premium rate", rules: ru, to: "8 809 123 45 67", why: "premium-rate"},
		{name: "RU foreign", rules: ru, to: "+44 20 7946 0018", why: "GB"},
		{name: "RU too short", rules: ru, to: "+7 900 123", why: "too short"},
		{name: "US e164 digits", rules: us, to: "(201) 555-0123", exten: "12015550123"},
		{name: "US premium rate", rules: us, to: "1-900-234-5678", why: "premium-rate"},
		{name: "no region, +", rules: DefaultConfig().Rules, to: "+7 (900) 123-45-67", exten: "79001234567"},
		{name: "no region, digits kept", rules: DefaultConfig().Rules, to: "79001234567", exten: "79001234567"},
		{name: "no region, denied prefix", rules: DefaultConfig().Rules, to: "88091234567", why: "8809"},
		{name: "no region, premium rate with +", rules: DefaultConfig().Rules, to: "+7 809 123 45 67", why: "premium-rate"},
		{name: "neither", rules: ru, to: "102@evil", why: "neither an extension"},
		{name: "letters in a number", rules: ru, to: "+7 900 CALL-NOW", why: "neither an extension"},
		{name: "CRLF", rules: ru, to: "+7 900\r\nAction: Command", why: "neither an extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fc := &fakeAMI{}, newFakeCalls(inboundLocal)
			cfg := DefaultConfig()
			cfg.Rules = tt.rules
			s := newTestService(t, cfg, fa, fc)
			_, err := s.Transfer(context.Background(), inboundLocal.ID, amigate.TransferRequest{To: tt.to})
			sent := fa.actions()
			if tt.exten == "" {
				var fe *amigate.FieldError
				if !errors.As(err, &fe) || fe.Field != "to" || !strings.Contains(fe.Message, tt.why) {
					t.Fatalf("Transfer to %q: %v; want a 422 on to that says %q", tt.to, err, tt.why)
				}
				if len(sent) != 0 {
					t.Fatalf("refused, but sent %d actions", len(sent))
				}
				return
			}
			if err != nil {
				t.Fatalf("Transfer to %q: %v", tt.to, err)
			}
			if len(sent) != 1 || sent[0].Get("Exten") != tt.exten || sent[0].Get("Context") != "from-internal" {
				t.Fatalf("sent %+v, want one action with Exten %s in from-internal", sent, tt.exten)
			}
		})
	}
}
