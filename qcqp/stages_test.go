package qcqp

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSolverStagesHaveText steps a solver in 1 ms slices on the ResNet-8
// shape, where every stage lasts several Steps, and checks that the
// stages come in order, each with words of its own: a stage added to the
// solver without them fails here instead of showing another's.
func TestSolverStagesHaveText(t *testing.T) {
	p := resnetCIFAR(rand.New(rand.NewPCG(8, 1)), 1, l1Importance, 0.3)
	s, err := NewSolver(p, Options{StepTime: time.Millisecond, TimeLimit: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{StageBound, StageIncumbent, StageSearch}
	var seen []string
	for !s.Done() {
		prog, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != prog.Stage {
			seen = append(seen, prog.Stage)
		}
	}
	for k, st := range seen {
		at := slices.Index(order, st)
		if at < 0 || (k > 0 && at < slices.Index(order, seen[k-1])) {
			t.Fatalf("stages %v: %q is unknown or out of order (want a subsequence of %v)", seen, st, order)
		}
	}
	if !slices.Equal(seen, order) {
		t.Fatalf("stages %v, want all of %v on this instance", seen, order)
	}
	texts := map[string]bool{}
	for _, st := range order {
		text := StageText(st)
		if text == "" || strings.HasPrefix(text, "Solver stage") || texts[text] {
			t.Fatalf("stage %q: text %q is missing or another stage's", st, text)
		}
		texts[text] = true
	}
	if got := StageText("pivot"); got != "Solver stage pivot" {
		t.Fatalf("an unknown stage reads %q", got)
	}
}
