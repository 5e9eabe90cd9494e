package pbxsim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

func TestHandler(t *testing.T) {
	p, addr := startPBX(t)
	c := login(t, addr, "crm", "crmsecret", "on")
	srv := httptest.NewServer(http.StripPrefix("/demo/pbx", p.Handler()))
	t.Cleanup(srv.Close)
	tests := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/demo/pbx/calls", `{"did":"5550101","from":"79005550001","name":"Ivan"}`, http.StatusCreated},
		{"POST", "/demo/pbx/calls", `{"did":"999"}`, http.StatusUnprocessableEntity},
		{"POST", "/demo/pbx/calls", `{"did":"5550101","name":"x\r\nEvent: Forged"}`, http.StatusUnprocessableEntity},
		{"POST", "/demo/pbx/calls", `{"did":`, http.StatusBadRequest},
		{"GET", "/demo/pbx/", "", http.StatusOK},
		{"GET", "/demo/pbx/calls", "", http.StatusMethodNotAllowed},
	}
	var linkedid string
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s %s: got %d, want %d (%v)", tt.method, tt.path, tt.body, resp.StatusCode, tt.status, out)
		}
		if id, ok := out["linkedid"].(string); ok {
			linkedid = id
		}
	}
	m, ok := c.waitEvent(5*time.Second, "Newchannel", "Uniqueid", linkedid)
	if !ok || m.Get("Context") != "from-trunk" {
		t.Errorf("no call %q from the handler: %v", linkedid, m.Fields)
	}
	for _, tt := range []struct {
		linkedid string
		status   int
	}{{linkedid, http.StatusNoContent}, {"nope", http.StatusNotFound}} {
		resp, err := http.Post(srv.URL+"/demo/pbx/calls/"+tt.linkedid+"/hangup", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("hangup %s: %d, want %d", tt.linkedid, resp.StatusCode, tt.status)
		}
	}
	waitIdle(t, p)
	resp, err := http.Post(srv.URL+"/demo/pbx/drop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("drop: %d", resp.StatusCode)
	}
	if c.waitFor(2*time.Second, func([]ami.Message) bool { return false }) {
		t.Error("AMI connection still open after /drop")
	}
}

func TestGenerate(t *testing.T) {
	p, addr := startPBX(t)
	c := login(t, addr, "crm", "crmsecret", "on")
	if err := p.Generate(context.Background(), Load{}); !errors.Is(err, ErrBadLoad) {
		t.Errorf("zero rate: %v, want ErrBadLoad", err)
	}
	start := time.Now()
	err := p.Generate(context.Background(), Load{Rate: 400, Total: 40, HangupMin: 30 * time.Millisecond, HangupMax: 60 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("40 calls at 400/s took %v, want about 100ms", d)
	}
	waitIdle(t, p)
	c.sync()
	calls := 0
	for _, m := range c.messages() {
		if m.Event() == "Newchannel" && m.Get("Context") == "from-trunk" && m.Get("Uniqueid") == m.Get("Linkedid") {
			calls++
		}
	}
	if calls != 40 {
		t.Errorf("%d calls, want 40", calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Generate(ctx, Load{Rate: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
