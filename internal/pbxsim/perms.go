package pbxsim

import (
	"strings"

	"github.com/amigate/amigate/internal/ami"
)

// Permission classes of manager.conf read/write, as bits.
const (
	permSystem uint32 = 1 << iota
	permCall
	permLog
	permVerbose
	permCommand
	permAgent
	permUser
	permConfig
	permDTMF
	permReporting
	permCDR
	permDialplan
	permOriginate
	permAGI
	permCC
	permAOC
	permTest
	permSecurity
	permMessage
	permAll = 1<<iota - 1
)

var permNames = map[string]uint32{
	"system": permSystem, "call": permCall, "log": permLog, "verbose": permVerbose,
	"command": permCommand, "agent": permAgent, "user": permUser, "config": permConfig,
	"dtmf": permDTMF, "reporting": permReporting, "cdr": permCDR, "dialplan": permDialplan,
	"originate": permOriginate, "agi": permAGI, "cc": permCC, "aoc": permAOC, "test": permTest,
	"security": permSecurity, "message": permMessage, "all": permAll,
}

// parsePerms turns class names into bits; unknown names are ignored, as
// Asterisk does.
func parsePerms(names []string) uint32 {
	var bits uint32
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			bits |= permNames[strings.ToLower(strings.TrimSpace(part))]
		}
	}
	return bits
}

// parseEventMask reads the Events header of Login and Events: "on", "off"
// (or "yes"/"no"), or a list of classes.
func parseEventMask(v string) uint32 {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "yes", "true", "":
		return permAll
	case "off", "no", "false":
		return 0
	}
	return parsePerms([]string{v})
}

// eventClass is the class bit of an event: the first word of Privilege.
func eventClass(m *ami.Message) uint32 {
	priv := m.Get("Privilege")
	if i := strings.IndexByte(priv, ','); i >= 0 {
		priv = priv[:i]
	}
	return permNames[priv]
}

// actionPerms is the write class each action needs (any one of the bits);
// zero means any logged-in user may send it.
var actionPerms = map[string]uint32{
	"originate":          permOriginate,
	"command":            permCommand,
	"hangup":             permSystem | permCall,
	"redirect":           permCall,
	"blindtransfer":      permCall,
	"atxfer":             permCall,
	"queuepause":         permAgent,
	"coreshowchannels":   permSystem | permReporting,
	"coreshowchannelmap": permSystem | permReporting,
	"status":             permSystem | permCall | permReporting,
	"getvar":             permCall | permReporting,
	"devicestatelist":    permCall | permReporting,
	"extensionstatelist": permCall | permReporting,
	"setvar":             permCall,
	"filter":             permSystem,
	"queuestatus":        0,
	"queuesummary":       0,
	"ping":               0,
	"events":             0,
	"logoff":             0,
}
