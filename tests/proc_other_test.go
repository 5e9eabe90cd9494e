//go:build !linux

package tests

import "syscall"

// procAttr has nothing to add outside Linux; t.Cleanup stops the service.
func procAttr() *syscall.SysProcAttr { return nil }
