package actions

import "fmt"

// plural is n and the noun, plural unless n is 1 ("1 attempt", "2
// attempts"): the dashboard's words package, which sources cannot import,
// says counts the same way.
func plural(n int, noun, nouns string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %s", n, nouns)
}
