package agent

import (
	"slices"
	"strings"
	"testing"
)

// office is the configuration of an office with SIP phones and FreePBX-style
// queue members: the whole office at once.
var office = []string{"Local/{ext}@phones", "PJSIP/{ext}", "Local/{ext}@from-queue/n", "SIP/{ext}", "IAX2/{ext}"}

func TestExtension(t *testing.T) {
	tests := []struct {
		templates []string
		pattern   string
		name      string
		want      string // "" when no agent's
	}{
		// The default: PJSIP/{ext}, 2 to 15 digits.
		{nil, "", "PJSIP/101-0000001a", "101"},
		{nil, "", "PJSIP/101", "101"},
		{nil, "", "pjsip/101-0000001A", "101"},
		{nil, "", "PJSIP/trunk-0000001a", ""},
		{nil, "", "SIP/101-0000001a", ""},
		{nil, "", "PJSIP/1-0000001a", ""},
		{nil, "", "PJSIP/101/n", ""},
		{nil, "", "PJSIP", ""},
		{nil, "", "", ""},
		// Channel names, device names and member interfaces of every template.
		{office, "", "Local/101@phones-0000000c;1", "101"},
		{office, "", "Local/101@phones-0000000c;2", "101"},
		{office, "", "local/101@phones-0000000c;2", "101"},
		{office, "", "Local/101@phones", "101"},
		{office, "", "Local/101@from-queue-00000012;1", "101"},
		{office, "", "Local/101@from-queue/n", "101"},
		{office, "", "Local/101@from-queue", "101"},
		{office, "", "PJSIP/201-00000004", "201"},
		{office, "", "SIP/101-00000793", "101"},
		{office, "", "IAX2/101-1234", "101"},
		{office, "", "Local/79001234567@pstn-0000000d;1", ""},
		{office, "", "Local/5550101@from-trunk-0000000f;2", ""},
		{office, "", "Local/101@Phones-0000000c;1", ""}, // contexts are case-sensitive
		{office, "", "Local/101@phones-queue;1", ""},
		{office, "", "Local/101@phonesx-0000000c;1", ""},
		{office, "", "Local/101@from-queue/x1", ""},
		{office, "", "DAHDI/1-1", ""},
		{office, "", "Queue:support_pause_Local/101@phones", ""},
		// The extension pattern decides.
		{[]string{"PJSIP/{ext}"}, `[0-9]{3,4}`, "PJSIP/12345-00000004", ""},
		{[]string{"PJSIP/{ext}"}, `[a-z]+[0-9]+`, "PJSIP/anna42-00000004", "anna42"},
		{[]string{"PJSIP/{ext}"}, `[a-z-]+`, "PJSIP/front-desk-00000004", "front-desk"},
		{[]string{"PJSIP/{ext}"}, `.+`, "PJSIP/a@b-00000004", ""}, // never what a dial string cannot carry
	}
	for _, tt := range tests {
		d := MustNew(tt.templates, tt.pattern)
		got, ok := d.Extension(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%v %q: Extension(%q) = %q, %v; want %q", tt.templates, tt.pattern, tt.name, got, ok, tt.want)
		}
	}
}

func TestDialAndInterfaces(t *testing.T) {
	d := MustNew(office, "")
	if got := d.Dial("101"); got != "Local/101@phones" {
		t.Errorf("Dial = %q", got)
	}
	want := []string{"Local/101@phones", "PJSIP/101", "Local/101@from-queue/n", "SIP/101", "IAX2/101"}
	if got := d.Interfaces("101"); !slices.Equal(got, want) {
		t.Errorf("Interfaces = %q, want %q", got, want)
	}
	for _, iface := range want {
		if !d.Owns("101", iface) || d.Owns("102", iface) {
			t.Errorf("Owns(%q) wrong", iface)
		}
		if ext, ok := d.Extension(iface); !ok || ext != "101" {
			t.Errorf("Extension(Interfaces) %q = %q", iface, ext)
		}
	}
	if got := Default().Dial("101"); got != "PJSIP/101" {
		t.Errorf("default Dial = %q", got)
	}
}

func TestMember(t *testing.T) {
	d := MustNew(office, "")
	tests := []struct{ iface, name, want string }{
		{"Local/102@from-queue/n", "Local/102@from-queue/n", "102"},
		{"PJSIP/201", "Anna", "201"},
		{"Custom:101", "PJSIP/101", "101"},
		{"Custom:101", "Anna", ""},
	}
	for _, tt := range tests {
		if got, _ := d.Member(tt.iface, tt.name); got != tt.want {
			t.Errorf("Member(%q, %q) = %q, want %q", tt.iface, tt.name, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		templates []string
		pattern   string
		want      string
	}{
		{[]string{"PJSIP/101"}, "", "no {ext}"},
		{[]string{"PJSIP/{ext}&PJSIP/{ext}"}, "", "space, comma, &"},
		{[]string{"PJSIP/{ext}\r\nApplication: System"}, "", "control character"},
		{[]string{"/PJSIP/{ext}/"}, "", "no {ext}"},
		{[]string{"DAHDI/{ext}"}, "", "unknown technology"},
		{[]string{"PJSIP/{ext}@trunk"}, "", "nothing may follow"},
		{[]string{"Local/{ext}"}, "", "names its context"},
		{[]string{"Local/{ext}@a b"}, "", "space"},
		{[]string{"Local/{ext}@ph;ones"}, "", "bad context"},
		{[]string{"Local/{ext}@phones/N1"}, "", "bad Local options"},
		{[]string{"PJSIP/{ext}", "pjsip/{ext}"}, "", "given twice"},
		{[]string{"PJSIP/pre{ext}"}, "", "no {ext}"},
		{nil, "[0-9", "extension pattern"},
		{make([]string, MaxTemplates+1), "", "at most"},
	}
	for _, tt := range tests {
		_, err := New(tt.templates, tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %q) = %v, want an error with %q", tt.templates, tt.pattern, err, tt.want)
		}
	}
	d, err := New([]string{" Local/{ext}@phones/n ", "pjsip/{ext}"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "Local/{ext}@phones/n,pjsip/{ext} (extensions: [0-9]{2,15})" {
		t.Errorf("String = %q", got)
	}
}

func TestWellFormed(t *testing.T) {
	for _, s := range []string{"101", "anna_42", "*72", "#1", "+7", "a-b"} {
		if !WellFormed(s) {
			t.Errorf("WellFormed(%q) = false", s)
		}
	}
	for _, s := range []string{"", "1/2", "1@x", "1,2", "1&2", "1 2", "1;2", "1.2", "1\r\n", strings.Repeat("1", 33)} {
		if WellFormed(s) {
			t.Errorf("WellFormed(%q) = true", s)
		}
	}
	d := Default()
	if d.IsExtension("1") || !d.IsExtension("101") || !d.IsExtension("123456789012345") || d.IsExtension("1234567890123456") {
		t.Error("IsExtension: default pattern is 2 to 15 digits")
	}
}

func FuzzExtension(f *testing.F) {
	for _, s := range []string{"PJSIP/101-0000001a", "Local/101@from-queue/n", "Local/101@phones-0000000c;1", "IAX2/101-1", "Local/@phones", "Local/101@"} {
		f.Add(s)
	}
	d := MustNew(office, `[0-9A-Za-z_*#+]+`) // with - in the pattern, "PJSIP/a-b" reads as a channel of device a
	f.Fuzz(func(t *testing.T, name string) {
		ext, ok := d.Extension(name)
		if !ok {
			return
		}
		// What is recognised is an extension, and its devices are recognised as it.
		if !d.IsExtension(ext) || !strings.Contains(name, ext) {
			t.Fatalf("Extension(%q) = %q", name, ext)
		}
		for _, iface := range d.Interfaces(ext) {
			if !d.Owns(ext, iface) {
				t.Fatalf("Owns(%q, %q) = false", ext, iface)
			}
		}
	})
}
