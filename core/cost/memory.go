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

// liveness is the schedule of activations when the nodes run one at a time
// in graph order: a value is alive from the step that produces it (graph
// inputs: from the start) to the step of its last reader (graph outputs:
// to the end). It depends on the graph alone, so the same schedule prices
// the activations at any channel counts (Channels.Predict).
type liveness struct {
	initial []string   // graph inputs alive before the first node
	born    [][]string // born[step]: the outputs the node of step writes
	dies    [][]string // dies[step]: the values freed after step
}

func newLiveness(g *graph.Graph, s *graph.Shapes) *liveness {
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
	l := &liveness{born: make([][]string, len(order)), dies: make([][]string, end+1)}
	for _, vi := range g.Inputs() {
		if isActivation(vi.Name) {
			if last, used := lastUse[vi.Name]; used {
				l.initial = append(l.initial, vi.Name)
				l.dies[last] = append(l.dies[last], vi.Name)
			}
		}
	}
	for step, n := range order {
		for _, out := range n.Output {
			if !isActivation(out) {
				continue
			}
			l.born[step] = append(l.born[step], out)
			last, used := lastUse[out]
			if !used {
				last = step // nobody reads it: freed right after this node
			}
			l.dies[last] = append(l.dies[last], out)
		}
	}
	return l
}

// run prices the schedule with bytes: live[step] is the total size alive
// while the node of step runs (its inputs and outputs included), and peak
// the largest of those and of the graph inputs alone.
func (l *liveness) run(bytes func(name string) int64) (live []int64, peak int64) {
	total := int64(0)
	for _, name := range l.initial {
		total += bytes(name)
	}
	peak = total
	live = make([]int64, len(l.born))
	for step, outs := range l.born {
		for _, name := range outs {
			total += bytes(name)
		}
		live[step] = total
		peak = max(peak, total)
		for _, name := range l.dies[step] {
			total -= bytes(name)
		}
	}
	return live, peak
}
