package api

import (
	"bytes"
	"testing"

	"github.com/amigate/amigate/api/internal/specgen"
)

// TestSpecUpToDate regenerates the spec from the handlers' annotations and
// fails when openapi.yaml differs: run go generate ./api and commit.
func TestSpecUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("generating the spec parses the handlers package")
	}
	got, err := specgen.Generate("..")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Spec) {
		n, g, w := firstDiff(got, Spec)
		t.Fatalf("api/openapi.yaml is stale (run go generate ./api); line %d:\ngot  %q\nwant %q", n, w, g)
	}
}

// firstDiff returns the first line where a and b differ, numbered from 1.
func firstDiff(a, b []byte) (n int, la, lb string) {
	as, bs := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; ; i++ {
		if i >= len(as) || i >= len(bs) || !bytes.Equal(as[i], bs[i]) {
			return i + 1, line(as, i), line(bs, i)
		}
	}
}

func line(ls [][]byte, i int) string {
	if i < len(ls) {
		return string(ls[i])
	}
	return "(end of file)"
}
