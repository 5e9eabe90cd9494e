package agent

import "strings"

// WellFormed reports whether ext is made only of what Asterisk extensions
// are made of, and nothing that would change the meaning of a channel or
// dial string (no / @ & , ; space or control character): letters, digits
// and _ * # + -, at most 32. Every extension is well formed, whatever the
// configured pattern; this is what may reach the AMI socket.
func WellFormed(ext string) bool {
	if ext == "" || len(ext) > maxExtension {
		return false
	}
	for i := 0; i < len(ext); i++ {
		c := ext[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("_*#+-", c) >= 0) {
			return false
		}
	}
	return true
}

// IsExtension reports whether ext is an agent extension: well formed and
// matching the configured pattern.
func (d *Devices) IsExtension(ext string) bool {
	if d.digits {
		return defaultExtension(ext)
	}
	return WellFormed(ext) && d.ext.MatchString(ext)
}

// defaultExtension is DefaultPattern ([0-9]{2,15}) without the regexp.
func defaultExtension(ext string) bool {
	if len(ext) < 2 || len(ext) > 15 {
		return false
	}
	for i := 0; i < len(ext); i++ {
		if ext[i] < '0' || ext[i] > '9' {
			return false
		}
	}
	return true
}

// Dial returns the dial string of ext's first device: what click-to-call
// rings. ext must be an extension (IsExtension).
func (d *Devices) Dial(ext string) string { return d.templates[0].dial(ext) }

// Interfaces returns every device of ext, in template order, as dial strings
// and queue member interfaces name them ("PJSIP/101", "Local/101@from-queue/n").
func (d *Devices) Interfaces(ext string) []string {
	out := make([]string, len(d.templates))
	for i, t := range d.templates {
		out[i] = t.dial(ext)
	}
	return out
}

// Extension returns the extension whose device name is: a channel name
// ("PJSIP/101-0000001a", "Local/101@phones-0000000c;1"), a device or queue
// member interface ("PJSIP/101", "Local/101@from-queue/n", as in AgentCalled,
// QueueMemberStatus, DeviceStateChange). ok is false for any other name: a
// trunk's channel, a customer's Local channel, another technology.
// The technology is compared case-insensitively, as Asterisk does; the
// extension and the context exactly.
func (d *Devices) Extension(name string) (ext string, ok bool) {
	tech, rest, found := strings.Cut(name, "/")
	if !found {
		return "", false
	}
	for i := range d.templates {
		t := &d.templates[i]
		if !strings.EqualFold(tech, t.tech) {
			continue
		}
		var e string
		if t.context != "" {
			e = t.matchLocal(rest)
		} else {
			e = d.matchDevice(rest)
		}
		if e != "" && d.IsExtension(e) {
			return e, true
		}
	}
	return "", false
}

// Member returns the extension of a queue member from its interface, or
// else its member name when that is a device name or an extension itself
// (AgentCalled and QueueMemberStatus carry both).
func (d *Devices) Member(iface, memberName string) (string, bool) {
	if ext, ok := d.Extension(iface); ok {
		return ext, true
	}
	if ext, ok := d.Extension(memberName); ok {
		return ext, true
	}
	return "", false
}

// Owns reports whether iface is one of ext's devices: what a token tied
// to ext may pause.
func (d *Devices) Owns(ext, iface string) bool {
	got, ok := d.Extension(iface)
	return ok && got == ext
}

// matchDevice finds the extension in what follows "TECH/" of a device
// named by the extension alone: "101-0000001a" (a channel: the device and
// Asterisk's sequence number) or "101" (the device).
func (d *Devices) matchDevice(rest string) string {
	if i := strings.LastIndexByte(rest, '-'); i > 0 && isHex(rest[i+1:]) && d.IsExtension(rest[:i]) {
		return rest[:i]
	}
	if strings.IndexByte(rest, '/') >= 0 {
		return ""
	}
	return rest
}

// matchLocal finds the extension in what follows "Local/" when it names
// this template's context: "101@phones-0000000c;1" (a channel half),
// "101@phones/n" or "101@phones" (a member interface or device).
func (t *template) matchLocal(rest string) string {
	if n := len(rest); n > 2 && rest[n-2] == ';' && (rest[n-1] == '1' || rest[n-1] == '2') {
		rest = rest[:n-2]
	}
	ext, ctx, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	after, ok := strings.CutPrefix(ctx, t.context)
	if !ok {
		return ""
	}
	switch {
	case after == "":
	case after[0] == '-' && isHex(after[1:]):
	case after[0] == '/' && localOptions.MatchString(after[1:]):
	default:
		return ""
	}
	return ext
}

// isHex reports whether s is a channel sequence number: hexadecimal digits
// (decimal for IAX2's call numbers).
func isHex(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
