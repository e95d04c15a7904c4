package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Mode selects how BatchNormalization and Dropout behave in a forward pass.
type Mode int

const (
	// ModeEval is inference: running statistics, no dropout.
	ModeEval Mode = iota
	// ModeTrain uses batch statistics (and updates the running ones) and
	// random dropout masks.
	ModeTrain
)

// ParamKind says what role a parameter plays; initialisation and
// optimizer groups use it.
type ParamKind int

const (
	KindWeight ParamKind = iota // Conv kernels, Gemm/MatMul matrices
	KindBias                    // additive vectors: Conv/Gemm bias, Add operands
	KindScale                   // BatchNormalization scale (gamma)
	KindShift                   // BatchNormalization bias (beta)
	KindSlope                   // PRelu slopes
	KindOther                   // any other float operand (Mul, Div, Sub)
)

func (k ParamKind) String() string {
	return [...]string{"weight", "bias", "bn-scale", "bn-shift", "slope", "other"}[k]
}

// Param is one trainable initializer. Value is what the forward pass
// reads and the optimizer writes; Grad has the same shape and holds the
// gradient of the last Backward. Frozen parameters get no gradient.
type Param struct {
	Name   string
	Kind   ParamKind
	Value  *tensor.Tensor
	Grad   *tensor.Tensor
	Frozen bool
	// Users are the nodes that read the parameter, and at which input.
	Users []ParamUse
	// FanIn is the number of inputs one output unit sees (Conv: C/group x
	// kernel; Gemm: K); 0 when it does not apply.
	FanIn int
}

// ParamUse is one reading of a parameter: the node and its input index.
type ParamUse struct {
	Node  *onnx.Node
	Input int
}

// String names the node and its operator, for messages.
func (u ParamUse) String() string {
	return fmt.Sprintf("%s (%s) input %d", nodeName(u.Node), u.Node.OpType, u.Input)
}

// NetOptions tunes NewNet.
type NetOptions struct {
	// Logits names the value the loss attaches to. Empty means the single
	// graph output, or the input of the Softmax/LogSoftmax producing it.
	Logits string
	// Seed drives dropout masks.
	Seed int64
	// FreezeBatchNorm runs BatchNormalization on its running statistics
	// even in ModeTrain ("frozen" BN, as for fine-tuning with tiny
	// batches); gradients still reach scale and bias.
	FreezeBatchNorm bool
	// Ops replaces the training forward and backward of operators for
	// this net alone (a built-in such as Conv, or a custom-domain op),
	// taking precedence over built-in rules and RegisterOp.
	Ops map[OpKey]Op
}

// Net is an ONNX model prepared for training. It owns float32 copies of
// the initializers; WriteBack copies them into the model.
type Net struct {
	model  *onnx.Model
	opset  int64
	opt    NetOptions
	order  []*onnx.Node // the nodes the logits depend on, topologically
	inputs []string
	logits string

	consts map[string]*tensor.Tensor // every initializer, converted once
	Params []*Param
	params map[string]*Param
	// stats are BatchNormalization running means and variances by name.
	stats map[string]bool

	rng *rng
	// fusedRelu maps a node to the Relu node that is the only reader of
	// its output: the ReLU is applied in place on the node's fresh output
	// (by BatchNormalization in the same pass) and the Relu node passes
	// its input through.
	fusedRelu map[*onnx.Node]*onnx.Node
	reluFused map[*onnx.Node]bool
	// noInPlace turns off in-place backward rules (tests compare both).
	noInPlace bool
	pool      bufferPool
	// lastSaved is the saved map of the latest forward pass, prevSaved
	// the one before it: what NodeForward.Previous offers while the
	// latest runs (buffer reuse only).
	lastSaved, prevSaved map[*onnx.Node]any
	// routes caches the index maps of data-movement gradients by node and
	// input shapes.
	routes map[routeKey]*route
	// overrides are NetOptions.Ops, compiled.
	overrides map[opKey]rangedOp
	// sync, in a data-parallel worker, sums BatchNormalization's batch
	// statistics over the workers (Parallel).
	sync *bnSync
	// bnCumulative, while a BNRecalibration runs a batch, is the number
	// of batches already averaged into the running statistics (-1: the
	// model's own momentum applies).
	bnCumulative int
}

// NewNet prepares m for training. It fails when the graph is malformed,
// when no logits value can be found, or when a node the logits depend on
// has no kernel.
func NewNet(m *onnx.Model, opt NetOptions) (*Net, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("train: the model has no graph")
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	n := &Net{
		model:  m,
		opset:  m.OpsetVersion(""),
		opt:    opt,
		consts: map[string]*tensor.Tensor{},
		params: map[string]*Param{},
		stats:  map[string]bool{},
		rng:    newRNG(opt.Seed),
		routes: map[routeKey]*route{},

		bnCumulative: -1,

		overrides: map[opKey]rangedOp{},
	}
	if err := n.compileOverrides(); err != nil {
		return nil, err
	}
	for _, vi := range g.Inputs() {
		n.inputs = append(n.inputs, vi.Name)
	}
	if n.logits, err = findLogits(m.Graph, g, opt.Logits); err != nil {
		return nil, err
	}
	n.order = ancestors(g, n.logits)
	if len(n.order) == 0 {
		return nil, fmt.Errorf("train: no node computes the logits %q", n.logits)
	}
	for _, init := range m.Graph.Initializer {
		t, err := tensor.FromONNX(init)
		if err != nil {
			return nil, fmt.Errorf("train: initializer %q: %w", init.Name, err)
		}
		n.consts[init.Name] = t
	}
	if err := n.checkKernels(); err != nil {
		return nil, err
	}
	n.findFusions(g, m.Graph)
	n.findParams()
	return n, nil
}

// findLogits picks the value the loss attaches to.
func findLogits(og *onnx.Graph, g *graph.Graph, explicit string) (string, error) {
	if explicit != "" {
		if g.Producer(explicit) == nil {
			return "", fmt.Errorf("train: no node produces the logits value %q", explicit)
		}
		return explicit, nil
	}
	if len(og.Output) != 1 {
		return "", fmt.Errorf("train: the model has %d outputs; name the logits value (NetOptions.Logits, --logits)", len(og.Output))
	}
	name := og.Output[0].Name
	// Walk back through shape-only ops to a Softmax: the loss's own
	// log-softmax replaces it (training through a separate Softmax and a
	// log would lose the gradient once a probability underflows).
	for v := name; ; {
		p := g.Producer(v)
		if p == nil {
			break
		}
		switch p.OpType {
		case "Softmax", "LogSoftmax":
			return p.Input[0], nil
		case "Flatten", "Reshape", "Squeeze", "Identity":
			v = p.Input[0]
			continue
		}
		break
	}
	if g.Producer(name) == nil {
		return "", fmt.Errorf("train: graph output %q is not computed by any node", name)
	}
	return name, nil
}

// ancestors returns the nodes value depends on, in topological order.
func ancestors(g *graph.Graph, value string) []*onnx.Node {
	need := map[*onnx.Node]bool{}
	stack := []string{value}
	seen := map[string]bool{}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[v] || v == "" {
			continue
		}
		seen[v] = true
		if p := g.Producer(v); p != nil && !need[p] {
			need[p] = true
			stack = append(stack, p.Input...)
		}
	}
	var out []*onnx.Node
	for _, nd := range g.Order() {
		if need[nd] {
			out = append(out, nd)
		}
	}
	return out
}

// checkKernels makes sure every node can run forward.
func (n *Net) checkKernels() error {
	var missing []string
	for _, nd := range n.order {
		if _, _, ok := n.forwardFor(nd); ok {
			continue
		}
		if !hasKernel(nd, n.domainOpset(nd)) {
			missing = append(missing, fmt.Sprintf("%s (%s)", nodeName(nd), nd.OpType))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("train: no kernel for %d node(s): %v", len(missing), missing)
	}
	return nil
}

// reluFusable lists the ops whose backward rule never reads their own
// output, so the output may be overwritten by the ReLU that follows.
var reluFusable = map[string]bool{"BatchNormalization": true, "Add": true, "Sub": true, "Conv": true, "Gemm": true, "MatMul": true}

// findFusions pairs each node of reluFusable with a Relu that is the sole
// reader of its output (Conv-BN-ReLU, residual Add-ReLU), saving a buffer
// per pair (and for BN a pass over the activations); the gradient is
// unchanged because the Relu rule reads its output, which is the same
// tensor either way.
func (n *Net) findFusions(g *graph.Graph, og *onnx.Graph) {
	n.fusedRelu = map[*onnx.Node]*onnx.Node{}
	n.reluFused = map[*onnx.Node]bool{}
	outputs := map[string]bool{n.logits: true}
	for _, o := range og.Output {
		outputs[o.Name] = true
	}
	for _, nd := range n.order {
		// An overridden op's backward may read its output, which the
		// fused ReLU would overwrite.
		if !reluFusable[nd.OpType] || !onnx.IsDefaultDomain(nd.Domain) || n.overridden(nd) || len(nd.Output) == 0 || outputs[nd.Output[0]] {
			continue
		}
		extra := false
		for _, o := range nd.Output[1:] {
			extra = extra || o != ""
		}
		users := g.Consumers(nd.Output[0])
		if extra || len(users) != 1 || users[0].OpType != "Relu" || !onnx.IsDefaultDomain(users[0].Domain) {
			continue
		}
		n.fusedRelu[nd] = users[0]
		n.reluFused[users[0]] = true
	}
}

// findParams classifies the float initializers read by differentiable
// inputs as parameters, and BatchNormalization means and variances as
// statistics.
func (n *Net) findParams() {
	for _, nd := range n.order {
		rule, ok := n.ruleFor(nd)
		if !ok {
			continue
		}
		for i, name := range nd.Input {
			t := n.consts[name]
			if name == "" || t == nil || t.DType != tensor.Float32 {
				continue
			}
			if nd.OpType == "BatchNormalization" && onnx.IsDefaultDomain(nd.Domain) && (i == 3 || i == 4) {
				n.stats[name] = true
				continue
			}
			if !rule.differentiable(i) {
				continue
			}
			p := n.params[name]
			if p == nil {
				p = &Param{Name: name, Kind: paramKind(nd.OpType, i, t), Value: t, Grad: tensor.New(tensor.Float32, t.Shape)}
				p.FanIn = fanIn(nd, i, t)
				n.params[name] = p
				n.Params = append(n.Params, p)
			}
			p.Users = append(p.Users, ParamUse{Node: nd, Input: i})
		}
	}
}

func paramKind(op string, i int, t *tensor.Tensor) ParamKind {
	switch op {
	case "Conv", "ConvTranspose":
		if i == 1 {
			return KindWeight
		}
		return KindBias
	case "Gemm":
		if i == 2 {
			return KindBias
		}
		return KindWeight
	case "MatMul":
		return KindWeight
	case "BatchNormalization":
		if i == 1 {
			return KindScale
		}
		return KindShift
	case "PRelu":
		return KindSlope
	case "Add":
		return KindBias
	case "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze":
		// A matrix reshaped on its way to a MatMul (CNTK exports do this).
		if len(t.Shape) >= 2 {
			return KindWeight
		}
	}
	return KindOther
}

func fanIn(nd *onnx.Node, i int, t *tensor.Tensor) int {
	switch {
	case nd.OpType == "Conv" && i == 1 && len(t.Shape) >= 2:
		return t.Len() / t.Shape[0]
	case nd.OpType == "Gemm" && i == 1 && len(t.Shape) == 2:
		if nd.AttrInt("transB", 0) != 0 {
			return t.Shape[1]
		}
		return t.Shape[0]
	case nd.OpType == "Gemm" && i == 0 && len(t.Shape) == 2:
		if nd.AttrInt("transA", 0) != 0 {
			return t.Shape[0]
		}
		return t.Shape[1]
	case nd.OpType == "MatMul" && i == 1 && len(t.Shape) >= 2:
		return t.Shape[len(t.Shape)-2]
	}
	return 0
}

// ReuseBuffers makes the net recycle the buffers of one step in the next
// (see bufferPool): faster, but a Pass is then valid only until the next
// Forward. NewTrainer turns it on.
func (n *Net) ReuseBuffers(on bool) { n.pool.enabled = on }

// Param returns the parameter called name, or nil.
func (n *Net) Param(name string) *Param { return n.params[name] }

// InputNames lists the values a forward pass must be given.
func (n *Net) InputNames() []string { return append([]string(nil), n.inputs...) }

// LogitsName is the value the loss attaches to.
func (n *Net) LogitsName() string { return n.logits }

// Opset is the model's default-domain opset version.
func (n *Net) Opset() int64 { return n.opset }

// Model is the model the net was built from.
func (n *Net) Model() *onnx.Model { return n.model }

// Stat returns the current value of a BatchNormalization running mean or
// variance, or nil.
func (n *Net) Stat(name string) *tensor.Tensor {
	if !n.stats[name] {
		return nil
	}
	return n.consts[name]
}

// NumParams is the number of trainable scalar values (frozen excluded).
func (n *Net) NumParams() int {
	total := 0
	for _, p := range n.Params {
		if !p.Frozen {
			total += p.Value.Len()
		}
	}
	return total
}

func nodeName(nd *onnx.Node) string {
	if nd.Name != "" {
		return nd.Name
	}
	if len(nd.Output) > 0 {
		return nd.Output[0]
	}
	return "(unnamed)"
}
