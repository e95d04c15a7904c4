// Command bench times batch-1 inference of one ONNX model with Pare's
// executor, natively or as GOOS=js GOARCH=wasm under node (through
// tools/wasmexec/go_js_wasm_exec, which supplies the SIMD GEMM kernel). It
// is the Pare half of `make bench` (scripts/bench.sh); tools/bench/ort.mjs
// times onnxruntime-node and onnxruntime-web with the same protocol and the
// same input.
//
//	go run ./tools/bench -model M.onnx [-runs 30] [-warmup 3] [-input X.npy]
//	    [-write-input X.npy] [-per-op] [-cpuprofile F] [-memprofile F]
//	    [-load stream|whole] [-collect-first-run=false] [-memclasses]
//
// It prints one JSON object: median, p10, p90, min and mean milliseconds
// over the timed runs, the executor's peak live activation bytes
// (exec.Stats), Go heap figures after loading and after the runs
// (runtime.MemStats), and with -per-op the time of every op type over one
// node-by-node evaluation. The model is loaded as pare bench loads it
// (exec.ReadModelFile, SessionOptions.CollectFirstRun); -load whole reads
// the file whole first, the way before streaming, for comparison.
// -memclasses prints where the memory is at each phase (loaded, the first
// run, the timed runs, a collection): the runtime's memory classes and, on
// Linux, the RSS. The profiles are native only; the wasm build does not
// link runtime/pprof (profile.go says why).
//
// Protocol (shared with ort.mjs): the session is created once, the input
// is a fixed tensor (uniform [0, 1) from a fixed seed, or -input), warm-up
// runs are not timed, then every timed run is measured alone with a
// monotonic clock and the median is reported.
package main
