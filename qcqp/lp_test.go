package qcqp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// runCBC solves the LP of p with CBC and returns its selection.
func runCBC(t *testing.T, cbc string, p *Problem, dir, name string) (*Selection, string) {
	t.Helper()
	lp := filepath.Join(dir, name+".lp")
	f, err := os.Create(lp)
	if err != nil {
		t.Fatal(err)
	}
	if err := EmitLP(f, p); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sol := filepath.Join(dir, name+".sol")
	out, err := exec.Command(cbc, lp, "-threads", "0", "-sec", "120", "-ratioGap", "0", "-allowableGap", "1e-9", "-solve", "-solu", sol).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: cbc: %v\n%s", name, err, out)
	}
	fh, err := os.Open(sol)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s := &Selection{Keep: make([][]bool, len(p.Maps))}
	for m, mp := range p.Maps {
		s.Keep[m] = make([]bool, mp.Channels)
		if mp.Fixed {
			for i := range s.Keep[m] {
				s.Keep[m][i] = true
			}
		}
	}
	sc := bufio.NewScanner(fh)
	sc.Scan()
	status := sc.Text()
	for sc.Scan() {
		// "index name value reduced-cost"; unlisted variables are 0.
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || !strings.HasPrefix(fields[1], "x") {
			continue
		}
		var m, i int
		if _, err := fmt.Sscanf(fields[1], "x%d_%d", &m, &i); err != nil {
			t.Fatalf("%s: solution line %q: %v", name, sc.Text(), err)
		}
		v, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		s.Keep[m][i] = v > 0.5
	}
	return s, status
}

// TestSolverAgreesWithCBC certifies the solver's optima with an external
// MILP solver on EmitLP's program: small random networks, and an
// mnist-8-shaped one at three budgets.
func TestSolverAgreesWithCBC(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("CBC runs as a process of its own, which a GOOS=js test cannot start; the native run certifies the solver's optima with it")
	}
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		t.Skip("cbc is not installed (Debian: apt-get install coinor-cbc); the solver's optima are not certified by CBC in this run")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 5))
	type instance struct {
		name string
		p    *Problem
	}
	var cases []instance
	for k := 0; len(cases) < 24; k++ {
		// Draws whose budgets cannot be met are left out (the brute-force
		// test covers infeasibility).
		p := randomSmall(r, 16)
		if err := p.CheckReachable(); err == nil {
			cases = append(cases, instance{fmt.Sprintf("random%d", k), p})
		}
	}
	for _, frac := range []float64{0.3, 0.5, 0.7} {
		cases = append(cases, instance{fmt.Sprintf("mnist8-%v", frac), mnist8Shaped(rand.New(rand.NewPCG(8, 8)), frac)})
	}
	// Floors (Map.Min) reach the program as each map's least count.
	for k := 0; len(cases) < 35; k++ {
		p := randomSmall(r, 16)
		withRandomFloors(r, p)
		if p.hasFloors() && p.CheckReachable() == nil {
			cases = append(cases, instance{fmt.Sprintf("floors%d", k), p})
		}
	}
	floored := mnist8Shaped(rand.New(rand.NewPCG(8, 8)), 0.5)
	if err := floored.SetMinKeep(0.4); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, instance{"mnist8-0.5-floor40", floored})
	agreed := 0
	for _, c := range cases {
		res, err := Solve(context.Background(), c.p, Options{})
		if errors.Is(err, ErrInfeasible) {
			// Budgets that pass the quick check but that no selection
			// meets: CBC must find none either.
			if _, status := runCBC(t, cbc, c.p, dir, c.name); !strings.Contains(status, "nfeasible") {
				t.Fatalf("%s: solver says %v, CBC %q", c.name, err, status)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !res.Optimal() {
			t.Fatalf("%s: not proven optimal: %+v", c.name, res)
		}
		sel, status := runCBC(t, cbc, c.p, dir, c.name)
		if !strings.HasPrefix(status, "Optimal") {
			t.Fatalf("%s: CBC status %q", c.name, status)
		}
		if err := c.p.Feasible(sel); err != nil {
			t.Fatalf("%s: CBC's selection: %v", c.name, err)
		}
		got := c.p.Objective(sel)
		if math.Abs(got-res.Objective) > 1e-6*math.Max(1, math.Abs(got)) {
			t.Fatalf("%s: CBC optimum %.9f, solver %.9f", c.name, got, res.Objective)
		}
		// A search stopped before it started still bounds CBC's optimum.
		early, err := stoppedAtOnce(t, c.p)
		if err != nil {
			t.Fatalf("%s: stopped at once: %v", c.name, err)
		}
		checkEarly(t, c.name+" stopped at once", c.p, early, got)
		if b := countBoundOf(c.p); b < got-1e-6*math.Max(1, math.Abs(got)) {
			t.Fatalf("%s: count-level bound %.9f below CBC's optimum %.9f", c.name, b, got)
		}
		// The LP's own objective is the problem's (constant included).
		var lpObj float64
		if _, err := fmt.Sscanf(status[strings.LastIndex(status, " ")+1:], "%g", &lpObj); err != nil || math.Abs(lpObj-got) > 1e-6*math.Max(1, math.Abs(got)) {
			t.Fatalf("%s: CBC reports objective %q, its selection is worth %.9f", c.name, status, got)
		}
		agreed++
	}
	t.Logf("%d of %d instances: the solver's optimum equals CBC's", agreed, len(cases))
}

// A program past MaxLPProducts is refused before anything is written.
func TestEmitLPRefusesHugePrograms(t *testing.T) {
	const c = 1001 // 1001 x 1001 products in one layer
	p := &Problem{
		Maps:   []Map{{Name: "a", Channels: c}, {Name: "b", Channels: c}},
		Layers: []Layer{{Name: "big", In: []int{0}, Out: 1, Importance: make([]float64, c*c)}},
	}
	for i := range p.Layers[0].Importance {
		p.Layers[0].Importance[i] = 1
	}
	var buf strings.Builder
	err := EmitLP(&buf, p)
	if err == nil || !strings.Contains(err.Error(), "channel products") || buf.Len() != 0 {
		t.Fatalf("error %v, %d bytes written", err, buf.Len())
	}
}
