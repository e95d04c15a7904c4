package custom

import (
	"fmt"
	"sync"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
)

// Op is one operator of a custom domain, as every layer sees it.
type Op struct {
	Domain, OpType string
	// MinOpset..MaxOpset is the range of the domain's opset versions this
	// registration serves (MaxOpset 0: no upper limit). MinOpset 0 is
	// read as 1.
	MinOpset, MaxOpset int64
	// Kernel runs the node (inference, and training unless Train.Forward
	// is set). Required.
	Kernel exec.Kernel
	// Shape gives the output dtypes and dims. Required.
	Shape graph.ShapeRule
	// MACs counts the node's multiply-accumulates; nil means 0.
	MACs cost.MACsFunc
	// Train makes the op differentiable; nil leaves it a constant of
	// training (a parameter before it is then an error of train).
	Train *train.Op
}

var mu sync.Mutex

// Register registers op with every layer, or with none: the request is
// checked whole first (fields, the default domain, overlaps with earlier
// registrations through this package) before any layer is touched.
func Register(op Op) error {
	if op.MinOpset == 0 {
		op.MinOpset = 1
	}
	name := op.Domain + "." + op.OpType
	switch {
	case onnx.IsDefaultDomain(op.Domain):
		return fmt.Errorf("custom: %s is in the default ONNX domain; give the operator a domain of its own (to change a built-in while training one net, use train.NetOptions.Ops)", op.OpType)
	case op.OpType == "":
		return fmt.Errorf("custom: an operator of domain %q has no op_type", op.Domain)
	case op.Kernel == nil:
		return fmt.Errorf("custom: %s has no Kernel", name)
	case op.Shape == nil:
		return fmt.Errorf("custom: %s has no Shape rule", name)
	case op.MinOpset < 1 || (op.MaxOpset != 0 && op.MaxOpset < op.MinOpset):
		return fmt.Errorf("custom: %s: the opset range %d..%d is empty", name, op.MinOpset, op.MaxOpset)
	case op.Train != nil && op.Train.Backward == nil:
		return fmt.Errorf("custom: %s: Train is set but has no Backward", name)
	}
	mu.Lock()
	defer mu.Unlock()
	key := [2]string{op.Domain, op.OpType}
	for _, r := range ranges[key] {
		if (r[1] == 0 || op.MinOpset <= r[1]) && (op.MaxOpset == 0 || r[0] <= op.MaxOpset) {
			return fmt.Errorf("custom: %s is already registered for opsets %s; the range %s overlaps it", name, span(r[0], r[1]), span(op.MinOpset, op.MaxOpset))
		}
	}
	// A layer can still refuse when its registry was written to directly;
	// then it says so, and the layers before it keep the registration.
	if err := exec.RegisterDomainOp(op.Domain, op.OpType, op.MinOpset, op.MaxOpset, op.Kernel); err != nil {
		return fmt.Errorf("custom: %w", err)
	}
	if err := graph.RegisterShapeRule(op.Domain, op.OpType, op.MinOpset, op.MaxOpset, op.Shape); err != nil {
		return fmt.Errorf("custom: %w", err)
	}
	if op.MACs != nil {
		if err := cost.RegisterMACs(op.Domain, op.OpType, op.MinOpset, op.MaxOpset, op.MACs); err != nil {
			return fmt.Errorf("custom: %w", err)
		}
	}
	if op.Train != nil {
		if err := train.RegisterOp(op.Domain, op.OpType, op.MinOpset, op.MaxOpset, *op.Train); err != nil {
			return fmt.Errorf("custom: %w", err)
		}
	}
	ranges[key] = append(ranges[key], [2]int64{op.MinOpset, op.MaxOpset})
	return nil
}

// ranges lists the opset ranges registered per operator.
var ranges = map[[2]string][][2]int64{}

func span(lo, hi int64) string {
	if hi == 0 {
		return fmt.Sprintf("%d+", lo)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// SameAsInput is the shape rule of an elementwise operator: one output
// with input i's dtype and dims.
func SameAsInput(i int) graph.ShapeRule {
	return func(n *onnx.Node, opset int64, in []*graph.Value) ([]*graph.Value, error) {
		if i >= len(in) || in[i] == nil {
			return nil, fmt.Errorf("%s needs input %d, which is missing", n.OpType, i)
		}
		return []*graph.Value{{DType: in[i].DType, Dims: append([]int(nil), in[i].Dims...)}}, nil
	}
}
