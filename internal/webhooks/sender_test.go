package webhooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/webhooks/signature"
)

func TestSend(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("redirect followed")
	}))
	defer other.Close()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		err     string // prefix; "" for success
	}{
		{"2xx", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }, 202, ""},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL, http.StatusFound)
		}, 302, "HTTP 302"},
		{"error body trimmed", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("boom\n\t" + strings.Repeat("é", 1<<20)))
		}, 500, "HTTP 500: boom é"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)   // then the server notices the client hanging up
			<-r.Context().Done() // answers only once the client gave up
		}, 0, "timeout"},
		{"gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }, 410, "HTTP 410"},
	}
	signer, _ := signature.NewSigner(testSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			tr := newTransport(true, 2)
			defer tr.CloseIdleConnections()
			// Only the timeout case waits for the timeout; the others
			// must not hit it, however loaded the machine.
			timeout := time.Minute
			if tt.name == "timeout" {
				timeout = 200 * time.Millisecond
			}
			d := &Dispatcher{cfg: Config{Timeout: timeout, UserAgent: "amigate/test"}.withDefaults(), client: newClient(tr)}
			a := d.send(context.Background(), srv.URL, signer, "evt_1", []byte(`{}`))
			if a.status != tt.status || !strings.HasPrefix(a.err, tt.err) || (tt.err == "") != a.ok() {
				t.Errorf("got status %d, error %q; want %d, %q", a.status, a.err, tt.status, tt.err)
			}
			if len(a.err) > maxErrorText+len("HTTP 500: ") {
				t.Errorf("error text is %d bytes", len(a.err))
			}
		})
	}
}
