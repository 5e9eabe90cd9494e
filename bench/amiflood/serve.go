package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// serve is the server process: an AMI peer on loopback that greets, accepts
// any Login (answering it as Asterisk does, FullyBooted behind it), and
// answers the action Flood by writing the whole flood (Rounds: n times). It prints its
// address on stdout and serves until stdin closes (the parent's end).
func serve(fl *flood) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return nil // the listener closed: the parent is done
		}
		go serveConn(nc, fl)
	}
}

// serveConn runs one AMI session until the client closes it.
func serveConn(nc net.Conn, fl *flood) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	w := bufio.NewWriterSize(nc, 64<<10)
	fmt.Fprint(w, "Asterisk Call Manager/11.0.0\r\n")
	w.Flush()
	for {
		action, err := readAction(br)
		if err != nil {
			return
		}
		id := action["actionid"]
		switch strings.ToLower(action["action"]) {
		case "challenge":
			fmt.Fprintf(w, "Response: Success\r\nActionID: %s\r\nChallenge: 123456789\r\n\r\n", id)
		case "login":
			fmt.Fprintf(w, "Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n", id)
			fmt.Fprint(w, "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 1\r\nLastReload: 1\r\nStatus: Fully Booted\r\n\r\n")
		case "flood":
			fmt.Fprintf(w, "Response: Success\r\nActionID: %s\r\n\r\n", id)
			w.Flush()
			rounds, err := strconv.Atoi(action["rounds"])
			if err != nil || rounds < 1 {
				rounds = 1
			}
			for range rounds {
				if _, err := nc.Write(fl.data); err != nil {
					return
				}
			}
		default:
			fmt.Fprintf(w, "Response: Success\r\nActionID: %s\r\n\r\n", id)
		}
		if w.Flush() != nil {
			return
		}
	}
}

// readAction reads one action's fields, names lowercased; a client's
// actions are small, so this bench server is naive on purpose.
func readAction(br *bufio.Reader) (map[string]string, error) {
	out := map[string]string{}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if len(out) == 0 {
				continue
			}
			return out, nil
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		out[string(bytes.ToLower(bytes.TrimSpace(name)))] = string(bytes.TrimSpace(value))
	}
}
