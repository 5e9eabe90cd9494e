package tests

import "syscall"

// procAttr makes the kernel kill the service if the test process dies
// first, so that an aborted run leaves no process behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
