package edit

import (
	"github.com/pare-ml/pare/core/onnx"
)

// InlineIdentityInitializers replaces every default-domain Identity node
// that reads an initializer, and whose output is not a graph output, by a
// copy of that initializer under the node's output name, and returns how
// many it replaced. Exporters write such nodes when several parameters
// are equal (PyTorch shares the identical BatchNorm weights and biases of
// a freshly initialised net, and zero biases, through one initializer and
// Identity nodes): a pass that edits parameters one by one (channel
// pruning slices each layer's own) needs each to be its own initializer.
// The graph computes the same values; m is modified in place.
func InlineIdentityInitializers(m *onnx.Model) int {
	if m == nil || m.Graph == nil {
		return 0
	}
	g := m.Graph
	inits := map[string]*onnx.Tensor{}
	for _, t := range g.Initializer {
		inits[t.Name] = t
	}
	outputs := map[string]bool{}
	for _, o := range g.Output {
		outputs[o.Name] = true
	}
	kept := g.Node[:0]
	n := 0
	for _, nd := range g.Node {
		if nd.OpType == "Identity" && onnx.IsDefaultDomain(nd.Domain) && len(nd.Input) == 1 && len(nd.Output) == 1 &&
			inits[nd.Input[0]] != nil && inits[nd.Output[0]] == nil && !outputs[nd.Output[0]] {
			src := inits[nd.Input[0]]
			cp := *src
			cp.Name = nd.Output[0]
			cp.Dims = append([]int64(nil), src.Dims...)
			cp.RawData = append([]byte(nil), src.RawData...)
			cp.FloatData = append([]float32(nil), src.FloatData...)
			cp.Int64Data = append([]int64(nil), src.Int64Data...)
			cp.Int32Data = append([]int32(nil), src.Int32Data...)
			cp.DoubleData = append([]float64(nil), src.DoubleData...)
			g.Initializer = append(g.Initializer, &cp)
			inits[cp.Name] = &cp
			n++
			continue
		}
		kept = append(kept, nd)
	}
	g.Node = kept
	return n
}
