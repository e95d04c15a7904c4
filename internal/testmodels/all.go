package testmodels

import (
	"path/filepath"
	"slices"
	"testing"

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
