package main

import (
	"strings"
	"testing"
	"time"
)

func TestInspectorPageGroupsByCall(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	list := []receivedWebhook{ // newest first
		{ReceivedAt: at.Add(3 * time.Second), ID: "evt_3", Type: "call.ended", Verified: true,
			Body: []byte(`{"type":"call.ended","call":{"id":"c1","direction":"inbound","customer":{"number":"79005550001","name":"Ivan <b>"}}}`)},
		{ReceivedAt: at.Add(2 * time.Second), ID: "evt_2", Type: "agent.paused", Verified: true,
			Body: []byte(`{"type":"agent.paused","presence":{"extension":"101"}}`)},
		{ReceivedAt: at.Add(time.Second), ID: "evt_1", Type: "call.ringing", Verified: false, Error: "bad signature",
			Body: []byte(`{"type":"call.ringing","call":{"id":"c1","direction":"inbound"}}`)},
	}
	groups := groupWebhooks(list)
	if len(groups) != 2 || groups[0].key != "call c1" || len(groups[0].hooks) != 2 || groups[1].key != "agent 101" {
		t.Fatalf("groups: %+v", groups)
	}
	page := inspectorPage(list)
	for _, want := range []string{"Ivan &lt;b&gt; 79005550001 · inbound call c1", "signature REJECTED: bad signature", "<details><summary>", "agent 101"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "Ivan <b>") {
		t.Error("a caller's name reaches the page unescaped")
	}
	if n := strings.Count(page, "<details>"); n != 3 {
		t.Errorf("%d lines, want one per webhook (3)", n)
	}
}
