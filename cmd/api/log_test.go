package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLogDurations: the access log's duration, like every duration the
// service logs, is a Go duration ("1.2ms"), not slog's nanoseconds.
func TestLogDurations(t *testing.T) {
	_, addr := startPBX(t, 1)
	env := pbxEnv(t, addr)
	env = append(env, "AMIGATE_LOG_LEVEL=info") // the later value wins
	r := runServe(t, nil, env)
	s, stderr := r.started, r.stderr
	res, err := http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var line map[string]any
	eventually(t, 5*time.Second, "the access log line", func() bool {
		for _, l := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(l, `"msg":"http request"`) && strings.Contains(l, `"/healthz"`) {
				return json.Unmarshal([]byte(l), &line) == nil
			}
		}
		return false
	})
	d, ok := line["duration"].(string)
	if !ok {
		t.Fatalf("duration is %T %v, want a Go duration string", line["duration"], line["duration"])
	}
	if _, err := time.ParseDuration(d); err != nil {
		t.Errorf("duration %q: %v", d, err)
	}
}
