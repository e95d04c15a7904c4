package qcqp

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Resource names a budgeted quantity.
type Resource string

const (
	// MACs are the multiply-accumulates of Conv, Gemm and MatMul at batch
	// 1, as core/cost counts them.
	MACs Resource = "macs"
	// Params are the elements of the float initializers.
	Params Resource = "params"
	// Memory is 4 bytes per parameter plus the peak of live activation
	// bytes at batch 1 (core/cost's PeakActivationBytes): what a simple
	// executor holding float32 weights needs.
	Memory Resource = "memory"
)

// Resources lists the resources a budget can name.
var Resources = []Resource{MACs, Params, Memory}

// Figures are the resources of one model.
type Figures struct {
	MACs   float64 `json:"macs"`
	Params float64 `json:"params"`
	Memory float64 `json:"memory"`
}

// Of returns the figure of r.
func (f Figures) Of(r Resource) float64 {
	switch r {
	case MACs:
		return f.MACs
	case Params:
		return f.Params
	}
	return f.Memory
}

// Measure re-measures a model file's resources with core/cost.
func Measure(m *onnx.Model) (Figures, error) {
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		return Figures{}, err
	}
	return Figures{MACs: float64(rep.MACs), Params: float64(rep.Params), Memory: float64(4*rep.Params + rep.PeakActivationBytes)}, nil
}

// Budget caps one resource: at Value (absolute) or at Fraction of the
// unpruned model's figure when Fraction > 0.
type Budget struct {
	Resource Resource
	Value    float64
	Fraction float64
}

func (b Budget) String() string {
	if b.Fraction > 0 {
		return fmt.Sprintf("%s=%g%%", b.Resource, 100*b.Fraction)
	}
	return fmt.Sprintf("%s=%g", b.Resource, b.Value)
}

// Constraints returns the resource constraints of the budgets as exact
// polynomials in the maps' channel counts. A memory budget becomes one
// constraint per node (4 x params plus the bytes alive while that node
// runs), since the peak is a maximum over nodes. A Fraction is a share of
// the model as given (what Measure says of it), which is the unpruned
// model's prediction unless its layers share initializers.
func (a *Analysis) Constraints(budgets []Budget) ([]Constraint, error) {
	r, err := a.polynomials()
	if err != nil {
		return nil, err
	}
	full := a.predictFrom(r, a.fullCounts())
	if a.source != nil {
		full = *a.source
	}
	var out []Constraint
	for _, b := range budgets {
		limit := b.Value
		if b.Fraction > 0 {
			limit = b.Fraction * full.Of(b.Resource)
		}
		switch b.Resource {
		case MACs:
			out = append(out, r.macs.constraint("macs", limit))
		case Params:
			out = append(out, r.params.constraint("params", limit))
		case Memory:
			for _, i := range undominated(r.live) {
				live := r.live[i]
				p := r.params.scaled(4)
				p.add(live)
				out = append(out, p.constraint("memory (while "+r.steps[i]+" runs)", limit))
			}
		default:
			return nil, fmt.Errorf("qcqp: unknown resource %q (want macs, params or memory)", b.Resource)
		}
	}
	return out, nil
}

// Predict returns the resources the pruned model will have at the given
// per-map channel counts.
func (a *Analysis) Predict(counts []int) (Figures, error) {
	r, err := a.polynomials()
	if err != nil {
		return Figures{}, err
	}
	return a.predictFrom(r, counts), nil
}

func (a *Analysis) predictFrom(r *resourcePolys, n []int) Figures {
	f := Figures{MACs: r.macs.eval(n), Params: r.params.eval(n)}
	for _, live := range r.live {
		f.Memory = math.Max(f.Memory, live.eval(n))
	}
	f.Memory += 4 * f.Params
	return f
}

func (a *Analysis) fullCounts() []int {
	n := make([]int, len(a.Maps))
	for i, m := range a.Maps {
		n[i] = m.Channels
	}
	return n
}

// undominated returns the indices of the live-byte polynomials that some
// selection could make the largest: a step whose every coefficient is at
// most another step's never sets the peak (counts are positive), so its
// memory constraint is implied and left out.
func undominated(live []poly) []int {
	dominates := func(a, b poly) bool { // a >= b everywhere
		if a.c < b.c || len(b.quad) > 0 || len(a.quad) > 0 {
			return false
		}
		for m, c := range b.lin {
			if a.lin[m] < c {
				return false
			}
		}
		return true
	}
	var keep []int
	for i := range live {
		implied := false
		for j := range live {
			if j != i && dominates(live[j], live[i]) && (!dominates(live[i], live[j]) || j < i) {
				implied = true
				break
			}
		}
		if !implied {
			keep = append(keep, i)
		}
	}
	return keep
}

// resourcePolys are the model's resources as polynomials in the counts.
type resourcePolys struct {
	macs, params poly
	live         []poly // activation bytes alive at each step
	steps        []string
}

// polynomials mirrors core/cost node by node, with every dimension that
// follows a map replaced by that map's count.
func (a *Analysis) polynomials() (*resourcePolys, error) {
	if a.polys == nil {
		r, err := a.buildPolynomials()
		if err != nil {
			return nil, err
		}
		a.polys = r
	}
	return a.polys, nil
}

func (a *Analysis) buildPolynomials() (*resourcePolys, error) {
	g := a.Shapes.Graph
	rep, err := cost.Analyze(a.Model, nil, exec.EvalNode)
	if err != nil {
		return nil, err
	}
	r := &resourcePolys{macs: newPoly(), params: newPoly()}
	counted := map[string]bool{}
	for i, n := range g.Order() {
		m, err := a.nodeMACs(n, rep.Layers[i].MACs)
		if err != nil {
			return nil, fmt.Errorf("qcqp: node %s: %w", graph.NodeLabel(n), err)
		}
		r.macs.add(m)
		for k, in := range n.Input {
			t := g.Initializer(in)
			if in == "" || counted[in] || t == nil || !isFloat(t.DataType) && !quantParam(n.OpType, k) {
				continue
			}
			counted[in] = true
			e, err := a.elements(in)
			if err != nil {
				return nil, err
			}
			r.params.add(e)
		}
	}
	if err := a.liveBytes(r); err != nil {
		return nil, err
	}
	return r, nil
}

func isFloat(dt onnx.DataType) bool {
	switch dt {
	case onnx.Float, onnx.Double, onnx.Float16, onnx.BFloat16,
		onnx.Float8E4M3FN, onnx.Float8E4M3FNUZ, onnx.Float8E5M2, onnx.Float8E5M2FNUZ:
		return true
	}
	return false
}

// quantParam reports whether input i of an op is an integer parameter
// that core/cost counts (a quantized weight); such ops are frozen.
func quantParam(opType string, i int) bool {
	switch opType {
	case "DequantizeLinear":
		return i == 0
	case "ConvInteger", "MatMulInteger":
		return i == 1
	case "QLinearConv":
		return i == 3 || i == 8
	case "QLinearMatMul":
		return i == 3
	}
	return false
}

// dim is the size of axis of the tensor name, as a polynomial.
func (a *Analysis) dim(name string, axis int) poly {
	if ct := a.axes[name][axis]; ct != nil {
		return a.width1(ct)
	}
	if ct := a.chans[name]; ct != nil && axis == 1 {
		return a.width1(ct)
	}
	return constPoly(float64(a.Shapes.Dims(name)[axis]))
}

// width1 is the width of ct as a linear polynomial in the counts.
func (a *Analysis) width1(ct *chanTensor) poly {
	p := newPoly()
	for _, s := range ct.segs {
		p.addLin(a.mapOf(s), float64(ct.inner))
	}
	return p
}

// elements is the element count of a tensor as a polynomial.
func (a *Analysis) elements(name string) (poly, error) {
	p := constPoly(1)
	for axis := range a.Shapes.Dims(name) {
		var err error
		if p, err = p.mul(a.dim(name, axis)); err != nil {
			return poly{}, fmt.Errorf("qcqp: %s: %w", name, err)
		}
	}
	return p, nil
}

// nodeMACs follows core/cost's nodeMACs; measured is the figure core/cost
// gave the unpruned node, used for ops whose maps are all frozen.
func (a *Analysis) nodeMACs(n *onnx.Node, measured int64) (poly, error) {
	if measured == 0 {
		return newPoly(), nil
	}
	var p poly
	var err error
	switch n.OpType {
	case "Conv":
		if p, err = a.elements(n.Output[0]); err != nil {
			return p, err
		}
		k := 1
		for _, d := range a.Shapes.Dims(n.Input[1])[2:] {
			k *= d
		}
		if p, err = p.mul(a.dim(n.Input[1], 1)); err != nil {
			return p, err
		}
		p = p.scaled(float64(k))
	case "Gemm":
		if p, err = a.elements(n.Output[0]); err != nil {
			return p, err
		}
		axis := 1
		if n.AttrInt("transA", 0) != 0 {
			axis = 0
		}
		p, err = p.mul(a.dim(n.Input[0], axis))
	case "MatMul":
		if p, err = a.elements(n.Output[0]); err != nil {
			return p, err
		}
		p, err = p.mul(a.dim(n.Input[0], len(a.Shapes.Dims(n.Input[0]))-1))
	default:
		return constPoly(float64(measured)), nil
	}
	return p, err
}

// liveBytes prices core/cost's activation schedule (cost.Liveness) with
// polynomials: the bytes alive while each node runs, so that the memory
// constraint counts exactly what core/cost measures on the written file.
func (a *Analysis) liveBytes(r *resourcePolys) error {
	g, s := a.Shapes.Graph, a.Shapes
	order := g.Order()
	bytes := func(name string) (poly, error) {
		v := s.Of(name)
		bits := int64(32)
		if b := onnx.DataType(v.DType).ElementBits(); b > 0 {
			bits = int64(b)
		}
		e, err := a.elements(name)
		if err != nil {
			return e, err
		}
		if e.constant() {
			return constPoly(float64((int64(e.c)*bits + 7) / 8)), nil
		}
		if bits%8 != 0 {
			return e, fmt.Errorf("qcqp: %s holds %d-bit values, whose size is not linear in its channels", name, bits)
		}
		return e.scaled(float64(bits / 8)), nil
	}
	sched := cost.NewLiveness(g, s)
	live := newPoly()
	add := func(names []string, sign float64) error {
		for _, name := range names {
			b, err := bytes(name)
			if err != nil {
				return err
			}
			live.add(b.scaled(sign))
		}
		return nil
	}
	if err := add(sched.Initial, 1); err != nil {
		return err
	}
	for step, n := range order {
		if err := add(sched.Born[step], 1); err != nil {
			return err
		}
		r.live = append(r.live, live.clone())
		r.steps = append(r.steps, graph.NodeLabel(n))
		if err := add(sched.Dies[step], -1); err != nil {
			return err
		}
	}
	if len(r.live) == 0 {
		r.live = append(r.live, live.clone())
		r.steps = append(r.steps, "start")
	}
	return nil
}

// poly is a polynomial of degree at most 2 in the maps' counts.
type poly struct {
	c    float64
	lin  map[int]float64
	quad map[[2]int]float64
}

func newPoly() poly                     { return poly{lin: map[int]float64{}, quad: map[[2]int]float64{}} }
func constPoly(c float64) poly          { p := newPoly(); p.c = c; return p }
func (p *poly) addLin(m int, c float64) { p.lin[m] += c }
func (p poly) constant() bool           { return len(p.lin) == 0 && len(p.quad) == 0 }

func (p *poly) add(q poly) {
	p.c += q.c
	for m, c := range q.lin {
		p.lin[m] += c
	}
	for k, c := range q.quad {
		p.quad[k] += c
	}
}

func (p poly) clone() poly {
	q := constPoly(p.c)
	q.add(poly{lin: p.lin, quad: p.quad})
	return q
}

func (p poly) scaled(f float64) poly {
	q := constPoly(p.c * f)
	for m, c := range p.lin {
		q.lin[m] = c * f
	}
	for k, c := range p.quad {
		q.quad[k] = c * f
	}
	return q
}

func (p poly) degree() int {
	switch {
	case len(p.quad) > 0:
		return 2
	case len(p.lin) > 0:
		return 1
	}
	return 0
}

// mul multiplies; the product must stay quadratic.
func (p poly) mul(q poly) (poly, error) {
	if p.degree()+q.degree() > 2 {
		return poly{}, fmt.Errorf("a resource is of degree %d in the channel counts", p.degree()+q.degree())
	}
	r := constPoly(p.c * q.c)
	for m, c := range p.lin {
		r.lin[m] += c * q.c
	}
	for m, c := range q.lin {
		r.lin[m] += c * p.c
	}
	for k, c := range p.quad {
		r.quad[k] += c * q.c
	}
	for k, c := range q.quad {
		r.quad[k] += c * p.c
	}
	for x, cx := range p.lin {
		for y, cy := range q.lin {
			r.quad[[2]int{min(x, y), max(x, y)}] += cx * cy
		}
	}
	return r, nil
}

func (p poly) eval(n []int) float64 {
	s := p.c
	for m, c := range p.lin {
		s += c * float64(n[m])
	}
	for k, c := range p.quad {
		s += c * float64(n[k[0]]) * float64(n[k[1]])
	}
	return s
}

// constraint writes p <= limit with its terms in a fixed order.
func (p poly) constraint(name string, limit float64) Constraint {
	c := Constraint{Name: name, Const: p.c, Budget: limit}
	for m, v := range p.lin {
		if v != 0 {
			c.Terms = append(c.Terms, Term{A: m, B: -1, Coef: v})
		}
	}
	for k, v := range p.quad {
		if v != 0 {
			c.Terms = append(c.Terms, Term{A: k[0], B: k[1], Coef: v})
		}
	}
	slices.SortFunc(c.Terms, func(x, y Term) int {
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return c
}
