package container

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// podman runs podman as these machines need it: runc (crun refuses hybrid
// cgroups) with cgroupfs (no systemd), and explicit ulimits on everything
// that starts a container (the defaults are refused).
type podman struct {
	path string
}

// ulimits are passed to every build and run.
var ulimits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"}

// run runs one podman command and returns its standard output; an error
// carries what podman printed on standard error.
func (p podman) run(ctx context.Context, args ...string) (string, error) {
	return p.runInput(ctx, nil, args...)
}

func (p podman) runInput(ctx context.Context, stdin []byte, args ...string) (string, error) {
	all := append([]string{"--runtime", "runc", "--cgroup-manager", "cgroupfs"}, args...)
	cmd := exec.CommandContext(ctx, p.path, all...)
	// Stopped, podman cleans up the build or container it was running;
	// killed, it leaves them behind. So: SIGTERM when ctx ends or the test
	// process dies, SIGKILL only if it does not exit after that.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	cmd.SysProcAttr = stopWithParent()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 4000))
	}
	return stdout.String(), nil
}

// tail keeps the last n bytes of s: build logs are long, their end says why.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
