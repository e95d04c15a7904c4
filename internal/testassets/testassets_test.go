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

func TestLookupReportsPresence(t *testing.T) {
	p, present := Lookup("no-such-asset-ever")
	if present {
		t.Errorf("Lookup found %s", p)
	}
	if want := filepath.Join("..", "..", "..", "shared", "assets", "no-such-asset-ever"); p != want {
		t.Errorf("Lookup path = %q, want %q", p, want)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "assets")); err == nil {
		if _, present := Lookup(""); !present {
			t.Error("Lookup does not find the shared assets directory that exists")
		}
	}
}
