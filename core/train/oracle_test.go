//go:build !js

package train

import (
	"context"
	"encoding/json"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Paths relative to this package's directory (core/train).
const (
	repoRoot     = "../.."
	oracleScript = repoRoot + "/tools/oracle/run.mjs"
	ortPackage   = repoRoot + "/node_modules/onnxruntime-node"
)

// runOnnxruntime runs model on x with onnxruntime-node (tools/oracle) and
// returns its first output, or skips when node or onnxruntime-node is
// missing.
func runOnnxruntime(t *testing.T, model []byte, input string, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	node, err := osexec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: skipping the onnxruntime comparison")
	}
	if _, err := os.Stat(ortPackage); err != nil {
		t.Skip("node_modules/onnxruntime-node is missing (run make deps): skipping the onnxruntime comparison")
	}
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(modelPath, model, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "x.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tensor.WriteNpy(f, x); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "out")
	cmd := osexec.Command(node, oracleScript, modelPath, out, input+"="+filepath.Join(dir, "x.npy"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, msg)
	}
	var outs []struct{ Name, File string }
	raw, err := os.ReadFile(filepath.Join(out, "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &outs); err != nil || len(outs) == 0 {
		t.Fatalf("outputs.json: %v %s", err, raw)
	}
	file := outs[0].File
	if !filepath.IsAbs(file) {
		file = filepath.Join(out, file)
	}
	g, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	y, err := tensor.ReadNpy(g)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// TestTrainedModelRunsInOnnxruntime trains a Conv-BN-ReLU net, writes it,
// and checks that onnxruntime-node computes what the training engine
// computes in ModeEval.
func TestTrainedModelRunsInOnnxruntime(t *testing.T) {
	set := randomSet(t, 64, 8, 8, 5, 21)
	b := smallCNN(1, 8, 8, 5, 22)
	net := mustNet(t, b, NetOptions{})
	net.Reinitialize(3)
	data := &Loader{Set: set, BatchSize: 16, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}, Shuffle: true}
	tr, err := NewTrainer(net, data, Config{Epochs: 3, LR: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	for !tr.Done() {
		if _, err := tr.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.WriteBack(); err != nil {
		t.Fatal(err)
	}
	model, err := onnx.Encode(b.m)
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := net.Forward(map[string]*tensor.Tensor{"x": x}, ModeEval)
	if err != nil {
		t.Fatal(err)
	}
	ort := runOnnxruntime(t, model, "x", x)
	compareProbabilities(t, p.Logits(), ort)
}

// TestDemoModelRunsInOnnxruntime checks the committed demo model.
func TestDemoModelRunsInOnnxruntime(t *testing.T) {
	raw, err := os.ReadFile(demoModel)
	if err != nil {
		t.Skipf("%s not built yet (scripts/train-demo.sh)", demoModel)
	}
	m, err := onnx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	net, err := NewNet(m, NetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, []int{4, 1, 28, 28})
	r := newRNG(1)
	for i := range x.F32 {
		x.F32[i] = float32(r.intn(256))
	}
	p, err := net.Forward(map[string]*tensor.Tensor{"image": x}, ModeEval)
	if err != nil {
		t.Fatal(err)
	}
	ort := runOnnxruntime(t, raw, "image", x)
	compareLogits(t, p.Logits(), ort)
}

func compareLogits(t *testing.T, pare, ort *tensor.Tensor) {
	t.Helper()
	if pare.Len() != ort.Len() || ort.DType != tensor.Float32 {
		t.Fatalf("Pare %v vs onnxruntime %v %v", pare.Shape, ort.DType, ort.Shape)
	}
	scale := 1.0
	for _, v := range ort.F32 {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range ort.F32 {
		if d := math.Abs(float64(pare.F32[i] - ort.F32[i])); d > 1e-4*scale {
			t.Fatalf("element %d: Pare %v, onnxruntime %v", i, pare.F32[i], ort.F32[i])
		}
	}
}

// compareProbabilities compares softmax(logits) with onnxruntime's output
// of a model ending in Softmax.
func compareProbabilities(t *testing.T, logits, ort *tensor.Tensor) {
	t.Helper()
	n := logits.Shape[0]
	k := logits.Len() / n
	probs := tensor.New(tensor.Float32, ort.Shape)
	for i := 0; i < n; i++ {
		row := logits.F32[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - mx))
		}
		for j, v := range row {
			probs.F32[i*k+j] = float32(math.Exp(float64(v-mx)) / s)
		}
	}
	compareLogits(t, probs, ort)
}
