package testmodels

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// fixtureGlobs are the repository's own model fixtures.
var fixtureGlobs = []string{"testdata/models/*.onnx", "core/train/testdata/*.onnx"}

// All returns the path of every shared model (../shared/assets/models,
// when present) and every model fixture of the repository, sorted, for
// tests that must hold on all of them. It logs when the shared models are
// absent and fails t when it finds no model at all.
func All(t testing.TB) []string {
	t.Helper()
	var paths []string
	if dir, ok := testassets.Lookup("models"); ok {
		shared, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, shared...)
	} else {
		t.Logf("shared models are absent (%s); testing the repository's fixtures only", dir)
	}
	for _, g := range fixtureGlobs {
		p, err := testassets.RepoPath(g)
		if err != nil {
			t.Fatal(err)
		}
		found, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, found...)
	}
	if len(paths) == 0 {
		t.Fatal("no models found: testdata/models is missing from the checkout")
	}
	slices.Sort(paths)
	return paths
}

// RandomInputs returns a float32 tensor for every input of m a caller
// feeds, at batch 1, with values uniform in [0, 1) from a fixed seed.
func RandomInputs(t testing.TB, m *onnx.Model, seed uint64) map[string]*tensor.Tensor {
	t.Helper()
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	feeds := map[string]*tensor.Tensor{}
	for name, shape := range shapes {
		x := tensor.New(tensor.Float32, shape)
		for i := range x.F32 {
			x.F32[i] = rng.Float32()
		}
		feeds[name] = x
	}
	return feeds
}
