package amiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Health is where the connection stands and, while it is not ready, why:
// for a readiness probe, which an operator reads to tell a wrong password
// from a PBX that is down.
type Health struct {
	State State
	// Since is when State began.
	Since time.Time
	// Reason classifies why the last connection attempt or session
	// failed, in a few stable words (see the Reason constants); empty
	// while ready and before any failure.
	Reason string
	// Err is that failure, with its detail.
	Err error
}

// Reasons a connection fails, as Health reports them. They are stable:
// operators alert on them.
const (
	ReasonAuthFailed     = "authentication failed" // Asterisk refused the login
	ReasonRefused        = "connection refused"    // nothing listens at the address
	ReasonHostNotFound   = "host not found"        // the name does not resolve
	ReasonUnreachable    = "host unreachable"      // no route to the address
	ReasonTimeout        = "timeout"               // dial, banner, login or ping not answered in time
	ReasonTLS            = "tls handshake failed"  // certificate or protocol
	ReasonNotAMI         = "not an asterisk manager"
	ReasonConnectionLost = "connection lost"   // closed or reset by the other end
	ReasonOther          = "connection failed" // none of the above
)

// errTLS and errBanner mark the steps whose failures have reasons of
// their own.
var (
	errTLS    = errors.New("amiclient: tls handshake")
	errBanner = errors.New("amiclient: banner")
)

// Health returns the connection's state, since when, and why the last
// attempt failed while not ready.
func (c *Client) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := Health{State: c.state, Since: c.since}
	if c.state != Ready && c.lastErr != nil {
		h.Reason, h.Err = reason(c.lastErr), c.lastErr
	}
	return h
}

// reason classifies a connection failure; the order matters: a TLS
// handshake that timed out is a timeout, one that read garbage is TLS.
func reason(err error) string {
	var (
		dns    *net.DNSError
		ne     net.Error
		cert   *tls.CertificateVerificationError
		unk    x509.UnknownAuthorityError
		host   x509.HostnameError
		record tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, ErrAuthFailed):
		return ReasonAuthFailed
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.As(err, &dns):
		if dns.IsTimeout {
			return ReasonTimeout
		}
		return ReasonHostNotFound
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ReasonUnreachable
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	case errors.As(err, &cert), errors.As(err, &unk), errors.As(err, &host), errors.As(err, &record), errors.Is(err, errTLS):
		return ReasonTLS
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, ErrDisconnected), errors.Is(err, net.ErrClosed):
		return ReasonConnectionLost
	case errors.Is(err, errBanner):
		return ReasonNotAMI
	}
	return ReasonOther
}
