package control

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// msg builds a message from name, value pairs.
func msg(kv ...string) ami.Message {
	var m ami.Message
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// listFrom answers a list action with what Asterisk sent for actionID in a
// transcript.
func listFrom(t *testing.T, transcript, actionID string) func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) {
	resp, events := answer(t, transcript, actionID)
	return func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) { return resp, events, nil }
}

func TestQueues(t *testing.T) {
	fa := &fakeAMI{SendListFunc: listFrom(t, "queue_summary.txt", "qsum-all")}
	s := newTestService(t, Config{}, fa, newFakeCalls())
	got, err := s.Queues(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []amigate.QueueSummary{
		{Name: "support", LoggedIn: 2, Available: 2},
		{Name: "sales", LoggedIn: 1, Available: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
	if a := fa.actions(); len(a) != 1 || a[0].Name != "QueueSummary" || len(a[0].Fields) != 0 {
		t.Errorf("sent %+v, want one QueueSummary without headers", a)
	}
}

func TestQueuesSummaryFields(t *testing.T) {
	events := []ami.Message{
		msg("Event", "QueueSummary", "Queue", "support", "LoggedIn", "3", "Available", "1", "Callers", "2", "HoldTime", "12", "TalkTime", "95", "LongestHoldTime", "40"),
		msg("Event", "QueueSummary", "Queue", "support", "LoggedIn", "9"), // repeated: first wins
		msg("Event", "QueueSummaryComplete", "ListItems", "2"),
	}
	fa := &fakeAMI{SendListFunc: func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) {
		return ami.Message{}, events, nil
	}}
	got, err := newTestService(t, Config{}, fa, newFakeCalls()).Queues(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []amigate.QueueSummary{{Name: "support", LoggedIn: 3, Available: 1, Callers: 2, HoldTimeSeconds: 12, TalkTimeSeconds: 95, LongestHoldSeconds: 40}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
}

func TestQueue(t *testing.T) {
	agent := func(name, loc string, status int, text string, inCall bool) amigate.QueueMember {
		return amigate.QueueMember{Interface: loc, Name: name, StateInterface: loc, Status: status, StatusText: text, InCall: inCall}
	}
	tests := []struct {
		actionID string
		want     amigate.QueueStatus
	}{
		{"qs-support", amigate.QueueStatus{
			Name: "support", Strategy: "ringall",
			Members: []amigate.QueueMember{
				agent("Agent 102", "Local/102@phones", 1, "not_in_use", false),
				agent("Agent 101", "Local/101@phones", 1, "not_in_use", false),
			},
			Callers: []amigate.QueueCaller{},
		}},
		{"qs-ringing", amigate.QueueStatus{
			Name: "support", Strategy: "ringall", Calls: 1,
			Members: []amigate.QueueMember{
				agent("Agent 102", "Local/102@phones", 1, "not_in_use", false),
				agent("Agent 101", "Local/101@phones", 2, "in_use", false),
			},
			Callers: []amigate.QueueCaller{{Position: 1, Channel: "Local/5550100@from-trunk-00000002;2", CallerIDNum: "79009876543", CallerIDName: "Customer"}},
		}},
		{"qs-talking", amigate.QueueStatus{
			Name: "support", Strategy: "ringall", HoldTimeSeconds: 2,
			Members: []amigate.QueueMember{
				agent("Agent 102", "Local/102@phones", 2, "in_use", true),
				agent("Agent 101", "Local/101@phones", 1, "not_in_use", false),
			},
			Callers: []amigate.QueueCaller{},
		}},
		// The unfiltered listing holds sales too: only support is taken.
		{"qs-all", amigate.QueueStatus{
			Name: "support", Strategy: "ringall",
			Members: []amigate.QueueMember{
				agent("Agent 102", "Local/102@phones", 1, "not_in_use", false),
				agent("Agent 101", "Local/101@phones", 1, "not_in_use", false),
			},
			Callers: []amigate.QueueCaller{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.actionID, func(t *testing.T) {
			fa := &fakeAMI{SendListFunc: listFrom(t, "queue_status.txt", tt.actionID)}
			s := newTestService(t, Config{}, fa, newFakeCalls())
			got, err := s.Queue(context.Background(), "support")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("queue (-want +got):\n%s", diff)
			}
			sent, err := fa.actions()[0].Encode(nil, "qs-support")
			if err != nil {
				t.Fatal(err)
			}
			if want := sentBlock(t, "queue_status.txt", "QueueStatus\r\nActionID: qs-support"); string(sent) != string(want) {
				t.Errorf("sent %q, want the recorded %q", sent, want)
			}
		})
	}
}

func TestQueueMemberFields(t *testing.T) {
	events := []ami.Message{
		msg("Event", "QueueParams", "Queue", "support", "Max", "10", "Strategy", "leastrecent", "Calls", "3", "Holdtime", "7", "TalkTime", "120", "Completed", "50", "Abandoned", "4", "ServiceLevel", "60", "ServicelevelPerf", "87.5"),
		msg("Event", "QueueMember", "Queue", "support", "Name", "Softphone 201", "Location", "PJSIP/201", "StateInterface", "PJSIP/201", "Penalty", "2", "CallsTaken", "17", "LastCall", "1795330394", "InCall", "1", "Status", "6", "Paused", "1", "PausedReason", "lunch"),
		msg("Event", "QueueMember", "Queue", "support", "Name", "SIP/300", "Interface", "SIP/300", "Status", "5"), // Asterisk 11: Interface
		msg("Event", "QueueEntry", "Queue", "support", "Position", "2", "Channel", "PJSIP/trunk-0000001", "CallerIDNum", "79001234567", "CallerIDName", "<unknown>", "Wait", "33"),
	}
	fa := &fakeAMI{SendListFunc: func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) {
		return ami.Message{}, events, nil
	}}
	got, err := newTestService(t, Config{}, fa, newFakeCalls()).Queue(context.Background(), "support")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Unix(1795330394, 0).UTC()
	want := amigate.QueueStatus{
		Name: "support", Strategy: "leastrecent", Calls: 3, Completed: 50, Abandoned: 4, ServiceLevel: 60, ServiceLevelPerf: 87.5,
		HoldTimeSeconds: 7, TalkTimeSeconds: 120, Max: 10,
		Members: []amigate.QueueMember{
			{Interface: "PJSIP/201", Name: "Softphone 201", StateInterface: "PJSIP/201", Status: 6, StatusText: "ringing", Paused: true, PausedReason: "lunch", InCall: true, CallsTaken: 17, LastCallAt: &last, Penalty: 2},
			{Interface: "SIP/300", Name: "SIP/300", Status: 5, StatusText: "unavailable"},
		},
		Callers: []amigate.QueueCaller{{Position: 2, Channel: "PJSIP/trunk-0000001", CallerIDNum: "79001234567", CallerIDName: "<unknown>", WaitSeconds: 33}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
}

// Asterisk answers QueueStatus for an unknown queue with an empty, successful
// list (Response: Success, QueueStatusComplete with ListItems 0).
func TestQueueUnknown(t *testing.T) {
	empty := func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) {
		return msg("Response", "Success", "EventList", "start"), nil, nil
	}
	fa := &fakeAMI{SendListFunc: empty}
	s := newTestService(t, Config{}, fa, newFakeCalls())
	if _, err := s.Queue(context.Background(), "nosuch"); !errors.Is(err, amigate.ErrNotFound) {
		t.Errorf("error = %v, want ErrNotFound", err)
	}
}

func TestQueueErrors(t *testing.T) {
	tests := []struct {
		name  string
		queue string
		err   error
		want  error
	}{
		{"CRLF in name", "support\r\nAction: Command", nil, amigate.ErrInvalid},
		{"NUL in name", "support\x00", nil, amigate.ErrInvalid},
		{"empty name", "", nil, amigate.ErrInvalid},
		{"not connected", "support", amiclient.ErrDisconnected, amigate.ErrUnavailable},
		{"timeout", "support", context.DeadlineExceeded, amigate.ErrTimeout},
		{"refused", "support", refused("QueueStatus", "Permission denied"), amigate.ErrPBXRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{SendListFunc: func(context.Context, *ami.Action) (ami.Message, []ami.Message, error) {
				return ami.Message{}, nil, tt.err
			}}
			s := newTestService(t, Config{}, fa, newFakeCalls())
			if _, err := s.Queue(context.Background(), tt.queue); !errors.Is(err, tt.want) {
				t.Errorf("Queue error = %v, want %v", err, tt.want)
			}
			if tt.err == nil && len(fa.actions()) != 0 {
				t.Error("an action was sent for a bad name")
			}
			if tt.err != nil {
				if _, err := s.Queues(context.Background()); !errors.Is(err, tt.want) {
					t.Errorf("Queues error = %v, want %v", err, tt.want)
				}
			}
		})
	}
}

func TestPause(t *testing.T) {
	tests := []struct {
		name    string
		queue   string
		req     amigate.QueuePauseRequest
		err     error
		want    string
		wantErr error
	}{
		{
			name: "pause with reason", queue: "support", req: amigate.QueuePauseRequest{Interface: "Local/101@phones", Paused: true, Reason: "lunch"},
			want: "Action: QueuePause\r\nActionID: x\r\nInterface: Local/101@phones\r\nPaused: true\r\nQueue: support\r\nReason: lunch\r\n\r\n",
		},
		{
			name: "unpause", queue: "support", req: amigate.QueuePauseRequest{Interface: "PJSIP/201"},
			want: "Action: QueuePause\r\nActionID: x\r\nInterface: PJSIP/201\r\nPaused: false\r\nQueue: support\r\n\r\n",
		},
		{
			name: "not a member", queue: "support", req: amigate.QueuePauseRequest{Interface: "PJSIP/999", Paused: true},
			err: refused("QueuePause", "Interface not found"), wantErr: amigate.ErrNotFound,
		},
		{
			name: "refused", queue: "support", req: amigate.QueuePauseRequest{Interface: "PJSIP/201", Paused: true},
			err: refused("QueuePause", "Permission denied"), wantErr: amigate.ErrPBXRefused,
		},
		{name: "interface CRLF", queue: "support", req: amigate.QueuePauseRequest{Interface: "PJSIP/201\r\nAction: Command"}, wantErr: amigate.ErrInvalid},
		{name: "interface empty", queue: "support", req: amigate.QueuePauseRequest{}, wantErr: amigate.ErrInvalid},
		{name: "reason LF", queue: "support", req: amigate.QueuePauseRequest{Interface: "PJSIP/201", Reason: "a\nb"}, wantErr: amigate.ErrInvalid},
		{name: "queue NUL", queue: "sup\x00port", req: amigate.QueuePauseRequest{Interface: "PJSIP/201"}, wantErr: amigate.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa := &fakeAMI{SendFunc: func(ctx context.Context, a *ami.Action) (ami.Message, error) {
				if tt.err != nil {
					return ami.Message{}, tt.err
				}
				return success(a), nil
			}}
			s := newTestService(t, Config{}, fa, newFakeCalls())
			err := s.Pause(context.Background(), tt.queue, tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if errors.Is(tt.wantErr, amigate.ErrInvalid) {
				if len(fa.actions()) != 0 {
					t.Error("an action was sent for bad input")
				}
				return
			}
			if tt.want == "" {
				return
			}
			got, err := fa.actions()[0].Encode(nil, "x")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
		})
	}
}
