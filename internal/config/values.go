package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// value is a setting that can be set from text: an environment variable or
// a YAML scalar.
type value interface {
	Set(s string) error
	String() string
}

// String methods give a value's text form, for the configuration
// reference (Settings).
func (v *stringValue) String() string   { return string(*v) }
func (v *boolValue) String() string     { return strconv.FormatBool(bool(*v)) }
func (v *intValue) String() string      { return strconv.Itoa(int(*v)) }
func (v *durationValue) String() string { return formatDuration(time.Duration(*v)) }
func (v *levelValue) String() string    { return strings.ToLower(slog.Level(*v).String()) }
func (v *listValue) String() string     { return strings.Join(*v.p, v.sep) }
func (v *rewriteValue) String() string {
	var parts []string
	for _, r := range *v {
		parts = append(parts, r.Prefix+"="+r.Replace)
	}
	return strings.Join(parts, ",")
}
func (v *subscriptionsValue) String() string { return "" }

// formatDuration writes 2m rather than 2m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// nodeValue is a setting that can also take a YAML sequence or mapping.
type nodeValue interface {
	value
	SetNode(n *yaml.Node) error
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 500ms, 10s or 2m", s)
	}
	*v = durationValue(d)
	return nil
}

type levelValue slog.Level

func (v *levelValue) Set(s string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	*v = levelValue(l)
	return nil
}

// listValue is a list: separated by sep in the environment, a YAML
// sequence (or one scalar in the same separated form) in the file.
type listValue struct {
	p   *[]string
	sep string
}

func (v *listValue) Set(s string) error {
	var out []string
	for _, f := range strings.Split(s, v.sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	*v.p = out
	return nil
}

func (v *listValue) SetNode(n *yaml.Node) error {
	items, err := scalars(n)
	if err != nil {
		return err
	}
	*v.p = items
	return nil
}

// scalars returns the items of a sequence of scalars.
func scalars(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("want a list")
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: want a text item", item.Line)
		}
		if s := strings.TrimSpace(item.Value); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// rewriteValue is the prefix rewrites: "+7=8,+=810" in the environment, a
// list of {prefix, replace} in the file.
type rewriteValue []Rewrite

func (v *rewriteValue) Set(s string) error {
	var out []Rewrite
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		from, to, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("%q: want PREFIX=REPLACE, like +7=8", f)
		}
		out = append(out, Rewrite{Prefix: strings.TrimSpace(from), Replace: strings.TrimSpace(to)})
	}
	*v = out
	return nil
}

func (v *rewriteValue) SetNode(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errors.New("want a list of {prefix, replace}")
	}
	var out []Rewrite
	for _, item := range n.Content {
		var r Rewrite
		err := fields(item, map[string]func(*yaml.Node) error{
			"prefix":  scalarInto(&r.Prefix),
			"replace": scalarInto(&r.Replace),
		})
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*v = out
	return nil
}

// subscriptionsValue is the file's list of {url, secret, events}.
type subscriptionsValue []Subscription

func (v *subscriptionsValue) Set(string) error {
	return errors.New("want a list of {url, secret, events}")
}

func (v *subscriptionsValue) SetNode(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errors.New("want a list of {url, secret, events}")
	}
	var out []Subscription
	for _, item := range n.Content {
		var s Subscription
		err := fields(item, map[string]func(*yaml.Node) error{
			"url":    scalarInto(&s.URL),
			"secret": scalarInto(&s.Secret),
			"events": func(n *yaml.Node) error {
				lv := listValue{p: &s.Events, sep: ","}
				if n.Kind == yaml.ScalarNode {
					return lv.Set(n.Value)
				}
				return lv.SetNode(n)
			},
		})
		if err != nil {
			return err
		}
		out = append(out, s)
	}
	*v = out
	return nil
}

// fields reads a mapping whose keys must all be in set.
func fields(n *yaml.Node, set map[string]func(*yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := set[k.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
		}
		if err := f(v); err != nil {
			return fmt.Errorf("%s: %w", k.Value, err)
		}
	}
	return nil
}

func scalarInto(p *string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: want a text value", n.Line)
		}
		*p = n.Value
		return nil
	}
}
