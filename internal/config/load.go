package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds a configuration file (and a secret or key file): a
// larger one is a mistake, not a configuration.
const maxFileSize = 1 << 20

// EnvConfig names the YAML file when --config is not given.
const EnvConfig = "AMIGATE_CONFIG"

// Load reads the configuration for args (the flags --config FILE and
// --demo) and environ (os.Environ's form, "KEY=value"): defaults, then the
// YAML file, then the AMIGATE_* variables, which win. An empty variable
// counts as unset. The result is validated; the error lists every problem,
// each naming its key: the values that do not parse, the file's unknown
// keys and every rule broken, all at once. Variables that start with
// AMIGATE_ but name no setting are returned in Unknown, with the setting
// probably meant, so that a typo does not go unnoticed. On error the
// Config returned is what could be read (a value that did not parse keeps
// its default), for `check` to go on checking; it must not be served.
func Load(args, environ []string) (Config, error) {
	return load(args, environ, serving)
}

// LoadForMinting loads the configuration for `api token`: args accept only
// --config, the AMI settings are not required, and the HMAC secret is.
func LoadForMinting(args, environ []string) (Config, error) {
	return load(args, environ, minting)
}

// purpose says what the configuration is loaded for: the checks differ.
type purpose int

const (
	serving purpose = iota
	minting
)

func load(args, environ []string, p purpose) (Config, error) {
	fs := flag.NewFlagSet("amigate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "YAML configuration file (default $"+EnvConfig+")")
	demo := new(bool)
	if p == serving {
		fs.BoolVar(demo, "demo", false, "run against an in-process simulated PBX")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	env := parseEnviron(environ)

	c := Defaults()
	c.Demo = *demo
	c.File = *file
	source := "--config" // which setting named the file, for its errors
	if c.File == "" {
		c.File, source = env[EnvConfig], EnvConfig
	}
	ks := keys(&c)
	var errs []error
	if c.File != "" {
		// A file that cannot be read or parsed stops here: without its
		// values every rule would fail for the wrong reason.
		data, err := readFile(c.File)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
		root, err := parseYAML(data)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", c.File, err)
		}
		if err := applyYAML(root, ks); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.File, err))
		}
	}
	errs = append(errs, applyEnv(env, ks))
	c.Unknown = unknownVars(env, ks)
	errs = append(errs, c.resolve(p))
	return c, errors.Join(errs...)
}

func parseEnviron(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AMIGATE_") && v != "" {
			env[k] = v
		}
	}
	return env
}

func applyEnv(env map[string]string, ks []key) error {
	var errs []error
	for _, k := range ks {
		if k.Env == "" {
			continue
		}
		v, ok := env[k.Env]
		if k.secret {
			if path, fromFile := env[k.Env+"_FILE"]; fromFile {
				if ok {
					errs = append(errs, fmt.Errorf("%s and %s_FILE: set only one", k.Env, k.Env))
					continue
				}
				data, err := readFile(path)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s_FILE: %w", k.Env, err))
					continue
				}
				v, ok = strings.TrimRight(string(data), "\r\n"), true
			}
		}
		if !ok {
			continue
		}
		if err := k.val.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.Env, err))
		}
	}
	return errors.Join(errs...)
}

// unknownVars names the AMIGATE_ variables that are no setting, each with
// the variable probably meant: the nearest name by edit distance, among
// the variables and the variable spellings of the YAML keys
// (AMIGATE_DIAL_DEFAULT_TIMEOUT means AMIGATE_DIAL_TIMEOUT).
func unknownVars(env map[string]string, ks []key) []string {
	known := map[string]bool{EnvConfig: true}
	meant := map[string]string{EnvConfig: EnvConfig} // a spelling → the variable
	for _, k := range ks {
		if k.Env == "" {
			continue
		}
		known[k.Env] = true
		meant[k.Env] = k.Env
		meant[envSpelling(k.Path)] = k.Env
		if k.secret {
			known[k.Env+"_FILE"] = true
			meant[k.Env+"_FILE"] = k.Env + "_FILE"
		}
	}
	spellings := slices.Sorted(maps.Keys(meant))
	var out []string
	for name := range env {
		if known[name] {
			continue
		}
		w := name + ": not a setting, ignored"
		if s := suggest(name, spellings); s != "" {
			w += " (did you mean " + meant[s] + "?)"
		}
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// parseYAML reads the file's document: nil for an empty file.
func parseYAML(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty file
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of keys", root.Line)
	}
	return root, nil
}

// applyYAML sets the keys the file names. A key the table does not know is
// an error with its line (and the key probably meant), and so is a value
// of the wrong shape; an empty value leaves the default.
func applyYAML(root *yaml.Node, ks []key) error {
	if root == nil {
		return nil
	}
	byPath := make(map[string]key, len(ks))
	for _, k := range ks {
		byPath[k.Path] = k
	}
	return walk(root, "", byPath)
}

func walk(n *yaml.Node, prefix string, byPath map[string]key) error {
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		path := kn.Value
		if prefix != "" {
			path = prefix + "." + kn.Value
		}
		k, ok := byPath[path]
		switch {
		case ok:
			if err := setNode(k, vn); err != nil {
				errs = append(errs, fmt.Errorf("line %d: %s: %w", kn.Line, path, err))
			}
		case vn.Kind == yaml.MappingNode && isSection(path, byPath):
			if err := walk(vn, path, byPath); err != nil {
				errs = append(errs, err)
			}
		default:
			msg := fmt.Sprintf("line %d: %s: unknown key", kn.Line, path)
			if s := suggest(path, slices.Sorted(maps.Keys(byPath))); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

func isSection(path string, byPath map[string]key) bool {
	for p := range byPath {
		if strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}

func setNode(k key, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if nv, ok := k.val.(nodeValue); ok && n.Kind != yaml.ScalarNode {
		return nv.SetNode(n)
	}
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a single value")
	}
	return k.val.Set(n.Value)
}

// readFile reads a configuration, secret or key file of bounded size.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}
