package qcqp

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// PruneOptions control the surgery.
type PruneOptions struct {
	// NoFold keeps the next layers' biases as they are; by default the
	// constant output of each removed channel is folded into them (see
	// fold.go).
	NoFold bool
	// Recipe is recorded in the "pare.prune" metadata beside the kept
	// channels (budgets, solver status, tool version).
	Recipe map[string]any
}

// MetadataKey is the metadata_props key under which Prune records what it
// removed.
const MetadataKey = "pare.prune"

// Prune returns a copy of the analysed model with the channels sel drops
// physically removed: conv, Gemm and MatMul weights and biases, batch-norm
// parameters and per-channel constants are sliced, depthwise group counts
// and flattening Reshape targets follow, stale value_info is dropped, and
// the recipe is recorded in metadata_props under MetadataKey. The input is
// not modified.
func (a *Analysis) Prune(sel *Selection, opts PruneOptions) (*onnx.Model, error) {
	if err := a.checkSelection(sel); err != nil {
		return nil, err
	}
	data, err := onnx.Encode(a.Model)
	if err != nil {
		return nil, fmt.Errorf("qcqp: copying the model: %w", err)
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("qcqp: copying the model: %w", err)
	}
	var fold map[string][]float32
	if !opts.NoFold {
		if fold, err = a.foldedBiases(sel); err != nil {
			return nil, err
		}
	}
	s := &surgeon{a: a, sel: sel, m: m, inits: map[string]int{}, consts: map[string]*onnx.Node{}}
	for i, t := range m.Graph.Initializer {
		s.inits[t.Name] = i
	}
	for _, n := range m.Graph.Node {
		if n.OpType == "Constant" && len(n.Output) == 1 {
			s.consts[n.Output[0]] = n
		}
	}
	// Folding adds to biases before they are sliced (the values are
	// indexed by the unpruned output channels).
	for name, delta := range fold {
		if err := s.update(name, func(t *tensor.Tensor) error {
			for i := range t.F32 {
				t.F32[i] += delta[i]
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(a.axes) {
		keep := map[int][]int{}
		for axis, ct := range a.axes[name] {
			keep[axis] = s.kept(ct)
		}
		if err := s.update(name, func(t *tensor.Tensor) error {
			g, dims := gather(t.F32, t.Shape, keep)
			t.F32, t.Shape = g, dims
			return nil
		}); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(a.shapeFixes) {
		fix := a.shapeFixes[name]
		if err := s.update(name, func(t *tensor.Tensor) error {
			t.I64[fix.index] = int64(len(s.kept(fix.ct)))
			return nil
		}); err != nil {
			return nil, err
		}
	}
	index := map[*onnx.Node]int{}
	for i, n := range a.Model.Graph.Node {
		index[n] = i
	}
	for _, n := range a.depthwise {
		nn := m.Graph.Node[index[n]]
		group := int64(len(s.kept(a.chans[n.Input[0]])))
		for _, at := range nn.Attribute {
			if at.Name == "group" {
				at.I = group
			}
		}
	}
	s.syncInputs()
	m.Graph.ValueInfo = nil
	if err := a.record(m, sel, opts); err != nil {
		return nil, err
	}
	return m, nil
}

func (a *Analysis) checkSelection(sel *Selection) error {
	if sel == nil || len(sel.Keep) != len(a.Maps) {
		return fmt.Errorf("qcqp: the selection does not match the analysis (%d maps)", len(a.Maps))
	}
	p := &Problem{Maps: a.Maps}
	return p.Feasible(sel)
}

// surgeon edits one copy of the model.
type surgeon struct {
	a      *Analysis
	sel    *Selection
	m      *onnx.Model
	inits  map[string]int
	consts map[string]*onnx.Node
}

// kept lists the indices, along an axis laid out as ct, of the kept
// channels' entries.
func (s *surgeon) kept(ct *chanTensor) []int {
	var idx []int
	off := 0
	for _, seg := range ct.segs {
		keep := s.sel.Keep[s.a.mapOf(seg)]
		for c, on := range keep {
			if on {
				for t := range ct.inner {
					idx = append(idx, (off+c)*ct.inner+t)
				}
			}
		}
		off += len(keep)
	}
	return idx
}

// update rewrites the initializer or Constant-node value called name;
// names that are neither (reshaped weights, tracked only for their
// size) are left alone.
func (s *surgeon) update(name string, f func(*tensor.Tensor) error) error {
	var src *onnx.Tensor
	var put func(*onnx.Tensor)
	if i, ok := s.inits[name]; ok {
		src = s.m.Graph.Initializer[i]
		put = func(t *onnx.Tensor) { s.m.Graph.Initializer[i] = t }
	} else if n := s.consts[name]; n != nil {
		at := n.Attr("value")
		if at == nil || at.T == nil {
			return fmt.Errorf("qcqp: Constant %s has no tensor value", name)
		}
		src = at.T
		put = func(t *onnx.Tensor) { at.T = t }
	} else {
		return nil
	}
	t, err := tensor.FromONNX(src)
	if err != nil {
		return fmt.Errorf("qcqp: %s: %w", name, err)
	}
	if err := f(t); err != nil {
		return err
	}
	out, err := tensor.ToONNX(t, src.Name)
	if err != nil {
		return fmt.Errorf("qcqp: %s: %w", name, err)
	}
	out.DocString = src.DocString
	put(out)
	return nil
}

// syncInputs updates the declared shapes of initializers that old IR
// versions also list as graph inputs.
func (s *surgeon) syncInputs() {
	for _, in := range s.m.Graph.Input {
		i, ok := s.inits[in.Name]
		if !ok || in.Type == nil || in.Type.TensorType == nil || in.Type.TensorType.Shape == nil {
			continue
		}
		dims := s.m.Graph.Initializer[i].Dims
		shape := &onnx.TensorShape{}
		for _, d := range dims {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
		in.Type.TensorType.Shape = shape
	}
}

// gather keeps, along each axis in keep, the listed indices.
func gather(data []float32, dims []int, keep map[int][]int) ([]float32, []int) {
	nd := slices.Clone(dims)
	sel := make([][]int, len(dims))
	for ax := range dims {
		if k, ok := keep[ax]; ok {
			sel[ax] = k
		} else {
			sel[ax] = make([]int, dims[ax])
			for i := range sel[ax] {
				sel[ax][i] = i
			}
		}
		nd[ax] = len(sel[ax])
	}
	strides := tensor.Strides(dims)
	out := make([]float32, 0, tensor.NumElements(nd))
	var walk func(ax, off int)
	walk = func(ax, off int) {
		if ax == len(dims) {
			out = append(out, data[off])
			return
		}
		for _, i := range sel[ax] {
			walk(ax+1, off+i*strides[ax])
		}
	}
	if len(dims) == 0 {
		return slices.Clone(data), nd
	}
	walk(0, 0)
	return out, nd
}

// pruneRecord is the JSON stored under MetadataKey.
type pruneRecord struct {
	Recipe map[string]any `json:"recipe,omitempty"`
	Maps   []prunedMap    `json:"maps"`
}

type prunedMap struct {
	Map      string `json:"map"`
	Channels int    `json:"channels"`
	Kept     int    `json:"kept"`
	Removed  []int  `json:"removed"`
}

func (a *Analysis) record(m *onnx.Model, sel *Selection, opts PruneOptions) error {
	rec := pruneRecord{Recipe: opts.Recipe}
	for k, mp := range a.Maps {
		if mp.Fixed {
			continue
		}
		pm := prunedMap{Map: mp.Name, Channels: mp.Channels, Removed: []int{}}
		for c, on := range sel.Keep[k] {
			if on {
				pm.Kept++
			} else {
				pm.Removed = append(pm.Removed, c)
			}
		}
		rec.Maps = append(rec.Maps, pm)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	edit.SetMetadata(m, MetadataKey, string(b))
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}
