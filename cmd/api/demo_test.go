//go:build !nodemo

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDemo starts the whole service in demo mode on a free port, waits for
// /readyz, places a click-to-call with the printed token, sees its webhook
// arrive signed at the inspector, and shuts down cleanly on cancel.
func TestDemo(t *testing.T) {
	r := runServe(t, []string{"--demo"}, []string{"AMIGATE_HTTP_ADDR=127.0.0.1:0", "AMIGATE_LOG_LEVEL=debug", "AMIGATE_JWT_SECRET=" + testSecret})
	s, stdout, stderr := r.started, r.stdout, r.stderr
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string, hdr ...string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	eventually(t, 10*time.Second, "/readyz 200", func() bool { code, _ := get("/readyz"); return code == http.StatusOK })
	if s.Token == "" || !strings.Contains(stdout.String(), s.Token) || !strings.Contains(stdout.String(), s.URL+"/swagger/index.html") {
		t.Errorf("welcome text lacks the token or the Swagger UI URL:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), testSecret) {
		t.Error("the JWT secret is printed")
	}

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/calls", strings.NewReader(`{"from": "101", "to": "+7 (900) 123-45-67"}`))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/calls: %d %s", resp.StatusCode, body)
	}
	var call struct {
		ID       string
		Customer struct{ Number, E164 string }
	}
	if err := json.Unmarshal(body, &call); err != nil || call.ID == "" {
		t.Fatalf("POST /v1/calls body %s: %v", body, err)
	}
	// The demo's region is RU: the office dials the national format.
	if call.Customer.Number != "89001234567" || call.Customer.E164 != "+79001234567" {
		t.Errorf("customer %+v, want number 89001234567 and e164 +79001234567", call.Customer)
	}

	// The agent's phone rings: call.ringing reaches the inspector, signed.
	eventually(t, 10*time.Second, "call.ringing webhook", func() bool {
		_, list := get("/demo/webhooks")
		var got []receivedWebhook
		if json.Unmarshal([]byte(list), &got) != nil {
			return false
		}
		for _, w := range got {
			if w.Type == "call.ringing" && w.Verified && strings.Contains(string(w.Body), call.ID) {
				return true
			}
		}
		return false
	})
	if code, page := get("/demo/webhooks", "Accept", "text/html"); code != http.StatusOK || !strings.Contains(page, "call.ringing") {
		t.Errorf("inspector page: %d %.200s", code, page)
	}
	if code, m := get("/metrics"); code != http.StatusOK || !strings.Contains(m, "amigate_ami_connected 1") ||
		!strings.Contains(m, `amigate_call_events_total{type="call.ringing"}`) {
		t.Errorf("metrics: %d, lacking connection state or call events", code)
	}

	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	// Debug logs of a whole run, requests included, show no secret.
	for what, secret := range map[string]string{"token": s.Token, "jwt secret": testSecret, "bearer header": "Bearer ", "webhook secret": "whsec_"} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("the logs contain the %s", what)
		}
	}
}

// TestDemoIncoming triggers a customer call through the simulated PBX's
// control API and sees the correlator pick it up.
func TestDemoIncoming(t *testing.T) {
	r := runServe(t, []string{"--demo"}, []string{"AMIGATE_HTTP_ADDR=127.0.0.1:0", "AMIGATE_LOG_LEVEL=error", "AMIGATE_AMI_RECONNECT_MIN=20ms"})
	s := r.started
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	post := func(body string) (int, string) { return postTo(t, client, s.URL+"/demo/pbx/calls", body) }
	tests := []struct {
		body string
		code int
		want string
	}{
		{`{"did": "5550101", "from": "79005550001", "name": "Ivan Petrov"}`, http.StatusCreated, `"linkedid"`},
		{`{"did": "999"}`, http.StatusUnprocessableEntity, "unknown"},
		{`{"did": `, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		code, body := post(tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("POST /demo/pbx/calls %s: got %d %s, want %d containing %q", tt.body, code, body, tt.code, tt.want)
		}
	}
	listed := func() bool {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/calls", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"number":"79005550001"`) && strings.Contains(string(b), `"direction":"inbound"`)
	}
	eventually(t, 10*time.Second, "the inbound call listed", listed)

	// A cut AMI connection: the client logs in again, the loop resyncs from
	// CoreShowChannels, and the call is still known.
	if code, body := postTo(t, client, s.URL+"/demo/pbx/drop", ""); code != http.StatusNoContent {
		t.Fatalf("drop: %d %s", code, body)
	}
	eventually(t, 10*time.Second, "logged in again and ready", func() bool { return reconnectedAndReady(t, client, s.URL) })
	if !listed() {
		t.Error("the call was lost across the reconnect")
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

func postTo(t *testing.T, client *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// reconnectedAndReady reports whether the service at url has logged in to
// the PBX again after one dropped connection and answers /readyz with 200.
func reconnectedAndReady(t *testing.T, client *http.Client, url string) bool {
	t.Helper()
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), "\namigate_ami_reconnects_total 1\n") {
		return false
	}
	resp, err = client.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
