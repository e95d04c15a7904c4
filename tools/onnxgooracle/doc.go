// Package onnxgooracle holds only a test: it runs models and ONNX
// conformance cases through both Pare's executor (core/exec) and
// github.com/owulveryck/onnx-go with its gorgonnx backend, and fails when
// the two disagree numerically.
//
// onnx-go is a second, native oracle beside the onnxruntime one in
// core/exec: it needs no Node.js, and being an independent Go
// implementation it catches errors the two runtimes would not share. It
// supports far fewer operators than Pare, so every case it refuses, or
// panics on, is counted as skipped with the reason, and the test prints
// a table of what ran and what did not. Where the two disagree on an ONNX
// conformance case whose reference output Pare meets and onnx-go misses
// (onnx-go's pre-opset-13 Softmax, its uint8 MaxPool), the case is
// reported as onnx-go's error rather than failed.
//
// The package has no non-test code so onnx-go and gorgonia are never
// linked into the wasm binary or the CLI; the test is built only for
// native targets (build tag !js).
//
// Run it with
//
//	go test ./tools/onnxgooracle/ -v -run TestOnnxGoOracle
//
// It uses ../shared/assets (models and conformance tests) in place and
// skips those cases with a message where the directory is absent.
package onnxgooracle
