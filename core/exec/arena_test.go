package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// denseChain is DenseNet's memory pattern in small: each layer
// concatenates a one-channel map computed from everything so far to it,
// so every Concat output has a new, larger size, and the free buffers of
// a free-list pool pile up (a freed map is always too small for the next).
// x is N x 4 x 8 x 8 with N symbolic.
func denseChain(layers int) *onnx.Model {
	var nodes []*onnx.Node
	prev := "x"
	for i := 0; i < layers; i++ {
		mean, grow, cat := fmt.Sprintf("m%d", i), fmt.Sprintf("g%d", i), fmt.Sprintf("c%d", i)
		nodes = append(nodes,
			mkNode("ReduceMean", "", []string{prev}, []string{mean}, attrInts("axes", 1), attrInt("keepdims", 1)),
			mkNode("Relu", "", []string{mean}, []string{grow}),
			mkNode("Concat", "", []string{prev, grow}, []string{cat}, attrInt("axis", 1)))
		prev = cat
	}
	nodes = append(nodes, mkNode("Sigmoid", "", []string{prev}, []string{"y"}))
	return testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, -1, 4, 8, 8)}, []string{"y"}, nil, nodes...)
}

func randomInput(rng *rand.Rand, shape ...int) map[string]*tensor.Tensor {
	x := tensor.New(tensor.Float32, shape)
	for i := range x.F32 {
		x.F32[i] = rng.Float32()*2 - 1
	}
	return map[string]*tensor.Tensor{"x": x}
}

// TestPlannedArenaStaysNearPeak: once a run has been traced, the pool
// keeps one arena about the size of the peak live activations, where
// free buffers of every Concat's size added up to several times that, and
// later runs allocate nothing but their output.
func TestPlannedArenaStaysNearPeak(t *testing.T) {
	s, err := NewSession(denseChain(16))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	out := int64((4 + 16) * 8 * 8 * 4)
	for run := 0; run < 3; run++ {
		if _, err := s.Run(randomInput(rng, 1, 4, 8, 8)); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		// The live set of the plan excludes the output, which the
		// caller owns; the alignment of 16 floats adds at most 64 bytes
		// a buffer.
		if limit := st.PeakLiveBytes*11/10 + 3*64; st.PooledBytes > limit {
			t.Errorf("run %d: the pool keeps %d bytes for %d of peak live activations (limit %d)", run, st.PooledBytes, st.PeakLiveBytes, limit)
		}
		if run > 0 && st.AllocatedBytes > out {
			t.Errorf("run %d: allocated %d bytes, want only the output's %d", run, st.AllocatedBytes, out)
		}
	}
}

// TestPlannedRunsMatchFreshSessions changes the input's shape between
// runs, so that runs follow the plan, leave it part way (the first
// request of another size), record a new one and follow that, and checks
// every output against a fresh session's, and that no later run changed
// an output handed out earlier.
func TestPlannedRunsMatchFreshSessions(t *testing.T) {
	m := denseChain(6)
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(33, 34))
	type kept struct {
		got  *tensor.Tensor
		want []float32
	}
	var outs []kept
	for run, n := range []int{1, 1, 1, 2, 2, 2, 1, 1, 3, 1} {
		feeds := randomInput(rng, n, 4, 8, 8)
		got, err := s.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got["y"].Shape, want["y"].Shape) || !slices.Equal(got["y"].F32, want["y"].F32) {
			t.Fatalf("run %d (batch %d): the output differs from a fresh session's", run, n)
		}
		outs = append(outs, kept{got["y"], append([]float32(nil), want["y"].F32...)})
	}
	for i, o := range outs {
		if !slices.Equal(o.got.F32, o.want) {
			t.Fatalf("the output of run %d was changed by a later run", i)
		}
	}
}

// TestOccasionalShapeChangesKeepPlanning: an evaluation's pattern, full
// batches and a last smaller one, over and over: each pass records a plan
// that serves its full batches, and the pool never gives planning up.
func TestOccasionalShapeChangesKeepPlanning(t *testing.T) {
	s, err := NewSession(denseChain(4))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(39, 40))
	for pass := 0; pass < 3*maxPlanFailures; pass++ {
		for _, n := range []int{4, 4, 4, 1} {
			if _, err := s.Run(randomInput(rng, n, 4, 8, 8)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s.pool.failures != 0 {
		t.Fatalf("%d plans counted as failed; each served whole runs", s.pool.failures)
	}
	for run := 0; run < 2; run++ {
		if _, err := s.Run(randomInput(rng, 4, 4, 8, 8)); err != nil {
			t.Fatal(err)
		}
	}
	if s.pool.plan == nil || s.Stats().ReusedBytes == 0 {
		t.Fatal("a full batch after the passes was not served from a plan")
	}
}

// TestPlanGivenUpAfterRepeatedFailures: inputs that change shape every
// run make each plan fail, and after maxPlanFailures the pool stops
// building them (each costs an arena) and serves runs from free buffers.
func TestPlanGivenUpAfterRepeatedFailures(t *testing.T) {
	s, err := NewSession(denseChain(4))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(35, 36))
	for run := 0; run < 4*maxPlanFailures; run++ {
		if _, err := s.Run(randomInput(rng, 1+run%2, 4, 8, 8)); err != nil {
			t.Fatal(err)
		}
	}
	if s.pool.failures != maxPlanFailures || s.pool.plan != nil || s.pool.rec != nil {
		t.Fatalf("after alternating shapes: %d failures, plan %v, recording %v; want %d, none, no",
			s.pool.failures, s.pool.plan != nil, s.pool.rec != nil, maxPlanFailures)
	}
}

// stopAfter is a context whose Err turns to Canceled after n calls: Run
// asks once per step, so a run stops after its first n steps.
type stopAfter struct {
	context.Context
	n int
}

func (c *stopAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestPlanSurvivesRunsStoppedPartway: runs cancelled after 1, 2, ...
// steps of a planned session (arena buffers still alive when they stop)
// leave the plan in force, and the complete runs after each still match a
// fresh session, served from the arena.
func TestPlanSurvivesRunsStoppedPartway(t *testing.T) {
	m := denseChain(5)
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(37, 38))
	for run := 0; run < 2; run++ { // trace, then plan
		if _, err := s.Run(randomInput(rng, 1, 4, 8, 8)); err != nil {
			t.Fatal(err)
		}
	}
	plan := s.pool.plan
	if plan == nil {
		t.Fatal("no plan after two runs of one shape")
	}
	steps := len(s.fusedPlan.steps)
	for stop := 1; stop < steps; stop++ {
		if _, err := s.RunContext(&stopAfter{context.Background(), stop}, randomInput(rng, 1, 4, 8, 8)); err != context.Canceled {
			t.Fatalf("run stopped after %d steps: err %v, want context.Canceled", stop, err)
		}
		feeds := randomInput(rng, 1, 4, 8, 8)
		got, err := s.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got["y"].F32, want["y"].F32) {
			t.Fatalf("after a run stopped at step %d: the output differs from a fresh session's", stop)
		}
		if s.pool.plan != plan || s.Stats().ReusedBytes == 0 {
			t.Fatalf("after a run stopped at step %d: the plan was replaced or not used", stop)
		}
	}
}
