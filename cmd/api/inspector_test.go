package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

const inspectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestInspector(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	in := newInspector(inspectorSecret, 2, func() time.Time { return now })
	e := echo.New()
	e.POST(inspectorPath, in.receive)
	e.GET(inspectorPath, in.list)
	signer, err := signature.NewSigner(inspectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	post := func(id, body string, ts time.Time, sig string) int {
		req := httptest.NewRequest(http.MethodPost, inspectorPath, strings.NewReader(body))
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
		if sig == "" {
			sig = signer.Sign(id, ts.Unix(), []byte(body))
		}
		req.Header.Set("webhook-signature", sig)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	tests := []struct {
		name string
		id   string
		body string
		ts   time.Time
		sig  string
		code int
	}{
		{"signed", "evt_1", `{"id":"evt_1","type":"call.ringing"}`, now, "", http.StatusNoContent},
		{"forged", "evt_2", `{"id":"evt_2","type":"call.ended"}`, now, "v1,AAAA", http.StatusBadRequest},
		{"stale", "evt_3", `{"id":"evt_3","type":"call.answered"}`, now.Add(-10 * time.Minute), "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		if got := post(tt.id, tt.body, tt.ts, tt.sig); got != tt.code {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.code)
		}
	}
	req := httptest.NewRequest(http.MethodGet, inspectorPath, nil)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	var got []receivedWebhook
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// Newest first, at most 2 kept.
	if len(got) != 2 || got[0].ID != "evt_3" || got[1].ID != "evt_2" {
		t.Fatalf("got %+v, want evt_3 then evt_2", got)
	}
	if got[0].Verified || got[0].Type != "call.answered" || got[0].Error == "" {
		t.Errorf("stale webhook recorded as %+v", got[0])
	}
}
