package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Context is what a kernel sees of the node it runs: the node (attributes
// through its Attr* methods), the opset version of its domain, and an
// allocator that reuses buffers freed by liveness analysis.
type Context struct {
	Node  *onnx.Node
	Opset int64
	alloc func(dt tensor.DType, shape []int) *tensor.Tensor
	// memo is the running step's slot for what its kernel derives from the
	// node's attributes and the input shapes (resolved attributes, output
	// shapes, broadcast plans), so that a session's later runs skip that
	// work; nil outside a session (EvalNode, constant folding). Runs of a
	// session are serialised, so a kernel reads and writes it freely.
	memo *any
	// temp and free serve a kernel's temporaries from the run's pool
	// (temp.go); nil outside a session's planned runs.
	temp func(dt tensor.DType, shape []int) *tensor.Tensor
	free func(t *tensor.Tensor)
	// tempShape is the shape scratch asks for, kept here so that asking
	// allocates nothing.
	tempShape [1]int
}

// Alloc returns a zeroed tensor for an output of the node. Kernels allocate
// every output through it so the executor can recycle dead buffers.
func (c *Context) Alloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if c.alloc != nil {
		return c.alloc(dt, shape)
	}
	return tensor.New(dt, shape)
}

// Kernel computes a node's outputs from its inputs. in[i] is nil for an
// omitted optional input (empty name). A kernel returns an error (never
// panics) for inputs it cannot handle, naming the problem.
type Kernel func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error)

// OpKey identifies an operator: domain ("" for the default ONNX domain) and
// op_type.
type OpKey struct{ Domain, OpType string }

type registration struct {
	minOpset, maxOpset int64
	run                Kernel
}

var registry = map[OpKey][]registration{}

// Register adds the kernel for op_type in the default domain, valid for
// opsets minOpset..maxOpset inclusive (maxOpset 0 means no upper limit).
// Called from init functions of the op files.
func Register(opType string, minOpset, maxOpset int64, run Kernel) {
	k := OpKey{"", opType}
	registry[k] = append(registry[k], registration{minOpset, maxOpset, run})
}

// RegisterDomainOp adds the kernel of an operator of a custom domain for
// opsets minOpset..maxOpset of that domain (maxOpset 0: no upper limit).
// Unlike Register it is meant for packages outside exec (normally through
// core/custom) and refuses what would silently shadow another kernel: the
// default domain, and a range overlapping one already registered.
func RegisterDomainOp(domain, opType string, minOpset, maxOpset int64, run Kernel) error {
	if onnx.IsDefaultDomain(domain) {
		return fmt.Errorf("exec: %s is in the default ONNX domain; custom kernels need a domain of their own", opType)
	}
	if run == nil {
		return fmt.Errorf("exec: %s.%s: the kernel is nil", domain, opType)
	}
	if minOpset < 1 || (maxOpset != 0 && maxOpset < minOpset) {
		return fmt.Errorf("exec: %s.%s: opset range %d..%d is empty or starts below 1", domain, opType, minOpset, maxOpset)
	}
	k := OpKey{domain, opType}
	for _, r := range registry[k] {
		if rangesOverlap(minOpset, maxOpset, r.minOpset, r.maxOpset) {
			return fmt.Errorf("exec: %s.%s is already registered for opsets %s; the new range %s overlaps it", domain, opType, opsetRange(r.minOpset, r.maxOpset), opsetRange(minOpset, maxOpset))
		}
	}
	registry[k] = append(registry[k], registration{minOpset, maxOpset, run})
	return nil
}

// rangesOverlap reports whether two inclusive opset ranges (max 0 meaning
// unbounded) share a version.
func rangesOverlap(aMin, aMax, bMin, bMax int64) bool {
	return (aMax == 0 || bMin <= aMax) && (bMax == 0 || aMin <= bMax)
}

func opsetRange(lo, hi int64) string {
	if hi == 0 {
		return fmt.Sprintf("%d+", lo)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// Lookup returns the kernel for an op at an opset version, or nil.
func Lookup(domain, opType string, opset int64) Kernel {
	for _, r := range registry[OpKey{onnx.CanonicalDomain(domain), opType}] {
		if opset >= r.minOpset && (r.maxOpset == 0 || opset <= r.maxOpset) {
			return r.run
		}
	}
	return nil
}
