// Package panel is the operator panel: a page served at /panel that shows
// agents, queues and calls live from the API's event stream and acts
// through the public API with the signed-in person's token. Its files are
// embedded in the binary; there is no build step.
package panel

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Path is where the panel is served.
const Path = "/panel"

// Options tune the panel.
type Options struct {
	// DemoTokenPath, when set, is where the page fetches a token to sign in
	// by itself (the demo's); otherwise a person pastes one.
	DemoTokenPath string
}

// Handler serves the panel: the page at /panel and /panel/, its script and
// style below /panel/. The page loads nothing from elsewhere, which its
// Content-Security-Policy enforces, so that a script injected through a
// caller's name (the page never builds HTML from data) would not run.
func Handler(o Options) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		panic(err)
	}
	// The page learns of the demo from an attribute: no inline script,
	// which the Content-Security-Policy forbids, and no request to a path
	// that does not exist outside the demo.
	page = bytes.Replace(page, []byte(`data-demo-token=""`),
		[]byte(`data-demo-token="`+html.EscapeString(o.DemoTokenPath)+`"`), 1)
	files := http.StripPrefix(Path, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Short-lived: a new release's page must not meet an old script.
		h.Set("Cache-Control", "no-cache")
		if r.URL.Path == Path || r.URL.Path == Path+"/" || r.URL.Path == Path+"/index.html" {
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
			return
		}
		if !strings.HasPrefix(r.URL.Path, Path+"/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
