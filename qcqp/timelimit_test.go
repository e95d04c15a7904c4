package qcqp

import (
	"testing"
	"time"
)

// TestTimeLimitHoldsWithManyConstraints: a memory budget is one
// constraint per graph node, which once made a single leaf solve of the
// incumbent search run for minutes past a 2 s limit. The limit must hold
// (within a generous margin for a loaded machine) and the answer be
// feasible.
func TestTimeLimitHoldsWithManyConstraints(t *testing.T) {
	m := loadPruneModel(t, "resnet20_cifar")
	a := analyze(t, m)
	layers, err := a.Layers(NormL1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Problem(layers, []Budget{{Resource: Memory, Fraction: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Constraints) < 10 {
		t.Fatalf("memory budget gave %d constraints; the test wants many", len(p.Constraints))
	}
	start := time.Now()
	res, err := Solve(t.Context(), p, Options{TimeLimit: time.Second})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatal(err)
	}
	if took > 15*time.Second {
		t.Fatalf("a 1 s limit took %v", took)
	}
	t.Logf("%d constraints: %v, status %s, gap %.3g", len(p.Constraints), took, res.Status, res.Gap)
}
