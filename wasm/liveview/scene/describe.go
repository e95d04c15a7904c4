package scene

import (
	"fmt"
	"slices"
	"strings"
)

// Describe is the view as text, for a screen reader: the kept-channel
// counts, the selected layer's intervals and thresholds, the latest point
// of every curve.
func Describe(s *State) string {
	var b strings.Builder
	if len(s.Masks) > 0 {
		kept, total := 0, 0
		for _, m := range s.Masks {
			kept += strings.Count(m.Kept, "1")
			total += len(m.Kept)
		}
		fmt.Fprintf(&b, "Channels: %d of %d kept over %d layers", kept, total, len(s.Masks))
		if s.Status != "" {
			fmt.Fprintf(&b, " (%s)", s.Status)
		}
		b.WriteString(". ")
	} else if s.Status != "" {
		fmt.Fprintf(&b, "Channels: %s. ", s.Status)
	}
	if len(s.Layers) > 0 {
		float := 0
		for _, l := range s.Layers {
			if l.Float {
				float++
			}
		}
		fmt.Fprintf(&b, "Layers: %d quantized, %d kept in float. ", len(s.Layers)-float, float)
	}
	if ly := s.layer(); ly != nil {
		fmt.Fprintf(&b, "Layer %s (%d of %d)", ly.Name, s.Selected+1, len(s.Layers))
		if ly.Float {
			fmt.Fprintf(&b, ": kept in float, no quantization grid; weights from %.3g to %.3g", ly.Min, ly.Max)
		}
		if iv := ly.Weight; iv != nil {
			fmt.Fprintf(&b, ": weights %d bits, pruned below %.3g, clipped above %.3g, gamma %.3g", iv.Bits, iv.C-iv.D, iv.C+iv.D, gammaOf(iv))
		}
		if iv := ly.Act; iv != nil {
			if iv.Signed {
				fmt.Fprintf(&b, "; activations %d bits signed, zero where |x| is below %.3g, clipped where above %.3g", iv.Bits, iv.C-iv.D, iv.C+iv.D)
			} else {
				fmt.Fprintf(&b, "; activations %d bits, zero below %.3g, clipped above %.3g", iv.Bits, iv.C-iv.D, iv.C+iv.D)
			}
		}
		b.WriteString(". ")
	}
	names := make([]string, 0, len(s.Series))
	for k := range s.Series {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, n := range names {
		p := s.Series[n]
		last := p[len(p)-1]
		fmt.Fprintf(&b, "%s %.4g at step %g. ", n, last.Y, last.X)
	}
	if b.Len() == 0 {
		return "Nothing to show yet."
	}
	return strings.TrimSpace(b.String())
}

func gammaOf(iv *Interval) float64 {
	if iv.Gamma == 0 {
		return 1
	}
	return iv.Gamma
}
