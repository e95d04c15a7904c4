// Package exec runs ONNX models: a Session checks that every operator has a
// kernel, converts the weights once, folds constant nodes, and then
// evaluates the graph in topological order as often as asked.
//
//	s, err := exec.NewSession(model)
//	var unsup *exec.UnsupportedError
//	if errors.As(err, &unsup) {
//		// unsup.Ops lists every node Pare cannot run, with its op type and
//		// opset; err.Error() is a message for the user.
//	}
//	out, err := s.Run(map[string]*tensor.Tensor{"input": x})
//
// # Memory
//
// ReadModelFile reads a model for inference: its large initializers are
// converted as the file is decoded, without a copy of float32 weights, and
// passed to the session in SessionOptions.Weights, so loading holds the
// weights once rather than the file's bytes and the weights (load.go).
//
// Run frees each intermediate value right after its last reader and hands
// the buffer to a later allocation, so a deep network needs memory for its
// widest point, not for every activation. Runs on inputs of one shape ask
// for and free the same float32 buffers in the same order, and are served
// from one arena laid out from that sequence, about the size of the peak
// (arena.go). When shape inference gives every value's shape on the
// declared inputs, NewSession predicts the sequence and the first run is
// already served from the arena (ahead.go; Session.PlanAhead predicts it
// for other input shapes, such as a caller's batch); otherwise the first
// run records it from free lists. A run on another shape falls back to free
// lists. A convolution's im2col scratch is one more request of the
// sequence, placed in the arena where it has room during that step
// (temp.go), and with
// SessionOptions.CollectFirstRun loading's garbage is collected before the
// arena is allocated, natively returning its pages to the OS (collect.go). Stats reports the peak, how much was reused and what the
// session keeps between runs. Outputs returned to the caller are never
// recycled. RunAll (RunOptions.KeepAll)
// keeps and returns every intermediate value instead, for training and
// debugging. RunContext stops between nodes when its context is cancelled,
// which is how the browser's Cancel button interrupts a long evaluation.
//
// # Kernels
//
// A Kernel computes a node's outputs from its inputs; kernels register
// themselves by op type and opset range (Register) from init functions of
// the ops_*.go files, one file per family of operators. A kernel must
// allocate its outputs through Context.Alloc and must not return or keep
// a reference to its inputs (the executor copies an output that aliases an
// input, as a safety net). Bad attributes or inputs are errors, which the
// executor wraps with the node: "node 'conv3' (Conv): ...".
//
// EvalNode runs one node outside a session; graph.InferShapes uses it to
// fold constants.
//
// Element types: float32 everywhere; float64, int64, int32, int8, uint8
// and bool wherever shape arithmetic, quantization or the ONNX
// specification need them. float16, bfloat16, float8 and strings are not
// supported.
//
// The ONNX backend conformance tests (conformance_test.go) run every
// supported case of the shared test data against this package.
package exec
