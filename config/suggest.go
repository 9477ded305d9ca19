package config

// closest returns the known key nearest to key by edit distance, if it is near enough to be
// a typo of it (adress → address, timout → timeout, hotspot-users → hotspot_users) rather
// than a different word.
func closest(key string, known []string) (string, bool) {
	best, bestDistance := "", -1
	for _, candidate := range known {
		d := editDistance(key, candidate)
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = candidate, d
		}
	}
	if bestDistance < 0 {
		return "", false
	}
	// Two edits for any key, more for long ones: "pasword_fil" is still password_file.
	near := max(2, len(best)/4)
	return best, bestDistance <= near && bestDistance < len(key)
}

// editDistance is the Levenshtein distance between a and b, counted in bytes (keys are ASCII).
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
