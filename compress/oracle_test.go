package compress

import (
	"context"
	"testing"

	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/ortcheck"
)

// checkOnnxruntime runs the exported file in onnxruntime-node on one batch
// of data and compares its logits with Pare's executor on the same bytes:
// the same class for every image, logits within 1e-4 of their range.
func checkOnnxruntime(t *testing.T, out []byte, data *train.Loader) {
	t.Helper()
	r, ok := compareWithOnnxruntime(t, out, data)
	if !ok {
		return
	}
	t.Logf("onnxruntime: max |pare - ort| = %.3g over a logit range of %.3g on %d images", r.MaxAbsDiff, r.LogitRange, r.Images)
	if !r.Within() {
		t.Errorf("logits differ by %.3g (range %.3g)", r.MaxAbsDiff, r.LogitRange)
	}
}

// compareWithOnnxruntime runs out in onnxruntime-node and Pare on the first
// batch of data and reports every image whose class differs; ok is false
// when onnxruntime-node is not installed (the check is then skipped).
func compareWithOnnxruntime(t *testing.T, out []byte, data *train.Loader) (r ortcheck.Result, ok bool) {
	t.Helper()
	node, missing := ortcheck.Node()
	if node == "" {
		t.Log("onnxruntime check skipped: " + missing)
		return r, false
	}
	x, _, err := data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err = ortcheck.Compare(context.Background(), node, out, x)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range r.Disagreements() {
		t.Errorf("image %d: Pare predicts %d, onnxruntime %d", i, r.PareTop[i], r.OrtTop[i])
	}
	return r, true
}
