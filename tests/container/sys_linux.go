//go:build linux

package container

import (
	"os"
	"syscall"
)

// ownerOf is the uid that owns the file at p, or -1.
func ownerOf(p string) int {
	fi, err := os.Lstat(p)
	if err != nil {
		return -1
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// stopWithParent makes the kernel send SIGTERM to podman if the test
// process dies first (a test binary's timeout panics without cleanup).
func stopWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
