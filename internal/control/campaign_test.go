package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/amigate/amigate"
	"github.com/amigate/amigate/internal/ami"
	"github.com/amigate/amigate/internal/amiclient"
)

// firstWire is the first action fa was sent, as it goes on the wire.
func firstWire(t *testing.T, fa *fakeAMI) string {
	t.Helper()
	a := fa.actions()[0]
	b, err := a.Encode(nil, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDialCampaignOriginate(t *testing.T) {
	fa, fc := &fakeAMI{}, newFakeCalls()
	s := newTestService(t, Config{}, fa, fc)
	d := amigate.CampaignDial{ID: callID, Campaign: "cmp-1", Contact: 7, Number: "+7 (900) 123-45-67",
		Target: amigate.CampaignTarget{Queue: "support"}, CallerID: "74950000000", Variables: map[string]string{"CRM_LEAD": "9"},
		CampaignVariables: map[string]string{"CRM_LEAD": "1", "CRM_SOURCE": "december"}}
	if err := s.DialCampaign(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	wire := firstWire(t, fa)
	for _, want := range []string{
		"Action: Originate\r\n", "Channel: Local/79001234567@from-internal\r\n",
		"Context: amigate-campaign\r\n", "Exten: support\r\n", "ChannelId: " + callID + "\r\n",
		"Variable: AMIGATE_CAMPAIGN_ID=cmp-1\r\n", "Variable: AMIGATE_CONTACT=7\r\n", "Variable: CRM_LEAD=9\r\n", "Variable: CRM_SOURCE=december\r\n",
		"CallerID: <74950000000>\r\n", "ActionID: cmp-" + callID + "\r\n", "Async: true\r\n",
	} {
		if !strings.Contains(wire, want) {
			t.Errorf("Originate lacks %q:\n%s", want, wire)
		}
	}
	e := fc.expectations()[0].call
	if e.Campaign != "cmp-1" || e.Contact == nil || *e.Contact != 7 || e.Queue != "support" || e.Customer.Number != "79001234567" {
		t.Errorf("expected call %+v", e)
	}

	// An agent target is the extension in the dial context.
	d.Target = amigate.CampaignTarget{Extension: "101"}
	d.ID = otherID
	if err := s.DialCampaign(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	b, _ := fa.actions()[1].Encode(nil, "x")
	if !strings.Contains(string(b), "Context: from-internal\r\nExten: 101\r\n") {
		t.Errorf("agent target:\n%s", b)
	}
}

// TestDialCampaignPreview: a preview attempt is click-to-call's Originate
// (the agent's device first, then the customer in the dial context) with
// the attempt id as ChannelId and the campaign's variables; the expected
// call has the agent.
func TestDialCampaignPreview(t *testing.T) {
	fa, fc := &fakeAMI{}, newFakeCalls()
	s := newTestService(t, Config{}, fa, fc)
	d := amigate.CampaignDial{ID: callID, Campaign: "cmp-1", Contact: 2, Number: "+7 (900) 123-45-67", Name: "Ann", Agent: "101",
		Target: amigate.CampaignTarget{Queue: "support"}, CampaignVariables: map[string]string{"CRM_SOURCE": "december"}}
	if err := s.DialCampaign(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	wire := firstWire(t, fa)
	for _, want := range []string{
		"Channel: " + s.cfg.Devices.Dial("101") + "\r\n", "Context: from-internal\r\n", "Exten: 79001234567\r\n",
		"ChannelId: " + callID + "\r\n", "Variable: AMIGATE_CALL_ID=" + callID + "\r\n", "Variable: AMIGATE_CAMPAIGN_ID=cmp-1\r\n",
		"Variable: AMIGATE_CONTACT=2\r\n", "Variable: CRM_SOURCE=december\r\n", "CallerID: \"Ann\" <79001234567>\r\n",
		"ActionID: cmp-" + callID + "\r\n", "Async: true\r\n",
	} {
		if !strings.Contains(wire, want) {
			t.Errorf("Originate lacks %q:\n%s", want, wire)
		}
	}
	if strings.Count(wire, "AMIGATE_CALL_ID") != 1 {
		t.Errorf("AMIGATE_CALL_ID set more than once:\n%s", wire)
	}
	e := fc.expectations()[0].call
	if e.Campaign != "cmp-1" || e.Contact == nil || *e.Contact != 2 || e.Agent == nil || e.Agent.Extension != "101" {
		t.Errorf("expected call %+v", e)
	}
	d.Agent, d.ID = "1@x", otherID
	if err := s.DialCampaign(context.Background(), d); !errors.Is(err, amigate.ErrInvalid) {
		t.Errorf("an agent that is no extension: %v", err)
	}
}

func TestDialCampaignErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		want    error
		forgets bool
	}{
		{"refused", refused("Originate", "Extension does not exist."), amigate.ErrPBXRefused, true},
		{"not connected", amiclient.ErrNotReady, amigate.ErrUnavailable, true},
		{"disconnected after sending", amiclient.ErrDisconnected, amigate.ErrTimeout, false},
		{"timeout", amiclient.ErrTimeout, amigate.ErrTimeout, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fa, fc := &fakeAMI{SendFunc: func(context.Context, *ami.Action) (ami.Message, error) { return ami.Message{}, tt.err }}, newFakeCalls()
			s := newTestService(t, Config{}, fa, fc)
			err := s.DialCampaign(context.Background(), amigate.CampaignDial{ID: callID, Campaign: "c1", Number: "79001234567", Target: amigate.CampaignTarget{Queue: "support"}})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := len(fc.forgotten) == 1; got != tt.forgets {
				t.Errorf("call forgotten: %v, want %v", got, tt.forgets)
			}
		})
	}
}

func TestCheckCampaign(t *testing.T) {
	s := newTestService(t, DefaultConfig(), &fakeAMI{}, newFakeCalls())
	ok := amigate.CampaignRequest{Contacts: []amigate.CampaignContact{{Number: "79001234567"}}, Target: amigate.CampaignTarget{Queue: "support"}}
	if err := s.CheckCampaign(&ok); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		field string
		edit  func(r *amigate.CampaignRequest)
	}{
		{"target.queue", func(r *amigate.CampaignRequest) { r.Target.Queue = "_X." }},
		{"target.queue", func(r *amigate.CampaignRequest) { r.Target.Queue = "support,1" }},
		{"target.extension", func(r *amigate.CampaignRequest) { r.Target = amigate.CampaignTarget{Extension: "1@x"} }},
		{"caller_id", func(r *amigate.CampaignRequest) { r.CallerID = "Boss <1>" }},
		{"contacts[1].number", func(r *amigate.CampaignRequest) {
			r.Contacts = append(r.Contacts, amigate.CampaignContact{Number: "0090012345678"})
		}},
		{"contacts[0].variables.EVIL", func(r *amigate.CampaignRequest) { r.Contacts[0].Variables = map[string]string{"EVIL": "1"} }},
		{"contacts[0].metadata", func(r *amigate.CampaignRequest) { r.Contacts[0].Metadata = []byte(`[1]`) }},
		// The campaign's variables follow the same rule, alone and merged
		// with each contact's.
		{"variables.EVIL", func(r *amigate.CampaignRequest) { r.Variables = map[string]string{"EVIL": "1"} }},
		{"contacts[0].variables", func(r *amigate.CampaignRequest) {
			r.Variables, r.Contacts[0].Variables = map[string]string{}, map[string]string{}
			for i := range MaxVariables {
				r.Variables[fmt.Sprintf("CRM_A%d", i)] = "1"
				r.Contacts[0].Variables[fmt.Sprintf("CRM_B%d", i)] = "1"
			}
		}},
	} {
		r := ok
		r.Contacts = append([]amigate.CampaignContact(nil), ok.Contacts...)
		tt.edit(&r)
		var fe *amigate.FieldError
		if err := s.CheckCampaign(&r); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: got %v", tt.field, err)
		}
	}
}
