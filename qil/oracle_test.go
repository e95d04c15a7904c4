//go:build !js

package qil

import (
	"bytes"
	"context"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// TestExportedModelRunsInOnnxruntime runs exported mnist-8 files (int8 at
// opset 13, int4 at opset 21) in onnxruntime-node and compares its logits
// with Pare's on the same file: max abs difference <= 1e-4 of the logit
// range, and the same predicted class on every image.
func TestExportedModelRunsInOnnxruntime(t *testing.T) {
	node, missing := testassets.OnnxruntimeNode()
	if node == "" {
		t.Skip(missing)
	}
	for _, c := range []struct {
		bits    Bits
		storage Storage
		ptq     bool
	}{{Bits{4, 4}, StorageInt8, false}, {Bits{3, 2}, StorageInt4, false}, {Bits{4, 4}, StorageInt4, true}} {
		qm, data, _ := trainedQIL(t, c.bits)
		ex, err := Export(qm, c.storage, "test")
		if c.ptq {
			// Per-channel weight scales, so per-channel int32 bias scales.
			fm, _ := smallMnist(t, 0)
			ex, _, err = PTQ(context.Background(), fm, data, Options{Bits: c.bits, KeepFP: []string{}}, 64, c.storage)
		}
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		modelPath := filepath.Join(dir, "q.onnx")
		b, err := onnx.Encode(ex)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(modelPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		xs := rows(t, data, 64)
		batch := tensor.New(tensor.Float32, append([]int{len(xs)}, xs[0].Shape[1:]...))
		for i, x := range xs {
			copy(batch.F32[i*len(x.F32):], x.F32)
		}
		var npy bytes.Buffer
		if err := tensor.WriteNpy(&npy, batch); err != nil {
			t.Fatal(err)
		}
		inPath, outPath := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
		if err := os.WriteFile(inPath, npy.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := osexec.Command(node, "testdata/ort_rows.mjs", modelPath, inPath, outPath).CombinedOutput(); err != nil {
			t.Fatalf("%s: onnxruntime failed: %v\n%s", c.storage, err, out)
		}
		f, err := os.Open(outPath)
		if err != nil {
			t.Fatal(err)
		}
		ort, err := tensor.ReadNpy(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		pare := runAll(t, ex, xs)
		lo, hi, worst := math.Inf(1), math.Inf(-1), 0.0
		for i, row := range pare {
			width := len(row)
			want := ort.F32[i*width : (i+1)*width]
			for j, v := range row {
				lo, hi = min(lo, float64(want[j])), max(hi, float64(want[j]))
				worst = max(worst, math.Abs(float64(v-want[j])))
			}
			if argmax(row) != argmax(want) {
				t.Errorf("%s %s ptq=%v: image %d: Pare predicts %d, onnxruntime %d", c.bits, c.storage, c.ptq, i, argmax(row), argmax(want))
			}
		}
		t.Logf("%s %s ptq=%v: max |pare - onnxruntime| = %.3g over a logit range of %.3g", c.bits, c.storage, c.ptq, worst, hi-lo)
		if worst > 1e-4*max(1, hi-lo) {
			t.Errorf("%s %s: logits differ by %.3g (range %.3g)", c.bits, c.storage, worst, hi-lo)
		}
	}
}
