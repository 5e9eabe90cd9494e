package amiclient

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// run is the connection manager: connect, serve until the connection ends,
// back off, again, until Close.
func (c *Client) run() {
	defer c.wg.Done()
	attempt := 0
	for {
		wasReady, err := c.session()
		if c.ctx.Err() != nil {
			return
		}
		if wasReady {
			attempt = 0
		}
		c.mu.Lock()
		c.lastErr = err
		loggedOff := c.loggedOff
		c.mu.Unlock()
		if loggedOff {
			c.log.Info("amiclient: logged off", "addr", c.cfg.Addr)
			c.setState(BackingOff)
			<-c.ctx.Done()
			return
		}
		d := backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)
		attempt++
		c.log.Warn("amiclient: connection ended, reconnecting", "err", err, "in", d, "attempt", attempt)
		c.setState(BackingOff)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
	}
}

// backoff is the delay before attempt n (0-based): min doubled n times,
// capped at max, then jittered down by up to half so that many clients do
// not reconnect in step.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := hi
	if n < 32 && lo<<n < hi && lo<<n > 0 {
		d = lo << n
	}
	half := d / 2
	return half + rand.N(half+1)
}

// session runs one connection from dial to its end. It reports whether
// the client got ready on it, and why it ended.
func (c *Client) session() (bool, error) {
	c.setState(Connecting)
	nc, err := c.dial()
	if err != nil {
		return false, err
	}
	cn := newConn(c, nc)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nc.Close()
		return false, ErrClosed
	}
	c.cur = cn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cur, c.ready = nil, nil
		c.mu.Unlock()
		nc.Close()
	}()

	nc.SetReadDeadline(time.Now().Add(c.cfg.LoginTimeout))
	version, err := cn.r.ReadBanner()
	if err != nil {
		return false, fmt.Errorf("%w: %w", errBanner, err)
	}
	nc.SetReadDeadline(time.Time{})
	c.mu.Lock()
	c.version = version
	c.mu.Unlock()

	c.setState(Authenticating)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		cn.readLoop()
	}()
	defer func() {
		nc.Close()
		<-cn.done
		if cn.connected.Load() {
			c.deliver(cn, []Event{{Kind: KindDisconnected, ReadAt: c.cfg.Now()}})
		}
	}()

	if err := c.login(cn); err != nil {
		return false, err
	}
	c.awaitBoot(cn)
	select {
	case <-cn.done:
		return false, fmt.Errorf("amiclient: connection lost after login: %w", cn.err)
	default:
	}
	c.mu.Lock()
	c.ready = cn
	c.mu.Unlock()
	if c.everReady {
		c.met.Reconnected()
	}
	c.everReady = true
	c.setState(Ready)
	c.log.Info("amiclient: connected", "addr", c.cfg.Addr, "version", version)
	return true, c.serve(cn)
}

// dial opens the TCP (and TLS) connection within DialTimeout.
func (c *Client) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.DialTimeout)
	defer cancel()
	nc, err := c.cfg.Dial(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("amiclient: dial %s: %w", c.cfg.Addr, err)
	}
	if c.cfg.TLS == nil {
		return nc, nil
	}
	tcfg := c.cfg.TLS
	if tcfg.ServerName == "" {
		tcfg = tcfg.Clone()
		host, _, _ := net.SplitHostPort(c.cfg.Addr)
		tcfg.ServerName = host
	}
	tc := tls.Client(nc, tcfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w with %s: %w", errTLS, c.cfg.Addr, err)
	}
	return tc, nil
}

// login authenticates within LoginTimeout: MD5 (Challenge, then Login with
// Key = md5(challenge + secret)) or plain. The fields go in the order the
// recorded Asterisk sessions show.
func (c *Client) login(cn *conn) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.LoginTimeout)
	defer cancel()
	a := ami.NewAction("Login")
	if c.cfg.Auth == "md5" {
		ch := ami.NewAction("Challenge").Add("AuthType", "MD5")
		resp, _, err := cn.roundTrip(ctx, ch, c.nextID(), plainCall)
		if err != nil {
			return fmt.Errorf("amiclient: challenge: %w", err)
		}
		sum := md5.Sum([]byte(resp.Get("Challenge") + c.cfg.Secret))
		a.Add("AuthType", "MD5").Add("Username", c.cfg.Username).Add("Key", hex.EncodeToString(sum[:]))
	} else {
		a.Add("Username", c.cfg.Username).Add("Secret", c.cfg.Secret)
	}
	a.Add("Events", c.cfg.Events)
	_, _, err := cn.roundTrip(ctx, a, c.nextID(), loginCall)
	var ae *ActionError
	if errors.As(err, &ae) {
		c.log.Error("amiclient: login refused", "user", c.cfg.Username, "message", ae.Message)
		return fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	if err != nil {
		return fmt.Errorf("amiclient: login: %w", err)
	}
	return nil
}

// awaitBoot waits, within LoginTimeout, for the FullyBooted event that
// Asterisk writes right behind the login response. It never comes with
// events off, nor to a user without the system read class: then the
// client goes on as ready after the bound.
func (c *Client) awaitBoot(cn *conn) {
	if strings.EqualFold(c.cfg.Events, "off") {
		return
	}
	t := time.NewTimer(c.cfg.LoginTimeout)
	defer t.Stop()
	select {
	case <-cn.booted:
	case <-t.C:
		c.log.Warn("amiclient: no FullyBooted after login: the user lacks the system read class or Asterisk is still booting; going on", "waited", c.cfg.LoginTimeout)
	case <-cn.done:
	case <-c.ctx.Done():
	}
}

// serve watches a ready connection: it ends when the reader does, on
// Close, or when a Ping goes unanswered.
func (c *Client) serve(cn *conn) error {
	var tick <-chan time.Time
	if c.cfg.PingInterval > 0 {
		t := time.NewTicker(c.cfg.PingInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-cn.done:
			return cn.err
		case <-c.ctx.Done():
			return ErrClosed
		case <-tick:
			ctx, cancel := context.WithTimeout(c.ctx, c.cfg.PingTimeout)
			_, _, err := cn.roundTrip(ctx, ami.NewAction("Ping"), c.nextID(), plainCall)
			cancel()
			var ae *ActionError
			if err != nil && !errors.As(err, &ae) {
				c.log.Error("amiclient: ping failed: dropping the connection", "err", err)
				cn.nc.Close()
				<-cn.done
				return fmt.Errorf("amiclient: ping: %w", err)
			}
		}
	}
}
