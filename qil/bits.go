package qil

import (
	"fmt"
	"strconv"
	"strings"
)

// MinBits and MaxBits bound the bit widths of weights and activations.
const (
	MinBits = 2
	MaxBits = 8
)

// ParseBits reads a bit-width pair: "4/4" or "w4a4" (weights, then
// activations), or "4" for both.
func ParseBits(s string) (Bits, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	var w, a string
	switch {
	case strings.HasPrefix(t, "w") && strings.Contains(t, "a"):
		w, a, _ = strings.Cut(t[1:], "a")
	case strings.Contains(t, "/"):
		w, a, _ = strings.Cut(t, "/")
	default:
		w, a = t, t
	}
	wb, err1 := strconv.Atoi(w)
	ab, err2 := strconv.Atoi(a)
	if err1 != nil || err2 != nil {
		return Bits{}, fmt.Errorf("qil: bits %q: write W/A (4/4), wNaM (w4a4) or one number for both", s)
	}
	b := Bits{W: wb, A: ab}
	return b, b.check("bits " + s)
}
