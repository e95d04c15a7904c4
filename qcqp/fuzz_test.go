package qcqp

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// FuzzAnalyzeAndPrune feeds arbitrary model bytes to Analyze and Prune:
// either may refuse, neither may panic, and a model they prune must
// measure what Predict said. The seed corpus (run by go test) is foldNet
// and the dynamic_batch fixture; `go test -fuzz FuzzAnalyzeAndPrune ./qcqp` explores.
func FuzzAnalyzeAndPrune(f *testing.F) {
	b, err := onnx.Encode(foldNet(rand.New(rand.NewPCG(1, 1))))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	// Small seeds only: the fuzzer minimises every new input, which on a
	// 200 kB model takes minutes.
	if data, err := os.ReadFile(filepath.Join("..", "testdata", "models", "dynamic_batch.onnx")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := onnx.Decode(data)
		if err != nil || m.Graph == nil {
			return
		}
		a, err := Analyze(m)
		if err != nil {
			return
		}
		sel := randomSelection(a, rand.New(rand.NewPCG(uint64(len(data)), 2)))
		want, err := a.Predict(sel.Counts())
		if err != nil {
			return
		}
		pm, err := a.Prune(sel, PruneOptions{})
		if err != nil {
			return
		}
		b, err := onnx.Encode(pm)
		if err != nil {
			t.Fatalf("the pruned model does not encode: %v", err)
		}
		back, err := onnx.Decode(b)
		if err != nil {
			t.Fatalf("the pruned model does not decode: %v", err)
		}
		got, err := Measure(back)
		if err != nil {
			t.Fatalf("the pruned model does not analyse: %v", err)
		}
		if got != want {
			t.Fatalf("measured %+v, predicted %+v", got, want)
		}
	})
}
