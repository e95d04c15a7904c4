package graph_test

import (
	"path/filepath"
	"testing"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// BenchmarkInferShapesDenseNet121 infers the 2,000-node light DenseNet-121.
func BenchmarkInferShapesDenseNet121(b *testing.B) {
	m := testmodels.ReadModel(b, filepath.Join(testassets.Dir(b, "conformance/onnx-node/light"), "light_densenet121.onnx"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := graph.InferShapes(m, nil, testEval); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInferShapesShuffleNetFixture folds PyTorch's shape chains.
func BenchmarkInferShapesShuffleNetFixture(b *testing.B) {
	m := testmodels.ReadModel(b, "../../testdata/models/shufflenetv2_small.onnx")
	in, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := graph.InferShapes(m, in, testEval); err != nil {
			b.Fatal(err)
		}
	}
}
