package onnx

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assetsDir is the shared test data, used in place (never copied).
const assetsDir = "../../../shared/assets"

func requireAssets(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(assetsDir); err != nil {
		t.Skipf("shared test assets not found at %s (a fresh clone without ../shared): %v", assetsDir, err)
	}
}

// assetFiles lists the .onnx models and serialized TensorProto (.pb) files
// of the shared assets.
func assetFiles(t testing.TB) (models, tensors []string) {
	t.Helper()
	requireAssets(t)
	for _, root := range []string{"models", "conformance/onnx-node"} {
		err := filepath.WalkDir(filepath.Join(assetsDir, root), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch {
			case d.IsDir():
			case strings.HasSuffix(path, ".onnx"):
				models = append(models, path)
			case strings.HasSuffix(path, ".pb"):
				tensors = append(tensors, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return models, tensors
}

func TestRoundTripAssets(t *testing.T) {
	models, tensors := assetFiles(t)
	if len(models) == 0 {
		t.Fatal("no .onnx files found under the shared assets")
	}
	for _, path := range models {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if m.Graph == nil {
			t.Errorf("%s: decoded without a graph", path)
		}
		out, err := Encode(m)
		if err != nil {
			t.Errorf("%s: encode: %v", path, err)
			continue
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: re-encoded %d bytes differ from the %d input bytes (first difference at %d)", path, len(out), len(data), firstDiff(out, data))
		}
	}
	for _, path := range tensors {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := DecodeTensor(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		out, err := EncodeTensor(tp)
		if err != nil {
			t.Errorf("%s: encode: %v", path, err)
			continue
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: re-encoded %d bytes differ from the %d input bytes (first difference at %d)", path, len(out), len(data), firstDiff(out, data))
		}
	}
	t.Logf("round-tripped byte for byte: %d models, %d tensors", len(models), len(tensors))
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
