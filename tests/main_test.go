package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// binary is the service built once by TestMain, run by every test as a
// subprocess.
var binary string

// TestMain builds cmd/api into a temporary directory (without -race: the
// binary is the product as shipped; the test process itself runs under
// -race), runs the tests, and checks that none left a goroutine behind.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "amigate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "api")
	build := exec.Command("go", "build", "-o", binary, "./cmd/api")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tests: building the service:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "tests: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}
