package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// ProblemListener returns ln with the errors that net/http answers by
// itself, before a request reaches any handler, turned into problem+json
// like every other error: 431 when the headers pass the server's
// MaxHeaderBytes, 400 for a request it cannot parse (a NUL in a header, no
// Host, a malformed request line), 501 for an unknown transfer coding, 505
// for an unsupported protocol. net/http writes each of these as one fixed
// text/plain answer straight to the connection — the status line, then
// exactly "Content-Type: text/plain; charset=utf-8" and "Connection: close"
// (no Date, which every handler's answer has) — and that shape is how they
// are recognised here. Should a later Go change it, TestWireErrors fails
// rather than the text/plain answers coming back unnoticed.
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return problemConn{c}, nil
}

type problemConn struct{ net.Conn }

func (c problemConn) Write(b []byte) (int, error) {
	p, ok := wireProblem(b)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return len(b), nil
}

// wireErrorHeaders are the headers of net/http's own error answers.
const wireErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// wireProblem rewrites one of net/http's own error answers as
// problem+json; ok is false for anything else, which passes unchanged.
func wireProblem(b []byte) (out []byte, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte("HTTP/1.1 "))
	if !ok {
		return nil, false
	}
	// The headers follow the status line directly: one look at the first
	// CR, not a search through every response the server writes.
	end := bytes.IndexByte(rest, '\r')
	if end < 4 || bytes.IndexByte(rest[:end], '\n') >= 0 || !bytes.HasPrefix(rest[end:], []byte(wireErrorHeaders)) {
		return nil, false
	}
	line := string(rest[:end]) // "400 Bad Request: missing required Host header"
	status, err := strconv.Atoi(line[:3])
	if err != nil || status < 400 || status > 599 || line[3] != ' ' {
		return nil, false
	}
	p := Problem{Title: http.StatusText(status), Status: status}
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		p.Type, p.Detail = kindHeadersTooLarge, "the request's headers are larger than the server accepts"
	case status == http.StatusBadRequest:
		p.Type, p.Detail = kindMalformed, "the request is not well-formed HTTP (its request line or a header could not be read)"
	default:
		p.Type = kindUnknown
	}
	// A reason net/http gives after the status text is its own fixed
	// wording ("missing required Host header"), never the client's bytes.
	if _, reason, found := strings.Cut(line, ": "); found {
		p.Detail = reason
	} else if body := string(rest[end+len(wireErrorHeaders):]); !strings.HasPrefix(body, line[:3]) {
		p.Detail = body // "Unsupported transfer encoding"
	}
	p.Type = ProblemTypeBase + p.Type
	body, err := json.Marshal(p)
	if err != nil {
		return nil, false
	}
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), mimeProblem, len(body), body), true
}
