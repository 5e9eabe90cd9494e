package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/amigate/amigate/internal/ami"
)

// repeated is an event with repeated keys, mixed into the flood: the
// consumer counts fields, so a merged or lost repeat shows.
var repeated = ami.Message{Fields: []ami.Field{
	{Name: "Event", Value: "VarSet"}, {Name: "Channel", Value: "PJSIP/201-00000001"},
	{Name: "ChanVariable", Value: "A=1"}, {Name: "ChanVariable", Value: "B=2"}, {Name: "ChanVariable", Value: "C=3"},
}}

// flood is what the server writes after answering the Flood action: every
// event of the recorded Asterisk streams, plus the repeated-keys event,
// repeated until it reaches the asked size.
type flood struct {
	data   []byte
	size   int // bytes of data
	events int // messages in data
	fields int // fields of all of them
}

// loadFlood reads the recorded streams (raw/*.in: the exact bytes Asterisk
// sent, banner first) under dir and builds a flood of at least minBytes.
func loadFlood(dir string, minBytes int) (*flood, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.in"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no recorded streams (*.in) in %s", dir)
	}
	var one []byte
	events, fields := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		_, rest, _ := bytes.Cut(b, []byte("\n")) // the banner
		r := ami.NewReader(bytes.NewReader(rest), 0)
		for {
			m, err := r.ReadMessage()
			if err != nil {
				break
			}
			if m.IsEvent() {
				one = append(one, m.String()...)
				events++
				fields += len(m.Fields)
			}
		}
	}
	one = append(one, repeated.String()...)
	events++
	fields += len(repeated.Fields)
	fl := &flood{}
	for len(fl.data) < minBytes || fl.events == 0 {
		fl.data = append(fl.data, one...)
		fl.size = len(fl.data)
		fl.events += events
		fl.fields += fields
	}
	return fl, nil
}
