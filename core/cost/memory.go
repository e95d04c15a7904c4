package cost

import (
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// elementBits is the stored width of one element of a data type, as the
// ONNX codec defines it (4 for int4, 2 for int2, ...); a type without a
// fixed width is assumed to be float32.
func elementBits(dt tensor.DType) int64 {
	if bits := onnx.DataType(dt).ElementBits(); bits > 0 {
		return int64(bits)
	}
	return 32
}

// valueBytes is the stored size of a value, rounded up to whole bytes.
func valueBytes(v *graph.Value) int64 {
	return (v.Elements()*elementBits(v.DType) + 7) / 8
}

// peakActivationBytes simulates the graph in topological order: a value
// is alive from the step that produces it (graph inputs: from the start)
// to the step of its last reader (graph outputs: to the end). The peak is
// taken while each node runs, with its inputs and outputs alive.
func peakActivationBytes(g *graph.Graph, s *graph.Shapes) int64 {
	order := g.Order()
	end := len(order) // a step after the last node, for graph outputs
	lastUse := map[string]int{}
	for step, n := range order {
		for _, in := range n.Input {
			lastUse[in] = step
		}
	}
	for _, o := range g.Outputs() {
		lastUse[o.Name] = end
	}
	isActivation := func(name string) bool {
		v := s.Of(name)
		return name != "" && v != nil && v.Const == nil && g.Initializer(name) == nil
	}
	live := int64(0)
	freeAt := map[int][]string{}
	for _, vi := range g.Inputs() {
		if isActivation(vi.Name) {
			if last, used := lastUse[vi.Name]; used {
				live += valueBytes(s.Of(vi.Name))
				freeAt[last] = append(freeAt[last], vi.Name)
			}
		}
	}
	peak := live
	for step, n := range order {
		for _, out := range n.Output {
			if !isActivation(out) {
				continue
			}
			live += valueBytes(s.Of(out))
			last, used := lastUse[out]
			if !used {
				last = step // nobody reads it: freed right after this node
			}
			freeAt[last] = append(freeAt[last], out)
		}
		peak = max(peak, live)
		for _, name := range freeAt[step] {
			live -= valueBytes(s.Of(name))
		}
	}
	return peak
}
