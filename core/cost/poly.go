package cost

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Term is Coef * n[A] * n[B], where n holds the channel count of each
// group of a Channels analysis; an index below 0 stands for the factor 1,
// so {Coef: c, A: -1, B: -1} is the constant c and {Coef: c, A: g, B: -1}
// is linear in group g. The shape of qcqp.Term, for solvers.
type Term struct {
	Coef int64 `json:"coef"`
	A    int   `json:"a"`
	B    int   `json:"b"`
}

// Poly is a sum of terms: a cost as a function of channel counts, at most
// quadratic (MACs and weights of a layer grow with input times output
// channels).
type Poly []Term

// Eval returns the value of p at the channel counts n.
func (p Poly) Eval(n []int) int64 {
	var s int64
	for _, t := range p {
		v := t.Coef
		if t.A >= 0 {
			v *= int64(n[t.A])
		}
		if t.B >= 0 {
			v *= int64(n[t.B])
		}
		s += v
	}
	return s
}

// Constant returns the part of p that depends on no channel count.
func (p Poly) Constant() int64 {
	var s int64
	for _, t := range p {
		if t.A < 0 && t.B < 0 {
			s += t.Coef
		}
	}
	return s
}

// normalize merges terms over the same groups (A <= B, constants last
// written as A = B = -1) and drops zero coefficients, in a stable order.
func (p Poly) normalize() Poly {
	type key struct{ a, b int }
	sum := map[key]int64{}
	var order []key
	for _, t := range p {
		a, b := t.A, t.B
		if a < 0 {
			a, b = b, -1
		}
		if b >= 0 && b < a {
			a, b = b, a
		}
		k := key{a, b}
		if _, seen := sum[k]; !seen {
			order = append(order, k)
		}
		sum[k] += t.Coef
	}
	out := make(Poly, 0, len(order))
	for _, k := range order {
		if sum[k] != 0 {
			out = append(out, Term{Coef: sum[k], A: k.a, B: k.b})
		}
	}
	slices.SortStableFunc(out, func(x, y Term) int {
		if x.A != y.A {
			return x.A - y.A
		}
		return x.B - y.B
	})
	return out
}

// String writes p as a sum such as "9*n[0]*n[1] + 4*n[1] + 10".
func (p Poly) String() string {
	if len(p) == 0 {
		return "0"
	}
	var b strings.Builder
	for i, t := range p {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(strconv.FormatInt(t.Coef, 10))
		for _, g := range []int{t.A, t.B} {
			if g >= 0 {
				fmt.Fprintf(&b, "*n[%d]", g)
			}
		}
	}
	return b.String()
}
