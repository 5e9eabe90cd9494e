package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

// maxResponseBody is how much of a receiver's answer is read: enough for an
// error message, never a receiver's whole page.
const maxResponseBody = 4 << 10

// maxErrorText bounds the error kept in a delivery record.
const maxErrorText = 256

// attempt is the outcome of one POST.
type attempt struct {
	status int
	err    string // empty on 2xx
}

func (a attempt) ok() bool   { return a.err == "" }
func (a attempt) gone() bool { return a.status == http.StatusGone }

// send POSTs one event, signed for this attempt: webhook-id is the event id
// (stable across retries), webhook-timestamp is now (receivers reject old
// ones).
func (d *Dispatcher) send(ctx context.Context, target string, s *signature.Signer, id string, body []byte) attempt {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return attempt{err: "bad url"}
	}
	ts := d.cfg.Now().Unix()
	h := req.Header
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{d.cfg.UserAgent}
	h["Webhook-Id"] = []string{id}
	h["Webhook-Timestamp"] = []string{strconv.FormatInt(ts, 10)}
	h["Webhook-Signature"] = []string{s.Sign(id, ts, body)}
	resp, err := d.client.Do(req)
	if err != nil {
		return attempt{err: describe(err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return attempt{status: resp.StatusCode}
	}
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if t := printable(snippet); t != "" {
		msg += ": " + t
	}
	return attempt{status: resp.StatusCode, err: msg}
}

// describe keeps the cause of a transport error without the URL, which may
// carry credentials.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return fmt.Sprint(err)
}

// printable trims a response body to one short line of valid UTF-8.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
