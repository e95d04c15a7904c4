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

// Liveness is the schedule of activations when the nodes run one at a time
// in graph order: a value is alive from the step that produces it (graph
// inputs: from the start) to the step of its last reader (graph outputs:
// to the end). It depends on the graph alone, so the same schedule prices
// the activations at any channel counts: here (Channels.Predict) and in
// qcqp's memory polynomials, which must count exactly what this package
// measures.
type Liveness struct {
	Initial []string   // graph inputs alive before the first node
	Born    [][]string // Born[step]: the outputs the node of step writes
	Dies    [][]string // Dies[step]: the values freed after step (len(Born) is the end)
}

// NewLiveness schedules g's activations (constants and initializers are
// not activations).
func NewLiveness(g *graph.Graph, s *graph.Shapes) *Liveness {
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
	l := &Liveness{Born: make([][]string, len(order)), Dies: make([][]string, end+1)}
	for _, vi := range g.Inputs() {
		if isActivation(vi.Name) {
			if last, used := lastUse[vi.Name]; used {
				l.Initial = append(l.Initial, vi.Name)
				l.Dies[last] = append(l.Dies[last], vi.Name)
			}
		}
	}
	for step, n := range order {
		for _, out := range n.Output {
			if !isActivation(out) {
				continue
			}
			l.Born[step] = append(l.Born[step], out)
			last, used := lastUse[out]
			if !used {
				last = step // nobody reads it: freed right after this node
			}
			l.Dies[last] = append(l.Dies[last], out)
		}
	}
	return l
}

// run prices the schedule with bytes: live[step] is the total size alive
// while the node of step runs (its inputs and outputs included), and peak
// the largest of those and of the graph inputs alone.
func (l *Liveness) run(bytes func(name string) int64) (live []int64, peak int64) {
	total := int64(0)
	for _, name := range l.Initial {
		total += bytes(name)
	}
	peak = total
	live = make([]int64, len(l.Born))
	for step, outs := range l.Born {
		for _, name := range outs {
			total += bytes(name)
		}
		live[step] = total
		peak = max(peak, total)
		for _, name := range l.Dies[step] {
			total -= bytes(name)
		}
	}
	return live, peak
}
