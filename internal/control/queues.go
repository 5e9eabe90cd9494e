package control

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// Queues returns one summary per queue (AMI QueueSummary), in Asterisk's
// order.
func (s *Service) Queues(ctx context.Context) ([]amigate.QueueSummary, error) {
	events, err := s.ami.QueueSummary(ctx, amiclient.QueueSummaryParams{})
	if err != nil {
		return nil, pbxError("QueueSummary", err, "")
	}
	return parseQueueSummaries(events), nil
}

// Queue returns one queue with its members and waiting callers (AMI
// QueueStatus filtered by the queue). Asterisk answers an unknown queue with
// an empty, successful list; that is ErrNotFound here.
func (s *Service) Queue(ctx context.Context, name string) (amigate.QueueStatus, error) {
	if err := checkQueueName(name); err != nil {
		return amigate.QueueStatus{}, err
	}
	events, err := s.ami.QueueStatus(ctx, amiclient.QueueStatusParams{Queue: name})
	if err != nil {
		return amigate.QueueStatus{}, pbxError("QueueStatus", err, "")
	}
	q, ok := parseQueueStatus(name, events)
	if !ok {
		return amigate.QueueStatus{}, amigate.Errorf(amigate.ErrNotFound, "queue %q not found", name)
	}
	return q, nil
}

// Pause pauses or unpauses a member of a queue (AMI QueuePause). Asterisk's
// "Interface not found" (no such member in that queue) is ErrNotFound.
func (s *Service) Pause(ctx context.Context, queue string, r amigate.QueuePauseRequest) error {
	if err := checkQueueName(queue); err != nil {
		return err
	}
	if !isInterface(r.Interface) {
		return fieldErr("interface", "must be a member interface: printable ASCII without spaces, at most %d characters", MaxQueueName)
	}
	if chars(r.Reason) > MaxQueueName || !amigate.PlainText(r.Reason) {
		return fieldErr("reason", "must be at most %d characters without control characters", MaxQueueName)
	}
	p := amiclient.QueuePauseParams{Interface: r.Interface, Queue: queue, Paused: r.Paused, Reason: r.Reason}
	if err := s.ami.QueuePause(ctx, p); err != nil {
		if isRefusal(err, "Interface not found") {
			return amigate.Errorf(amigate.ErrNotFound, "queue %q has no member %q", queue, r.Interface)
		}
		return pbxError("QueuePause", err, "")
	}
	return nil
}

func checkQueueName(name string) error {
	if name == "" || chars(name) > MaxQueueName || !amigate.PlainText(name) {
		return fieldErr("name", "must be a queue name of at most %d characters", MaxQueueName)
	}
	return nil
}

// isInterface reports whether s can be a queue member's interface
// ("PJSIP/101", "Local/101@from-queue/n"): printable ASCII, no spaces.
func isInterface(s string) bool {
	if s == "" || len(s) > MaxQueueName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func parseQueueSummaries(events []ami.Message) []amigate.QueueSummary {
	out := []amigate.QueueSummary{}
	seen := map[string]bool{}
	for i := range events {
		m := &events[i]
		if !ami.EqualFold(m.Event(), "QueueSummary") {
			continue
		}
		name := m.Get("Queue")
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, amigate.QueueSummary{
			Name:               name,
			LoggedIn:           atoi(m.Get("LoggedIn")),
			Available:          atoi(m.Get("Available")),
			Callers:            atoi(m.Get("Callers")),
			HoldTimeSeconds:    atof(m.Get("HoldTime")),
			TalkTimeSeconds:    atof(m.Get("TalkTime")),
			LongestHoldSeconds: atof(m.Get("LongestHoldTime")),
		})
	}
	return out
}

// parseQueueStatus picks queue name out of QueueStatus events. Every event is
// checked for its Queue, ignoring case (queue names are matched that way by
// some Asterisk versions), in case Asterisk lists other queues too.
func parseQueueStatus(name string, events []ami.Message) (amigate.QueueStatus, bool) {
	q := amigate.QueueStatus{Name: name, Members: []amigate.QueueMember{}, Callers: []amigate.QueueCaller{}}
	found := false
	for i := range events {
		m := &events[i]
		if !ami.EqualFold(m.Get("Queue"), name) {
			continue
		}
		switch ev := m.Event(); {
		case ami.EqualFold(ev, "QueueParams"):
			found = true
			q.Name = m.Get("Queue")
			q.Strategy = m.Get("Strategy")
			q.Calls = atoi(m.Get("Calls"))
			q.Completed = atoi(m.Get("Completed"))
			q.Abandoned = atoi(m.Get("Abandoned"))
			q.ServiceLevel = atoi(m.Get("ServiceLevel"))
			q.ServiceLevelPerf = atof(m.Get("ServicelevelPerf"))
			q.HoldTimeSeconds = atof(m.Get("Holdtime"))
			q.TalkTimeSeconds = atof(m.Get("TalkTime"))
			q.Max = atoi(m.Get("Max"))
		case ami.EqualFold(ev, "QueueMember"):
			q.Members = append(q.Members, parseMember(m))
		case ami.EqualFold(ev, "QueueEntry"):
			q.Callers = append(q.Callers, amigate.QueueCaller{
				Position:     atoi(m.Get("Position")),
				Channel:      m.Get("Channel"),
				CallerIDNum:  m.Get("CallerIDNum"),
				CallerIDName: m.Get("CallerIDName"),
				WaitSeconds:  atof(m.Get("Wait")),
			})
		}
	}
	return q, found
}

func parseMember(m *ami.Message) amigate.QueueMember {
	status := atoi(m.Get("Status"))
	mem := amigate.QueueMember{
		Interface:      m.Get("Location"),
		Name:           m.Get("Name"),
		StateInterface: m.Get("StateInterface"),
		Status:         status,
		StatusText:     deviceStateText(status),
		Paused:         m.Get("Paused") == "1",
		PausedReason:   m.Get("PausedReason"),
		InCall:         m.Get("InCall") == "1",
		CallsTaken:     atoi(m.Get("CallsTaken")),
		Penalty:        atoi(m.Get("Penalty")),
	}
	if mem.Interface == "" {
		mem.Interface = m.Get("Interface") // Asterisk 11 and older
	}
	if last, err := strconv.ParseInt(m.Get("LastCall"), 10, 64); err == nil && last > 0 {
		t := time.Unix(last, 0).UTC()
		mem.LastCallAt = &t
	}
	return mem
}

// deviceStateText names Asterisk's device states (enum ast_device_state),
// which QueueMember's Status carries.
func deviceStateText(s int) string {
	switch s {
	case 0:
		return "unknown"
	case 1:
		return "not_in_use"
	case 2:
		return "in_use"
	case 3:
		return "busy"
	case 4:
		return "invalid"
	case 5:
		return "unavailable"
	case 6:
		return "ringing"
	case 7:
		return "ringing_in_use"
	case 8:
		return "on_hold"
	}
	return "unknown"
}

// atoi and atof read Asterisk's numbers leniently: a missing or malformed
// value is 0 rather than a failed listing.
func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}
