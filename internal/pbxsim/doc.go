// Package pbxsim is a simulated Asterisk 22 for the one-command demo, the
// end-to-end tests and load tests: it serves the real AMI protocol over TCP
// and, behind it, the small office of the recordings in testdata/ami
// (extensions.conf, queues.conf, features.conf of testdata/ami/asterisk).
//
// The AMI side: banner "Asterisk Call Manager/11.0.0"; plain and MD5
// (Challenge) Login against manager.conf-like users with read/write classes
// (an action the user may not send gets "Permission denied"; FullyBooted
// goes, right behind the login response, only to users with the system read
// class); Ping, Events, Filter, Logoff, Originate (async and sync), Redirect,
// BlindTransfer, Atxfer, Hangup, QueueStatus, QueueSummary, QueuePause,
// CoreShowChannels, CoreShowChannelMap, Status, Getvar, Setvar, Command.
//
// The office: agents 101–105 ring and answer, 198 is busy, 199 never
// answers, customers are dialled as Local/<number>@pstn (000… congested),
// DIDs arrive in from-trunk (queues support, sales, nobody; agent 101 with
// and without the transfer feature). Every phone and customer is a Local
// channel pair, as in the recordings, so the events carry the same names,
// headers, ;1/;2 pairs and Uniqueid/Linkedid relations; an Originate's
// ChannelId and OtherChannelId become the Uniqueids of the two halves.
//
// Inside, each channel that runs dialplan has a goroutine (a "thread", as
// in Asterisk) that the PBX owns; one mutex orders all state changes and
// event emission, and each AMI connection has its own writer so a slow
// client never stalls the PBX. Delays are the recorded ones by default;
// Office.Scaled makes them milliseconds for tests.
//
// Use:
//
//	p := pbxsim.New(pbxsim.Config{Office: pbxsim.DefaultOffice().Scaled(0.01)})
//	defer p.Close()
//	addr, _ := p.Start("127.0.0.1:0")               // AMI on addr: crm/crmsecret, amigate/amigate
//	id, _ := p.IncomingCall(ctx, pbxsim.Incoming{DID: "5550100", From: "79001234567"})
//	_ = p.HangupCall(id)                             // the customer hangs up now
//	_ = p.WaitIdle(ctx)                              // every call ended
//	_ = p.Generate(ctx, pbxsim.Load{Rate: 100, Duration: time.Minute})
//	p.DropConnections()                              // test reconnects
//	http.Handle("/demo/pbx/", http.StripPrefix("/demo/pbx", p.Handler()))
package pbxsim
