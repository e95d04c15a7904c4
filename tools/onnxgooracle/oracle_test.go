//go:build !js

package onnxgooracle_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// Outcomes of one case.
const (
	statusPass         = "passed"
	statusFail         = "FAILED"
	statusOnnxGoCannot = "skipped: onnx-go cannot run it"
	statusPareCannot   = "skipped: Pare cannot run it"
	statusOnnxGoWrong  = "skipped: onnx-go disagrees with the ONNX reference, Pare meets it"
	statusNoInput      = "skipped: no usable input"
)

// Minimum number of conformance cases that must run through both
// runtimes, so the test cannot silently become empty: onnx-go v0.5.0
// runs about 110 of them, so falling under 50 means something broke.
const minConformanceCompared = 50

// coreOps are the CNN operators onnx-go can check: each must appear in at
// least one conformance case that ran through both runtimes. (onnx-go has
// no AveragePool, grouped Conv or ceil_mode pooling; those rest on the
// onnxruntime oracle in core/exec.)
var coreOps = []string{"Conv", "Gemm", "MatMul", "Relu", "MaxPool", "BatchNormalization",
	"Add", "Mul", "Reshape", "Flatten", "Concat", "GlobalAveragePool", "Softmax", "Transpose"}

type outcome struct {
	c      oracleCase
	status string
	reason string
	worst  float64 // largest relative difference over the outputs, when compared
	ops    map[string]bool
}

// TestOnnxGoOracle runs every case through onnx-go (gorgonnx backend) and
// Pare's executor and fails when both ran and their outputs disagree.
func TestOnnxGoOracle(t *testing.T) {
	var cases []oracleCase
	cases = append(cases, sharedModelCases(t)...)
	cases = append(cases, fixtureCases(t)...)
	cases = append(cases, conformanceCases(t)...)
	if len(cases) == 0 {
		t.Skip("no models to compare: testdata/models and ../shared/assets are both absent")
	}
	var outcomes []outcome
	for _, c := range cases {
		t.Run(c.group+"/"+c.name, func(t *testing.T) {
			o := runCase(c)
			outcomes = append(outcomes, o)
			switch o.status {
			case statusPass:
				t.Logf("agree: worst relative difference %.3g", o.worst)
			case statusFail:
				t.Errorf("Pare and onnx-go disagree: %s", o.reason)
			default:
				t.Skipf("%s: %s", o.status, o.reason)
			}
		})
	}
	t.Log("\n" + summaryTable(outcomes))

	compared := map[string]bool{}
	comparedOps := map[string]bool{}
	conformance := 0
	for _, o := range outcomes {
		if o.status == statusPass || o.status == statusFail {
			compared[o.c.group+"/"+o.c.name] = true
			if o.c.refs != nil {
				conformance++
				for op := range o.ops {
					comparedOps[op] = true
				}
			}
		}
	}
	if _, present := testassets.Lookup(sharedModels); present && !compared["model/mnist-8"] {
		t.Errorf("mnist-8 did not run through both runtimes: the oracle lost its main model (see its row above)")
	}
	_, conformancePresent := testassets.Lookup(sharedConformance)
	if conformancePresent && conformance < minConformanceCompared {
		t.Errorf("only %d conformance cases ran through both runtimes, want at least %d: the oracle has gone nearly empty", conformance, minConformanceCompared)
	}
	if conformancePresent {
		for _, op := range coreOps {
			if !comparedOps[op] {
				t.Errorf("no conformance case with %s ran through both runtimes: onnx-go no longer checks it", op)
			}
		}
	}
}

// runCase runs c through onnx-go first (it refuses most cases, cheaply),
// then through Pare, and compares.
func runCase(c oracleCase) outcome {
	o := outcome{c: c}
	set := func(status, format string, a ...any) outcome {
		o.status, o.reason = status, fmt.Sprintf(format, a...)
		return o
	}
	b, err := os.ReadFile(c.model)
	if err != nil {
		return set(statusFail, "reading model: %v", err)
	}
	m, err := onnx.Decode(b)
	if err != nil {
		return set(statusPareCannot, "decode: %v", err)
	}
	o.ops = map[string]bool{}
	for _, n := range m.Graph.Node {
		o.ops[n.OpType] = true
	}
	inputs, err := caseInputs(c, m)
	if err != nil {
		return set(statusNoInput, "%v", err)
	}
	theirs, err := runOnnxGo(c.model, inputs)
	if err != nil {
		return set(statusOnnxGoCannot, "%s", strings.TrimPrefix(err.Error(), errOnnxGo.Error()+": "))
	}
	s, err := exec.NewSession(m)
	if err != nil {
		return set(statusPareCannot, "%v", err)
	}
	feed := map[string]*tensor.Tensor{}
	for _, in := range inputs {
		feed[in.name] = in.t
	}
	got, err := s.Run(feed)
	if err != nil {
		return set(statusPareCannot, "Run: %v", err)
	}
	names := s.OutputNames()
	if len(theirs) != len(names) {
		return set(statusOnnxGoCannot, "returned %d outputs for %d graph outputs", len(theirs), len(names))
	}
	var disagreements, notes []string
	for i, name := range names {
		d := compareOutputs(got[name], theirs[i])
		if d.problem == "" {
			o.worst = max(o.worst, d.relative())
		}
		if !slices.Equal(got[name].Shape, theirs[i].Shape) {
			// onnx-go is loose about shapes (it drops or merges axes), so
			// a differing shape only fails when the reference says Pare's
			// is wrong too.
			if ref := referenceShape(c, i); ref != nil && !slices.Equal(ref, got[name].Shape) {
				disagreements = append(disagreements, fmt.Sprintf("output %q: Pare shape %v, onnx-go %v, reference %v", name, got[name].Shape, theirs[i].Shape, ref))
			}
			notes = append(notes, fmt.Sprintf("output %q: onnx-go shape %v, Pare %v", name, theirs[i].Shape, got[name].Shape))
		}
		if !d.agrees() {
			disagreements = append(disagreements, fmt.Sprintf("output %q: %s", name, d))
		}
	}
	if len(disagreements) == 0 {
		return set(statusPass, "%s", strings.Join(notes, "; "))
	}
	if who := blameByReference(c, names, got, theirs); who != "" {
		return set(statusOnnxGoWrong, "%s (%s)", strings.Join(disagreements, "; "), who)
	}
	return set(statusFail, "%s", strings.Join(disagreements, "; "))
}

// blameByReference returns a note when the case ships reference outputs
// that Pare meets and onnx-go does not: then the disagreement is
// onnx-go's error and not a Pare failure. It returns "" otherwise.
func blameByReference(c oracleCase, names []string, pare map[string]*tensor.Tensor, theirs []*tensor.Tensor) string {
	if len(c.refs) != len(names) {
		return ""
	}
	onnxGoMisses := false
	for i, p := range c.refs {
		want, err := readTensorFile(p)
		if err != nil || !matchesReference(pare[names[i]], want) {
			return ""
		}
		if !matchesReference(theirs[i], want) {
			onnxGoMisses = true
		}
	}
	if !onnxGoMisses {
		return ""
	}
	return "Pare matches the ONNX reference output, onnx-go does not"
}

// referenceShape returns the shape of reference output i, or nil when
// the case has none.
func referenceShape(c oracleCase, i int) []int {
	if i >= len(c.refs) {
		return nil
	}
	t, err := readTensorFile(c.refs[i])
	if err != nil {
		return nil
	}
	if t.Shape == nil {
		return []int{}
	}
	return t.Shape
}

// summaryTable counts outcomes per group and lists every case that did
// not pass, grouped by status and reason.
func summaryTable(outcomes []outcome) string {
	var sb strings.Builder
	statuses := []string{statusPass, statusFail, statusOnnxGoCannot, statusPareCannot, statusOnnxGoWrong, statusNoInput}
	short := map[string]string{statusPass: "passed", statusFail: "failed", statusOnnxGoCannot: "onnx-go cannot",
		statusPareCannot: "Pare cannot", statusOnnxGoWrong: "onnx-go wrong", statusNoInput: "no input"}
	var groups []string
	counts := map[string]map[string]int{}
	for _, o := range outcomes {
		if counts[o.c.group] == nil {
			counts[o.c.group] = map[string]int{}
			groups = append(groups, o.c.group)
		}
		counts[o.c.group][o.status]++
	}
	fmt.Fprintln(&sb, "onnx-go (gorgonnx) vs Pare:")
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "group\t")
	for _, s := range statuses {
		fmt.Fprintf(w, "%s\t", short[s])
	}
	fmt.Fprintln(w, "total\t")
	totals := map[string]int{}
	for _, g := range append(groups, "all") {
		fmt.Fprintf(w, "%s\t", g)
		n := 0
		for _, s := range statuses {
			k := counts[g][s]
			if g == "all" {
				k = totals[s]
			} else {
				totals[s] += k
			}
			n += k
			fmt.Fprintf(w, "%d\t", k)
		}
		fmt.Fprintf(w, "%d\t\n", n)
	}
	w.Flush()

	fmt.Fprintln(&sb, "\nran through both and agree (worst relative difference):")
	for _, o := range outcomes {
		if o.status == statusPass {
			note := ""
			if o.reason != "" {
				note = "  [" + o.reason + "]"
			}
			fmt.Fprintf(&sb, "  %-24s %-60s %.2g%s\n", o.c.group, o.c.name, o.worst, note)
		}
	}
	for _, s := range statuses[1:] {
		byReason := map[string][]string{}
		for _, o := range outcomes {
			if o.status == s {
				r := reasonKey(o.reason)
				byReason[r] = append(byReason[r], o.c.group+"/"+o.c.name)
			}
		}
		if len(byReason) == 0 {
			continue
		}
		reasons := make([]string, 0, len(byReason))
		for r := range byReason {
			reasons = append(reasons, r)
		}
		sort.Slice(reasons, func(i, j int) bool {
			if len(byReason[reasons[i]]) != len(byReason[reasons[j]]) {
				return len(byReason[reasons[i]]) > len(byReason[reasons[j]])
			}
			return reasons[i] < reasons[j]
		})
		fmt.Fprintf(&sb, "\n%s:\n", s)
		for _, r := range reasons {
			fmt.Fprintf(&sb, "  %3d  %s: %s\n", len(byReason[r]), r, strings.Join(byReason[r], " "))
		}
	}
	return sb.String()
}

// reasonKey shortens a reason for grouping: the first line, capped, so
// cases refused for the same cause land in one row.
func reasonKey(reason string) string {
	if i := strings.IndexByte(reason, '\n'); i >= 0 {
		reason = reason[:i]
	}
	const limit = 160
	if len(reason) > limit {
		reason = reason[:limit] + "..."
	}
	return reason
}
