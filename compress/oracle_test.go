package compress

import (
	"bytes"
	"context"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

// checkOnnxruntime runs the exported file in onnxruntime-node on one batch
// of data and compares its logits with Pare's executor on the same bytes:
// the same class for every image, logits within 1e-4 of their range.
func checkOnnxruntime(t *testing.T, out []byte, data *train.Loader) {
	t.Helper()
	node, missing := testassets.OnnxruntimeNode()
	if node == "" {
		t.Log("onnxruntime check skipped: " + missing)
		return
	}
	x, _, err := data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	modelPath, inPath, outPath := filepath.Join(dir, "c.onnx"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	var npy bytes.Buffer
	if err := tensor.WriteNpy(&npy, x); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(modelPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inPath, npy.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := osexec.Command(node, "../qil/testdata/ort_rows.mjs", modelPath, inPath, outPath).CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime does not run the exported file: %v\n%s", err, msg)
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
	m, err := onnx.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := sess.RunContext(context.Background(), map[string]*tensor.Tensor{sess.InputNames()[0]: x})
	if err != nil {
		t.Fatal(err)
	}
	pare := outs[sess.OutputNames()[0]]
	if len(pare.F32) != len(ort.F32) {
		t.Fatalf("Pare gives %d logits, onnxruntime %d", len(pare.F32), len(ort.F32))
	}
	width := len(pare.F32) / x.Shape[0]
	lo, hi, worst := math.Inf(1), math.Inf(-1), 0.0
	for i := range x.Shape[0] {
		p, o := pare.F32[i*width:(i+1)*width], ort.F32[i*width:(i+1)*width]
		for j := range p {
			lo, hi = min(lo, float64(o[j])), max(hi, float64(o[j]))
			worst = max(worst, math.Abs(float64(p[j]-o[j])))
		}
		if argmax(p) != argmax(o) {
			t.Errorf("image %d: Pare predicts %d, onnxruntime %d", i, argmax(p), argmax(o))
		}
	}
	t.Logf("onnxruntime: max |pare - ort| = %.3g over a logit range of %.3g on %d images", worst, hi-lo, x.Shape[0])
	if worst > 1e-4*max(1, hi-lo) {
		t.Errorf("logits differ by %.3g (range %.3g)", worst, hi-lo)
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
