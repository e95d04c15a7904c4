package exec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
)

// UnsupportedOp is one node Pare has no kernel for.
type UnsupportedOp struct {
	Node   string // node name, or its first output when unnamed
	OpType string
	Domain string // "" for the default ONNX domain
	Opset  int64  // opset version the model imports for Domain (0: none)
}

// UnsupportedError lists every node of a model that Pare cannot run, so a
// user learns everything to fix in one go.
type UnsupportedError struct {
	Ops []UnsupportedOp
}

func (e *UnsupportedError) Error() string {
	type group struct {
		op    UnsupportedOp
		nodes []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, op := range e.Ops {
		k := op.Domain + "\x00" + op.OpType + "\x00" + fmt.Sprint(op.Opset)
		g := byKey[k]
		if g == nil {
			g = &group{op: op}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.nodes = append(g.nodes, "'"+op.Node+"'")
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].op.OpType < groups[j].op.OpType })
	parts := make([]string, len(groups))
	for i, g := range groups {
		name := onnx.OpName(g.op.Domain, g.op.OpType)
		opset := fmt.Sprintf("opset %d", g.op.Opset)
		if g.op.Opset == 0 {
			opset = "domain not imported by the model"
		}
		noun := "node"
		if len(g.nodes) > 1 {
			noun = "nodes"
		}
		parts[i] = fmt.Sprintf("%s (%s) at %s %s", name, opset, noun, strings.Join(g.nodes, ", "))
	}
	kinds, them := "operator", "it"
	if len(groups) > 1 {
		kinds, them = "operators", "them"
	}
	return fmt.Sprintf("Pare cannot run this model: %d unsupported %s (%s): %s — re-export the model without %s (another opset or exporter option often replaces %s with supported ops) or ask for support",
		len(groups), kinds, plural(len(e.Ops), "node"), strings.Join(parts, "; "), them, them)
}

// plural renders "1 node", "3 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// nodeName names a node for messages: its name, else its first output.
func nodeName(n *onnx.Node) string {
	if n.Name != "" {
		return n.Name
	}
	for _, o := range n.Output {
		if o != "" {
			return o
		}
	}
	return "<unnamed>"
}

// nodeError wraps a kernel error with the node's name and op type:
// "node 'conv3' (Conv): ...".
func nodeError(n *onnx.Node, err error) error {
	return fmt.Errorf("node '%s' (%s): %w", nodeName(n), n.OpType, err)
}
