// Package benchrun times a function the way a benchmark should: it warms
// up until the run time stops improving (a JIT such as V8's tiers code up
// over hundreds of runs, so a fixed count of warm-up runs measures the
// compiler, not the model), then times runs for at least a count and a
// duration, and says when the timed runs were not stable enough to trust.
//
// pare bench uses it natively and under WebAssembly.
package benchrun
