package pbxsim

import (
	"context"
	"strings"
	"testing"

	"github.com/amigate/amigate/internal/ami"
)

// TestHangupAction hangs up, by exact name, each channel of a bridged call
// in turn: whichever it is, the whole call is torn down (nothing stays up)
// and the Hangup events carry the requested cause where Asterisk puts it.
func TestHangupAction(t *testing.T) {
	tests := []struct {
		name   string
		did    string
		prefix string // channel to hang up: first channel name with this prefix
		half   string
	}{
		{"customer ;1", "5550101", "Local/5550101@from-trunk-", ";1"},
		{"customer ;2", "5550101", "Local/5550101@from-trunk-", ";2"},
		{"agent ;1", "5550101", "Local/101@phones-", ";1"},
		{"agent ;2", "5550101", "Local/101@phones-", ";2"},
		{"queue caller ;2", "5550100", "Local/5550100@from-trunk-", ";2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := New(Config{Office: slowTalk()})
			t.Cleanup(func() { p.Close() })
			addr, err := p.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			c := login(t, addr, "crm", "crmsecret", "on")
			id, err := p.IncomingCall(context.Background(), Incoming{DID: tt.did})
			if err != nil {
				t.Fatal(err)
			}
			var target string
			up := c.waitFor(waitLong, func(ms []ami.Message) bool {
				bridged := false
				for _, m := range ms {
					ch := m.Get("Channel")
					if m.Event() == "Newchannel" && strings.HasPrefix(ch, tt.prefix) && strings.HasSuffix(ch, tt.half) && target == "" {
						target = ch
					}
					bridged = bridged || (m.Event() == "BridgeEnter" && m.Get("Linkedid") == id)
				}
				return target != "" && bridged
			})
			if !up {
				t.Fatalf("call not bridged with a %s…%s channel", tt.prefix, tt.half)
			}
			if r := c.response(ami.NewAction("Hangup").Add("Channel", target).Add("Cause", "21"), "h"); r.Get("Message") != "Channel Hungup" {
				t.Fatalf("hangup %s: %v", target, r.Fields)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitLong) // talk times are a minute
			defer cancel()
			if err := p.WaitIdle(ctx); err != nil {
				t.Fatalf("call not torn down after hanging up %s: %d channels left", target, p.ActiveChannels())
			}
			c.sync()
			if m, ok := c.waitEvent(0, "Hangup", "Channel", target); !ok || m.Get("Cause") != "21" {
				t.Errorf("Hangup of %s: cause %q, want 21", target, m.Get("Cause"))
			}
		})
	}
}
