package pbxsim

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/amigate/amigate/internal/ami"
)

// Banner is the greeting of Asterisk 22's manager.
const Banner = "Asterisk Call Manager/11.0.0\r\n"

// session is one AMI connection: a reader goroutine that runs actions in
// order, and a writer goroutine that drains the queue of responses and
// events, so that a slow client never blocks the PBX.
type session struct {
	p    *PBX
	conn net.Conn

	// Guarded by PBX.mu:
	user      *User
	read      uint32 // read classes of the user
	write     uint32
	mask      uint32 // Events: classes the client asked for
	challenge string
	allow     []*regexp.Regexp // Filter: whitelist
	deny      []*regexp.Regexp // Filter: blacklist (!)
	queue     [][]byte
	closed    bool
	closing   bool          // Logoff or failed login: flush the queue, then close
	wake      chan struct{} // wakes the writer: queued bytes or closing
}

func (p *PBX) startSession(conn net.Conn) bool {
	s := &session{p: p, conn: conn, wake: make(chan struct{}, 1)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.sessions[s] = struct{}{}
	s.queue = append(s.queue, []byte(Banner))
	p.wg.Add(2)
	go func() { defer p.wg.Done(); s.writeLoop() }()
	go func() { defer p.wg.Done(); s.readLoop() }()
	return true
}

// wants reports whether the session receives events of class.
func (s *session) wants(class uint32) bool {
	return s.user != nil && class != 0 && s.read&class == class && s.mask&class == class
}

// filtered reports whether the Filter rules drop an event.
func (s *session) filtered(wire []byte) bool {
	if len(s.allow) == 0 && len(s.deny) == 0 {
		return false
	}
	text := bytes.ReplaceAll(wire, []byte("\r\n"), []byte("\n"))
	if len(s.allow) > 0 {
		ok := false
		for _, re := range s.allow {
			if re.Match(text) {
				ok = true
				break
			}
		}
		if !ok {
			return true
		}
	}
	for _, re := range s.deny {
		if re.Match(text) {
			return true
		}
	}
	return false
}

// queueLocked appends bytes for the writer; a client that falls MaxQueued
// messages behind is disconnected.
func (s *session) queueLocked(b []byte) {
	if s.closed {
		return
	}
	if len(s.queue) >= s.p.maxQ {
		s.p.log.Warn("pbxsim: client too slow, disconnecting", "remote", s.conn.RemoteAddr())
		s.closeLocked()
		return
	}
	s.queue = append(s.queue, b)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	delete(s.p.sessions, s)
	s.conn.Close()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finishLocked stops events and lets the writer flush what is queued
// before it closes the connection.
func (s *session) finishLocked() {
	s.closing = true
	delete(s.p.sessions, s)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) close() {
	s.p.mu.Lock()
	s.closeLocked()
	s.p.mu.Unlock()
}

func (s *session) writeLoop() {
	var buf []byte
	for {
		s.p.mu.Lock()
		q := s.queue
		s.queue = nil
		closed, closing := s.closed, s.closing
		s.p.mu.Unlock()
		if len(q) > 0 {
			buf = buf[:0]
			for _, b := range q {
				buf = append(buf, b...)
			}
			if _, err := s.conn.Write(buf); err != nil {
				s.close()
				return
			}
			continue
		}
		if closed {
			return
		}
		if closing {
			s.close()
			return
		}
		<-s.wake
	}
}

// send queues one response.
func (s *session) send(m *ami.Message) {
	s.p.mu.Lock()
	s.queueLocked([]byte(m.String()))
	s.p.mu.Unlock()
}

func (s *session) readLoop() {
	defer func() {
		s.p.mu.Lock()
		s.finishLocked()
		s.p.mu.Unlock()
	}()
	r := ami.NewReader(s.conn, 64<<10)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			var pe *ami.ProtocolError
			if errors.As(err, &pe) || errors.Is(err, ami.ErrMessageTooLarge) {
				continue
			}
			return
		}
		if !s.handle(m) {
			return
		}
	}
}

// response starts a response with Response and ActionID (when the action
// had one), as Asterisk does.
func response(req ami.Message, status string) *ami.Message {
	m := &ami.Message{}
	m.Add("Response", status)
	if id, ok := req.Lookup("ActionID"); ok {
		m.Add("ActionID", id)
	}
	return m
}

func (s *session) sendError(req ami.Message, msg string) {
	m := response(req, "Error")
	m.Add("Message", msg)
	s.send(m)
}

func (s *session) sendSuccess(req ami.Message, msg string) {
	m := response(req, "Success")
	m.Add("Message", msg)
	s.send(m)
}

// handle runs one action; false closes the connection.
func (s *session) handle(req ami.Message) bool {
	action := strings.ToLower(req.Get("Action"))
	if action == "" {
		s.sendError(req, "Missing action in request")
		return true
	}
	s.p.mu.Lock()
	authed := s.user != nil
	write := s.write
	s.p.mu.Unlock()
	switch action {
	case "login":
		return s.login(req)
	case "challenge":
		s.challengeAction(req)
		return true
	case "logoff":
		m := response(req, "Goodbye")
		m.Add("Message", "Thanks for all the fish.")
		s.send(m)
		return false
	}
	if !authed {
		s.sendError(req, "Permission denied")
		return true
	}
	h, ok := actions[action]
	if !ok {
		s.sendError(req, "Invalid/unknown command")
		return true
	}
	if need := actionPerms[action]; need != 0 && write&need == 0 {
		s.sendError(req, "Permission denied")
		return true
	}
	h(s, req)
	return true
}

func (s *session) challengeAction(req ami.Message) {
	if !strings.EqualFold(req.Get("AuthType"), "md5") {
		s.sendError(req, "Must specify AuthType")
		return
	}
	s.p.mu.Lock()
	if s.challenge == "" {
		s.challenge = fmt.Sprintf("%09d", s.p.rnd.Int63n(1e9))
	}
	ch := s.challenge
	s.p.mu.Unlock()
	m := response(req, "Success")
	m.Add("Challenge", ch)
	s.send(m)
}

// login checks Secret, or Key = md5(challenge + secret) with AuthType MD5.
// A failed login closes the connection, as Asterisk does.
func (s *session) login(req ami.Message) bool {
	name := req.Get("Username")
	var u *User
	for i := range s.p.users {
		if s.p.users[i].Name == name {
			u = &s.p.users[i]
		}
	}
	s.p.mu.Lock()
	challenge := s.challenge
	already := s.user != nil
	s.p.mu.Unlock()
	if already {
		s.sendSuccess(req, "Already authenticated")
		return true
	}
	ok := false
	if u != nil {
		if strings.EqualFold(req.Get("AuthType"), "md5") {
			sum := md5.Sum([]byte(challenge + u.Secret))
			ok = challenge != "" && strings.EqualFold(req.Get("Key"), hex.EncodeToString(sum[:]))
		} else {
			ok = req.Get("Secret") == u.Secret
		}
	}
	if !ok {
		s.sendError(req, "Authentication failed")
		return false
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s.user = u
	s.read, s.write = parsePerms(u.Read), parsePerms(u.Write)
	s.mask = parseEventMask(req.Get("Events"))
	ok2 := response(req, "Success")
	ok2.Add("Message", "Authentication accepted")
	wire := []byte(ok2.String())
	if s.wants(permSystem) {
		up := int(p.now().Sub(p.started).Seconds())
		fb := &ami.Message{}
		fb.Add("Event", "FullyBooted")
		fb.Add("Privilege", "system,all")
		fb.Add("Uptime", fmt.Sprint(up))
		fb.Add("LastReload", fmt.Sprint(up))
		fb.Add("Status", "Fully Booted")
		wire = append(wire, fb.String()...) // one write: FullyBooted right behind the response
	}
	s.queueLocked(wire)
	sa := p.event("SuccessfulAuth", "security")
	now := p.now().UTC().Format("2006-01-02T15:04:05.000+0000")
	for _, f := range [][2]string{{"EventTV", now}, {"Severity", "Informational"}, {"Service", "AMI"},
		{"EventVersion", "1"}, {"AccountID", u.Name}, {"SessionID", fmt.Sprintf("%p", s)},
		{"LocalAddress", "IPV4/TCP/" + s.conn.LocalAddr().String()},
		{"RemoteAddress", "IPV4/TCP/" + s.conn.RemoteAddr().String()},
		{"UsingPassword", "0"}, {"SessionTV", now}} {
		sa.Add(f[0], f[1])
	}
	p.emitLocked(sa)
	return true
}
