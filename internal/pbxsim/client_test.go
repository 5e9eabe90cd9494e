package pbxsim

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// testClient is a raw AMI connection for tests: one goroutine reads every
// message into all; waitFor polls it under a deadline (no sleeps).
type testClient struct {
	t      testing.TB
	conn   net.Conn
	banner string
	mu     sync.Mutex
	all    []ami.Message
	done   bool
	wake   chan struct{}
	wg     sync.WaitGroup
	pings  int
}

func dialAMI(t testing.TB, addr string) *testClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &testClient{t: t, conn: conn, wake: make(chan struct{}, 1)}
	r := ami.NewReader(conn, 0)
	c.banner, err = r.ReadBanner()
	if err != nil {
		t.Fatalf("banner: %v", err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			m, err := r.ReadMessage()
			c.mu.Lock()
			if err != nil {
				c.done = true
			} else {
				c.all = append(c.all, m)
			}
			c.mu.Unlock()
			select {
			case c.wake <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *testClient) close() {
	c.conn.Close()
	c.wg.Wait()
}

func (c *testClient) send(a *ami.Action, id string) {
	c.t.Helper()
	b, err := a.Encode(nil, id)
	if err != nil {
		c.t.Fatalf("encode %s: %v", a.Name, err)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write %s: %v", a.Name, err)
	}
}

// messages returns a copy of what was read so far.
func (c *testClient) messages() []ami.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ami.Message(nil), c.all...)
}

// waitLong bounds a wait for something that normally comes within
// milliseconds: generous, for a busy machine.
const waitLong = 20 * time.Second

// waitFor waits until pred holds for the messages read so far, or timeout.
func (c *testClient) waitFor(timeout time.Duration, pred func([]ami.Message) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := pred(c.all)
		done := c.done
		c.mu.Unlock()
		if ok {
			return true
		}
		if done {
			return false
		}
		select {
		case <-c.wake:
		case <-deadline.C:
			return false
		}
	}
}

// closed waits until the PBX has closed the connection.
func (c *testClient) closed(timeout time.Duration) bool {
	c.waitFor(timeout, func([]ami.Message) bool { return false })
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// response sends an action and waits for the response with its ActionID.
func (c *testClient) response(a *ami.Action, id string) ami.Message {
	c.t.Helper()
	c.send(a, id)
	var got ami.Message
	if !c.waitFor(waitLong, func(ms []ami.Message) bool {
		for _, m := range ms {
			if m.IsResponse() && m.ActionID() == id {
				got = m
				return true
			}
		}
		return false
	}) {
		c.t.Fatalf("no response to %s (%s)", a.Name, id)
	}
	return got
}

// waitEvent waits for an event matching name and the field values given in
// pairs, and returns it.
func (c *testClient) waitEvent(timeout time.Duration, name string, kv ...string) (ami.Message, bool) {
	var got ami.Message
	ok := c.waitFor(timeout, func(ms []ami.Message) bool {
	next:
		for _, m := range ms {
			if m.Event() != name {
				continue
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if m.Get(kv[i]) != kv[i+1] {
					continue next
				}
			}
			got = m
			return true
		}
		return false
	})
	return got, ok
}

// mustEvent is waitEvent for an event the test cannot go on without.
func (c *testClient) mustEvent(timeout time.Duration, name string, kv ...string) ami.Message {
	c.t.Helper()
	m, ok := c.waitEvent(timeout, name, kv...)
	if !ok {
		c.t.Fatalf("no %s %v within %v", name, kv, timeout)
	}
	return m
}

func login(t testing.TB, addr, user, secret, events string) *testClient {
	t.Helper()
	c := dialAMI(t, addr)
	r := c.response(ami.NewAction("Login").Add("Username", user).Add("Secret", secret).Add("Events", events), "login")
	if r.Response() != "Success" {
		t.Fatalf("login %s: %v", user, r.Fields)
	}
	return c
}

// sync returns once every message the PBX queued for this connection so far
// has been read: a Ping's response is queued behind them.
func (c *testClient) sync() {
	c.t.Helper()
	c.pings++
	c.response(ami.NewAction("Ping"), "sync-"+strconv.Itoa(c.pings))
}

// waitEventAfter is waitEvent for an event that comes after prev.
func (c *testClient) waitEventAfter(timeout time.Duration, prev ami.Message, name string, kv ...string) (ami.Message, bool) {
	var got ami.Message
	ok := c.waitFor(timeout, func(ms []ami.Message) bool {
		after := false
	next:
		for _, m := range ms {
			if !after {
				after = m.String() == prev.String()
				continue
			}
			if m.Event() != name {
				continue
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if m.Get(kv[i]) != kv[i+1] {
					continue next
				}
			}
			got = m
			return true
		}
		return false
	})
	return got, ok
}
