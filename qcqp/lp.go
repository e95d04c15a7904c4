package qcqp

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// EmitLP writes p as a 0/1 mixed-integer linear program in CPLEX LP
// format, so that an external MILP solver (CBC: `cbc FILE -solve
// -solu OUT`) can certify the solver's optimum (QCQP-SOLVER.md 2.1, F1).
//
// Variables: x<m>_<i> is channel i of free map m (problem map index);
// z<a>_<i>_<b>_<j> stands for the product x<a>_<i> * x<b>_<j>, linearised
// by McCormick's inequalities z <= x, z <= y, z >= x + y - 1, which make
// it exact on 0/1 points. Products appear where the objective has a
// weight or a constraint has a count-by-count term (n_a * n_b is the sum
// of all the channel products of a and b; n_a^2 is n_a plus twice the
// products of distinct channels). The objective's constant (weights
// between fixed maps) rides on a variable fixed to 1, so the LP optimum
// equals Problem.Objective.
func EmitLP(w io.Writer, p *Problem) error {
	if err := p.Validate(); err != nil {
		return err
	}
	md := compile(p)
	if n := lpProducts(md); n > MaxLPProducts {
		return fmt.Errorf("qcqp: the linearised program would have about %d channel products, more than %d (three rows each): no MILP solver proves a program that large; write it for networks of a few hundred channels", n, MaxLPProducts)
	}
	e := &lpWriter{w: bufio.NewWriter(w), md: md, products: map[[4]int]bool{}, row: map[string]float64{}}
	e.printf("\\ Pare channel selection: %d maps (%d free), %d layers, %d constraints\n", len(p.Maps), len(md.free), len(p.Layers), len(p.Constraints))
	e.printf("Maximize\n obj:")
	e.term(md.konst, "one")
	for m := range md.free {
		for i, v := range md.lin[m] {
			e.term(v, e.x(m, i))
		}
	}
	for b := range md.blocks {
		bl := &md.blocks[b]
		cols := md.size[bl.c]
		for j := range md.size[bl.r] {
			for i := range cols {
				v := bl.q[j*cols+i]
				if v == 0 || (bl.self && i == j) {
					continue
				}
				e.term(v, e.z(bl.r, j, bl.c, i))
			}
		}
	}
	e.end()
	e.printf("Subject To\n")
	for c := range md.cons {
		cp := &md.cons[c]
		e.printf(" %s:", lpName("c"+strconv.Itoa(c)+"_"+cp.name))
		for m, coef := range cp.lin {
			for i := range md.size[m] {
				e.term(coef, e.x(m, i))
			}
		}
		for _, t := range cp.quad {
			for j := range md.size[t.a] {
				if t.a == t.b {
					e.term(t.coef, e.x(t.a, j))
					for i := j + 1; i < md.size[t.a]; i++ {
						e.term(2*t.coef, e.z(t.a, j, t.a, i))
					}
					continue
				}
				for i := range md.size[t.b] {
					e.term(t.coef, e.z(t.a, j, t.b, i))
				}
			}
		}
		e.finish(" <= " + fnum(cp.budget-cp.c0))
	}
	for m := range md.free {
		e.printf(" keep%d:", md.free[m])
		for i := range md.size[m] {
			e.term(1, e.x(m, i))
		}
		e.finish(" >= " + strconv.Itoa(md.floor[m]))
	}
	k := 0
	for key := range e.productsInOrder() {
		a, i, b, j := key[0], key[1], key[2], key[3]
		z, x, y := e.z(a, i, b, j), e.x(a, i), e.x(b, j)
		e.printf(" mc%d_a: %s - %s <= 0\n mc%d_b: %s - %s <= 0\n mc%d_c: %s - %s - %s >= -1\n", k, z, x, k, z, y, k, z, x, y)
		k++
	}
	e.printf("Bounds\n one = 1\n")
	for key := range e.productsInOrder() {
		e.printf(" 0 <= %s <= 1\n", e.z(key[0], key[1], key[2], key[3]))
	}
	e.printf("Binaries\n")
	for m := range md.free {
		for i := range md.size[m] {
			e.printf(" %s\n", e.x(m, i))
		}
	}
	e.printf("End\n")
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// lpWriter accumulates one LP file; the first write error sticks.
type lpWriter struct {
	w        *bufio.Writer
	md       *model
	err      error
	n        int // terms on the current line
	products map[[4]int]bool
	order    [][4]int
	row      map[string]float64
	rowOrder []string
}

func (e *lpWriter) printf(f string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, f, a...)
	}
}

// term appends coef*name to the expression being written, wrapping lines
// (LP readers limit line length).
func (e *lpWriter) term(coef float64, name string) {
	if _, seen := e.row[name]; !seen {
		e.rowOrder = append(e.rowOrder, name)
	}
	e.row[name] += coef
}

// flush writes the terms gathered for the current row (coefficients of
// one variable summed, as LP readers want each variable once per row).
func (e *lpWriter) flush() {
	for _, name := range e.rowOrder {
		e.write(e.row[name], name)
	}
	clear(e.row)
	e.rowOrder = e.rowOrder[:0]
}

func (e *lpWriter) write(coef float64, name string) {
	if coef == 0 {
		return
	}
	sign := "+"
	if coef < 0 {
		sign, coef = "-", -coef
	}
	if e.n > 0 && e.n%6 == 0 {
		e.printf("\n  ")
	}
	e.printf(" %s %s %s", sign, fnum(coef), name)
	e.n++
}

// finish ends an expression with its sense and right-hand side (an empty
// expression gets a zero term so that the row stays well formed).
func (e *lpWriter) finish(rhs string) {
	e.flush()
	if e.n == 0 {
		e.printf(" 0 one")
	}
	e.printf("%s\n", rhs)
	e.n = 0
}

func (e *lpWriter) end() { e.finish("") }

func (e *lpWriter) x(m, i int) string {
	return "x" + strconv.Itoa(e.md.free[m]) + "_" + strconv.Itoa(i)
}

// z names the product of channel i of free map a and channel j of free
// map b, in a canonical order, and records it for the McCormick rows.
func (e *lpWriter) z(a, i, b, j int) string {
	if a > b || (a == b && i > j) {
		a, i, b, j = b, j, a, i
	}
	key := [4]int{a, i, b, j}
	if !e.products[key] {
		e.products[key] = true
		e.order = append(e.order, key)
	}
	return "z" + strconv.Itoa(e.md.free[a]) + "_" + strconv.Itoa(i) + "_" + strconv.Itoa(e.md.free[b]) + "_" + strconv.Itoa(j)
}

func (e *lpWriter) productsInOrder() func(func([4]int) bool) {
	return func(yield func([4]int) bool) {
		for _, k := range e.order {
			if !yield(k) {
				return
			}
		}
	}
}

// MaxLPProducts caps the product variables EmitLP writes: each takes
// three McCormick rows (about 150 bytes), so the cap keeps the file near
// 150 MB, far past what CBC solves (ResNet-8's 224 channels give about
// 20,000 products).
const MaxLPProducts = 1_000_000

// lpProducts is an upper bound on the products EmitLP would write: every
// block entry and every channel pair of a constraint's count products.
func lpProducts(md *model) int {
	n := 0
	for b := range md.blocks {
		n += len(md.blocks[b].q)
	}
	for c := range md.cons {
		for _, t := range md.cons[c].quad {
			n += md.size[t.a] * md.size[t.b]
		}
	}
	return n
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'g', 17, 64) }

// lpName keeps the characters LP format allows in a row name.
func lpName(s string) string {
	out := []byte(s)
	for k, c := range out {
		ok := c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			out[k] = '_'
		}
	}
	if len(out) > 200 {
		out = out[:200]
	}
	return string(out)
}
