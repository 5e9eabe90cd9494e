package amitest

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// Conn is one client connection to the server, as handlers see it.
type Conn struct {
	srv  *Server
	nc   net.Conn
	wmu  sync.Mutex // serialises writes from the handler and from Emit
	hold bool       // more actions are buffered: hold writes in pend
	pend []byte

	loggedIn  atomic.Bool
	events    bool // guarded by wmu
	challenge string
}

// Msg builds a message from name/value pairs, in order:
// Msg("Event", "Hangup", "Channel", "PJSIP/201-00000001").
func Msg(kv ...string) ami.Message {
	m := ami.Message{Fields: make([]ami.Field, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// Response builds the response to action: "Response: <status>", the
// action's ActionID (if any), then the name/value pairs.
func Response(action ami.Message, status string, kv ...string) ami.Message {
	m := Msg("Response", status)
	if id, ok := action.Lookup("ActionID"); ok {
		m.Add("ActionID", id)
	}
	m.Fields = append(m.Fields, Msg(kv...).Fields...)
	return m
}

// Reply writes Response(action, status, kv...).
func (c *Conn) Reply(action ami.Message, status string, kv ...string) error {
	return c.Write(Response(action, status, kv...))
}

// Write writes the messages in one write, so that they reach the client in
// the same TCP segment (the FullyBooted trap).
func (c *Conn) Write(msgs ...ami.Message) error {
	var b []byte
	for _, m := range msgs {
		b = append(b, m.String()...)
	}
	return c.WriteRaw(b)
}

// WriteRaw writes bytes as they are. While the client has more actions
// waiting to be read, writes are held and sent together once the server
// has answered them all, as a busy Asterisk would.
func (c *Conn) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.hold || len(c.pend) > 0 {
		c.pend = append(c.pend, b...)
		if c.hold && len(c.pend) < 64<<10 {
			return nil
		}
		b = c.pend
	}
	_, err := c.nc.Write(b)
	c.pend = c.pend[:0]
	return err
}

// setHold starts or ends holding writes; ending it sends what was held.
func (c *Conn) setHold(hold bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hold = hold
	if !hold && len(c.pend) > 0 {
		c.nc.Write(c.pend)
		c.pend = c.pend[:0]
	}
}

// Close sends what is held and closes the connection.
func (c *Conn) Close() error {
	c.setHold(false)
	return c.nc.Close()
}

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.srv }

func (c *Conn) authenticated() bool { return c.loggedIn.Load() }

func (c *Conn) eventsOn() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.events
}

// drain reads and discards until the peer or the server closes.
func (c *Conn) drain() { io.Copy(io.Discard, c.nc) }

// builtins answer the actions every session needs, as Asterisk 22 does.
var builtins = map[string]Handler{
	"challenge": handleChallenge,
	"login":     handleLogin,
	"ping":      handlePing,
	"logoff":    handleLogoff,
	"events":    handleEvents,
}

var challengeSeq atomic.Int64

func handleChallenge(c *Conn, a ami.Message) {
	if !strings.EqualFold(a.Get("AuthType"), "md5") {
		c.Reply(a, "Error", "Message", "Must specify AuthType")
		return
	}
	c.challenge = strconv.FormatInt(100000000+challengeSeq.Add(1), 10)
	c.Reply(a, "Success", "Challenge", c.challenge)
}

func handleLogin(c *Conn, a ami.Message) {
	cfg := &c.srv.cfg
	ok := true
	if cfg.Username != "" {
		ok = a.Get("Username") == cfg.Username
		if strings.EqualFold(a.Get("AuthType"), "md5") {
			sum := md5.Sum([]byte(c.challenge + cfg.Secret))
			ok = ok && c.challenge != "" && a.Get("Key") == hex.EncodeToString(sum[:])
		} else {
			ok = ok && a.Get("Secret") == cfg.Secret
		}
	}
	if !ok {
		c.Reply(a, "Error", "Message", "Authentication failed")
		c.Close() // as Asterisk does
		return
	}
	events := !strings.EqualFold(a.Get("Events"), "off")
	c.wmu.Lock()
	c.events = events
	c.wmu.Unlock()
	msgs := []ami.Message{Response(a, "Success", "Message", "Authentication accepted")}
	if events && !cfg.NoFullyBooted {
		msgs = append(msgs, Msg("Event", "FullyBooted", "Privilege", "system,all",
			"Uptime", "1", "LastReload", "1", "Status", "Fully Booted"))
	}
	c.loggedIn.Store(true)
	c.Write(msgs...)
}

func handlePing(c *Conn, a ami.Message) {
	ts := strconv.FormatFloat(float64(time.Now().UnixMicro())/1e6, 'f', 6, 64)
	c.Reply(a, "Success", "Ping", "Pong", "Timestamp", ts)
}

func handleLogoff(c *Conn, a ami.Message) {
	c.Reply(a, "Goodbye", "Message", "Thanks for all the fish.")
	c.Close()
}

func handleEvents(c *Conn, a ami.Message) {
	on := !strings.EqualFold(a.Get("EventMask"), "off")
	c.wmu.Lock()
	c.events = on
	c.wmu.Unlock()
	state := "Off"
	if on {
		state = "On"
	}
	c.Reply(a, "Success", "Events", state)
}
