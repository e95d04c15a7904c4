package dataset

import (
	"testing"
	"testing/fstest"

	"github.com/pare-ml/pare/internal/hostile"
)

// FuzzArchive feeds a zip or (gzipped) tar file to Open, seeded with the
// hostile suite's archives (bombs, nesting, traversal names, truncation):
// it must never panic or exceed the budget, and what it opens must be a
// consistent set.
func FuzzArchive(f *testing.F) {
	dir := f.TempDir()
	if _, err := hostile.Write(dir, false); err != nil {
		f.Fatal(err)
	}
	seeds, err := hostile.Seeds(dir, ".zip")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"set.zip": {Data: data}}
		set, err := Options{MemoryBudget: fuzzBudget}.Open(fsys, "set.zip")
		if err == nil {
			exercise(t, set)
		}
	})
}
