//go:build !nodemo

package main

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmePause matches the README's pause examples: the path and the body.
var readmePause = regexp.MustCompile(`^curl -s -X POST \$B(/v1/\S+/(?:un)?pause) -H "\$H"(?: -H "\$J" -d '([^']*)')?`)

// TestDemoREADMEPause runs the README's queue and agent pause examples, as
// written, against the demo with the token it prints.
func TestDemoREADMEPause(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	type example struct{ path, body string }
	var examples []example
	for _, l := range strings.Split(string(readme), "\n") {
		if m := readmePause.FindStringSubmatch(l); m != nil {
			examples = append(examples, example{m[1], m[2]})
		}
	}
	if len(examples) < 3 {
		t.Fatalf("found %d pause examples in the README: %v", len(examples), examples)
	}

	r := runServe(t, []string{"--demo"}, []string{"AMIGATE_HTTP_ADDR=127.0.0.1:0", "AMIGATE_LOG_LEVEL=error"})
	s := r.started
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	send := func(method, path, body string) (int, string) {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, s.URL+path, r)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The agents are known once the service has listed the PBX's states.
	eventually(t, 20*time.Second, "agent 101 listed", func() bool { code, _ := send(http.MethodGet, "/v1/agents/101", ""); return code == http.StatusOK })
	for _, ex := range examples {
		if code, body := send(http.MethodPost, ex.path, ex.body); code/100 != 2 {
			t.Errorf("README example POST %s %s: %d %s", ex.path, ex.body, code, body)
		}
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}
