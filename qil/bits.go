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

// ParseLayerBits reads per-layer bit widths by node name:
// "NAME=3/3,NAME2=w8a8" (empty: none), as pare quantize --layer-bits and
// the page's layer bits field take them.
func ParseLayerBits(s string) (map[string]Bits, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]Bits{}
	for _, item := range strings.Split(s, ",") {
		name, bits, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("qil: layer bits %q: write NAME=W/A", strings.TrimSpace(item))
		}
		b, err := ParseBits(bits)
		if err != nil {
			return nil, fmt.Errorf("qil: layer bits of %s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}

// ParseKeepFP reads the layers left in full precision: "first", "last",
// node names, comma-separated, or "none" (every quantizable layer
// quantized). The result is never nil, so an empty list means none.
func ParseKeepFP(s string) []string {
	keep := []string{}
	if strings.TrimSpace(s) == "none" {
		return keep
	}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keep = append(keep, k)
		}
	}
	return keep
}
