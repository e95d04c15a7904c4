package tensor

// Argmax is the index of v's largest value, the first of equals (a NaN is
// never larger): a classifier's top class for one row of logits. It is -1
// for an empty row.
func Argmax(v []float32) int {
	if len(v) == 0 {
		return -1
	}
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
