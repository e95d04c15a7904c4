package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// opTime is the time one op type took over a node-by-node evaluation.
type opTime struct {
	Op    string  `json:"op"`
	Nodes int     `json:"nodes"`
	MS    float64 `json:"ms"`
}

// timePerOp evaluates the graph one node at a time through exec.EvalNode
// (twice: the first pass warms caches and scratch pools) and sums the
// second pass's time per op type. It sees the graph as written: no buffer
// recycling and none of the session's graph rewrites, so its total is a
// little above a Session.Run; it is for "where does the time go", not for
// the headline number. Nodes whose inputs are all constants are evaluated
// but not timed (a Session folds them once).
func timePerOp(m *onnx.Model, feeds map[string]*tensor.Tensor) ([]opTime, error) {
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	consts := map[string]bool{}
	base := map[string]*tensor.Tensor{}
	for _, init := range m.Graph.Initializer {
		t, err := tensor.FromONNX(init)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", init.Name, err)
		}
		base[init.Name] = t
		consts[init.Name] = true
	}
	for name, t := range feeds {
		base[name] = t
	}
	totals := map[string]*opTime{}
	for pass := 0; pass < 2; pass++ {
		values := map[string]*tensor.Tensor{}
		for k, v := range base {
			values[k] = v
		}
		for _, n := range g.Order() {
			in := make([]*tensor.Tensor, len(n.Input))
			constant := true
			for j, name := range n.Input {
				if name == "" {
					continue
				}
				in[j] = values[name]
				constant = constant && consts[name]
			}
			t0 := time.Now()
			outs, err := exec.EvalNode(n, m.OpsetVersion(n.Domain), in)
			if err != nil {
				return nil, err
			}
			elapsed := msSince(t0)
			for j, name := range n.Output {
				if name != "" && j < len(outs) {
					values[name] = outs[j]
					if constant {
						consts[name] = true
					}
				}
			}
			if pass == 0 || constant {
				continue
			}
			op := opLabel(n, in)
			if totals[op] == nil {
				totals[op] = &opTime{Op: op}
			}
			totals[op].Nodes++
			totals[op].MS += elapsed
		}
	}
	var out []opTime
	for _, t := range totals {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MS > out[j].MS })
	return out, nil
}

// opLabel is the op type, with Conv split into the shapes that take
// different code paths (depthwise, pointwise 1x1, general).
func opLabel(n *onnx.Node, in []*tensor.Tensor) string {
	if n.OpType != "Conv" || len(in) < 2 || in[0] == nil || in[1] == nil {
		return n.OpType
	}
	group := n.AttrInt("group", 1)
	w := in[1].Shape
	kernel := 1
	for _, d := range w[2:] {
		kernel *= d
	}
	switch {
	case group > 1 && w[1] == 1:
		return "Conv (depthwise)"
	case kernel == 1:
		return "Conv (1x1)"
	}
	return "Conv (kxk)"
}
