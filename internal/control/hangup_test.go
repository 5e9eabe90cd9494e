package control

import (
	"github.com/amigate/amigate/internal/agent"

	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

func TestHangup(t *testing.T) {
	withChannels := func(c amigate.Call, chs ...amigate.Channel) amigate.Call {
		c.Channels = chs
		return c
	}
	tests := []struct {
		name     string
		call     amigate.Call
		gone     map[string]bool // channels Asterisk no longer has
		want     []string        // Channel of every Hangup sent, in order
		wantErr  error
		wantSent bool
	}{
		{
			// Hanging up one half of a Local pair takes the other with it.
			name: "every channel by exact name, Local pairs by their ;1 half", call: outboundLocal,
			want: []string{"Local/101@phones-0000000c;1", "Local/79001234567@pstn-0000000d;1"},
		},
		{
			name: "a lone ;2 half is hung up",
			call: withChannels(outboundLocal, amigate.Channel{Name: "Local/101@phones-0000000c;2", State: "Up"}, amigate.Channel{Name: "PJSIP/trunk-00000001", State: "Up"}),
			want: []string{"Local/101@phones-0000000c;2", "PJSIP/trunk-00000001"},
		},
		{
			// The agent's hang-up tore the call down before the second.
			name: "gone channels are skipped", call: outboundLocal,
			gone: map[string]bool{"Local/79001234567@pstn-0000000d;1": true},
			want: []string{"Local/101@phones-0000000c;1", "Local/79001234567@pstn-0000000d;1"},
		},
		{
			name: "hung-up channels are not sent",
			call: withChannels(outboundSIP, amigate.Channel{Name: "PJSIP/201-00000003", State: "Up"}, amigate.Channel{Name: "PJSIP/trunk-00000004", State: "Hungup"}),
			want: []string{"PJSIP/201-00000003"},
		},
		{
			name: "just originated: by the call id, the Uniqueid of its channel",
			call: withChannels(withState(outboundLocal, amigate.StateDialing)),
			want: []string{callID},
		},
		{
			name:    "everything already gone",
			call:    withChannels(outboundSIP, amigate.Channel{Name: "PJSIP/201-00000003", State: "Up"}),
			gone:    map[string]bool{"PJSIP/201-00000003": true},
			want:    []string{"PJSIP/201-00000003"},
			wantErr: amigate.ErrConflict,
		},
		{name: "ended", call: withState(outboundLocal, amigate.StateEnded), wantErr: amigate.ErrConflict},
		{
			name:    "a regex is never sent",
			call:    withChannels(outboundSIP, amigate.Channel{Name: "PJSIP/201-00000003", State: "Up"}, amigate.Channel{Name: "/.*/", State: "Up"}),
			wantErr: amiclient.ErrBadChannel,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
				if tt.gone[a.Get("Channel")] {
					return ami.Message{}, refused("Hangup", "No such channel")
				}
				return success(a), nil
			}}
			s := newTestService(t, Config{Devices: agent.MustNew([]string{"Local/{ext}@phones"}, "")}, fa, newFakeCalls(tt.call))
			c, err := s.Hangup(context.Background(), tt.call.ID)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && c.ID != tt.call.ID {
				t.Errorf("returned call %q, want %q", c.ID, tt.call.ID)
			}
			var got []string
			for _, a := range fa.actions() {
				if a.Name != "Hangup" || a.Get("Cause") != "16" || len(a.Fields) != 2 {
					t.Errorf("sent %s %v, want Hangup with Channel and Cause 16", a.Name, a.Fields)
				}
				got = append(got, a.Get("Channel"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hung up (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHangupErrors(t *testing.T) {
	tests := []struct {
		name string
		id   string
		err  error
		want error
	}{
		{"unknown call", "nope", nil, amigate.ErrNotFound},
		{"not connected", outboundSIP.ID, amiclient.ErrNotReady, amigate.ErrUnavailable},
		{"timeout", outboundSIP.ID, amiclient.ErrTimeout, amigate.ErrTimeout},
		{"refused", outboundSIP.ID, refused("Hangup", "Permission denied"), amigate.ErrPBXRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) { return ami.Message{}, tt.err }}
			s := newTestService(t, Config{}, fa, newFakeCalls(outboundSIP))
			if _, err := s.Hangup(context.Background(), tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// The action is the one recorded in hangup.txt, apart from the ActionID.
func TestHangupMatchesTranscript(t *testing.T) {
	call := withState(outboundLocal, amigate.StateAnswered)
	call.Channels = []amigate.Channel{{Name: "Local/101@phones-00000016;1", State: "Up"}}
	fa := &fakeAMI{}
	s := newTestService(t, Config{}, fa, newFakeCalls(call))
	if _, err := s.Hangup(context.Background(), call.ID); err != nil {
		t.Fatal(err)
	}
	got, err := fa.actions()[0].Encode(nil, "hangup-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(sentBlock(t, "hangup.txt", "Hangup")), string(got)); diff != "" {
		t.Errorf("Hangup (-recorded +got):\n%s", diff)
	}
}
