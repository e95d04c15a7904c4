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

// repoModels holds the project's own exported fixture models.
const repoModels = "../../testdata/models"

func requireAssets(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(assetsDir); err != nil {
		t.Skipf("shared test assets not found at %s (a fresh clone without ../shared): %v", assetsDir, err)
	}
}

// assetFiles lists the .onnx models and serialized TensorProto (.pb) files
// of the shared assets and the repository's fixture models.
func assetFiles(t testing.TB) (models, tensors []string) {
	t.Helper()
	requireAssets(t)
	roots := []string{filepath.Join(assetsDir, "models"), filepath.Join(assetsDir, "conformance/onnx-node")}
	if _, err := os.Stat(repoModels); err == nil {
		roots = append(roots, repoModels)
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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

// TestEditThenUndoRestoresBytes edits real models (a node appended, an
// initializer's dims and data replaced, a metadata entry added), encodes,
// decodes, undoes the edits and checks the original bytes come back.
func TestEditThenUndoRestoresBytes(t *testing.T) {
	requireAssets(t)
	paths, _ := filepath.Glob(filepath.Join(assetsDir, "models", "*.onnx"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		g := m.Graph
		init := g.Initializer[0]
		oldDims, oldRaw, oldFloats := init.Dims, init.RawData, init.FloatData
		init.Dims, init.RawData, init.FloatData = []int64{1}, []byte{0, 0, 128, 63}, nil
		g.Node = append(g.Node, &Node{OpType: "Identity", Input: []string{g.Output[0].Name}, Output: []string{"extra"}})
		m.MetadataProps = append(m.MetadataProps, &StringEntry{Key: "pare.recipe", Value: "test"})

		edited, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(edited)
		if err != nil {
			t.Fatalf("%s: edited model does not decode: %v", path, err)
		}
		g2 := m2.Graph
		if last := g2.Node[len(g2.Node)-1]; last.OpType != "Identity" || g2.Initializer[0].Dims[0] != 1 || m2.MetadataProps[len(m2.MetadataProps)-1].Key != "pare.recipe" {
			t.Fatalf("%s: edits not in the encoded model", path)
		}
		g2.Node = g2.Node[:len(g2.Node)-1]
		m2.MetadataProps = m2.MetadataProps[:len(m2.MetadataProps)-1]
		i2 := g2.Initializer[0]
		i2.Dims, i2.RawData, i2.FloatData = oldDims, oldRaw, oldFloats
		restored, err := Encode(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(restored, data) {
			t.Errorf("%s: undoing the edits does not restore the bytes (first difference at %d)", path, firstDiff(restored, data))
		}
	}
}

func BenchmarkDecodeEncode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(assetsDir, "models", "resnet8-cifar10.onnx"))
	if err != nil {
		b.Skipf("shared assets absent: %v", err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		m, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
