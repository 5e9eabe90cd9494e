package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestNoHeaderInjection is issue scenario 9's safety half: CR, LF or NUL
// in any request field, a variable name that is a dialplan function, or a
// request that tries to choose the context, the application or the
// channel, is refused (422 or 400) and nothing reaches the AMI socket.
func TestNoHeaderInjection(t *testing.T) {
	t.Parallel()
	srv, svc := startWithFakeAMI(t)
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	a.waitReady()
	c := a.dial(map[string]any{"from": "101", "to": customerNum})
	answeredCall(t, srv, nextAction(t, srv)) // its Originate
	eventually(t, wait, "the call answered", func() bool { return a.getCall(c.ID).State == "answered" })

	ok := map[string]any{"from": "101", "to": customerNum}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	calls := "/v1/calls"
	xfer := "/v1/calls/" + c.ID + "/transfer"
	tests := []struct {
		name, path string
		body       any
		status     int
	}{
		{"CRLF in from", calls, with("from", "101\r\nAction: Command"), 422},
		{"LF in from", calls, with("from", "101\n"), 422},
		{"CRLF in to", calls, with("to", "79001234567\r\nContext: evil"), 422},
		{"NUL in to", calls, with("to", "7900\x001234567"), 422},
		{"CRLF in caller_id", calls, with("caller_id", "x\r\nApplication: System"), 422},
		{"LF in caller_id", calls, with("caller_id", "a\nb"), 422},
		{"NUL in caller_id", calls, with("caller_id", "a\x00b"), 422},
		{"CRLF in a variable value", calls, with("variables", map[string]string{"CRM_X": "1\r\nContext: evil"}), 422},
		{"NUL in a variable value", calls, with("variables", map[string]string{"CRM_X": "1\x00"}), 422},
		{"CRLF in a variable name", calls, with("variables", map[string]string{"A\r\nChannel: x": "1"}), 422},
		{"function as a variable name", calls, with("variables", map[string]string{"SHELL(rm -rf /)": "1"}), 422},
		{"variable name with =", calls, with("variables", map[string]string{"A=B": "1"}), 422},
		// Variables Asterisk acts on: only the configured pattern (CRM_…) gets through.
		{"MONITOR_EXEC inherited", calls, with("variables", map[string]string{"__MONITOR_EXEC": "/bin/sh -c 'id > /tmp/x'"}), 422},
		{"MONITOR_EXEC_ARGS", calls, with("variables", map[string]string{"MONITOR_EXEC_ARGS": "-c id"}), 422},
		{"SIPADDHEADER inherited", calls, with("variables", map[string]string{"__SIPADDHEADER01": "P-Asserted-Identity: <sip:112@pbx>"}), 422},
		{"TOUCH_MIXMONITOR inherited", calls, with("variables", map[string]string{"__TOUCH_MIXMONITOR": "/etc/asterisk/manager.conf"}), 422},
		{"AUDIOHOOK_INHERIT inherited", calls, with("variables", map[string]string{"__AUDIOHOOK_INHERIT": "MixMonitor"}), 422},
		{"an allowed name inherited", calls, with("variables", map[string]string{"__CRM_DEAL_ID": "42"}), 422},
		{"the request chooses the context", calls, with("context", "evil"), 400},
		{"the request chooses the application", calls, with("application", "System"), 400},
		{"the request chooses the channel", calls, with("channel", "DAHDI/1"), 400},
		{"the request chooses the channel id", calls, with("channel_id", "x"), 400},
		{"CRLF in the transfer target", xfer, map[string]any{"to": "102\r\nContext: evil", "mode": "blind"}, 422},
		{"NUL in the transfer target", xfer, map[string]any{"to": "102\x00", "mode": "attended"}, 422},
		{"the transfer chooses the context", xfer, map[string]any{"to": "102", "context": "evil"}, 400},
	}
	before := len(srv.Actions())
	for _, tt := range tests {
		r := a.do(http.MethodPost, tt.path, tt.body)
		if r.Status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s: content-type %q, want problem+json", tt.name, ct)
		}
	}
	// A request that does reach the PBX, after all of them: it must be the
	// next action on the socket.
	a.do(http.MethodGet, "/v1/queues", nil)
	if got := nextAction(t, srv); got.Get("Action") != "QueueSummary" {
		t.Errorf("after the refused requests the PBX got %q, want the QueueSummary", fields(got))
	}
	for _, m := range srv.Actions()[before:] {
		if act := m.Get("Action"); act != "QueueSummary" && !housekeeping(m) {
			t.Errorf("a refused request reached the PBX: %q", fields(m))
		}
		for _, f := range m.Fields {
			if strings.ContainsAny(f.Name+f.Value, "\r\n\x00") {
				t.Errorf("control character on the wire: %q", fmt.Sprint(f))
			}
		}
	}
}
