package train

import (
	"bytes"
	"os"
	"testing"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Paths relative to this package's directory (core/train).
const (
	sharedModels = "../../../shared/assets/models/"
	mnist8       = sharedModels + "mnist-8.onnx"
	demoModel    = "testdata/demo-resnet-mnist.onnx"
)

// TestWriteBackChangesOnlyWeights trains real exported models (CNTK,
// Keras via tf2onnx, onnx-mlir, PyTorch) one step,
// writes back, and checks that the file differs from the original in the
// trained initializers' values alone: with those values put back, the
// encoding is byte for byte the original.
func TestWriteBackChangesOnlyWeights(t *testing.T) {
	for _, path := range []string{mnist8, sharedModels + "resnet8-cifar10.onnx", sharedModels + "mnist-mlp.onnx", demoModel} {
		t.Run(path, func(t *testing.T) {
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("%s is absent (shared test assets or scripts/train-demo.sh): %v", path, err)
			}
			m, err := onnx.Decode(bytes.Clone(orig))
			if err != nil {
				t.Fatal(err)
			}
			type saved struct {
				raw []byte
				fl  []float32
			}
			before := map[string]saved{}
			for _, init := range m.Graph.Initializer {
				before[init.Name] = saved{init.RawData, init.FloatData}
			}
			net, err := NewNet(m, NetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in := net.InputNames()[0]
			shapes, err := graph.DefaultInputShapes(m, 8)
			if err != nil {
				t.Fatal(err)
			}
			shape := shapes[in]
			shape[0] = 8
			x := tensor.New(tensor.Float32, shape)
			r := newRNG(1)
			for i := range x.F32 {
				x.F32[i] = float32(r.intn(256))
			}
			p, err := net.Forward(map[string]*tensor.Tensor{in: x}, ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			_, d, _, err := SoftmaxCrossEntropy(p.Logits(), []int{0, 1, 2, 3, 4, 5, 6, 7})
			if err != nil {
				t.Fatal(err)
			}
			if err := net.Backward(p, d); err != nil {
				t.Fatal(err)
			}
			for _, prm := range net.Params {
				for i, g := range prm.Grad.F32 {
					prm.Value.F32[i] -= 1e-6 * g
				}
			}
			if err := net.WriteBack(); err != nil {
				t.Fatal(err)
			}
			trained, err := onnx.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(trained, orig) {
				t.Fatal("the written model equals the original: nothing was trained")
			}
			for _, init := range m.Graph.Initializer {
				init.RawData, init.FloatData = before[init.Name].raw, before[init.Name].fl
			}
			restored, err := onnx.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(restored, orig) {
				t.Fatal("with the weights put back the file differs from the original: write-back changed something else")
			}
		})
	}
}
