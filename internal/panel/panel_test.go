package panel

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler(Options{DemoTokenPath: "/demo/token"})
	for _, tt := range []struct {
		path, wantType, wantBody string
		status                   int
	}{
		{"/panel", "text/html; charset=utf-8", `<script src="/panel/panel.js"`, 200},
		{"/panel/", "text/html; charset=utf-8", `data-demo-token="/demo/token"`, 200},
		{"/panel/panel.js", "text/javascript; charset=utf-8", "EventSource", 200},
		{"/panel/panel.css", "text/css; charset=utf-8", ":root", 200},
		{"/panel/nope.js", "", "", 404},
		{"/panelx", "", "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, rec.Code, tt.status)
			continue
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
		}
		if tt.status != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != tt.wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, ct, tt.wantType)
		}
		if !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("GET %s: body lacks %q", tt.path, tt.wantBody)
		}
	}
}

// TestNoMarkupFromData keeps the script honest about its promise: it
// never writes HTML, so a caller's name cannot inject markup.
func TestNoMarkupFromData(t *testing.T) {
	js, err := static.ReadFile("static/panel.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(string(js), bad) {
			t.Errorf("panel.js uses %s", bad)
		}
	}
}
