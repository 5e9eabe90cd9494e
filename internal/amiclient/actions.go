package amiclient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amigate/amigate/internal/ami"
)

// The actions call control sends each have a params type whose Action
// method is their one encoder: the client's method of the same name sends
// what it returns, and a test double can encode exactly what the client
// would have sent. Action refuses what Asterisk would misread (a channel
// name it takes as a regular expression, a variable name with "="); the
// header encoder (ami.Action.Encode) then refuses CR, LF and NUL.

// OriginateParams are the fields of an Originate action. Empty fields are
// left out. Either Context/Exten/Priority or Application/Data say where
// the answered channel goes.
type OriginateParams struct {
	Channel     string // dial string of the first leg ("Local/101@phones", "PJSIP/201"); required
	Context     string
	Exten       string
	Priority    int // 0: left out (Asterisk then uses 1)
	Application string
	Data        string
	CallerID    string        // `"Name" <number>`
	Timeout     time.Duration // ring time of the first leg, sent in ms; 0: Asterisk's 30 s
	Async       bool          // answer at once; OriginateResponse follows
	ChannelID   string        // Uniqueid (and Linkedid) of the originated channel
	// OtherChannelID is the Uniqueid of a Local channel's ;2 half.
	OtherChannelID string
	Account        string
	// Variables are sent one Variable header each ("NAME=value"), in order.
	// Values go as given: Asterisk splits a Variable header at commas, so a
	// caller escapes what it does not control (see EscapeVariable).
	Variables []ami.Field
	// ActionID, when set, is the ActionID (to match a failed async
	// OriginateResponse, whose Uniqueid is "<unknown>").
	ActionID string
}

// Action builds the Originate action, its fields in the order the product's
// recorded Originate shows (testdata/ami/click_to_call_channelid.txt).
func (p OriginateParams) Action() (*ami.Action, error) {
	if err := CheckChannel(p.Channel); err != nil {
		return nil, err
	}
	for _, v := range p.Variables {
		if v.Name == "" || strings.Contains(v.Name, "=") {
			return nil, fmt.Errorf("amiclient: originate: bad variable name %q", v.Name)
		}
	}
	a := &ami.Action{Name: "Originate", ID: p.ActionID, Fields: make([]ami.Field, 0, 12+len(p.Variables))}
	a.Add("Channel", p.Channel).AddIf("Context", p.Context).AddIf("Exten", p.Exten)
	if p.Priority != 0 {
		a.Add("Priority", strconv.Itoa(p.Priority))
	}
	a.AddIf("Application", p.Application).AddIf("Data", p.Data).AddIf("CallerID", p.CallerID)
	if p.Async {
		a.Add("Async", "true")
	}
	a.AddIf("ChannelId", p.ChannelID).AddIf("OtherChannelId", p.OtherChannelID).AddIf("Account", p.Account)
	for _, v := range p.Variables {
		a.Add("Variable", v.Name+"="+v.Value)
	}
	if p.Timeout > 0 {
		a.Add("Timeout", strconv.FormatInt(p.Timeout.Milliseconds(), 10))
	}
	return a, nil
}

// Originate places a call. With Async the response only says the call was
// queued; the outcome comes as an OriginateResponse event with the same
// ActionID.
func (c *Client) Originate(ctx context.Context, p OriginateParams) (ami.Message, error) {
	a, err := p.Action()
	if err != nil {
		return ami.Message{}, err
	}
	return c.Send(ctx, a)
}

// EscapeVariable escapes a channel variable's value for a Variable header.
// Asterisk splits each Variable header at commas into several NAME=value
// pairs and drops quotes and backslashes (AST_STANDARD_APP_ARGS in
// manager.c), so an unescaped "1,AMIGATE_CALL_ID=x" would set a second
// variable. A backslash makes the next character literal.
func EscapeVariable(v string) string {
	if !strings.ContainsAny(v, `,"\`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == ',' || c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// RedirectParams are the fields of a Redirect (transfer by moving the
// channel, and optionally its peer, to a dialplan location).
type RedirectParams struct {
	Channel      string // required
	ExtraChannel string
	Context      string
	Exten        string
	Priority     int // default 1
	ExtraContext string
	ExtraExten   string
	ExtraPrio    int
}

// Action builds the Redirect action.
func (p RedirectParams) Action() (*ami.Action, error) {
	if err := CheckChannel(p.Channel); err != nil {
		return nil, err
	}
	if p.ExtraChannel != "" {
		if err := CheckChannel(p.ExtraChannel); err != nil {
			return nil, err
		}
	}
	a := ami.NewAction("Redirect").Add("Channel", p.Channel).AddIf("ExtraChannel", p.ExtraChannel).
		Add("Context", p.Context).Add("Exten", p.Exten).Add("Priority", strconv.Itoa(max(p.Priority, 1)))
	if p.ExtraChannel != "" {
		a.AddIf("ExtraExten", p.ExtraExten).AddIf("ExtraContext", p.ExtraContext)
		if p.ExtraPrio > 0 {
			a.Add("ExtraPriority", strconv.Itoa(p.ExtraPrio))
		}
	}
	return a, nil
}

// Redirect moves a channel to another dialplan location.
func (c *Client) Redirect(ctx context.Context, p RedirectParams) error {
	return c.encodeSend(ctx, p.Action)
}

// TransferParams are the fields of BlindTransfer and Atxfer: the channel
// whose bridged peer is transferred, to Exten@Context. On Local channels
// name the ;1 half, the one in the bridge.
type TransferParams struct {
	Channel string // required
	Context string
	Exten   string
}

// BlindTransferAction builds the BlindTransfer action.
func (p TransferParams) BlindTransferAction() (*ami.Action, error) {
	return p.action("BlindTransfer")
}

// AtxferAction builds the Atxfer action.
func (p TransferParams) AtxferAction() (*ami.Action, error) {
	return p.action("Atxfer")
}

func (p TransferParams) action(name string) (*ami.Action, error) {
	if err := CheckChannel(p.Channel); err != nil {
		return nil, err
	}
	return ami.NewAction(name).Add("Channel", p.Channel).Add("Exten", p.Exten).Add("Context", p.Context), nil
}

// BlindTransfer transfers the bridged channel's peer to Exten@Context.
func (c *Client) BlindTransfer(ctx context.Context, p TransferParams) error {
	return c.encodeSend(ctx, p.BlindTransferAction)
}

// Atxfer starts an attended transfer from the channel to Exten@Context. A
// Success response does not mean the transfer started: it needs the
// transfer feature (Dial option t/T) on the channel.
func (c *Client) Atxfer(ctx context.Context, p TransferParams) error {
	return c.encodeSend(ctx, p.AtxferAction)
}

// HangupParams are the fields of Hangup.
type HangupParams struct {
	Channel string // an exact name or a Uniqueid; required
	Cause   int    // Q.850 cause; 0: left out
}

// Action builds the Hangup action. A name starting with '/' is refused:
// Asterisk would read it as a regular expression and hang up every channel
// matching it.
func (p HangupParams) Action() (*ami.Action, error) {
	if err := CheckChannel(p.Channel); err != nil {
		return nil, err
	}
	a := ami.NewAction("Hangup").Add("Channel", p.Channel)
	if p.Cause > 0 {
		a.Add("Cause", strconv.Itoa(p.Cause))
	}
	return a, nil
}

// Hangup hangs up exactly the named channel.
func (c *Client) Hangup(ctx context.Context, p HangupParams) error {
	return c.encodeSend(ctx, p.Action)
}

// QueueStatusParams are the fields of QueueStatus: empty fields mean all
// queues, all members.
type QueueStatusParams struct {
	Queue  string
	Member string
}

// Action builds the QueueStatus action.
func (p QueueStatusParams) Action() (*ami.Action, error) {
	return ami.NewAction("QueueStatus").AddIf("Queue", p.Queue).AddIf("Member", p.Member), nil
}

// QueueStatus lists queue parameters, members and callers: the list's
// events without the completing QueueStatusComplete.
func (c *Client) QueueStatus(ctx context.Context, p QueueStatusParams) ([]ami.Message, error) {
	a, _ := p.Action()
	return c.list(ctx, a)
}

// QueueSummaryParams are the fields of QueueSummary: an empty Queue means
// all queues.
type QueueSummaryParams struct {
	Queue string
}

// Action builds the QueueSummary action.
func (p QueueSummaryParams) Action() (*ami.Action, error) {
	return ami.NewAction("QueueSummary").AddIf("Queue", p.Queue), nil
}

// QueueSummary lists one QueueSummary event per queue (or the one named).
func (c *Client) QueueSummary(ctx context.Context, p QueueSummaryParams) ([]ami.Message, error) {
	a, _ := p.Action()
	return c.list(ctx, a)
}

// QueuePauseParams are the fields of QueuePause.
type QueuePauseParams struct {
	Interface string // member interface, required
	Queue     string // empty: every queue of the member
	Paused    bool
	Reason    string
}

// Action builds the QueuePause action.
func (p QueuePauseParams) Action() (*ami.Action, error) {
	if p.Interface == "" {
		return nil, errors.New("amiclient: queuepause: interface is required")
	}
	return ami.NewAction("QueuePause").Add("Interface", p.Interface).Add("Paused", strconv.FormatBool(p.Paused)).
		AddIf("Queue", p.Queue).AddIf("Reason", p.Reason), nil
}

// QueuePause pauses or unpauses a queue member.
func (c *Client) QueuePause(ctx context.Context, p QueuePauseParams) error {
	return c.encodeSend(ctx, p.Action)
}

// encodeSend encodes an action and sends it, for the actions whose response
// carries nothing but success.
func (c *Client) encodeSend(ctx context.Context, encode func() (*ami.Action, error)) error {
	a, err := encode()
	if err != nil {
		return err
	}
	_, err = c.Send(ctx, a)
	return err
}

// CoreShowChannels lists one CoreShowChannel event per active channel.
func (c *Client) CoreShowChannels(ctx context.Context) ([]ami.Message, error) {
	return c.list(ctx, ami.NewAction("CoreShowChannels"))
}

// DeviceStateList lists every device state Asterisk knows (one
// DeviceStateChange per device; Local channels' devices are not among them),
// for the presence resync after a login.
func (c *Client) DeviceStateList(ctx context.Context) ([]ami.Message, error) {
	return c.list(ctx, ami.NewAction("DeviceStateList"))
}

// ExtensionStateList lists every extension hint and its state (one
// ExtensionStatus per hint).
func (c *Client) ExtensionStateList(ctx context.Context) ([]ami.Message, error) {
	return c.list(ctx, ami.NewAction("ExtensionStateList"))
}

// Status lists one Status event per channel (or only the named one).
func (c *Client) Status(ctx context.Context, channel string) ([]ami.Message, error) {
	if channel != "" {
		if err := CheckChannel(channel); err != nil {
			return nil, err
		}
	}
	return c.list(ctx, ami.NewAction("Status").AddIf("Channel", channel))
}

// Getvar returns a channel variable, or a global one when channel is empty.
func (c *Client) Getvar(ctx context.Context, channel, variable string) (string, error) {
	resp, err := c.Send(ctx, ami.NewAction("Getvar").AddIf("Channel", channel).Add("Variable", variable))
	if err != nil {
		return "", err
	}
	return resp.Get("Value"), nil
}

// Setvar sets a channel variable, or a global one when channel is empty.
func (c *Client) Setvar(ctx context.Context, channel, variable, value string) error {
	_, err := c.Send(ctx, ami.NewAction("Setvar").AddIf("Channel", channel).Add("Variable", variable).Add("Value", value))
	return err
}

// Command runs a CLI command and returns its text, whether Asterisk sent it
// as Output lines (14+) or as an old "Response: Follows" block. A failed
// command is an *ActionError whose Output holds the text.
func (c *Client) Command(ctx context.Context, command string) (string, error) {
	resp, err := c.Send(ctx, ami.NewAction("Command").Add("Command", command))
	if err != nil {
		return "", err
	}
	return resp.Output(), nil
}

// Ping checks that Asterisk answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Send(ctx, ami.NewAction("Ping"))
	return err
}

// Events changes the session's event mask ("on", "off", "call,agent").
func (c *Client) Events(ctx context.Context, mask string) error {
	_, err := c.Send(ctx, ami.NewAction("Events").Add("EventMask", mask))
	return err
}

// Filter adds a server-side event filter to the session, such as
// "Event: Newchannel" or "!Event: RTCP*" (Asterisk's Filter action with
// Operation Add).
func (c *Client) Filter(ctx context.Context, filter string) error {
	_, err := c.Send(ctx, ami.NewAction("Filter").Add("Operation", "Add").Add("Filter", filter))
	return err
}

// Logoff ends the session politely, before a shutdown: Asterisk answers
// Goodbye and closes the connection, and the client then stays disconnected
// (no reconnect, no warning) until Close. Close alone is enough too.
func (c *Client) Logoff(ctx context.Context) error {
	c.mu.Lock()
	c.loggedOff = true
	c.mu.Unlock()
	_, err := c.Send(ctx, ami.NewAction("Logoff"))
	return err
}

// list sends a list action and returns its item events, without the
// completing one.
func (c *Client) list(ctx context.Context, a *ami.Action) ([]ami.Message, error) {
	_, evs, err := c.SendList(ctx, a)
	if err != nil {
		return nil, err
	}
	if n := len(evs); n > 0 && listEnds(evs[n-1]) {
		evs = evs[:n-1]
	}
	return evs, nil
}

// CheckChannel refuses a channel name Asterisk would not take literally:
// empty, or starting with '/', which Hangup, Redirect and the transfers read
// as a regular expression over every channel. It is the one guard: the
// encoders above call it, and call control checks every name of a call with
// it before it sends anything.
func CheckChannel(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrBadChannel)
	}
	if name[0] == '/' {
		return fmt.Errorf("%w: %q starts with '/' (a regular expression to Asterisk)", ErrBadChannel, name)
	}
	return nil
}
