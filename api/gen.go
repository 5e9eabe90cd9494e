//go:build ignore

// gen writes openapi.yaml from the handlers' annotations: go generate ./api
package main

import (
	"log"
	"os"

	"github.com/amigate/amigate/api/internal/specgen"
)

func main() {
	b, err := specgen.Generate("..")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("openapi.yaml", b, 0o644); err != nil {
		log.Fatal(err)
	}
}
