package train

// Weights is a copy of a net's trained state: every parameter's values and
// the BatchNormalization running statistics. Fit keeps the best weights
// so far and the original ones this way.
type Weights struct {
	values map[string][]float32
}

// Snapshot copies the net's current parameters and statistics.
func (n *Net) Snapshot() *Weights {
	w := &Weights{values: make(map[string][]float32, len(n.params)+len(n.stats))}
	for name, p := range n.params {
		w.values[name] = append([]float32(nil), p.Value.F32...)
	}
	for name := range n.stats {
		w.values[name] = append([]float32(nil), n.consts[name].F32...)
	}
	return w
}

// Restore copies w back in place (the optimizers' variables alias the
// parameters' values, so they see the restored weights; their moment
// estimates are not part of w).
func (n *Net) Restore(w *Weights) {
	for name, v := range w.values {
		if t := n.consts[name]; t != nil && len(t.F32) == len(v) {
			copy(t.F32, v)
		}
	}
}
