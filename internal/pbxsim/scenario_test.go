package pbxsim

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

const transcripts = "../../testdata/ami"

// scale runs the scenarios at 1/100 of the recorded time.
const scale = 0.01

// scaleOf is the time scale of a scenario. Two race a timer of their own
// against the PBX's ringing and run at recorded speed: queue_status asks
// for the queue while a member rings and again while it talks, windows
// that at 1/100 (20 ms of ringing) a busy machine misses (it costs 2 s);
// caller_hangs_up_ringing gives up after Wait(1)/Timeout 1000, which at
// 1/100 can pass before the phone has rung (it costs 1 s).
func scaleOf(name string) float64 {
	switch name {
	case "queue_status", "caller_hangs_up_ringing":
		return 1
	}
	return scale
}

// scenarios replayed against the simulator, with the least similarity of
// their event-name sequences (2·LCS/(len a + len b)) the test accepts.
// http_rawman (AMI over HTTP) is not simulated.
var scenarios = []struct {
	name     string
	minRatio float64
}{
	{"pjsip_click_to_call", 0.77},
	{"login", 1},
	{"login_failed", 1},
	{"challenge_md5", 1},
	{"permission_denied", 1},
	{"command_action", 1},
	{"queue_summary", 1},
	{"queue_status", 0.95},
	{"core_show_channels", 1},
	{"click_to_call", 0.8},
	{"click_to_call_channelid", 0.86},
	{"click_to_call_congestion", 0.78},
	{"originate_busy", 0.8},
	{"originate_noanswer", 0.75},
	{"originate_sync_test_originate", 0.77},
	{"incoming_queue", 0.74},
	{"incoming_direct", 0.78},
	{"queue_abandon", 0.76},
	{"caller_hangs_up_ringing", 0.82},
	{"hangup", 0.76},
	{"redirect_blind_transfer", 0.74},
	{"redirect_blind_transfer_via_dial", 0.77},
	{"blind_transfer_action", 0.74},
	{"attended_transfer_atxfer", 0.71},
	{"attended_transfer_atxfer_no_feature", 0.74},
}

// milestones are the events whose recorded counts the simulator must reach
// before the next action is sent: the steps of a call, not its details.
var milestones = map[string]bool{"Newchannel": true, "DialBegin": true, "DialEnd": true, "BridgeEnter": true,
	"BridgeLeave": true, "Hangup": true, "OriginateResponse": true, "QueueCallerJoin": true, "AgentConnect": true}

// TestScenarios replays each recorded conversation against the simulator:
// the same actions, sent once the simulator has emitted what Asterisk had
// emitted before them (channel names mapped by role), then compares
// responses exactly, event names by similarity, header names per event, and
// Uniqueid/Linkedid relations by channel role.
func TestScenarios(t *testing.T) {
	headers := recordedHeaders(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			rec := readTranscript(t, filepath.Join(transcripts, sc.name+".txt"))
			sim := replay(t, sc.name, rec)
			compare(t, sc.name, sc.minRatio, rec, sim, headers)
		})
	}
}

// replay runs the client side of rec against a fresh simulator and returns
// every message the simulator sent.
func replay(t *testing.T, name string, rec []step) []ami.Message {
	f := scaleOf(name)
	office := DefaultOffice().Scaled(f)
	// Only the delays the recording plays out are scaled. The timers that
	// give up (a Dial's 30 s, an Originate's 30 s, a queue member's 15 s)
	// expire in none of these recordings; scaled to 1/100 they raced the
	// 20 ms ring on a busy machine and now and then won (incoming_direct,
	// under -race at load 20), so they keep their recorded length.
	full := DefaultOffice()
	office.DialTimeout, office.OriginateTimeout = full.DialTimeout, full.OriginateTimeout
	for i := range office.Queues {
		office.Queues[i].Timeout = full.Queues[i].Timeout
	}
	if strings.HasPrefix(name, "queue_s") { // recorded before queue nobody was added
		office.Queues = office.Queues[:2]
	}
	if name == "pjsip_click_to_call" { // SIPp phone 201: answers after 1 s, hangs up after 10 s
		office.Agents = append(office.Agents, "201")
		// At 1/10 of that: ringing and talk long enough to stay in order
		// on a busy machine.
		office.AgentRing, office.AgentTalk = 100*time.Millisecond, time.Second
		// The phone hangs up first, as recorded (the customer talks 20 s):
		// the customer's own timer is far beyond it, never a race.
		office.CustomerTalk = 30 * time.Second
	}
	if name == "core_show_channels" { // events off: the test polls, so keep the call up longer
		office.CustomerTalk, office.AgentTalk = 20*time.Second, 30*time.Second
	}
	p := New(Config{Office: office})
	t.Cleanup(func() { p.Close() })
	addr, err := p.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := dialAMI(t, addr)
	recNames := newChannelNamer()
	want := map[string]int{} // events received before the next action
	lastID := ""
	originated := false
	for i, st := range rec {
		if !st.sent {
			recNames.observe(st.msg)
			if ev := st.msg.Event(); milestones[ev] {
				want[ev]++
			}
			continue
		}
		ok := c.waitFor(waitLong, func(ms []ami.Message) bool {
			got := map[string]int{}
			answered := lastID == ""
			for _, m := range ms {
				got[m.Event()]++
				if m.IsResponse() && m.ActionID() == lastID {
					answered = true
				}
			}
			for ev, n := range want {
				if got[ev] < n {
					return false
				}
			}
			return answered
		})
		if !ok {
			t.Fatalf("before %s: simulator did not reach the recorded state", st.msg.Get("Action"))
		}
		switch st.msg.Get("Action") {
		case "CoreShowChannels":
			waitChannels(t, p, listed(rec[i+1:], st.msg.ActionID(), "CoreShowChannel"))
		case "QueueStatus":
			waitQueued(t, p, listed(rec[i+1:], st.msg.ActionID(), "QueueEntry"), originated)
		case "Originate":
			originated = true
		}
		simNames := newChannelNamer()
		challenge := ""
		for _, m := range c.messages() {
			simNames.observe(m)
			if v, ok := m.Lookup("Challenge"); ok {
				challenge = v
			}
		}
		a := translate(st.msg, recNames, simNames, f)
		if a.Get("Key") != "" { // the recorded key answers the recorded challenge
			sum := md5.Sum([]byte(challenge + "crmsecret"))
			a.Fields = slices.DeleteFunc(a.Fields, func(f ami.Field) bool { return f.Name == "Key" })
			a.Add("Key", hex.EncodeToString(sum[:]))
		}
		lastID = st.msg.ActionID()
		c.send(a, lastID)
	}
	// The recording ends with a Logoff's Goodbye, or with Asterisk closing
	// the connection (login_failed).
	if slices.ContainsFunc(rec, func(s step) bool { return !s.sent && s.msg.Response() == "Goodbye" }) {
		if !c.waitFor(waitLong, func(ms []ami.Message) bool {
			n := len(ms)
			return n > 0 && ms[n-1].Response() == "Goodbye"
		}) {
			t.Fatal("no Goodbye after the recorded actions")
		}
	} else if !c.closed(waitLong) {
		t.Fatal("connection still open after the recorded actions")
	}
	return c.messages()
}

// translate rewrites a recorded action for the simulator: channel names by
// role, Timeout and Wait data by the time scale.
func translate(m ami.Message, rec, sim *channelNamer, scale float64) *ami.Action {
	a := ami.NewAction(m.Get("Action"))
	for _, f := range m.Fields {
		v := f.Value
		switch strings.ToLower(f.Name) {
		case "action", "actionid":
			continue
		case "channel", "extrachannel":
			if strings.Contains(v, ";") {
				v = sim.lookup(rec.role(v))
			}
		case "timeout":
			if ms, err := strconv.Atoi(v); err == nil {
				v = strconv.Itoa(int(float64(ms) * scale))
			}
		case "data":
			if s, err := strconv.ParseFloat(v, 64); err == nil && strings.EqualFold(m.Get("Application"), "Wait") {
				v = strconv.FormatFloat(s*scale, 'f', -1, 64)
			}
		}
		a.Add(f.Name, v)
	}
	return a
}

// recordedHeaders collects, per event name, every header-name list seen
// in the recordings.
func recordedHeaders(t *testing.T) map[string]map[string]bool {
	files, err := filepath.Glob(filepath.Join(transcripts, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, f := range files {
		if strings.Contains(f, "http_") {
			continue
		}
		for _, st := range readTranscript(t, f) {
			if ev := st.msg.Event(); ev != "" && !st.sent {
				if out[ev] == nil {
					out[ev] = map[string]bool{}
				}
				out[ev][headerNames(st.msg)] = true
			}
		}
	}
	return out
}

func headerNames(m ami.Message) string {
	names := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, " ")
}

func compare(t *testing.T, name string, minRatio float64, rec []step, sim []ami.Message, headers map[string]map[string]bool) {
	var recMsgs []ami.Message
	for _, st := range rec {
		if !st.sent {
			recMsgs = append(recMsgs, st.msg)
		}
	}
	if dir := os.Getenv("PBXSIM_DUMP"); dir != "" {
		dump(filepath.Join(dir, name+".rec"), recMsgs)
		dump(filepath.Join(dir, name+".sim"), sim)
	}
	// Responses: same ActionIDs, Response and Message values, in order.
	if got, want := responses(sim), responses(recMsgs); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("responses:\n got %v\nwant %v", got, want)
	}
	// Event names: similarity of the sequences.
	a, b := eventNames(recMsgs), eventNames(sim)
	l := lcs(a, b)
	ratio := 1.0
	if len(a)+len(b) > 0 {
		ratio = 2 * float64(l) / float64(len(a)+len(b))
	}
	missing, extra := diffCounts(a, b)
	t.Logf("%s: %d recorded events, %d simulated, similarity %.3f; missing %v; extra %v", name, len(a), len(b), ratio, missing, extra)
	if ratio < minRatio {
		t.Errorf("event similarity %.3f, want >= %.2f", ratio, minRatio)
	}
	// Header names: each simulated event has a header list Asterisk sent.
	bad := map[string]bool{}
	for _, m := range sim {
		ev := m.Event()
		if ev == "" || headers[ev] == nil {
			continue
		}
		if h := headerNames(m); !headers[ev][h] && !bad[ev] {
			bad[ev] = true
			t.Errorf("%s headers %q not among the recorded ones", ev, h)
		}
	}
	// Topology: the same dials and bridges between the same channel roles.
	// Which agent of a ring-all queue answers first is a race, in Asterisk
	// as here: the bridge is compared up to the agent's number.
	norm := func(lines []string) string {
		s := strings.Join(lines, "\n")
		if name == "incoming_queue" {
			s = ringAllAgent.ReplaceAllString(s, "bridge Local/10X@phones")
		}
		return s
	}
	if got, want := topology(sim), topology(recMsgs); norm(got) != norm(want) {
		t.Errorf("dials and bridges:\n got %q\nwant %q", got, want)
	}
	// Id relations: per channel role, the role of its Linkedid.
	if got, want := relations(sim), relations(recMsgs); len(want) > 0 {
		for role, w := range want {
			if g, ok := got[role]; ok && g != w {
				t.Errorf("channel %s: Linkedid is the Uniqueid of %s, want %s", role, g, w)
			}
		}
	}
}

// dump writes one line per message (event, channel roles, key values),
// for diffing a scenario by hand: PBXSIM_DUMP=/tmp go test -run TestScenarios.
func dump(path string, ms []ami.Message) {
	n := newChannelNamer()
	var b strings.Builder
	for _, m := range ms {
		n.observe(m)
		fmt.Fprintf(&b, "%s%s", m.Event(), m.Response())
		keys := []string{"Channel", "DestChannel", "Application", "Variable", "DialStatus", "Cause", "ChannelStateDesc", "Device", "State"}
		if os.Getenv("PBXSIM_DUMP_VALUES") != "" {
			keys = append(keys, "Context", "Exten", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "DestContext", "DestExten", "DestCallerIDNum", "DestConnectedLineNum")
		}
		for _, k := range keys {
			if v, ok := m.Lookup(k); ok {
				if strings.HasSuffix(k, "Channel") {
					v = n.role(v)
				}
				fmt.Fprintf(&b, " %s", v)
			}
		}
		b.WriteString("\n")
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
}

var ringAllAgent = regexp.MustCompile(`bridge Local/10[0-9]@phones`)

// topology lists, by channel role, who dialled whom (DialBegin) and who
// shared a bridge (BridgeEnter), as sorted lines.
func topology(ms []ami.Message) []string {
	n := newChannelNamer()
	bridges := map[string][]string{}
	var order []string
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		n.observe(m)
		switch m.Event() {
		case "DialBegin":
			if l := "dial " + n.role(m.Get("Channel")) + " -> " + n.role(m.Get("DestChannel")); !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		case "BridgeEnter":
			id := m.Get("BridgeUniqueid")
			if _, ok := bridges[id]; !ok {
				order = append(order, id)
			}
			bridges[id] = append(bridges[id], n.role(m.Get("Channel")))
		}
	}
	for _, id := range order {
		roles := bridges[id]
		sort.Strings(roles)
		out = append(out, "bridge "+strings.Join(roles, " + "))
	}
	sort.Strings(out)
	return out
}

func responses(ms []ami.Message) []string {
	var out []string
	for _, m := range ms {
		if m.IsResponse() {
			out = append(out, m.ActionID()+"="+m.Response()+" "+m.Get("Message"))
		}
	}
	return out
}

func eventNames(ms []ami.Message) []string {
	var out []string
	for _, m := range ms {
		if ev := m.Event(); ev != "" {
			out = append(out, ev)
		}
	}
	return out
}

func relations(ms []ami.Message) map[string]string {
	n := newChannelNamer()
	out := map[string]string{}
	for _, m := range ms {
		n.observe(m)
		if m.Event() == "Newchannel" {
			out[n.role(m.Get("Channel"))] = n.byID[m.Get("Linkedid")]
		}
	}
	return out
}

func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// diffCounts lists event names the simulator sent fewer (missing) or more
// (extra) times than Asterisk, with the difference.
func diffCounts(rec, sim []string) (missing, extra []string) {
	count := map[string]int{}
	for _, e := range rec {
		count[e]++
	}
	for _, e := range sim {
		count[e]--
	}
	for e, n := range count {
		if n > 0 {
			missing = append(missing, fmt.Sprintf("%s×%d", e, n))
		} else if n < 0 {
			extra = append(extra, fmt.Sprintf("%s×%d", e, -n))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// listed counts the recorded list events answering actionID.
func listed(rec []step, actionID, event string) int {
	n := 0
	for _, st := range rec {
		if !st.sent && st.msg.Event() == event && st.msg.ActionID() == actionID {
			n++
		}
	}
	return n
}

// waitQueued waits until n callers wait in queues and, when a call was
// placed, until it reached a queue (and left it again when n is 0).
func waitQueued(t *testing.T, p *PBX, n int, call bool) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitLong)
	for {
		p.mu.Lock()
		queued, inCall := 0, false
		for _, qs := range p.queues {
			queued += len(qs.callers)
			for _, m := range qs.members {
				inCall = inCall || m.inCall
			}
		}
		p.mu.Unlock()
		if queued == n && (!call || n > 0 || inCall) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited in vain for %d queued callers (have %d)", n, queued)
			return
		}
	}
}

// waitChannels waits until the PBX has n channels, all of them up; with
// events off nothing else tells the test that a call is established.
func waitChannels(t *testing.T, p *PBX, n int) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitLong)
	for {
		p.mu.Lock()
		up := 0
		for _, c := range p.chans {
			if c.state == stateUp {
				up++
			}
		}
		total := len(p.chans)
		p.mu.Unlock()
		if total == n && up == n {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("waited in vain for %d channels up (have %d, %d up)", n, total, up)
			return
		}
	}
}
