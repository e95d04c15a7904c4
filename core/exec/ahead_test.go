package exec

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestFirstRunPlannedAhead: on a DenseNet-like block, whose free lists
// held 5.6x its largest map in the run that recorded the trace, the first
// run is served by the arena planned from the inferred shapes: no free
// buffer, nothing allocated for activations but the output, and, by the
// allocator's own account (runtime.MemStats.TotalAlloc), no more than the
// arena and the output plus small change, where recording allocates the
// block's maps over again. The outputs of every run are the same bits as
// a session that records its first run.
func TestFirstRunPlannedAhead(t *testing.T) {
	const layers, g = 8, 8
	m, feeds := denseBlock(t, layers, g)
	output := int64(layers+1) * g * 16 * 16 * 4
	type account struct {
		first Stats
		total int64 // bytes the first run allocated, by the runtime's count
		// planned is what the second run allocated: the output, the
		// result map, small slices.
		planned int64
		pooled  int64
		// scratch is the largest im2col scratch of its convolutions, which
		// the arena holds too (temp.go): none where the platform gathers
		// col panels in the GEMM, some in pure Go.
		scratch int64
		outs    [][]float32
	}
	run := func(noAhead bool) account {
		s, err := NewSessionWith(m, SessionOptions{RunOnly: true, noPlanAhead: noAhead})
		if err != nil {
			t.Fatal(err)
		}
		if !noAhead && s.ahead == nil {
			t.Fatal("no trace predicted for a model of static shapes")
		}
		var a account
		for i := range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := s.Run(feeds)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				a.first, a.total, a.pooled = s.Stats(), int64(after.TotalAlloc-before.TotalAlloc), s.Stats().PooledBytes
			}
			if i == 1 {
				a.planned = int64(after.TotalAlloc - before.TotalAlloc)
			}
			a.outs = append(a.outs, out["z"].F32)
		}
		a.scratch = largestScratchBytes(s)
		return a
	}
	run(true) // the kernels' own scratch (im2col) is allocated once per process
	recorded, ahead := run(true), run(false)
	for r := range ahead.outs {
		for i, v := range ahead.outs[r] {
			if math.Float32bits(v) != math.Float32bits(recorded.outs[r][i]) {
				t.Fatalf("run %d: z[%d] = %v planned ahead, %v recorded", r, i, v, recorded.outs[r][i])
			}
		}
	}
	t.Logf("first run: %d bytes allocated (arena %d, a planned run %d, peak live %d); recording it: %d, free lists %d",
		ahead.total, ahead.pooled, ahead.planned, ahead.first.PeakLiveBytes, recorded.total, recorded.first.PeakFreeBytes)
	if ahead.first.PeakFreeBytes != 0 || ahead.first.AllocatedBytes > output {
		t.Errorf("first run: free lists held %d bytes and %d were allocated for activations; want 0 and only the output's %d",
			ahead.first.PeakFreeBytes, ahead.first.AllocatedBytes, output)
	}
	if limit := ahead.first.PeakLiveBytes*11/10 + 16*64 + ahead.scratch; ahead.pooled > limit {
		t.Errorf("the arena is %d bytes for %d of peak live activations and %d of scratch (limit %d)", ahead.pooled, ahead.first.PeakLiveBytes, ahead.scratch, limit)
	}
	// Beyond the arena and what any planned run allocates, a first run
	// builds the kernels' memos (the conv row tables, 55 KB here) and
	// the plan's and the trace's bookkeeping (5 KB).
	limit := ahead.pooled + ahead.planned + 96<<10
	if ahead.total > limit {
		t.Errorf("the first run allocated %d bytes, more than the arena, a planned run and 96 KiB (%d)", ahead.total, limit)
	}
	if recorded.total <= limit {
		t.Errorf("recording the first run allocated only %d bytes: the account does not see the free lists", recorded.total)
	}
}

// TestPredictedTraceIsRecordedTrace: on every shared model and fixture
// whose shapes can be inferred, the predicted trace is exactly the one a
// first run records, so each of them runs its first run in the arena.
func TestPredictedTraceIsRecordedTrace(t *testing.T) {
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m := testmodels.ReadModel(t, path)
			s, err := NewSessionWith(m, SessionOptions{RunOnly: true, noPlanAhead: true})
			if err != nil {
				t.Skipf("no session: %v", err)
			}
			// As NewSession predicts it: from Validate's shapes.
			shapes, err := validate(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			var ahead *aheadTrace
			if shapes != nil {
				ahead = traceOf(m, shapes, s.fusedPlan)
			}
			if ahead == nil {
				t.Skip("shapes not inferred: the first run records")
			}
			if _, err := s.Run(testmodels.RandomInputs(t, m, 1)); err != nil {
				t.Fatal(err)
			}
			rec := s.pool.plan.trace
			if !slices.Equal(rec.sizes, ahead.trace.sizes) || !slices.Equal(rec.events, ahead.trace.events) {
				i := 0
				for i < min(len(rec.events), len(ahead.trace.events)) && rec.events[i] == ahead.trace.events[i] {
					i++
				}
				t.Fatalf("the predicted trace (%d requests, %d events) differs from the recorded one (%d, %d) from event %d",
					len(ahead.trace.sizes), len(ahead.trace.events), len(rec.sizes), len(rec.events), i)
			}
		})
	}
}

// TestWrongPredictionFallsBack: a prediction the first run does not follow
// (a request of another size half way) leaves that run to the free lists
// from there, with the right outputs, and the trace the run recorded plans
// the second run, which follows it; the wrong prediction does not count
// against planning.
func TestWrongPredictionFallsBack(t *testing.T) {
	m, feeds := denseBlock(t, 6, 4)
	want, err := NewSessionWith(m, SessionOptions{noPlanAhead: true})
	if err != nil {
		t.Fatal(err)
	}
	wantOut, err := want.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	wrong := *s.ahead
	wrong.trace.sizes = slices.Clone(wrong.trace.sizes)
	wrong.trace.sizes[len(wrong.trace.sizes)/2]++
	s.pool.ahead = &wrong
	for run := range 3 {
		out, err := s.Run(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out["z"].F32, wantOut["z"].F32) {
			t.Fatalf("run %d: the output differs from a session that recorded its first run", run)
		}
		pl := s.pool.plan
		if pl == nil || pl.predicted || s.pool.failures != 0 {
			t.Fatalf("after run %d: plan %v (predicted %v), %d failures; want the recorded plan and none",
				run, pl != nil, pl != nil && pl.predicted, s.pool.failures)
		}
		if run > 0 && (pl.followed != run || s.Stats().PeakFreeBytes != 0) {
			t.Fatalf("run %d was not served by the recorded plan (followed %d, free lists %d bytes)", run, pl.followed, s.Stats().PeakFreeBytes)
		}
	}
}

// TestNoPredictionWhereShapesDependOnValues: a Reshape to a shape fed at
// run time has no inferred shape, so nothing is predicted and the first
// run records as it always did; a first run of another batch than the
// prediction's (1) records too, and leaves the prediction unused.
func TestNoPredictionWhereShapesDependOnValues(t *testing.T) {
	m := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 4, 8, 8), valueInfo("shape", onnx.Int64, 2)}, []string{"y"}, nil,
		mkNode("Relu", "", []string{"x"}, []string{"r"}),
		mkNode("Reshape", "", []string{"r", "shape"}, []string{"f"}),
		mkNode("Sigmoid", "", []string{"f"}, []string{"y"}))
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	if s.ahead != nil {
		t.Fatal("a trace was predicted for a shape fed at run time")
	}
	feeds := randomInput(rand.New(rand.NewPCG(41, 42)), 1, 4, 8, 8)
	feeds["shape"] = tensor.FromI64([]int{2}, []int64{4, 64})
	for range 2 {
		if _, err := s.Run(feeds); err != nil {
			t.Fatal(err)
		}
	}
	if pl := s.pool.plan; pl == nil || pl.predicted || pl.followed != 1 {
		t.Fatal("the first run did not record the plan the second one followed")
	}

	batched, err := NewSession(denseChain(4))
	if err != nil {
		t.Fatal(err)
	}
	if batched.ahead == nil {
		t.Fatal("no trace predicted for a symbolic batch read as 1")
	}
	if _, err := batched.Run(randomInput(rand.New(rand.NewPCG(41, 42)), 2, 4, 8, 8)); err != nil {
		t.Fatal(err)
	}
	if pl := batched.pool.plan; pl == nil || pl.predicted || batched.pool.ahead == nil {
		t.Fatal("a first run of batch 2 was planned from batch 1's prediction")
	}
}

// TestPlanAheadForAnotherBatch: a caller that keeps the model and runs
// batches of 3 plans for them (PlanAhead), and the first run of batch 3
// is served from the arena, with the outputs of a session that recorded
// it.
func TestPlanAheadForAnotherBatch(t *testing.T) {
	m := denseChain(6)
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	if !s.PlanAhead(m, map[string][]int{"x": {3, 4, 8, 8}}) {
		t.Fatal("no trace predicted for batch 3")
	}
	feeds := randomInput(rand.New(rand.NewPCG(43, 44)), 3, 4, 8, 8)
	got, err := s.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	if pl := s.pool.plan; pl == nil || !pl.predicted || pl.followed != 1 || s.Stats().PeakFreeBytes != 0 {
		t.Fatal("the first run of batch 3 was not served from the predicted arena")
	}
	rec, err := NewSessionWith(m, SessionOptions{noPlanAhead: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := rec.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["y"].F32, want["y"].F32) {
		t.Fatal("the output differs from a session that recorded its first run")
	}
	dyn := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 4), valueInfo("shape", onnx.Int64, 2)}, []string{"y"}, nil,
		mkNode("Reshape", "", []string{"x", "shape"}, []string{"y"}))
	ds, err := NewSession(dyn)
	if err != nil {
		t.Fatal(err)
	}
	if ds.PlanAhead(dyn, nil) || ds.ahead != nil {
		t.Fatal("a trace was predicted for a shape fed at run time")
	}
}

// largestScratchBytes is the largest im2col scratch a convolution of s's
// plan asks of the run's pool (temp.go), by the geometries its last run
// resolved.
func largestScratchBytes(s *Session) int64 {
	var n int
	for _, st := range s.fused {
		switch {
		case st.conv != nil:
			n = max(n, st.conv.colFloats)
		case st.memo != nil:
			if cp, ok := st.memo.(*convPlan); ok {
				n = max(n, cp.colFloats)
			}
		}
	}
	return int64(n) * 4
}
