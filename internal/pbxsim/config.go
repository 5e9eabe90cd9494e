package pbxsim

import (
	"log/slog"
	"time"
)

// Config configures a PBX. The zero value is usable: the users and the office
// of the recorded Asterisk, real-time delays, the wall clock and no logging.
type Config struct {
	// Users are the manager.conf accounts. Default: DefaultUsers().
	Users []User
	// Office is the dialplan behind the AMI. Default: DefaultOffice().
	Office Office
	// Logger receives connection and action errors. Default: discard.
	Logger *slog.Logger
	// Now stamps events (Timestamp headers) and makes Uniqueids. Default: time.Now.
	Now func() time.Time
	// Seed makes Generate's random talk times repeatable. Default: 1.
	Seed int64
	// MaxQueued bounds the unsent messages of one AMI connection; a client
	// that falls this far behind is disconnected, as a stuck socket would be.
	// Default: 1<<20.
	MaxQueued int
}

// User is one manager.conf account. Read and Write are permission classes
// ("call", "system", "originate", "all", ...), as in manager.conf.
type User struct {
	Name   string
	Secret string
	Read   []string
	Write  []string
}

// DefaultUsers returns the accounts of the recorded manager.conf: crm (all)
// and limited (call only: Originate and Command are refused), plus amigate,
// the least-privileged account the service needs (see deploy/manager.conf).
func DefaultUsers() []User {
	return []User{
		{Name: "crm", Secret: "crmsecret", Read: []string{"all"}, Write: []string{"all"}},
		{Name: "limited", Secret: "limitedsecret", Read: []string{"call"}, Write: []string{"call"}},
		{Name: "amigate", Secret: "amigate",
			Read:  []string{"system", "call", "agent", "dialplan"},
			Write: []string{"call", "originate", "agent", "reporting"}},
	}
}

// Office is the simulated dialplan: the extensions.conf and queues.conf of
// the recorded Asterisk, with its delays made configurable so that tests run
// in milliseconds (see Scaled).
type Office struct {
	// Agents are the phones that ring and answer (context phones, _10X).
	Agents []string
	// Busy extensions answer Busy; NoAnswer extensions ring until cancelled.
	Busy     []string
	NoAnswer []string

	AgentRing    time.Duration // Wait(2) before an agent answers
	AgentTalk    time.Duration // Wait(30) before an agent hangs up
	NoAnswerRing time.Duration // Wait(60) of a phone that never answers
	CustomerRing time.Duration // Wait(1) before a pstn number answers
	CustomerTalk time.Duration // Wait(20) before a pstn number hangs up
	// CongestedPrefix marks pstn numbers that answer Congestion ("000").
	CongestedPrefix string
	// BusyPrefix and NoAnswerPrefix mark pstn numbers that answer Busy,
	// or ring until cancelled (NoAnswerRing): the customers of a
	// campaign that do not answer. Empty: none.
	BusyPrefix, NoAnswerPrefix string
	// DialTimeout is the timeout of the dialplan's Dial(...,30).
	DialTimeout time.Duration
	// OriginateTimeout is used when an Originate gives no Timeout (30 s).
	OriginateTimeout time.Duration
	// TransferDigitTimeout is features.conf transferdigittimeout (3 s): the
	// wait before an attended transfer dials its target.
	TransferDigitTimeout time.Duration

	// DIDs route customer calls arriving in context from-trunk.
	DIDs []DID
	// Queues are the queues.conf queues (ring-all).
	Queues []Queue
	// Hints are the [hints] context: extensions whose state ExtensionStatus
	// and ExtensionStateList report.
	Hints []Hint
}

// DID is one extension of context from-trunk: it dials Agent directly or
// puts the caller in Queue.
type DID struct {
	Exten string `json:"exten"`
	Agent string `json:"agent,omitempty"` // Dial(Local/<Agent>@phones,30)
	Queue string `json:"queue,omitempty"` // Answer(), Queue(<Queue>)
	// Transfer adds Dial options tT: the bridge gets the transfer feature,
	// which AMI Atxfer needs.
	Transfer bool `json:"transfer,omitempty"`
}

// Queue is a ring-all queue of Local/<ext>@phones members.
type Queue struct {
	Name    string
	Members []Member
	Timeout time.Duration // how long members ring per attempt (15 s)
	Retry   time.Duration // pause between attempts (5 s)
}

// Member is a static queue member.
type Member struct {
	Exten string // rings Local/<Exten>@phones
	Name  string // MemberName, "Agent 101"
	// FreePBX makes the member a Local channel into from-queue
	// (Local/<Exten>@from-queue/n), whose other half dials the phone: the
	// agent's device is two bridges away from the caller.
	FreePBX bool
}

// context is the dialplan context the member's Local channel runs.
func (m Member) context() string {
	if m.FreePBX {
		return "from-queue"
	}
	return "phones"
}

// iface is the member's interface, as QueueStatus and the events name it.
func (m Member) iface() string {
	if m.FreePBX {
		return m.device() + "/n"
	}
	return m.device()
}

// device is the device whose state is the member's: Asterisk's Local
// channel driver drops the dial options, so Local/<ext>@from-queue/n is in
// use while a Local/<ext>@from-queue channel lives (DeviceStateChange
// names Local/<ext>@from-queue, freepbx_queue.txt).
func (m Member) device() string { return "Local/" + m.Exten + "@" + m.context() }

// DefaultOffice returns the recorded office with its recorded delays.
func DefaultOffice() Office {
	q := func(name string, exts ...string) Queue {
		out := Queue{Name: name, Timeout: 15 * time.Second, Retry: 5 * time.Second}
		for _, e := range exts {
			out.Members = append(out.Members, Member{Exten: e, Name: "Agent " + e})
		}
		return out
	}
	return Office{
		Agents:               []string{"101", "102", "103", "104", "105"},
		Busy:                 []string{"198"},
		NoAnswer:             []string{"199"},
		AgentRing:            2 * time.Second,
		AgentTalk:            30 * time.Second,
		NoAnswerRing:         60 * time.Second,
		CustomerRing:         time.Second,
		CustomerTalk:         20 * time.Second,
		CongestedPrefix:      "000",
		DialTimeout:          30 * time.Second,
		OriginateTimeout:     30 * time.Second,
		TransferDigitTimeout: 3 * time.Second,
		DIDs: []DID{
			{Exten: "5550100", Queue: "support"},
			{Exten: "5550101", Agent: "101"},
			{Exten: "5550102", Queue: "sales"},
			{Exten: "5550103", Queue: "nobody"},
			{Exten: "5550111", Agent: "101", Transfer: true},
		},
		Queues: []Queue{q("support", "101", "102"), q("sales", "103"), q("nobody", "199")},
		Hints:  defaultHints(),
	}
}

// Scaled returns the office with every delay multiplied by f: Scaled(0.001)
// turns the recorded 2 s ring into 2 ms, for tests.
func (o Office) Scaled(f float64) Office {
	s := func(d *time.Duration) { *d = time.Duration(float64(*d) * f) }
	for _, d := range []*time.Duration{&o.AgentRing, &o.AgentTalk, &o.NoAnswerRing, &o.CustomerRing,
		&o.CustomerTalk, &o.DialTimeout, &o.OriginateTimeout, &o.TransferDigitTimeout} {
		s(d)
	}
	qs := make([]Queue, len(o.Queues))
	for i, q := range o.Queues {
		s(&q.Timeout)
		s(&q.Retry)
		qs[i] = q
	}
	o.Queues = qs
	return o
}

func (o *Office) did(exten string) (DID, bool) {
	for _, d := range o.DIDs {
		if d.Exten == exten {
			return d, true
		}
	}
	return DID{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// phoneKind is what an extension of context phones does.
type phoneKind int

const (
	phoneUnknown phoneKind = iota
	phoneAgent
	phoneBusy
	phoneNoAnswer
)

func (o *Office) phone(ext string) phoneKind {
	switch {
	case contains(o.Agents, ext):
		return phoneAgent
	case contains(o.Busy, ext):
		return phoneBusy
	case contains(o.NoAnswer, ext):
		return phoneNoAnswer
	}
	return phoneUnknown
}
