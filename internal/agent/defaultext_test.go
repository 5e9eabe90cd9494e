package agent

import (
	"regexp"
	"testing"
)

// TestDefaultExtensionIsDefaultPattern holds the regexp-free check of the
// default pattern to the pattern itself.
func TestDefaultExtensionIsDefaultPattern(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + DefaultPattern + `)$`)
	for _, ext := range []string{
		"", "1", "10", "101", "123456789012345", "1234567890123456", "10a", "a10",
		"+101", "101 ", " 101", "1-1", "０１", "99", "007", "1234567890123456789012345678901234",
	} {
		if got, want := defaultExtension(ext), re.MatchString(ext); got != want {
			t.Errorf("defaultExtension(%q) = %v, the pattern says %v", ext, got, want)
		}
		if got, want := Default().IsExtension(ext), re.MatchString(ext) && WellFormed(ext); got != want {
			t.Errorf("Default().IsExtension(%q) = %v, want %v", ext, got, want)
		}
	}
}
