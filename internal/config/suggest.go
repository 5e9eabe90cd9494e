package config

import "strings"

// suggest returns the candidate nearest to name by edit distance, or ""
// when none is near enough to be the likely intent: a typo is a letter
// or two, not a different setting.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := levenshtein(name, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(name)/5) {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b (insertions,
// deletions, substitutions of bytes; the names compared are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// envSpelling is how a YAML path would be spelled as a variable
// (dial.default_timeout → AMIGATE_DIAL_DEFAULT_TIMEOUT): a likely guess
// for a setting whose variable is named otherwise.
func envSpelling(path string) string {
	return "AMIGATE_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(path))
}
