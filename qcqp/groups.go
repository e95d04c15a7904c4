package qcqp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Analysis is what Analyze learns about a model's channels: the maps that
// share a mask (Problem maps), the layers between them, and, for the
// surgery and the resource polynomials, which axis of which tensor follows
// which maps.
type Analysis struct {
	Model  *onnx.Model
	Shapes *graph.Shapes
	// Maps are the channel groups, in the order of the Problem built from
	// this analysis. Fixed maps keep every channel; Frozen says why.
	Maps []Map
	// Frozen gives, per fixed map (same index as Maps), the reasons it
	// cannot shrink; nil for free maps.
	Frozen [][]string
	// Members lists, per map, the tensors whose channel axis it is (the
	// producer's output first).
	Members [][]string
	// MinKeep is the share of each prunable map's channels that every
	// Problem built from the analysis must keep (Map.Min, rounded up);
	// zero keeps one channel as the only floor.
	MinKeep float64

	raw    []rawMap
	parent []int
	// chans: activations whose axis 1 carries maps.
	chans map[string]*chanTensor
	// axes: parameters and constants (initializers, Constant-node values,
	// reshaped weights) sliced along an axis by maps.
	axes map[string]map[int]*chanTensor
	// shapeFixes: Reshape targets whose entry counts channels.
	shapeFixes map[string]*shapeFix
	layers     []layerRec
	depthwise  []*onnx.Node
	classOf    []int // raw map -> index in Maps
	polys      *resourcePolys
	// source is what the file as given measures (Measure), set when its
	// layers shared initializers (ownParameters copied them apart): a
	// fractional budget is a share of that figure, the one pare reports
	// as "before", while the unpruned copy counts each shared tensor once
	// per layer. Nil: the unpruned model is what the analysis predicts.
	source *Figures
}

// chanTensor says how one axis of a tensor is made of maps: the
// concatenation of the maps segs (raw ids), each channel repeated inner
// times (a Flatten of a C x H x W map gives inner = H*W).
type chanTensor struct {
	segs  []int
	inner int
}

// rawMap is one map before the ties are resolved: the output of a layer,
// or a network input.
type rawMap struct {
	name     string
	channels int
	reasons  []string
}

// layerRec is one conv or linear layer: its weight's layout and the maps
// on either side.
type layerRec struct {
	node   *onnx.Node
	weight string // initializer holding the weights
	in     *chanTensor
	out    *chanTensor
	// The weight viewed as a matrix: rows are output channels when
	// outMajor, else input rows; block is how many consecutive columns
	// (conv: kernel taps) or rows (flattened input) one input channel
	// owns.
	outMajor bool
	nOut     int
	nIn      int // input rows of the matrix view (channels * block)
	block    int
	diagonal bool
	// scale, when the layer's output feeds a BatchNormalization, holds
	// the per-output-channel |gamma|/sqrt(var+eps) folded into the
	// importance.
	scale []float64
}

// shapeFix is one entry of a Reshape's target shape that counts the
// channels of ct.
type shapeFix struct {
	index int
	ct    *chanTensor
}

// ownParameters returns m, or when some of its parameters are Identity
// aliases of a shared initializer (edit.InlineIdentityInitializers), a
// copy in which each is its own initializer: the surgery slices every
// layer's parameters apart. Analysis.Model is then that copy.
func ownParameters(m *onnx.Model) (*onnx.Model, error) {
	shared := false
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = true
	}
	for _, n := range m.Graph.Node {
		shared = shared || n.OpType == "Identity" && len(n.Input) == 1 && inits[n.Input[0]]
	}
	if !shared {
		return m, nil
	}
	data, err := onnx.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("qcqp: copying the model: %w", err)
	}
	cp, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("qcqp: copying the model: %w", err)
	}
	edit.InlineIdentityInitializers(cp)
	return cp, nil
}

// Analyze builds the channel groups of m at batch 1: which maps can shrink
// and which layers each mask touches. BatchNormalization, activations,
// pooling and padding follow their producer's map; a residual Add (and
// any element-wise op joining two maps, such as a squeeze-excite Mul) ties
// its operands into one map; a depthwise conv keeps the same mask on its
// input and output; Concat feeds a layer from several maps; Flatten or a
// flattening Reshape in front of Gemm/MatMul gives each channel its H*W
// rows. Grouped convs, network inputs and outputs, and every tensor read
// by an op the analysis does not follow are frozen, with the reason kept
// in Frozen.
func Analyze(m *onnx.Model) (*Analysis, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("qcqp: the model has no graph")
	}
	given := m
	m, err := ownParameters(m)
	if err != nil {
		return nil, err
	}
	var source *Figures
	if m != given {
		f, err := Measure(given)
		if err != nil {
			return nil, err
		}
		source = &f
	}
	inShapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil, fmt.Errorf("qcqp: %w", err)
	}
	shapes, err := graph.InferShapes(m, inShapes, exec.EvalNode)
	if err != nil {
		return nil, fmt.Errorf("qcqp: %w", err)
	}
	a := &Analysis{Model: m, Shapes: shapes, chans: map[string]*chanTensor{},
		axes: map[string]map[int]*chanTensor{}, shapeFixes: map[string]*shapeFix{}, source: source}
	g := shapes.Graph
	for _, in := range g.Inputs() {
		if d := shapes.Dims(in.Name); len(d) >= 2 && g.Initializer(in.Name) == nil {
			a.chans[in.Name] = a.single(a.newMap(in.Name, d[1], "network input"))
		}
	}
	for _, n := range g.Order() {
		a.node(n)
	}
	for _, o := range g.Outputs() {
		a.freeze(a.chans[o.Name], "network output "+o.Name)
	}
	a.resolve()
	return a, nil
}

func (a *Analysis) newMap(name string, channels int, reason string) int {
	r := rawMap{name: name, channels: channels}
	if reason != "" {
		r.reasons = []string{reason}
	}
	a.raw = append(a.raw, r)
	a.parent = append(a.parent, len(a.parent))
	return len(a.raw) - 1
}

func (a *Analysis) single(m int) *chanTensor { return &chanTensor{segs: []int{m}, inner: 1} }

func (a *Analysis) find(m int) int {
	for a.parent[m] != m {
		a.parent[m] = a.parent[a.parent[m]]
		m = a.parent[m]
	}
	return m
}

// tie joins two channel layouts into one mask; false when their shapes
// differ (the caller then freezes both).
func (a *Analysis) tie(x, y *chanTensor) bool {
	if len(x.segs) != len(y.segs) || x.inner != y.inner {
		return false
	}
	for i := range x.segs {
		if a.raw[x.segs[i]].channels != a.raw[y.segs[i]].channels {
			return false
		}
	}
	for i := range x.segs {
		if p, q := a.find(x.segs[i]), a.find(y.segs[i]); p != q {
			a.parent[q] = p
			a.raw[p].reasons = append(a.raw[p].reasons, a.raw[q].reasons...)
		}
	}
	return true
}

func (a *Analysis) freeze(ct *chanTensor, reason string) {
	if ct == nil {
		return
	}
	for _, s := range ct.segs {
		r := a.find(s)
		if !slices.Contains(a.raw[r].reasons, reason) {
			a.raw[r].reasons = append(a.raw[r].reasons, reason)
		}
	}
}

// width is the size of the axis ct describes.
func (a *Analysis) width(ct *chanTensor) int {
	w := 0
	for _, s := range ct.segs {
		w += a.raw[s].channels
	}
	return w * ct.inner
}

// input returns the channel layout of a layer's input x, or a new fixed
// map when x comes from something the analysis does not follow.
func (a *Analysis) input(x string) *chanTensor {
	if ct := a.chans[x]; ct != nil {
		return ct
	}
	d := a.Shapes.Dims(x)
	if len(d) < 2 {
		return nil
	}
	ct := a.single(a.newMap(x, d[1], "computed by an op the analysis does not follow"))
	a.chans[x] = ct
	return ct
}

// unknown freezes every map n reads: the analysis does not know how n
// treats channels, so it keeps them all.
func (a *Analysis) unknown(n *onnx.Node, why string) {
	reason := fmt.Sprintf("read by %s %s", n.OpType, graph.NodeLabel(n))
	if why != "" {
		reason += " (" + why + ")"
	}
	for _, in := range n.Input {
		a.freeze(a.chans[in], reason)
	}
}

// passThroughOps keep each channel in place (element-wise on one map, or
// spatial only).
var passThroughOps = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Clip": true, "Sigmoid": true, "Tanh": true, "HardSigmoid": true,
	"HardSwish": true, "Elu": true, "Selu": true, "Softplus": true, "Identity": true, "Dropout": true,
	"MaxPool": true, "AveragePool": true, "GlobalAveragePool": true, "GlobalMaxPool": true, "LpPool": true,
	"Celu": true, "Mish": true, "ThresholdedRelu": true, "Softsign": true, "Gelu": true,
}

func (a *Analysis) node(n *onnx.Node) {
	reads := false
	for _, in := range n.Input {
		if a.chans[in] != nil {
			reads = true
		}
	}
	switch {
	case n.OpType == "Conv" && onnx.IsDefaultDomain(n.Domain):
		a.conv(n)
	case n.OpType == "Gemm" && onnx.IsDefaultDomain(n.Domain):
		a.gemm(n)
	case n.OpType == "MatMul" && onnx.IsDefaultDomain(n.Domain):
		a.matMul(n)
	case !reads:
		// Shape arithmetic and constants: no channels involved.
	case !onnx.IsDefaultDomain(n.Domain):
		a.unknown(n, "custom domain "+n.Domain)
	case passThroughOps[n.OpType]:
		a.passThrough(n, 1)
	case n.OpType == "BatchNormalization":
		a.batchNorm(n)
	case n.OpType == "Add", n.OpType == "Sub", n.OpType == "Mul", n.OpType == "Div", n.OpType == "PRelu":
		a.binary(n)
	case n.OpType == "Concat":
		a.concat(n)
	case n.OpType == "Flatten":
		a.flatten(n)
	case n.OpType == "Reshape":
		a.reshape(n)
	case n.OpType == "Pad":
		a.pad(n)
	case n.OpType == "Squeeze", n.OpType == "Unsqueeze", strings.HasPrefix(n.OpType, "Reduce"):
		a.axesOp(n)
	default:
		a.unknown(n, "")
	}
}

// onlyFirstOutput reports whether n's outputs after the first are unused
// (MaxPool's indices, Dropout's mask).
func (a *Analysis) onlyFirstOutput(n *onnx.Node) bool {
	g := a.Shapes.Graph
	for _, o := range n.Output[1:] {
		if o != "" && (len(g.Consumers(o)) > 0 || g.IsGraphOutput(o)) {
			return false
		}
	}
	return len(n.Output) > 0
}

// passThrough gives n's first output the layout of its first input, after
// checking that its other inputs are channel-free (Clip bounds).
func (a *Analysis) passThrough(n *onnx.Node, firstConst int) {
	ct := a.chans[n.Input[0]]
	if ct == nil || !a.onlyFirstOutput(n) {
		a.unknown(n, "uses a second output")
		return
	}
	for _, in := range n.Input[min(firstConst, len(n.Input)):] {
		if in != "" && (a.chans[in] != nil || a.constant(in) == nil) {
			a.unknown(n, "a second input is not a constant")
			return
		}
	}
	a.setOutput(n, ct)
}

// setOutput records ct as the layout of n's first output once its shape
// confirms the channel count.
func (a *Analysis) setOutput(n *onnx.Node, ct *chanTensor) {
	d := a.Shapes.Dims(n.Output[0])
	if len(d) < 2 || d[1] != a.width(ct) {
		a.unknown(n, fmt.Sprintf("its output %v does not keep the %d channels", d, a.width(ct)))
		return
	}
	a.chans[n.Output[0]] = ct
}

// constant returns what shape inference knows of a constant input (an
// initializer or a folded value), or nil.
func (a *Analysis) constant(name string) *graph.Value {
	v := a.Shapes.Of(name)
	if v == nil || v.Const == nil {
		return nil
	}
	return v
}

// sliceable reports whether name is a float tensor the surgery can slice:
// an initializer or the value of a Constant node.
func (a *Analysis) sliceable(name string) bool {
	g := a.Shapes.Graph
	if t := g.Initializer(name); t != nil {
		return t.DataType == onnx.Float
	}
	if p := g.Producer(name); p != nil && p.OpType == "Constant" {
		at := p.Attr("value")
		return at != nil && at.T != nil && at.T.DataType == onnx.Float
	}
	return false
}

// slice records that axis of the parameter name follows ct; a parameter
// shared by two layouts ties them. False when it cannot be sliced.
func (a *Analysis) slice(name string, axis int, ct *chanTensor) bool {
	if !a.sliceable(name) {
		return false
	}
	d := a.Shapes.Dims(name)
	if axis >= len(d) || d[axis] != a.width(ct) {
		return false
	}
	ax := a.axes[name]
	if ax == nil {
		ax = map[int]*chanTensor{}
		a.axes[name] = ax
	}
	if old := ax[axis]; old != nil {
		return a.tie(old, ct)
	}
	ax[axis] = ct
	return true
}

func (a *Analysis) conv(n *onnx.Node) {
	if len(n.Input) < 2 || len(n.Output) != 1 {
		a.unknown(n, "unexpected arity")
		return
	}
	x, w := n.Input[0], n.Input[1]
	wd := a.Shapes.Dims(w)
	in := a.input(x)
	xd := a.Shapes.Dims(x)
	g := a.Shapes.Graph
	if in == nil || len(wd) < 3 || len(xd) != len(wd) || g.Initializer(w) == nil || g.Initializer(w).DataType != onnx.Float {
		a.unknown(n, "its weight is not a float initializer")
		a.outputFixed(n, "written by a conv whose weight is not an initializer")
		return
	}
	bias := ""
	if len(n.Input) > 2 && n.Input[2] != "" {
		bias = n.Input[2]
		if !a.sliceable(bias) {
			a.unknown(n, "its bias is not an initializer")
			a.outputFixed(n, "written by a conv whose bias is not an initializer")
			return
		}
	}
	group := int(n.AttrInt("group", 1))
	cout, cin := wd[0], xd[1]
	block := 1
	for _, k := range wd[2:] {
		block *= k
	}
	switch {
	case group == 1 && in.inner == 1:
		out := a.single(a.newMap(n.Output[0], cout, ""))
		a.slice(w, 0, out)
		a.slice(w, 1, in)
		if bias != "" {
			a.slice(bias, 0, out)
		}
		a.chans[n.Output[0]] = out
		a.layers = append(a.layers, layerRec{node: n, weight: w, in: in, out: out, outMajor: true, nOut: cout, nIn: cin * block, block: block})
	case group == cin && wd[1] == 1 && cout == cin && in.inner == 1:
		a.slice(w, 0, in)
		if bias != "" {
			a.slice(bias, 0, in)
		}
		a.chans[n.Output[0]] = in
		a.depthwise = append(a.depthwise, n)
		a.layers = append(a.layers, layerRec{node: n, weight: w, in: in, out: in, outMajor: true, nOut: cout, nIn: block, block: block, diagonal: true})
	default:
		a.unknown(n, fmt.Sprintf("grouped conv, group=%d", group))
		a.outputFixed(n, fmt.Sprintf("written by grouped conv %s (group=%d)", graph.NodeLabel(n), group))
	}
}

// outputFixed gives n's output a new fixed map.
func (a *Analysis) outputFixed(n *onnx.Node, reason string) {
	if d := a.Shapes.Dims(n.Output[0]); len(d) >= 2 {
		a.chans[n.Output[0]] = a.single(a.newMap(n.Output[0], d[1], reason))
	}
}

func (a *Analysis) gemm(n *onnx.Node) {
	g := a.Shapes.Graph
	if len(n.Input) < 2 || len(n.Output) != 1 || n.AttrInt("transA", 0) != 0 {
		a.unknown(n, "transposed input")
		a.outputFixed(n, "written by a Gemm with a transposed input")
		return
	}
	x, w := n.Input[0], n.Input[1]
	in := a.input(x)
	wd, od := a.Shapes.Dims(w), a.Shapes.Dims(n.Output[0])
	if in == nil || len(wd) != 2 || len(od) != 2 || g.Initializer(w) == nil || g.Initializer(w).DataType != onnx.Float {
		a.unknown(n, "its weight is not a float initializer")
		a.outputFixed(n, "written by a Gemm whose weight is not an initializer")
		return
	}
	out := a.single(a.newMap(n.Output[0], od[1], ""))
	transB := n.AttrInt("transB", 0) != 0
	inAxis, outAxis := 0, 1
	if transB {
		inAxis, outAxis = 1, 0
	}
	if len(n.Input) > 2 && n.Input[2] != "" && !a.sliceConst(n.Input[2], 2, out) {
		a.unknown(n, "its bias is not an initializer")
		a.freeze(out, "written by a Gemm whose bias cannot be sliced")
	}
	a.slice(w, inAxis, in)
	a.slice(w, outAxis, out)
	a.chans[n.Output[0]] = out
	a.layers = append(a.layers, layerRec{node: n, weight: w, in: in, out: out, outMajor: transB, nOut: od[1], nIn: wd[inAxis], block: in.inner})
}

// matMul handles x @ B with B an initializer, or a Reshape of one (CNTK's
// mnist-8 reshapes a 16x4x4x10 weight to 256x10).
func (a *Analysis) matMul(n *onnx.Node) {
	g := a.Shapes.Graph
	x, b := n.Input[0], n.Input[1]
	in := a.input(x)
	bd, od := a.Shapes.Dims(b), a.Shapes.Dims(n.Output[0])
	fail := func(why string) {
		a.unknown(n, why)
		a.outputFixed(n, "written by MatMul "+graph.NodeLabel(n)+" ("+why+")")
	}
	if in == nil || len(bd) != 2 || len(od) != 2 || len(a.Shapes.Dims(x)) != 2 {
		fail("not a 2-D product")
		return
	}
	out := a.single(a.newMap(n.Output[0], od[1], ""))
	weight := b
	if t := g.Initializer(b); t == nil || t.DataType != onnx.Float {
		p := g.Producer(b)
		if p == nil || p.OpType != "Reshape" || g.Initializer(p.Input[0]) == nil || g.Initializer(p.Input[0]).DataType != onnx.Float {
			fail("its weight is not an initializer")
			return
		}
		// B = Reshape(W0): W0's leading axis must be the input channels
		// and its trailing axis the outputs, so that slicing W0 slices B.
		weight = p.Input[0]
		w0 := a.Shapes.Dims(weight)
		rows := in.inner * od[1]
		if len(w0) < 2 || in.inner*w0[0] != bd[0] || w0[len(w0)-1] != od[1] || tensorElems(w0[1:]) != rows ||
			!a.fixShape(p, 0, in) || !a.slice(weight, 0, &chanTensor{segs: in.segs, inner: 1}) || !a.slice(weight, len(w0)-1, out) {
			fail("its reshaped weight does not keep channels contiguous")
			return
		}
		a.axes[b] = map[int]*chanTensor{0: in, 1: out}
	} else {
		a.slice(b, 0, in)
		a.slice(b, 1, out)
	}
	a.chans[n.Output[0]] = out
	a.layers = append(a.layers, layerRec{node: n, weight: weight, in: in, out: out, outMajor: false, nOut: od[1], nIn: bd[0], block: in.inner})
}

func tensorElems(d []int) int {
	n := 1
	for _, v := range d {
		n *= v
	}
	return n
}

func (a *Analysis) batchNorm(n *onnx.Node) {
	ct := a.chans[n.Input[0]]
	if ct == nil || len(n.Input) < 5 || !a.onlyFirstOutput(n) {
		a.unknown(n, "training outputs")
		return
	}
	for _, p := range n.Input[1:5] {
		if a.chans[p] != nil || !a.slice(p, 0, ct) {
			a.unknown(n, "its parameters are not initializers")
			return
		}
	}
	a.setOutput(n, ct)
}

// sliceConst records a constant operand of a broadcasting op whose
// output has the given rank: the constant's axis aligned with the
// channel axis follows ct when it is not 1.
func (a *Analysis) sliceConst(name string, rank int, ct *chanTensor) bool {
	v := a.constant(name)
	if v == nil {
		return false
	}
	axis := 1 - (rank - len(v.Dims))
	if axis < 0 || v.Dims[axis] == 1 {
		return true
	}
	return a.slice(name, axis, ct)
}

func (a *Analysis) binary(n *onnx.Node) {
	if len(n.Input) != 2 {
		a.unknown(n, "")
		return
	}
	od := a.Shapes.Dims(n.Output[0])
	x, y := a.chans[n.Input[0]], a.chans[n.Input[1]]
	switch {
	case x != nil && y != nil:
		xd, yd := a.Shapes.Dims(n.Input[0]), a.Shapes.Dims(n.Input[1])
		switch {
		case len(xd) != len(od) || len(yd) != len(od):
			a.unknown(n, "broadcast over the channel axis")
		case xd[1] == yd[1] && a.tie(x, y):
			a.setOutput(n, x)
		case yd[1] == 1:
			a.freeze(y, "broadcast across channels by "+n.OpType+" "+graph.NodeLabel(n))
			a.setOutput(n, x)
		case xd[1] == 1:
			a.freeze(x, "broadcast across channels by "+n.OpType+" "+graph.NodeLabel(n))
			a.setOutput(n, y)
		default:
			a.unknown(n, "operands whose channels do not line up")
		}
	default:
		ct, name, other := x, n.Input[0], n.Input[1]
		if ct == nil {
			ct, name, other = y, n.Input[1], n.Input[0]
		}
		if len(a.Shapes.Dims(name)) != len(od) || !a.sliceConst(other, len(od), ct) {
			a.unknown(n, "its other operand is neither a constant nor a map")
			return
		}
		a.setOutput(n, ct)
	}
}

func (a *Analysis) concat(n *onnx.Node) {
	od := a.Shapes.Dims(n.Output[0])
	axis := int(n.AttrInt("axis", 0))
	if axis < 0 {
		axis += len(od)
	}
	if axis != 1 {
		a.unknown(n, fmt.Sprintf("concatenates along axis %d", axis))
		return
	}
	out := &chanTensor{inner: 1}
	for _, in := range n.Input {
		ct := a.input(in)
		if ct == nil || ct.inner != 1 || a.constant(in) != nil {
			a.unknown(n, "an operand is not a map")
			return
		}
		out.segs = append(out.segs, ct.segs...)
	}
	a.setOutput(n, out)
}

func (a *Analysis) flatten(n *onnx.Node) {
	ct := a.chans[n.Input[0]]
	d := a.Shapes.Dims(n.Input[0])
	if axis := n.AttrInt("axis", 1); axis != 1 && axis != 1-int64(len(d)) {
		a.unknown(n, fmt.Sprintf("flattens from axis %d", axis))
		return
	}
	a.setOutput(n, &chanTensor{segs: ct.segs, inner: ct.inner * tensorElems(d[2:])})
}

// reshape follows a Reshape that changes nothing or flattens N x C x ...
// to N x (C*...); anything else may mix channels and is frozen.
func (a *Analysis) reshape(n *onnx.Node) {
	ct := a.chans[n.Input[0]]
	id, od := a.Shapes.Dims(n.Input[0]), a.Shapes.Dims(n.Output[0])
	switch {
	case slices.Equal(id, od):
		a.setOutput(n, ct)
	case len(od) == 2 && len(id) >= 2 && od[0] == id[0] && od[1] == tensorElems(id[1:]):
		flat := &chanTensor{segs: ct.segs, inner: ct.inner * tensorElems(id[2:])}
		if !a.fixShape(n, 1, flat) {
			a.unknown(n, "its target shape is not a constant")
			return
		}
		a.setOutput(n, flat)
	default:
		a.unknown(n, fmt.Sprintf("reshapes %v to %v, which may mix channels", id, od))
	}
}

// fixShape records that entry index of Reshape n's target shape counts
// the width of ct (entries -1 need no fix).
func (a *Analysis) fixShape(n *onnx.Node, index int, ct *chanTensor) bool {
	name := n.Input[1]
	v := a.constant(name)
	g := a.Shapes.Graph
	if v == nil || len(v.Const.I64) <= index {
		return false
	}
	if t := g.Initializer(name); t == nil {
		if p := g.Producer(name); p == nil || p.OpType != "Constant" {
			return false
		}
	}
	switch v.Const.I64[index] {
	case -1:
		return true
	case int64(a.width(ct)):
	default:
		return false
	}
	if old := a.shapeFixes[name]; old != nil {
		return old.index == index && a.tie(old.ct, ct)
	}
	a.shapeFixes[name] = &shapeFix{index: index, ct: ct}
	return true
}

// pad follows a Pad that pads neither the batch nor the channel axis.
func (a *Analysis) pad(n *onnx.Node) {
	var pads []int64
	if at := n.Attr("pads"); at != nil {
		pads = at.Ints
	} else if len(n.Input) > 1 {
		if v := a.constant(n.Input[1]); v != nil {
			pads = v.Const.I64
		}
	}
	r := len(a.Shapes.Dims(n.Input[0]))
	if len(n.Input) > 3 && n.Input[3] != "" || len(pads) != 2*r || pads[0] != 0 || pads[1] != 0 || pads[r] != 0 || pads[r+1] != 0 {
		a.unknown(n, "pads the channel axis, or its pads are not constant")
		return
	}
	a.passThrough(n, 1)
}

// axesOp follows Squeeze, Unsqueeze and reductions over spatial axes:
// they keep the channels at axis 1 when every axis they name is beyond it.
func (a *Analysis) axesOp(n *onnx.Node) {
	var axes []int64
	if at := n.Attr("axes"); at != nil {
		axes = at.Ints
	} else if len(n.Input) > 1 && n.Input[1] != "" {
		if v := a.constant(n.Input[1]); v != nil {
			axes = v.Const.I64
		}
	}
	r := len(a.Shapes.Dims(n.Input[0]))
	if n.OpType == "Unsqueeze" {
		r = len(a.Shapes.Dims(n.Output[0]))
	}
	if len(axes) == 0 {
		a.unknown(n, "no constant axes")
		return
	}
	for _, ax := range axes {
		if ax < 0 {
			ax += int64(r)
		}
		if ax <= 1 {
			a.unknown(n, fmt.Sprintf("acts on axis %d", ax))
			return
		}
	}
	a.passThrough(n, 2)
}

// resolve numbers the groups and builds Maps, Frozen and Members.
func (a *Analysis) resolve() {
	a.classOf = make([]int, len(a.raw))
	index := map[int]int{}
	for r := range a.raw {
		root := a.find(r)
		k, ok := index[root]
		if !ok {
			k = len(a.Maps)
			index[root] = k
			a.Maps = append(a.Maps, Map{Name: a.raw[root].name, Channels: a.raw[root].channels, Fixed: len(a.raw[root].reasons) > 0})
			a.Frozen = append(a.Frozen, a.raw[root].reasons)
			a.Members = append(a.Members, nil)
		}
		a.classOf[r] = k
	}
	for r := range a.raw {
		k := a.classOf[r]
		// The first member of the group names it (the earliest producer).
		if a.raw[r].name != "" && !slices.Contains(a.Members[k], a.raw[r].name) {
			a.Members[k] = append(a.Members[k], a.raw[r].name)
		}
	}
	for k := range a.Maps {
		a.Maps[k].Name = a.Members[k][0]
	}
}

// mapOf returns the Problem map of a raw map.
func (a *Analysis) mapOf(raw int) int { return a.classOf[raw] }

// Free reports how many maps can shrink.
func (a *Analysis) Free() int {
	n := 0
	for _, m := range a.Maps {
		if !m.Fixed {
			n++
		}
	}
	return n
}

// FrozenSummary names the first three frozen maps with their reasons, for
// messages that say why nothing (or little) can be pruned; `pare info
// --channels` lists them all.
func (a *Analysis) FrozenSummary() string {
	var parts []string
	for k, mp := range a.Maps {
		if !mp.Fixed {
			continue
		}
		if len(parts) == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, mp.Name+": "+strings.Join(a.Frozen[k], "; "))
	}
	return strings.Join(parts, ", ")
}
