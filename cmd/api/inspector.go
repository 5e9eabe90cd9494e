package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

// inspectorPath receives the demo's webhooks (POST) and lists them (GET).
const inspectorPath = "/demo/webhooks"

// inspector is the demo's webhook receiver: it checks each delivery's
// signature as a CRM would and keeps the most recent ones for people to
// look at.
type inspector struct {
	secret string
	max    int
	now    func() time.Time

	mu       sync.Mutex
	received []receivedWebhook // newest last
}

// receivedWebhook is one delivery as the inspector saw it.
type receivedWebhook struct {
	ReceivedAt time.Time       `json:"received_at"`
	ID         string          `json:"webhook_id"`
	Type       string          `json:"type,omitempty"`
	Verified   bool            `json:"signature_verified"`
	Error      string          `json:"error,omitempty"`
	Body       json.RawMessage `json:"body"`
}

func newInspector(secret string, max int, now func() time.Time) *inspector {
	return &inspector{secret: secret, max: max, now: now}
}

// receive verifies and records one webhook. A bad signature is answered
// 400, as a receiver should, so the delivery is retried and visible as such.
func (in *inspector) receive(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	h := c.Request().Header
	rec := receivedWebhook{ReceivedAt: in.now().UTC(), ID: h.Get("webhook-id")}
	err = signature.Verify(in.secret, rec.ID, h.Get("webhook-timestamp"), h.Get("webhook-signature"), body, in.now())
	rec.Verified = err == nil
	if err != nil {
		rec.Error = err.Error()
	}
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &env) == nil && json.Valid(body) {
		rec.Type, rec.Body = env.Type, body
	} else {
		rec.Body, _ = json.Marshal(string(body))
	}
	in.mu.Lock()
	in.received = append(in.received, rec)
	if len(in.received) > in.max {
		in.received = append(in.received[:0:0], in.received[len(in.received)-in.max:]...)
	}
	in.mu.Unlock()
	if !rec.Verified {
		return c.NoContent(http.StatusBadRequest)
	}
	return c.NoContent(http.StatusNoContent)
}

// list returns the received webhooks, newest first: JSON, or a page of
// them grouped by call when a browser asks.
func (in *inspector) list(c echo.Context) error {
	in.mu.Lock()
	out := make([]receivedWebhook, len(in.received))
	for i, r := range in.received {
		out[len(out)-1-i] = r
	}
	in.mu.Unlock()
	if !strings.Contains(c.Request().Header.Get("Accept"), "text/html") {
		return c.JSON(http.StatusOK, out)
	}
	return c.HTML(http.StatusOK, inspectorPage(out))
}
