package qcqp

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Kernel-shape granularity (the paper's extension, METHODS.md): after the
// channels, each kept filter of a conv with a kernel larger than 1x1 may
// drop kernel taps, keeping at least one. A dropped tap is stored as zeros
// (the ONNX Conv has no sparse form), so the saving is in the MACs of a
// runtime that skips zero taps (EffectiveMACs), not in the file's size
// or in a dense runtime's time.
//
// The tap stage scores tap t of filter j by the L1 mass of W[j,i,t] over
// the kept input channels i, scaled as the channel objective scales
// (NormL1 with the BatchNormalization factor, over the layer's Frobenius
// norm), so the taps of a filter sum to its share of the channel
// objective and the two stages optimise one quantity.

// TapLayer is what the tap stage removed from one conv layer. Indices are
// those of the pruned model: Zeroed[f] lists the taps removed from the
// f-th kept filter.
type TapLayer struct {
	Node    string  `json:"node"`
	Weight  string  `json:"weight"`
	Filters int     `json:"filters"`
	Taps    int     `json:"taps_per_filter"`
	Removed int     `json:"removed"`
	Zeroed  [][]int `json:"-"`
}

// TapSelection is the tap stage's answer for a channel selection.
type TapSelection struct {
	Layers []TapLayer
	// Removed is the importance of the removed taps, RemovedMACs the MACs
	// they cost; Objective is the channel objective less Removed.
	Removed, RemovedMACs, Objective float64
	// MACs is the selection's effective MACs: the channel selection's,
	// less RemovedMACs (EffectiveMACs of the written file).
	MACs float64
}

type tapItem struct {
	layer, filter, tap int
	value, cost        float64
}

// SelectTaps removes kernel taps from the kept filters of sel until the
// effective MACs are at most macsBudget, losing as little importance as it
// can: a knapsack over taps in which every kept filter keeps its most
// important tap. Within one layer every tap costs the same (the output's
// H*W times the kept input channels), so the cheapest loss per MAC comes
// first globally (greedy by value/cost); then removed taps are put back,
// the most important first, while the budget still holds. Like the
// authors' second stage it proves no bound. objective is the channel
// objective of sel (Problem.Objective).
func (a *Analysis) SelectTaps(sel *Selection, objective, macsBudget float64) (*TapSelection, error) {
	if err := a.checkSelection(sel); err != nil {
		return nil, err
	}
	r, err := a.polynomials()
	if err != nil {
		return nil, err
	}
	macs := r.macs.eval(sel.Counts())
	ts := &TapSelection{Objective: objective, MACs: macs}
	need := macs - macsBudget
	s := &surgeon{a: a, sel: sel}
	var items []tapItem
	for k := range a.layers {
		rec := &a.layers[k]
		if rec.node.OpType != "Conv" || rec.block <= 1 {
			continue
		}
		layerItems, tl, err := a.tapItems(rec, s, len(ts.Layers))
		if err != nil {
			return nil, err
		}
		ts.Layers = append(ts.Layers, tl)
		items = append(items, layerItems...)
	}
	if need <= 0 {
		return ts, nil
	}
	var room float64
	for _, it := range items {
		room += it.cost
	}
	if room < need {
		return nil, fmt.Errorf("%w: even one tap per kept filter costs %.6g MACs, over the budget %.6g", ErrInfeasible, macs-room, macsBudget)
	}
	slices.SortStableFunc(items, func(x, y tapItem) int { return cmp.Compare(x.value/x.cost, y.value/y.cost) })
	removed := 0
	var saved float64
	for saved < need {
		saved += items[removed].cost
		removed++
	}
	// Put back what is not needed, the most important first.
	chosen := slices.Clone(items[:removed])
	slices.SortStableFunc(chosen, func(x, y tapItem) int { return cmp.Compare(y.value, x.value) })
	kept := chosen[:0]
	for _, it := range chosen {
		if saved-it.cost >= need {
			saved -= it.cost
			continue
		}
		kept = append(kept, it)
	}
	for _, it := range kept {
		tl := &ts.Layers[it.layer]
		tl.Zeroed[it.filter] = append(tl.Zeroed[it.filter], it.tap)
		tl.Removed++
		ts.Removed += it.value
		ts.RemovedMACs += it.cost
	}
	for i := range ts.Layers {
		for _, z := range ts.Layers[i].Zeroed {
			slices.Sort(z)
		}
	}
	ts.Objective = objective - ts.Removed
	ts.MACs = macs - ts.RemovedMACs
	return ts, nil
}

// tapItems scores the taps of one conv layer's kept filters; each
// filter's most important tap is not an item (it stays).
func (a *Analysis) tapItems(rec *layerRec, s *surgeon, index int) ([]tapItem, TapLayer, error) {
	init := a.Shapes.Graph.Initializer(rec.weight)
	wt, err := tensor.FromONNX(init)
	if err != nil {
		return nil, TapLayer{}, fmt.Errorf("qcqp: layer %s: %w", rec.node.Name, err)
	}
	w := wt.F32
	// The channel objective's scale: the BN factor and the Frobenius norm
	// of the layer's whole L1 importance.
	imp := a.slices(rec, w, NormL1)
	scale := a.outputScale(rec)
	if scale != nil {
		per := len(imp) / rec.nOut
		for j := range rec.nOut {
			for i := range per {
				imp[j*per+i] *= scale[j]
			}
		}
	}
	var frob float64
	for _, v := range imp {
		frob += v * v
	}
	frob = math.Sqrt(frob)
	outs := s.kept(rec.out)
	var ins []int
	if !rec.diagonal {
		ins = s.kept(rec.in)
	}
	od := a.Shapes.Dims(rec.node.Output[0])
	spatial := 1
	for _, d := range od[2:] {
		spatial *= d
	}
	perTap := float64(spatial * max(1, len(ins)))
	tl := TapLayer{Node: rec.node.Name, Weight: rec.weight, Filters: len(outs), Taps: rec.block, Zeroed: make([][]int, len(outs))}
	var items []tapItem
	vals := make([]float64, rec.block)
	for f, j := range outs {
		clear(vals)
		if rec.diagonal {
			for t := range rec.block {
				vals[t] = math.Abs(float64(w[j*rec.block+t]))
			}
		} else {
			for _, i := range ins {
				row := w[j*rec.nIn+i*rec.block:]
				for t := range rec.block {
					vals[t] += math.Abs(float64(row[t]))
				}
			}
		}
		factor := 0.0
		if frob > 0 {
			factor = 1 / frob
			if scale != nil {
				factor *= scale[j]
			}
		}
		best := 0
		for t := range vals {
			if vals[t] > vals[best] {
				best = t
			}
		}
		for t, v := range vals {
			if t != best {
				items = append(items, tapItem{layer: index, filter: f, tap: t, value: v * factor, cost: perTap})
			}
		}
	}
	return items, tl, nil
}

// ApplyTaps zeroes the removed taps in pruned, the model Prune wrote for
// the same selection (its conv weights are the kept filters and inputs,
// in order), and records them under MetadataKey's "taps".
func ApplyTaps(pruned *onnx.Model, ts *TapSelection) error {
	index := map[string]int{}
	for i, t := range pruned.Graph.Initializer {
		index[t.Name] = i
	}
	for _, tl := range ts.Layers {
		if tl.Removed == 0 {
			continue
		}
		i, ok := index[tl.Weight]
		if !ok {
			return fmt.Errorf("qcqp: the pruned model has no weight %s", tl.Weight)
		}
		wt, err := tensor.FromONNX(pruned.Graph.Initializer[i])
		if err != nil {
			return fmt.Errorf("qcqp: %s: %w", tl.Weight, err)
		}
		if len(wt.Shape) < 3 || wt.Shape[0] != tl.Filters {
			return fmt.Errorf("qcqp: weight %s has shape %v, not %d filters", tl.Weight, wt.Shape, tl.Filters)
		}
		taps := 1
		for _, d := range wt.Shape[2:] {
			taps *= d
		}
		if taps != tl.Taps {
			return fmt.Errorf("qcqp: weight %s has %d taps per filter, the selection %d", tl.Weight, taps, tl.Taps)
		}
		perFilter := wt.Len() / tl.Filters
		for f, zs := range tl.Zeroed {
			for _, t := range zs {
				for c := 0; c < perFilter/taps; c++ {
					wt.F32[f*perFilter+c*taps+t] = 0
				}
			}
		}
		out, err := tensor.ToONNX(wt, tl.Weight)
		if err != nil {
			return fmt.Errorf("qcqp: %s: %w", tl.Weight, err)
		}
		out.DocString = pruned.Graph.Initializer[i].DocString
		pruned.Graph.Initializer[i] = out
	}
	return nil
}

// EffectiveMACs is m's MACs at batch 1 when a runtime skips every kernel
// tap whose weights are all zero: a Conv with an initializer weight costs
// its output's H*W times its input channels per group for each filter's
// nonzero tap; every other node what core/cost counts. It is the figure a
// kernel-shape budget caps, measured on the written file.
func EffectiveMACs(m *onnx.Model) (float64, error) {
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		return 0, err
	}
	inits := map[string]*onnx.Tensor{}
	for _, t := range m.Graph.Initializer {
		inits[t.Name] = t
	}
	var total float64
	for _, l := range rep.Layers {
		total += float64(l.MACs)
		n := l.Node
		if n == nil || n.OpType != "Conv" || !onnx.IsDefaultDomain(n.Domain) || len(n.Input) < 2 || inits[n.Input[1]] == nil || len(l.OutputShapes) == 0 {
			continue
		}
		wt, err := tensor.FromONNX(inits[n.Input[1]])
		if err != nil || wt.F32 == nil || len(wt.Shape) < 3 {
			continue
		}
		taps := 1
		for _, d := range wt.Shape[2:] {
			taps *= d
		}
		inPer := wt.Shape[1]
		zero := len(nn.ZeroTaps(wt.F32, wt.Shape[0], inPer, taps))
		out := l.OutputShapes[0]
		spatial := 1
		for _, d := range out[2:] {
			spatial *= d
		}
		batch := 1
		if len(out) > 0 && out[0] > 0 {
			batch = out[0]
		}
		total -= float64(batch * spatial * inPer * zero)
	}
	return total, nil
}

// ShapePruned reports whether m was written by kernel-shape pruning (its
// MetadataKey recipe says granularity shape): its all-zero taps are
// removed taps, which training must keep at zero (train.KeepZeroTaps).
func ShapePruned(m *onnx.Model) bool {
	for _, e := range m.MetadataProps {
		if e.Key != MetadataKey {
			continue
		}
		var rec struct {
			Recipe struct {
				Granularity string `json:"granularity"`
			} `json:"recipe"`
		}
		if json.Unmarshal([]byte(e.Value), &rec) == nil && rec.Recipe.Granularity == "shape" {
			return true
		}
	}
	return false
}
