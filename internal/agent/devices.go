// Package agent is the one definition of what an agent extension is and on
// which devices an agent answers. Call control dials an agent's first device;
// the correlator recognises agents in channel names; queue events name them
// by member interface; tokens tied to an extension may act only on that
// extension's devices. All of them ask a Devices.
package agent

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Defaults: what AMIGATE_DIAL_AGENT_CHANNEL and AMIGATE_DIAL_EXTENSION_PATTERN
// are when unset.
const (
	DefaultTemplate = "PJSIP/{ext}"
	DefaultPattern  = `[0-9]{2,15}`
)

// MaxTemplates bounds the device templates of one configuration.
const MaxTemplates = 16

// maxExtension bounds an extension's length whatever the pattern says.
const maxExtension = 32

// Devices is a parsed list of device templates and the extension pattern.
// It is immutable and safe for concurrent use.
type Devices struct {
	templates []template
	ext       *regexp.Regexp
	pattern   string
	// digits is set for the default pattern: an extension is then checked
	// digit by digit rather than by the regexp, which the correlator asks
	// for every new channel.
	digits bool
}

// template is one device template, "{ext}" standing for the extension:
// "PJSIP/{ext}", "SIP/{ext}", "IAX2/{ext}", "Local/{ext}@context", the
// Local form optionally with dial options ("Local/{ext}@from-queue/n").
type template struct {
	tech    string // as configured: "PJSIP", "Local"; compared case-insensitively, as Asterisk does
	context string // Local only: the context after "@"
	options string // Local only: "/n", as configured; not part of channel names
}

// techs are the channel technologies whose channel names carry the
// extension, and how they are spelled in errors.
var techs = []string{"PJSIP", "SIP", "IAX2", "Local"}

// contextName is a dialplan context a Local template may name.
var contextName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$`)

// localOptions are Local channel dial options ("/n", "/nj").
var localOptions = regexp.MustCompile(`^[a-z]{1,8}$`)

// New parses device templates and the extension pattern (an RE2 expression an
// extension must match as a whole). Empty templates or an empty pattern take
// the defaults. The error names every template at fault.
func New(templates []string, pattern string) (*Devices, error) {
	if len(templates) == 0 {
		templates = []string{DefaultTemplate}
	}
	if strings.TrimSpace(pattern) == "" {
		pattern = DefaultPattern
	}
	d := &Devices{pattern: pattern, digits: pattern == DefaultPattern}
	var errs []error
	if len(templates) > MaxTemplates {
		errs = append(errs, fmt.Errorf("%d device templates: at most %d", len(templates), MaxTemplates))
	}
	seen := map[string]bool{}
	for _, s := range templates {
		t, err := parseTemplate(strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key := strings.ToLower(t.tech) + "/" + t.context
		if seen[key] {
			errs = append(errs, fmt.Errorf("device template %q: given twice", s))
			continue
		}
		seen[key] = true
		d.templates = append(d.templates, t)
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		errs = append(errs, fmt.Errorf("extension pattern %q: %w", pattern, err))
	}
	d.ext = re
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return d, nil
}

// MustNew is New for values known to be valid (defaults, tests); it panics
// on an error.
func MustNew(templates []string, pattern string) *Devices {
	d, err := New(templates, pattern)
	if err != nil {
		panic(err)
	}
	return d
}

// Default is the default configuration: PJSIP/{ext}, 2 to 15 digits.
func Default() *Devices { return MustNew(nil, "") }

func parseTemplate(s string) (template, error) {
	bad := func(why string) (template, error) {
		return template{}, fmt.Errorf("device template %q: %s; want one of PJSIP/{ext}, SIP/{ext}, IAX2/{ext}, Local/{ext}@context (optionally /n)", s, why)
	}
	if strings.ContainsAny(s, "\r\n\x00&, \t") {
		return bad("contains a space, comma, & or control character")
	}
	tech, rest, ok := strings.Cut(s, "/")
	if !ok || !strings.HasPrefix(rest, "{ext}") || strings.Count(s, "{ext}") != 1 {
		return bad("no {ext} right after the technology")
	}
	var t template
	for _, k := range techs {
		if strings.EqualFold(tech, k) {
			t.tech = tech
		}
	}
	if t.tech == "" {
		return bad("unknown technology " + tech)
	}
	rest = strings.TrimPrefix(rest, "{ext}")
	if !strings.EqualFold(tech, "Local") {
		if rest != "" {
			return bad("nothing may follow {ext} but for Local")
		}
		return t, nil
	}
	ctx, ok := strings.CutPrefix(rest, "@")
	if !ok {
		return bad("a Local template names its context: Local/{ext}@context")
	}
	ctx, opts, hasOpts := strings.Cut(ctx, "/")
	if !contextName.MatchString(ctx) {
		return bad("bad context " + ctx)
	}
	if hasOpts && !localOptions.MatchString(opts) {
		return bad("bad Local options /" + opts)
	}
	t.context = ctx
	if hasOpts {
		t.options = "/" + opts
	}
	return t, nil
}

func (t template) String() string {
	s := t.tech + "/{ext}"
	if t.context != "" {
		s += "@" + t.context + t.options
	}
	return s
}

// dial returns the dial string of ext's device by this template.
func (t template) dial(ext string) string {
	s := t.tech + "/" + ext
	if t.context != "" {
		s += "@" + t.context + t.options
	}
	return s
}

// Templates returns the templates in their configured order, normalised.
func (d *Devices) Templates() []string {
	out := make([]string, len(d.templates))
	for i, t := range d.templates {
		out[i] = t.String()
	}
	return out
}

// Pattern returns the extension pattern.
func (d *Devices) Pattern() string { return d.pattern }

// String is how `check` and the start-up log show the configuration.
func (d *Devices) String() string {
	return strings.Join(d.Templates(), ",") + " (extensions: " + d.pattern + ")"
}
