package format

import "strings"

// Nearest is the choice a mistyped word most likely meant, for "did you mean …?": the
// one within a couple of typos (a letter wrong, missing, extra or two swapped), else
// the only one that contains the word. "" when none is near enough to suggest.
func Nearest(word string, choices []string) string {
	w := strings.ToLower(strings.TrimSpace(word))
	if w == "" {
		return ""
	}
	best, bestDist := "", max(1, len(w)/3)+1
	for _, c := range choices {
		if d := typos(w, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || len(w) < 3 {
		return best
	}
	for _, c := range choices {
		if strings.Contains(strings.ToLower(c), w) {
			if best != "" {
				return "" // several: none is the one meant
			}
			best = c
		}
	}
	return best
}

// typos is the optimal string alignment distance between a and b: the edits (insert,
// delete, replace, swap of neighbours) that turn one into the other.
func typos(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
