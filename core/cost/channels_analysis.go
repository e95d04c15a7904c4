package cost

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// AnalyzeChannels runs Analyze and works out how its figures depend on the
// channel counts of the model's layers (see Channels). The polynomials
// reproduce the report exactly at the model's own counts; at other counts
// they give what Analyze measures on the edited model.
func AnalyzeChannels(m *onnx.Model, inputShapes map[string][]int, eval graph.ConstEval) (*Channels, *Report, error) {
	rep, shapes, err := analyze(m, inputShapes, eval)
	if err != nil {
		return nil, nil, err
	}
	a := &channelAnalysis{g: shapes.Graph, s: shapes, segs: map[string][]int{}, slices: map[sliceKey][]int{}, sliceAxes: map[string][]int{},
		untouched: map[string]bool{}}
	order := a.g.Order()
	macs := make([]Poly, len(order))
	for i, n := range order {
		a.touched = map[string]bool{}
		macs[i] = a.node(n, rep.Layers[i].MACs)
		for _, in := range n.Input {
			if a.g.Initializer(in) != nil && !a.touched[in] {
				a.untouched[in] = true
			}
		}
		a.fixCaptured(n)
	}
	for _, o := range a.g.Outputs() {
		a.fix(a.segs[o.Name], "graph output "+o.Name)
	}
	return a.finish(m, rep, macs), rep, nil
}

// sliceKey is one axis of one initializer.
type sliceKey struct {
	name string
	axis int
}

// channelAnalysis follows channels through the graph with a union-find
// over groups.
type channelAnalysis struct {
	g *graph.Graph
	s *graph.Shapes

	parent   []int
	channels []int
	fixed    []bool
	reason   []string
	name     []string

	segs      map[string][]int   // value -> groups along axis 1 (raw ids)
	slices    map[sliceKey][]int // initializer axis -> groups along it
	sliceAxes map[string][]int   // initializer -> its sliced axes, in order
	// touched holds the initializers the current node's rule sliced;
	// untouched, those some node read without slicing them: such an
	// initializer cannot be sliced for another reader either.
	touched, untouched map[string]bool
	layers             []rawLayer
}

// rawLayer is a layer before the groups are numbered.
type rawLayer struct {
	node      *onnx.Node
	in, out   []int
	depthwise bool
}

func (a *channelAnalysis) newGroup(name string, channels int) int {
	a.parent = append(a.parent, len(a.parent))
	a.channels = append(a.channels, channels)
	a.fixed = append(a.fixed, false)
	a.reason = append(a.reason, "")
	a.name = append(a.name, name)
	return len(a.parent) - 1
}

func (a *channelAnalysis) find(g int) int {
	for a.parent[g] != g {
		a.parent[g] = a.parent[a.parent[g]]
		g = a.parent[g]
	}
	return g
}

func (a *channelAnalysis) fix(segs []int, reason string) {
	for _, g := range segs {
		if r := a.find(g); !a.fixed[r] {
			a.fixed[r], a.reason[r] = true, reason
		}
	}
}

// tie makes two lists of groups one: the same structure is required (the
// shapes agree, so it normally is); otherwise both are pinned.
func (a *channelAnalysis) tie(x, y []int, why string) []int {
	if !a.sameStructure(x, y) {
		a.fix(x, why)
		a.fix(y, why)
		return x
	}
	for i := range x {
		rx, ry := a.find(x[i]), a.find(y[i])
		if rx == ry {
			continue
		}
		if a.fixed[ry] && !a.fixed[rx] {
			rx, ry = ry, rx
		}
		a.parent[ry] = rx
		if a.fixed[ry] && !a.fixed[rx] {
			a.fixed[rx], a.reason[rx] = true, a.reason[ry]
		}
	}
	return x
}

func (a *channelAnalysis) sameStructure(x, y []int) bool {
	return slices.EqualFunc(x, y, func(p, q int) bool { return a.channels[a.find(p)] == a.channels[a.find(q)] })
}

// activation reports whether name is a computed value (not an initializer
// or folded constant) with a channel axis.
func (a *channelAnalysis) activation(name string) bool {
	v := a.s.Of(name)
	return name != "" && v != nil && v.Const == nil && a.g.Initializer(name) == nil && len(v.Dims) >= 2
}

// segsOf returns the groups of activation name, giving an unseen one (a
// graph input) a fixed group of its own.
func (a *channelAnalysis) segsOf(name string) []int {
	if s, ok := a.segs[name]; ok {
		return s
	}
	g := a.newGroup(name, a.s.Dims(name)[1])
	a.fix([]int{g}, "graph input "+name)
	a.segs[name] = []int{g}
	return a.segs[name]
}

// slice records that axis of initializer name holds the channels of segs.
func (a *channelAnalysis) slice(name string, axis int, segs []int) {
	a.touched[name] = true
	k := sliceKey{name, axis}
	if prev, ok := a.slices[k]; ok {
		a.tie(prev, segs, "initializer "+name+" shared by layers of different channels")
		return
	}
	a.slices[k] = segs
	a.sliceAxes[name] = append(a.sliceAxes[name], axis)
}

// pin treats n as a node the analysis does not follow: the channels it
// reads and writes keep their counts.
func (a *channelAnalysis) pin(n *onnx.Node) {
	why := fmt.Sprintf("%s node %s", n.OpType, graph.NodeLabel(n))
	for _, in := range n.Input {
		if a.activation(in) {
			a.fix(a.segsOf(in), "read by "+why)
		}
	}
	for _, out := range n.Output {
		if a.activation(out) {
			g := a.newGroup(out, a.s.Dims(out)[1])
			a.fix([]int{g}, "written by "+why)
			a.segs[out] = []int{g}
		}
	}
}

// fixCaptured pins the channels of values n's subgraphs read from this
// graph: the analysis does not look inside subgraphs.
func (a *channelAnalysis) fixCaptured(n *onnx.Node) {
	why := "read by a subgraph of " + graph.NodeLabel(n)
	var walk func(sg *onnx.Graph)
	walk = func(sg *onnx.Graph) {
		for _, inner := range sg.Node {
			if inner == nil {
				continue
			}
			for _, in := range inner.Input {
				a.fix(a.segs[in], why)
			}
			for _, sub := range subgraphsOf(inner) {
				walk(sub)
			}
		}
		for _, o := range sg.Output {
			if o != nil {
				a.fix(a.segs[o.Name], why)
			}
		}
	}
	for _, sg := range subgraphsOf(n) {
		walk(sg)
	}
}

// subgraphsOf returns the graphs n's attributes hold.
func subgraphsOf(n *onnx.Node) []*onnx.Graph {
	var out []*onnx.Graph
	for _, at := range n.Attribute {
		if at == nil {
			continue
		}
		if at.G != nil {
			out = append(out, at.G)
		}
		for _, g := range at.Graphs {
			if g != nil {
				out = append(out, g)
			}
		}
	}
	return out
}

// node follows n's channels and returns its MACs as a polynomial (measured
// is what Analyze counted for it).
func (a *channelAnalysis) node(n *onnx.Node, measured int64) Poly {
	constant := Poly{{Coef: measured, A: -1, B: -1}}
	if !onnx.IsDefaultDomain(n.Domain) {
		a.pin(n)
		return constant
	}
	switch n.OpType {
	case "Conv":
		if p, ok := a.conv(n, measured); ok {
			return p
		}
	case "Gemm", "MatMul":
		if p, ok := a.linear(n, measured); ok {
			return p
		}
	case "BatchNormalization":
		if a.batchNorm(n) {
			return constant
		}
	case "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "PRelu", "Pow":
		if a.elementwise(n) {
			return constant
		}
	case "Concat":
		if a.concat(n) {
			return constant
		}
	case "Flatten", "Reshape":
		if a.flatten(n) {
			return constant
		}
	default:
		if channelwise[n.OpType] && a.unary(n) {
			return constant
		}
	}
	a.pin(n)
	return constant
}

// channelwise ops map each channel to the same channel, whatever the count.
var channelwise = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Sigmoid": true, "HardSigmoid": true, "HardSwish": true,
	"Tanh": true, "Elu": true, "Selu": true, "Softplus": true, "Softsign": true, "Mish": true,
	"Gelu": true, "Erf": true, "Abs": true, "Neg": true, "Exp": true, "Log": true, "Sqrt": true,
	"Reciprocal": true, "Clip": true, "Identity": true, "Dropout": true, "Cast": true,
	"MaxPool": true, "AveragePool": true, "LpPool": true,
	"GlobalAveragePool": true, "GlobalMaxPool": true, "GlobalLpPool": true,
}

// unary: outputs of the first input's shape at axis 1 carry its groups;
// other inputs must be constants (Clip's bounds, Dropout's ratio).
func (a *channelAnalysis) unary(n *onnx.Node) bool {
	if len(n.Input) == 0 || !a.activation(n.Input[0]) {
		return false
	}
	for _, in := range n.Input[1:] {
		if a.activation(in) {
			return false
		}
	}
	x := a.s.Dims(n.Input[0])
	for _, out := range n.Output {
		if out == "" {
			continue
		}
		d := a.s.Dims(out)
		if !a.activation(out) || len(d) != len(x) || d[0] != x[0] || d[1] != x[1] {
			return false
		}
	}
	segs := a.segsOf(n.Input[0])
	for _, out := range n.Output {
		if out != "" {
			a.segs[out] = segs
		}
	}
	return true
}

// initializer returns input i of n when it is an initializer.
func (a *channelAnalysis) initializer(n *onnx.Node, i int) *onnx.Tensor {
	if i >= len(n.Input) || n.Input[i] == "" {
		return nil
	}
	return a.g.Initializer(n.Input[i])
}

func (a *channelAnalysis) conv(n *onnx.Node, measured int64) (Poly, bool) {
	if len(n.Input) < 2 || len(n.Output) != 1 || !a.activation(n.Input[0]) || !a.activation(n.Output[0]) {
		return nil, false
	}
	w := a.initializer(n, 1)
	x, y := a.s.Dims(n.Input[0]), a.s.Dims(n.Output[0])
	if w == nil || len(w.Dims) != len(x) {
		return nil, false
	}
	hasBias := len(n.Input) > 2 && n.Input[2] != ""
	bias := a.initializer(n, 2)
	if hasBias && (bias == nil || len(bias.Dims) != 1) {
		return nil, false
	}
	in := a.segsOf(n.Input[0])
	cin, cout, groups := x[1], y[1], int(n.AttrInt("group", 1))
	var out []int
	var poly Poly
	switch {
	case groups == 1:
		g := a.newGroup(n.Output[0], cout)
		out = []int{g}
		a.slice(w.Name, 0, out)
		a.slice(w.Name, 1, in)
		per := measured / int64(cin*cout)
		for _, s := range in {
			poly = append(poly, Term{Coef: per, A: s, B: g})
		}
	case groups == cin && cout == cin && w.Dims[1] == 1:
		out = in // depthwise: channel i in, channel i out
		a.slice(w.Name, 0, out)
		per := measured / int64(cin)
		for _, s := range in {
			poly = append(poly, Term{Coef: per, A: s, B: -1})
		}
	default:
		return nil, false // a grouped conv: its groups must divide both counts
	}
	if hasBias {
		a.slice(bias.Name, 0, out)
	}
	a.segs[n.Output[0]] = out
	a.layer(n, in, out, groups != 1)
	return poly, true
}

// linear follows Gemm (without transA) and MatMul over 2-D inputs whose
// weight is an initializer.
func (a *channelAnalysis) linear(n *onnx.Node, measured int64) (Poly, bool) {
	if len(n.Input) < 2 || len(n.Output) != 1 || !a.activation(n.Input[0]) || !a.activation(n.Output[0]) {
		return nil, false
	}
	x, y := a.s.Dims(n.Input[0]), a.s.Dims(n.Output[0])
	w := a.initializer(n, 1)
	if len(x) != 2 || len(y) != 2 || w == nil || len(w.Dims) != 2 {
		return nil, false
	}
	inAxis, outAxis := 0, 1
	if n.OpType == "Gemm" {
		if n.AttrInt("transA", 0) != 0 {
			return nil, false
		}
		if n.AttrInt("transB", 0) != 0 {
			inAxis, outAxis = 1, 0
		}
	}
	biasAxis := -1
	var bias *onnx.Tensor
	if n.OpType == "Gemm" && len(n.Input) > 2 && n.Input[2] != "" {
		if bias = a.initializer(n, 2); bias == nil {
			return nil, false
		}
		switch elems, _ := bias.NumElements(); {
		case elems == 1:
			// a scalar broadcast to every channel
		case len(bias.Dims) == 1:
			biasAxis = 0
		case len(bias.Dims) == 2 && bias.Dims[0] == 1:
			biasAxis = 1
		default:
			return nil, false
		}
	}
	in := a.segsOf(n.Input[0])
	g := a.newGroup(n.Output[0], y[1])
	out := []int{g}
	a.slice(w.Name, inAxis, in)
	a.slice(w.Name, outAxis, out)
	if biasAxis >= 0 {
		a.slice(bias.Name, biasAxis, out)
	}
	a.segs[n.Output[0]] = out
	a.layer(n, in, out, false)
	per := measured / int64(x[1]*y[1])
	var poly Poly
	for _, s := range in {
		poly = append(poly, Term{Coef: per, A: s, B: g})
	}
	return poly, true
}

func (a *channelAnalysis) batchNorm(n *onnx.Node) bool {
	if len(n.Input) != 5 || len(n.Output) == 0 || !a.activation(n.Input[0]) || slices.ContainsFunc(n.Output[1:], func(o string) bool { return o != "" }) {
		return false
	}
	for i := 1; i < 5; i++ {
		if t := a.initializer(n, i); t == nil || len(t.Dims) != 1 {
			return false
		}
	}
	segs := a.segsOf(n.Input[0])
	for i := 1; i < 5; i++ {
		a.slice(n.Input[i], 0, segs)
	}
	a.segs[n.Output[0]] = segs
	return true
}

// elementwise ties the inputs that span the output's channels into one
// list of groups; constants broadcast along the channels or, as
// initializers holding one entry per channel, are sliced with them.
func (a *channelAnalysis) elementwise(n *onnx.Node) bool {
	if len(n.Output) != 1 || !a.activation(n.Output[0]) {
		return false
	}
	y := a.s.Dims(n.Output[0])
	r, c := len(y), y[1]
	var joined []int
	var perChannel []sliceKey
	var broadcast [][]int
	for _, in := range n.Input {
		if in == "" {
			continue
		}
		d := a.s.Dims(in)
		axis := 1 - (r - len(d)) // the input's axis that meets the channels
		if a.activation(in) && len(d) == r {
			switch {
			case d[1] == c:
				if joined == nil {
					joined = a.segsOf(in)
				} else {
					joined = a.tie(joined, a.segsOf(in), "tied by "+graph.NodeLabel(n))
				}
			case d[1] == 1:
				broadcast = append(broadcast, a.segsOf(in)) // must stay one channel
			default:
				return false
			}
			continue
		}
		if a.activation(in) {
			// Its own channel axis does not line up with the output's.
			a.fix(a.segsOf(in), "broadcast against another rank by "+graph.NodeLabel(n))
		}
		if axis < 0 || d[axis] == 1 {
			continue // does not reach the channel axis, or broadcasts along it
		}
		if a.g.Initializer(in) == nil || d[axis] != c {
			return false
		}
		perChannel = append(perChannel, sliceKey{in, axis})
	}
	if joined == nil {
		return false
	}
	for _, b := range broadcast {
		a.fix(b, "broadcast over channels by "+graph.NodeLabel(n))
	}
	for _, k := range perChannel {
		a.slice(k.name, k.axis, joined)
	}
	a.segs[n.Output[0]] = joined
	return true
}

// concat along the channels lines its inputs' groups up.
func (a *channelAnalysis) concat(n *onnx.Node) bool {
	if len(n.Output) != 1 || !a.activation(n.Output[0]) {
		return false
	}
	r := len(a.s.Dims(n.Output[0]))
	if axis := n.AttrInt("axis", 0); axis != 1 && axis != int64(1-r) {
		return false
	}
	var segs []int
	for _, in := range n.Input {
		if !a.activation(in) {
			return false
		}
		segs = append(segs, a.segsOf(in)...)
	}
	a.segs[n.Output[0]] = segs
	return true
}

// flatten follows [N, C, 1, ...] -> [N, C]: Flatten at axis 1, or a
// Reshape whose target keeps the channels by -1 or 0 rather than a number
// that would go stale.
func (a *channelAnalysis) flatten(n *onnx.Node) bool {
	if len(n.Input) == 0 || len(n.Output) != 1 || !a.activation(n.Input[0]) || !a.activation(n.Output[0]) {
		return false
	}
	x, y := a.s.Dims(n.Input[0]), a.s.Dims(n.Output[0])
	if len(y) != 2 || y[0] != x[0] || y[1] != x[1] || product(x[2:]) != 1 {
		return false
	}
	switch n.OpType {
	case "Flatten":
		if n.AttrInt("axis", 1) != 1 {
			return false
		}
	case "Reshape":
		if len(n.Input) < 2 {
			return false
		}
		target := a.s.Of(n.Input[1])
		if target == nil || target.Const == nil || len(target.Const.I64) != 2 {
			return false
		}
		if t := target.Const.I64[1]; t != -1 && t != 0 {
			return false
		}
	}
	a.segs[n.Output[0]] = a.segsOf(n.Input[0])
	return true
}

// layer records a Conv, Gemm or MatMul for Channels.Layers.
func (a *channelAnalysis) layer(n *onnx.Node, in, out []int, depthwise bool) {
	a.layers = append(a.layers, rawLayer{n, in, out, depthwise})
}
