package agent

import "strings"

// Local channels come in pairs named "Local/<exten>@<context>-<n>;1" and
// ";2". Call control and the correlator both tell the halves apart, with the
// same case rule as Extension: the technology case-insensitively.

// IsLocal reports whether name is a Local channel's.
func IsLocal(name string) bool {
	return len(name) > len("Local/") && strings.EqualFold(name[:len("Local/")], "Local/")
}

// LocalHalf returns 1 or 2 for the halves of a Local channel pair, 0 for
// any other channel.
func LocalHalf(name string) int {
	if !IsLocal(name) {
		return 0
	}
	switch {
	case strings.HasSuffix(name, ";1"):
		return 1
	case strings.HasSuffix(name, ";2"):
		return 2
	}
	return 0
}
