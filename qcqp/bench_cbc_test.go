package qcqp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkResNetCBC gives CBC the programs EmitLP writes for
// BenchmarkResNet's instances (the same networks, importance and budgets)
// with the same limit (PARE_QCQP_LIMIT, default 10s, as CBC's -sec) and
// reports its CPU seconds, its incumbent, its bound and their gap, so
// that one run shows both solvers on one problem:
//
//	go test ./qcqp/ -run '^$' -bench '^BenchmarkResNet(CBC)?$' -benchtime 1x -v
//
// It needs cbc (Debian coinor-cbc) and a native build: a GOOS=js test
// cannot start a process.
func BenchmarkResNetCBC(b *testing.B) {
	if runtime.GOOS == "js" {
		b.Skip("CBC runs as a process of its own, which a GOOS=js benchmark cannot start")
	}
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		b.Skip("cbc is not installed (Debian: apt-get install coinor-cbc)")
	}
	limit := benchLimit(b)
	for _, depth := range resnetBenchDepths {
		for _, kind := range []importanceKind{uniformImportance, l1Importance} {
			for _, frac := range []float64{0.3, 0.5, 0.7} {
				name := fmt.Sprintf("resnet%d/%s/%v", depth, kindName(kind), frac)
				b.Run(name, func(b *testing.B) {
					p := resnetCIFAR(rand.New(rand.NewPCG(uint64(depth), 1)), (depth-2)/6, kind, frac)
					lp := filepath.Join(b.TempDir(), "p.lp")
					f, err := os.Create(lp)
					if err != nil {
						b.Fatal(err)
					}
					if err := EmitLP(f, p); err != nil {
						b.Fatal(err)
					}
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
					for b.Loop() {
						cmd := exec.Command(cbc, lp, "-threads", "0", "-sec", strconv.FormatFloat(limit.Seconds(), 'f', -1, 64),
							"-ratioGap", "0", "-allowableGap", "1e-9", "-solve")
						out, err := cmd.CombinedOutput()
						if err != nil {
							b.Fatalf("cbc: %v\n%s", err, out)
						}
						r, err := parseCBC(string(out))
						if err != nil {
							b.Fatal(err)
						}
						cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
						b.ReportMetric(cpu.Seconds(), "cpu-s")
						b.ReportMetric(100*r.gap(), "gap%")
						if testing.Verbose() {
							b.Logf("%s: CBC %s in %.2f cpu-s: objective %.6f bound %.6f gap %.4f%%", name, r.status, cpu.Seconds(), r.objective, r.bound, 100*r.gap())
						}
					}
				})
			}
		}
	}
}

// cbcResult is what CBC's summary says of a maximisation.
type cbcResult struct {
	status           string // "optimal" or CBC's own words ("Stopped on time limit")
	objective, bound float64
	// found is false when CBC stopped without a feasible selection
	// (objective is then NaN).
	found bool
}

// gap is (bound - objective) / bound, as Result.Gap; 1 (100 %) without a
// feasible selection.
func (r cbcResult) gap() float64 {
	switch {
	case r.status == "optimal":
		return 0
	case !r.found:
		return 1
	}
	return (r.bound - r.objective) / r.bound
}

var (
	cbcStatus    = regexp.MustCompile(`(?m)^Result - (.+)$`)
	cbcObjective = regexp.MustCompile(`(?m)^Objective value:\s+(\S+)`)
	cbcBound     = regexp.MustCompile(`(?m)^Upper bound:\s+(\S+)`)
)

// parseCBC reads the summary CBC 2.10 prints at the end of -solve.
func parseCBC(out string) (cbcResult, error) {
	var r cbcResult
	st := cbcStatus.FindStringSubmatch(out)
	if st == nil {
		return r, fmt.Errorf("cbc printed no result summary:\n%s", out)
	}
	r.status = st[1]
	var err error
	obj := cbcObjective.FindStringSubmatch(out)
	if obj == nil {
		if !strings.Contains(out, "No feasible solution found") {
			return r, fmt.Errorf("cbc printed neither an objective nor that it found none:\n%s", out)
		}
		r.objective = math.NaN()
		ub := cbcBound.FindStringSubmatch(out)
		if ub == nil {
			return r, fmt.Errorf("cbc stopped (%s) without a solution or an upper bound:\n%s", r.status, out)
		}
		r.bound, err = strconv.ParseFloat(ub[1], 64)
		return r, err
	}
	r.found = true
	if r.objective, err = strconv.ParseFloat(obj[1], 64); err != nil {
		return r, fmt.Errorf("cbc objective %q: %v", obj[1], err)
	}
	r.bound = r.objective
	if r.status == "Optimal solution found" {
		r.status = "optimal"
		return r, nil
	}
	ub := cbcBound.FindStringSubmatch(out)
	if ub == nil {
		return r, fmt.Errorf("cbc stopped (%s) without an upper bound:\n%s", r.status, out)
	}
	if r.bound, err = strconv.ParseFloat(ub[1], 64); err != nil {
		return r, fmt.Errorf("cbc upper bound %q: %v", ub[1], err)
	}
	return r, nil
}

// TestParseCBC reads the two summaries CBC 2.10 prints.
func TestParseCBC(t *testing.T) {
	stopped := "Cbc0020I Exiting on maximum time\n\nResult - Stopped on time limit\n\nObjective value:                202.34632919\nUpper bound:                    209.074\nGap:                            -0.03\n"
	r, err := parseCBC(stopped)
	if err != nil || r.status != "Stopped on time limit" || r.objective != 202.34632919 || r.bound != 209.074 {
		t.Fatalf("stopped: %+v, %v", r, err)
	}
	if g := r.gap(); g < 0.0321 || g > 0.0322 {
		t.Errorf("gap %v, want (209.074-202.346)/209.074", g)
	}
	r, err = parseCBC("Result - Optimal solution found\n\nObjective value:                207.58069700\nEnumerated nodes: 12\n")
	if err != nil || r.status != "optimal" || r.objective != 207.580697 || r.gap() != 0 {
		t.Fatalf("optimal: %+v, %v", r, err)
	}
	r, err = parseCBC("Result - Stopped on time limit\n\nNo feasible solution found\nUpper bound:                    370.350\n")
	if err != nil || r.found || !math.IsNaN(r.objective) || r.bound != 370.35 || r.gap() != 1 {
		t.Fatalf("no solution: %+v, %v", r, err)
	}
	if _, err := parseCBC("Segmentation fault\n"); err == nil {
		t.Error("a run without a summary was read")
	}
}
