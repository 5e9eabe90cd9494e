package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const examplePath = "../../configs/amigate.example.yaml"

// secretsEnv supplies what the example leaves to the environment.
var secretsEnv = []string{
	"AMIGATE_AMI_SECRET=s3cret",
	"AMIGATE_JWT_SECRET=0123456789abcdef0123456789abcdef",
	"AMIGATE_SECRETS_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}

// TestExampleLoads checks that the documented example is a valid
// configuration: every key in it exists (an unknown one is an error) and
// every value passes validation.
func TestExampleLoads(t *testing.T) {
	c, err := Load([]string{"--config", examplePath}, secretsEnv)
	if err != nil {
		t.Fatalf("Load(example): %v", err)
	}
	if len(c.Warnings) > 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	if c.AMI.Addr != "127.0.0.1:5038" || c.AMI.Username != "amigate" {
		t.Errorf("got ami %q user %q, want the example's", c.AMI.Addr, c.AMI.Username)
	}
	if diff := cmp.Diff([]Rewrite{{Prefix: "8", Replace: "98"}}, c.Dial.Rewrite); diff != "" {
		t.Errorf("rewrite (-want +got):\n%s", diff)
	}
}

// TestExampleHasEveryKey checks the other direction: every setting of the
// key table appears in the example, and so does its variable.
func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	collectPaths(doc.Content[0], "", &got)
	envs, paths := Names()
	slices.Sort(got)
	slices.Sort(paths)
	if diff := cmp.Diff(paths, got); diff != "" {
		t.Errorf("keys in the example (-table +example):\n%s", diff)
	}
	for _, e := range envs {
		if !strings.Contains(string(data), e) {
			t.Errorf("the example does not mention %s", e)
		}
	}
}

// collectPaths lists the leaf keys of a mapping as dotted paths; the
// example's only structured lists (rewrite, subscriptions) are leaves.
func collectPaths(n *yaml.Node, prefix string, out *[]string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := n.Content[i].Value
		if prefix != "" {
			p = prefix + "." + p
		}
		if n.Content[i+1].Kind == yaml.MappingNode {
			collectPaths(n.Content[i+1], p, out)
			continue
		}
		*out = append(*out, p)
	}
}
