package testassets

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathIsBesideTheModuleRoot(t *testing.T) {
	p, err := Path("models")
	if err != nil {
		t.Fatal(err)
	}
	// This package is two levels below the module root.
	if want := filepath.Join("..", "..", "..", "shared", "assets", "models"); p != want {
		t.Errorf("Path(models) = %q, want %q", p, want)
	}
}

func TestModuleRootFailsOutsideAModule(t *testing.T) {
	if _, err := moduleRoot(string(os.PathSeparator)); err == nil {
		t.Error("moduleRoot(/) found a go.mod")
	}
}
