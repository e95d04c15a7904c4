package exec

import "errors"

// SessionOptions tune how a Session is built.
type SessionOptions struct {
	// RunOnly builds a session for Run alone. Fusion folds BatchNormalization
	// into the convolution weights, so a session normally holds each such
	// weight twice: the original for RunAll's unfused plan and the folded
	// copy Run uses. A RunOnly session releases the constants that only the
	// unfused plan reads, so inference holds its weights about once;
	// RunWith(KeepAll) then fails with ErrRunOnly.
	RunOnly bool
	// Weights are the initializers ReadModelFile converted while decoding
	// the model, which holds them no more. The session takes them: they
	// serve one session, and a second NewSession from the same Weights
	// fails (the first may have folded BatchNormalization into them).
	Weights *Weights
	// CollectFirstRun forces a collection before shape inference in
	// NewSession, so that its garbage reuses the pages of loading's, and
	// one before the first run when its arena is planned ahead (ahead.go),
	// which natively also returns the free pages to the OS (collect.go):
	// the arena, one block, does not fit in them. It also keeps a run that records the
	// activation arena's plan (the first one when shapes could not be
	// inferred, and the first after a change of input shape) from holding
	// free buffers it cannot use: when none serves a request,
	// they are dropped, and a collection is forced once 4 MiB or half
	// the live activations have been dropped (arena.go, dropFree). That run's free lists are otherwise the process's peak
	// (DenseNet-121: 26.8 MiB for 8.0 MiB of live activations; see
	// docs/benchmarks.md). It costs forced collections (runtime.GC) in
	// those runs, which a program with a large pointer-rich heap may not
	// want: the CLI's inference commands set it.
	CollectFirstRun bool
	// noPlanAhead records the first run's trace from the free lists
	// instead of planning it from the inferred shapes (ahead.go), for
	// the tests that compare the two.
	noPlanAhead bool
	// noFakeQuant leaves QuantizeLinear -> DequantizeLinear chains
	// unfused (qdq.go), for the tests that compare the two.
	noFakeQuant bool
	// noIntegerConv keeps every Conv in float, where a QDQ model's could
	// multiply in integers (qconv.go): for tests that compare fused runs
	// with unfused ones bit for bit.
	noIntegerConv bool
}

// ErrRunOnly is returned by RunAll and RunWith(KeepAll) on a session built
// with SessionOptions.RunOnly.
var ErrRunOnly = errors.New("exec: this session was built for Run only (SessionOptions.RunOnly) and keeps no unfused plan for RunAll; build it with NewSession to read intermediate values")

// releaseUnfused drops the unfused plan and every constant that only it
// reads.
func (s *Session) releaseUnfused() {
	needed := map[string]bool{}
	for _, o := range s.outputs {
		needed[o] = true
	}
	for _, st := range s.fused {
		for _, name := range st.node.Input {
			needed[name] = true
		}
	}
	for name := range s.consts {
		if !needed[name] {
			delete(s.consts, name)
		}
	}
	s.steps, s.folded = nil, nil
}
