// Package specgen generates api/openapi.yaml from the swag annotations of
// internal/handlers. go generate and the staleness test share it, so that
// they cannot disagree on how the spec is made.
package specgen

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/swaggo/swag/v2/gen"
)

// Generate parses the handlers under the module root and returns the spec
// as YAML. Swag writes files only, so it works in a temporary directory.
func Generate(root string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "specgen")
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	defer os.RemoveAll(tmp)
	err = gen.New().Build(&gen.Config{
		Debugger:            quiet{},
		SearchDir:           filepath.Join(root, "internal", "handlers"),
		MainAPIFile:         "doc.go",
		OutputDir:           tmp,
		OutputTypes:         []string{"yaml"},
		ParseDependency:     1, // models only: the domain types in package amigate
		ParseInternal:       true,
		ParseGoList:         true,
		Strict:              true,
		GenerateOpenAPI3Doc: true,
		PackagePrefix:       "github.com/amigate/amigate",
	})
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "swagger.yaml"))
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	// What the annotations cannot say is added to the generated document
	// here, so that the spec stays generated.
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	fixResponses(doc)
	if err := addWebhooks(doc); err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	return out, nil
}

// quiet drops swag's progress messages.
type quiet struct{}

func (quiet) Printf(string, ...any) {}
