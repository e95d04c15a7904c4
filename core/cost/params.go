package cost

import (
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// paramCounter charges each weight initializer to one layer: the first, in
// the order of the calls, that reads it; except that an initializer read
// through shape-only ops (passesDataThrough) is charged to the layer that
// uses the result, so mnist-8's fully connected weights count at its
// MatMul, not at the Reshape that shapes them. The report and the channel
// model each run one over the same layers, so both charge the same layer.
type paramCounter struct {
	g       *graph.Graph
	counted map[string]bool
	carried map[string]string // value -> the initializer it was reshaped from
	carrier map[string]int    // initializer -> the first layer that carried it
}

func newParamCounter(g *graph.Graph) *paramCounter {
	return &paramCounter{g: g, counted: map[string]bool{}, carried: map[string]string{}, carrier: map[string]int{}}
}

// of returns the initializers charged to node n, the layer-th of the report.
func (c *paramCounter) of(n *onnx.Node, layer int) []string {
	var out []string
	for i, in := range n.Input {
		src := in
		if c.g.Initializer(in) == nil {
			src = c.carried[in]
		}
		if src == "" || c.counted[src] {
			continue
		}
		if i == 0 && passesDataThrough(n.OpType) && len(n.Output) > 0 && n.Output[0] != "" {
			c.carried[n.Output[0]] = src
			if _, ok := c.carrier[src]; !ok {
				c.carrier[src] = layer
			}
			continue
		}
		if !isParameter(c.g.Initializer(src), n.OpType, i) {
			continue
		}
		c.counted[src] = true
		out = append(out, src)
	}
	return out
}

// unclaimed returns, by layer, the floating-point initializers that shape-only
// ops carried and no later layer used (a reshaped weight that is a graph
// output), charged to the layer that first carried them. Call it after the
// last layer.
func (c *paramCounter) unclaimed() map[int][]string {
	out := map[int][]string{}
	for src, layer := range c.carrier {
		if !c.counted[src] && isParameter(c.g.Initializer(src), "", -1) {
			c.counted[src] = true
			out[layer] = append(out[layer], src)
		}
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}

// passesDataThrough reports whether an op only reshapes, reorders or
// retypes its first input: weights read through it belong to the layer
// that consumes its output.
func passesDataThrough(opType string) bool {
	switch opType {
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", "Cast":
		return true
	}
	return false
}
