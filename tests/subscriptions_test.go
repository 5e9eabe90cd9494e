package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookSubscriptionAPI creates a second subscription through
// POST /v1/webhooks, for call.ended only and with its own secret, next to
// the one from configuration: each receiver gets what it asked for, signed
// with its own secret, and the deliveries list shows them delivered. A
// loopback URL is refused (422) by a service that does not allow private
// addresses.
func TestWebhookSubscriptionAPI(t *testing.T) {
	t.Parallel()
	e := start(t, office())
	second := newReceiver(t)
	r := e.api.do(http.MethodPost, "/v1/webhooks", map[string]any{
		"url": second.URL(), "events": []string{"call.ended"}, "secret": second.Secret,
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s, want 201", r.Status, r.Body)
	}
	var sub struct {
		ID     string   `json:"id"`
		Events []string `json:"events"`
		Source string   `json:"source"`
	}
	r.decode(t, &sub)
	if sub.ID == "" || sub.Source != "api" {
		t.Errorf("subscription %s, want an id and source api", r.Body)
	}

	c := e.api.dial(map[string]any{"from": "104", "to": customerRaw})
	e.rcv.waitEvent(wait, c.ID, "call.answered")
	e.hangup(t, c.ID)
	all := e.rcv.waitEnded(wait, c.ID)
	checkSteps(t, c.ID, all, step{"call.ringing", "104"}, step{"call.answered", "104"}, step{"call.ended", ""})
	ended := second.waitEnded(wait, c.ID)
	if len(ended) != 1 || ended[0].ID != last(t, all).ID {
		t.Errorf("the call.ended-only receiver got %d events %+v, want the one call.ended %s", len(ended), ended, last(t, all).ID)
	}

	var ds []struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Delivered bool   `json:"delivered"`
		Attempts  int    `json:"attempts"`
	}
	eventually(t, wait, "the delivery listed as delivered", func() bool {
		r := e.api.do(http.MethodGet, "/v1/webhooks/"+sub.ID+"/deliveries", nil)
		ds = nil
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &ds) == nil &&
			len(ds) == 1 && ds[0].Delivered
	})
	if d := ds[0]; d.EventID != ended[0].ID || d.EventType != "call.ended" || d.Attempts != 1 {
		t.Errorf("delivery %+v, want %s call.ended delivered at the first attempt", d, ended[0].ID)
	}
	if r := e.api.do(http.MethodDelete, "/v1/webhooks/"+sub.ID, nil); r.Status != http.StatusNoContent {
		t.Errorf("DELETE /v1/webhooks/%s: %d %s, want 204", sub.ID, r.Status, r.Body)
	}

	t.Run("private addresses refused by default", func(t *testing.T) {
		srv := fakeAMI(t)
		svc := startService(t, append(baseEnv(srv.Addr(), t.TempDir()), "AMIGATE_WEBHOOK_ALLOW_PRIVATE=false"))
		a := newAPI(t, svc.URL, token(t, allScopes, ""))
		r := a.do(http.MethodPost, "/v1/webhooks", map[string]any{"url": second.URL()})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("POST /v1/webhooks to %s: %d %s, want 422", second.URL(), r.Status, r.Body)
		}
	})
}

// TestWebhookSecretNotInDataDir reads the raw files of the data dir: the
// secret of a subscription created through the API is never in them (it is
// stored sealed), and once the subscription is deleted its record is
// erased from them, not merely marked deleted. The token in its URL shows
// in no response and no log line.
func TestWebhookSecretNotInDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := startService(t, baseEnv(fakeAMI(t).Addr(), dir))
	a := newAPI(t, svc.URL, token(t, allScopes, ""))
	rcv := newReceiver(t)
	const token = "e2e-url-token-42"
	url := rcv.URL() + "/only-in-this-record?token=" + token
	r := a.do(http.MethodPost, "/v1/webhooks", map[string]any{"url": url, "secret": rcv.Secret})
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s, want 201", r.Status, r.Body)
	}
	shown := string(r.Body) + string(a.do(http.MethodGet, "/v1/webhooks", nil).Body)
	if !strings.Contains(shown, "token=xxxxx") || strings.Contains(shown, token) {
		t.Errorf("responses show the URL's token, or no redacted URL: %s", shown)
	}
	var sub struct {
		ID string `json:"id"`
	}
	r.decode(t, &sub)
	// The record's URL on disk shows that the files hold the record.
	eventually(t, wait, "the record in the data dir", func() bool { return len(filesWith(t, dir, url)) > 0 })
	if f := filesWith(t, dir, rcv.Secret); len(f) > 0 {
		t.Errorf("the secret is in %v", f)
	}
	if r := a.do(http.MethodDelete, "/v1/webhooks/"+sub.ID, nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE /v1/webhooks/%s: %d %s, want 204", sub.ID, r.Status, r.Body)
	}
	eventually(t, wait, "the record erased from the data dir", func() bool { return len(filesWith(t, dir, url)) == 0 })
	if f := filesWith(t, dir, rcv.Secret); len(f) > 0 {
		t.Errorf("the secret is in %v after the delete", f)
	}
	for _, l := range svc.logs() {
		if strings.Contains(l, token) || strings.Contains(l, rcv.Secret) {
			t.Errorf("a log line shows the URL's token or the secret: %s", l)
		}
	}
}

// filesWith lists the files under dir that contain s.
func filesWith(t testing.TB, dir, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a compacted block)
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}
