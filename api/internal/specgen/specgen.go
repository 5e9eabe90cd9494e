// Package specgen generates api/openapi.yaml from the swag annotations of
// internal/handlers. go generate and the staleness test share it, so that
// they cannot disagree on how the spec is made.
package specgen

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/swaggo/swag/gen"
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
		Debugger:        quiet{},
		SearchDir:       filepath.Join(root, "internal", "handlers"),
		MainAPIFile:     "doc.go",
		OutputDir:       tmp,
		OutputTypes:     []string{"yaml"},
		ParseDependency: 1, // models only: the domain types in package amigate
		ParseInternal:   true,
		ParseGoList:     true,
		Strict:          true,
		PackagePrefix:   "github.com/amigate/amigate",
	})
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "swagger.yaml"))
	if err != nil {
		return nil, fmt.Errorf("specgen: %w", err)
	}
	return b, nil
}

// quiet drops swag's progress messages.
type quiet struct{}

func (quiet) Printf(string, ...any) {}
