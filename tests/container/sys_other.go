//go:build !linux

package container

import "syscall"

// ownerOf is unknown off Linux, where podman runs containers in a VM.
func ownerOf(string) int { return -1 }

func stopWithParent() *syscall.SysProcAttr { return nil }
