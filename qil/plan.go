package qil

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Bits are a layer's weight and activation bit widths; 0 means full
// precision.
type Bits struct{ W, A int }

func (b Bits) String() string {
	if b.W == 0 && b.A == 0 {
		return "fp32"
	}
	return fmt.Sprintf("w%da%d", b.W, b.A)
}

func (b Bits) check(what string) error {
	for _, v := range []int{b.W, b.A} {
		if v < MinBits || v > MaxBits {
			return fmt.Errorf("qil: %s asks for %s; weights and activations are quantized to %d..%d bits", what, b, MinBits, MaxBits)
		}
	}
	return nil
}

// Options choose what to quantize and how finely.
type Options struct {
	// Bits applies to every quantized layer without an entry in LayerBits.
	Bits Bits
	// LayerBits sets the bits of single layers by node name (mixed
	// precision).
	LayerBits map[string]Bits
	// KeepFP lists layers left in full precision: node names, or "first"
	// and "last" (the first and last quantizable layer in graph order).
	// nil means first and last, the paper's convention (their weights are
	// few and their errors the most harmful); an empty non-nil slice
	// quantizes every layer.
	KeepFP []string
}

// Layer is one quantizable node (Conv, Gemm or MatMul with a constant
// weight) and the bits it gets.
type Layer struct {
	Node   string `json:"node"`
	OpType string `json:"op"`
	Bits   Bits   `json:"-"`
	// Signed is set when the layer's input can be negative (it is not
	// behind a ReLU): the activation quantizer's signed variant.
	Signed bool `json:"signed"`
	// Depthwise is set for a depthwise Conv (group = input channels =
	// output channels, one k x k filter per channel).
	Depthwise bool `json:"depthwise,omitempty"`
	// PerChannel is set when the layer's weights get one interval (QIL)
	// or scale (PTQ) per output channel instead of one for the layer:
	// the layers Config.Intervals chooses for QIL, and every layer PTQ
	// quantizes.
	PerChannel bool `json:"per_channel_weights,omitempty"`

	node   *onnx.Node
	input  string // the activation input's value name
	weight string // the weight input's value name
}

// Quantized reports whether the layer is quantized (not full precision).
func (l *Layer) Quantized() bool { return l.Bits.W != 0 }

// quantizable reports whether n is a layer QIL quantizes.
func quantizable(n *onnx.Node) bool {
	if !onnx.IsDefaultDomain(n.Domain) || len(n.Input) < 2 {
		return false
	}
	switch n.OpType {
	case "Conv", "Gemm", "MatMul":
		return true
	}
	return false
}

// planLayers lists m's quantizable layers in graph order with their bits,
// checking the options against the model.
func planLayers(m *onnx.Model, opt Options) ([]*Layer, error) {
	if err := opt.Bits.check("--bits"); err != nil {
		return nil, err
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, fmt.Errorf("qil: %w", err)
	}
	var layers []*Layer
	names := map[string]*Layer{}
	for _, n := range g.Order() {
		if !quantizable(n) {
			continue
		}
		w, err := constantValue(m, g, n.Input[1])
		if err != nil {
			return nil, fmt.Errorf("qil: the weight of %s: %w", graph.NodeLabel(n), err)
		}
		if w == nil {
			continue // a product of two activations: nothing to quantize
		}
		l := &Layer{Node: nodeName(n), OpType: n.OpType, node: n, input: n.Input[0], weight: n.Input[1]}
		l.Signed = !nonNegative(m, g, l.input)
		l.Depthwise = depthwise(n, w)
		layers = append(layers, l)
		names[l.Node] = l
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("%w: the model has no Conv, Gemm or MatMul with a constant weight", ErrNothingToQuantize)
	}
	keep := opt.KeepFP
	if keep == nil {
		keep = []string{"first", "last"}
	}
	fp := map[*Layer]bool{}
	for _, k := range keep {
		switch k {
		case "first":
			fp[layers[0]] = true
		case "last":
			fp[layers[len(layers)-1]] = true
		case "", "none":
		default:
			l := names[k]
			if l == nil {
				return nil, unknownLayer("--keep-fp", k, layers)
			}
			fp[l] = true
		}
	}
	for name, b := range opt.LayerBits {
		if names[name] == nil {
			return nil, unknownLayer("--layer-bits", name, layers)
		}
		if err := b.check("--layer-bits " + name); err != nil {
			return nil, err
		}
	}
	quantized := 0
	for _, l := range layers {
		if fp[l] {
			continue
		}
		l.Bits = opt.Bits
		if b, ok := opt.LayerBits[l.Node]; ok {
			l.Bits = b
		}
		quantized++
	}
	if quantized == 0 {
		return nil, fmt.Errorf("%w: every quantizable layer (%s) is kept in full precision; quantize at least one (--keep-fp none quantizes all)", ErrNothingToQuantize, layerNames(layers))
	}
	return layers, nil
}

// ErrNothingToQuantize is returned when no layer would be quantized: the
// model has none QIL can quantize, or the options keep every one in
// float.
var ErrNothingToQuantize = errors.New("qil: nothing to quantize")

func unknownLayer(flag, name string, layers []*Layer) error {
	return fmt.Errorf("qil: %s names %q, which is not a quantizable layer of the model; the layers are %s", flag, name, layerNames(layers))
}

func layerNames(layers []*Layer) string {
	s := make([]string, len(layers))
	for i, l := range layers {
		s[i] = l.Node
	}
	return strings.Join(s, ", ")
}

// depthwise reports whether n is a depthwise Conv with weight w: group
// > 1 filters of one input channel each, one per output channel (weight
// shape [group, 1, k...]), so that output channel k reads input channel k
// alone.
func depthwise(n *onnx.Node, w *tensor.Tensor) bool {
	group := n.AttrInt("group", 1)
	return n.OpType == "Conv" && group > 1 && len(w.Shape) >= 3 && int64(w.Shape[0]) == group && w.Shape[1] == 1
}

// nonNegative reports whether value is >= 0 by construction: the output
// of a ReLU, a Clip with a constant lower bound >= 0 (ReLU6, PyTorch's
// export of it), or a Sigmoid, possibly through pooling and reshaping.
func nonNegative(m *onnx.Model, g *graph.Graph, value string) bool {
	p := g.Producer(value)
	if p == nil || !onnx.IsDefaultDomain(p.Domain) {
		return false
	}
	switch p.OpType {
	case "Relu", "Sigmoid", "Softmax":
		return true
	case "Clip":
		return clipFloor(m, g, p) >= 0
	case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Reshape", "Flatten",
		"Identity", "Transpose", "Squeeze", "Unsqueeze", "Dropout":
		return nonNegative(m, g, p.Input[0])
	case "Concat":
		return !slices.ContainsFunc(p.Input, func(in string) bool { return !nonNegative(m, g, in) })
	}
	return false
}

// clipFloor is a Clip's lower bound when it is a constant (an attribute
// before opset 11, a constant input from then on), else -Inf.
func clipFloor(m *onnx.Model, g *graph.Graph, clip *onnx.Node) float64 {
	if m.OpsetVersion("") < 11 {
		if a := clip.Attr("min"); a != nil {
			return float64(a.F)
		}
		return math.Inf(-1)
	}
	if len(clip.Input) < 2 || clip.Input[1] == "" {
		return math.Inf(-1)
	}
	v, err := constantValue(m, g, clip.Input[1])
	if err != nil || v == nil || v.DType != tensor.Float32 || len(v.F32) != 1 {
		return math.Inf(-1)
	}
	return float64(v.F32[0])
}

// nodeName is how options name a node: its name, or its first output's
// when it has none.
func nodeName(n *onnx.Node) string {
	if n.Name != "" || len(n.Output) == 0 {
		return n.Name
	}
	return n.Output[0]
}
