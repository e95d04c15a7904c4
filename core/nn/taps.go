package nn

// ZeroTaps lists the kernel taps of a convolution weight w (layout
// [filters, inPer, taps...], taps the product of the kernel's spatial
// sizes) that are zero for every input channel of their filter: the taps
// kernel-shape pruning removed, which cost no multiply and which training
// must keep at zero. Each entry is filter*taps + tap. A w shorter than the
// shape gives nil.
func ZeroTaps(w []float32, filters, inPer, taps int) []int {
	if filters <= 0 || inPer <= 0 || taps <= 0 || len(w) < filters*inPer*taps {
		return nil
	}
	var out []int
	for f := range filters {
		for t := range taps {
			zero := true
			for c := 0; c < inPer && zero; c++ {
				zero = w[(f*inPer+c)*taps+t] == 0
			}
			if zero {
				out = append(out, f*taps+t)
			}
		}
	}
	return out
}
