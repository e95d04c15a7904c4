package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputBasesAreDistinct(t *testing.T) {
	dir := t.TempDir()
	names := []string{"a/b", "a_b", "A_B", "..", ".", "output", "/etc/passwd", "x\x00y", "out:1"}
	bases, err := outputBases(dir, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, n := range names {
		b := bases[n]
		if filepath.Dir(b) != dir {
			t.Errorf("%q maps to %s, outside %s", n, b, dir)
		}
		key := strings.ToLower(filepath.Base(b))
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q both map to %s", n, other, b)
		}
		seen[key] = n
	}
}

func TestOutputBasesProtectInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "y.npy")
	if _, err := outputBases(dir, []string{"y"}, []string{in}); err == nil || !strings.Contains(err.Error(), "reads") {
		t.Fatalf("an output onto the input: got %v", err)
	}
	if _, err := outputBases(dir, []string{"z"}, []string{in}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "new" {
		t.Fatalf("after the write: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files left in the folder, want 1 (no temporary file)", len(entries))
	}
	// A write that cannot complete leaves the old file whole.
	if err := writeFileAtomic(filepath.Join(dir, "missing", "m.onnx"), []byte("x")); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if err := writeFileAtomic(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Fatalf("writing onto a folder: %v", err)
	}
}
