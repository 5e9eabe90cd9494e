package calls

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/agent"
)

type countMetrics struct{ unrecognised int }

func (m *countMetrics) UnrecognisedAgent() { m.unrecognised++ }

// With half the office's devices configured, the calls of the other half
// are never a confident wrong answer: answered, with no agent, talk time
// from the bridge, and a warning naming the channel to add.
func TestUnrecognisedAgent(t *testing.T) {
	tests := []struct {
		recording string
		templates []string
		channel   string // named in the warning
		talk      float64
	}{
		// An incoming call answered on a Local phone, with SIP phones only.
		{"incoming_direct", []string{"PJSIP/{ext}"}, "Local/101@phones-", 10},
		// A FreePBX queue member chain, with SIP phones only.
		{"freepbx_queue", []string{"PJSIP/{ext}"}, "Local/102@phones-", 10}, // the end of the chain
		// A SIP phone calling out, with Local phones only: nobody is known.
		{"sip_phone_outbound", []string{"Local/{ext}@phones"}, "", 4},
		// A SIP phone answering a DID, with Local phones only.
		{"hold_unhold", []string{"Local/{ext}@phones"}, "PJSIP/203-", 8},
	}
	for _, tt := range tests {
		t.Run(tt.recording, func(t *testing.T) {
			var logs bytes.Buffer
			m := &countMetrics{}
			cfg := Config{
				Devices: agent.MustNew(tt.templates, ""),
				Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
				Metrics: m,
			}
			evs, _, _ := run(t, tt.recording, cfg)
			var answered, ended []amigate.CallEvent
			for _, e := range evs {
				switch e.Type {
				case amigate.EventCallAnswered:
					answered = append(answered, e)
				case amigate.EventCallEnded:
					ended = append(ended, e)
				}
			}
			if len(answered) != 1 || answered[0].Agent != nil {
				t.Fatalf("call.answered events %v, want one with no agent", brief(answered))
			}
			if len(ended) != 1 {
				t.Fatalf("call.ended events %v, want one", brief(ended))
			}
			c := ended[0].Call
			if c.Disposition != amigate.DispositionAnswered || c.TalkSeconds < tt.talk || c.AnsweredAt == nil {
				t.Errorf("ended: disposition %s, talk %.3f s, answered at %v; want answered, at least %.0f s",
					c.Disposition, c.TalkSeconds, c.AnsweredAt, tt.talk)
			}
			if c.Agent != nil && c.Agent.Extension != "" && len(c.Extensions) == 0 {
				t.Errorf("ended names agent %q that no template recognises", c.Agent.Extension)
			}
			if m.unrecognised != 1 {
				t.Errorf("metric counted %d, want 1", m.unrecognised)
			}
			if !strings.Contains(logs.String(), "no recognised agent") || !strings.Contains(logs.String(), "channel="+tt.channel) {
				t.Errorf("warning %q does not name the channel %q", logs.String(), tt.channel)
			}
		})
	}
}

// The whole office configured: no call of the recordings is answered by an
// unrecognised channel.
func TestNoUnrecognisedAgentInTheOffice(t *testing.T) {
	for _, sc := range scenarios {
		m := &countMetrics{}
		cfg := sc.cfg
		cfg.Metrics = m
		run(t, sc.name, cfg)
		if m.unrecognised != 0 {
			t.Errorf("%s: %d calls answered by an unrecognised channel", sc.name, m.unrecognised)
		}
	}
}
