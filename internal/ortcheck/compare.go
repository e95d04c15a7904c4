package ortcheck

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// Tolerance is the largest logit difference accepted, relative to the
// range of onnxruntime's logits (at least 1): float32 kernels that sum in
// another order differ in the last bits, a wrong operator by far more.
const Tolerance = 1e-4

// Result compares the two runtimes on a batch of images.
type Result struct {
	Images int
	// PareTop and OrtTop are each runtime's top class per image.
	PareTop, OrtTop []int
	// MaxAbsDiff is the largest |pare - onnxruntime| over every logit;
	// LogitRange is max - min of onnxruntime's logits.
	MaxAbsDiff, LogitRange float64
	// Beyond counts the images with a logit outside Tolerance. In a
	// quantized file these are images where a value lies within float
	// rounding of a quantizer's decision boundary, so that the two
	// runtimes' summation orders put it on neighbouring levels.
	Beyond int
}

// Within reports whether the logits agree within Tolerance of the range.
func (r Result) Within() bool { return r.MaxAbsDiff <= Tolerance*max(1, r.LogitRange) }

// Disagreements are the images whose top class differs.
func (r Result) Disagreements() []int {
	var out []int
	for i := range r.PareTop {
		if r.PareTop[i] != r.OrtTop[i] {
			out = append(out, i)
		}
	}
	return out
}

// Node returns the node binary that can load onnxruntime-node, or a
// message saying what is missing (run `make deps`).
func Node() (node, missing string) { return testassets.OnnxruntimeNode() }

// Compare runs model (encoded ONNX) on each row of x ([N, ...]) in
// onnxruntime-node (one thread, graph optimisation off: the graph exactly
// as written) and in Pare's executor, in a scratch directory it removes.
func Compare(ctx context.Context, node string, model []byte, x *tensor.Tensor) (Result, error) {
	script, err := testassets.RepoPath("tools/oracle/rows.mjs")
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "pare-ortcheck-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	modelPath, inPath, outPath := filepath.Join(dir, "m.onnx"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	var npy bytes.Buffer
	if err := tensor.WriteNpy(&npy, x); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(modelPath, model, 0o644); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(inPath, npy.Bytes(), 0o644); err != nil {
		return Result{}, err
	}
	if msg, err := osexec.CommandContext(ctx, node, script, modelPath, inPath, outPath).CombinedOutput(); err != nil {
		return Result{}, fmt.Errorf("onnxruntime does not run the file: %v\n%s", err, msg)
	}
	f, err := os.Open(outPath)
	if err != nil {
		return Result{}, err
	}
	ort, err := tensor.ReadNpy(f)
	f.Close()
	if err != nil {
		return Result{}, fmt.Errorf("onnxruntime's output: %w", err)
	}
	pare, err := runRows(ctx, model, x)
	if err != nil {
		return Result{}, err
	}
	return compare(pare, ort.F32, x.Shape[0])
}

// runRows runs Pare's executor on each row of x alone (models such as
// mnist-8 fix their batch at 1) and returns the logits stacked.
func runRows(ctx context.Context, model []byte, x *tensor.Tensor) ([]float32, error) {
	m, err := onnx.Decode(model)
	if err != nil {
		return nil, err
	}
	sess, err := exec.NewSession(m)
	if err != nil {
		return nil, err
	}
	n := x.Shape[0]
	per := x.Len() / max(1, n)
	var out []float32
	for i := range n {
		row := tensor.FromF32(append([]int{1}, x.Shape[1:]...), x.F32[i*per:(i+1)*per])
		res, err := sess.RunContext(ctx, map[string]*tensor.Tensor{sess.InputNames()[0]: row})
		if err != nil {
			return nil, fmt.Errorf("Pare on image %d: %w", i, err)
		}
		y := res[sess.OutputNames()[0]]
		if y.DType != tensor.Float32 {
			return nil, fmt.Errorf("the output is %v, not float32 logits", y.DType)
		}
		out = append(out, y.F32...)
	}
	return out, nil
}

func compare(pare, ort []float32, n int) (Result, error) {
	if len(pare) != len(ort) || n == 0 || len(pare)%n != 0 {
		return Result{}, fmt.Errorf("Pare gives %d logits for %d images, onnxruntime %d", len(pare), n, len(ort))
	}
	r := Result{Images: n, PareTop: make([]int, n), OrtTop: make([]int, n)}
	width := len(pare) / n
	lo, hi := math.Inf(1), math.Inf(-1)
	worst := make([]float64, n)
	for i := range n {
		p, o := pare[i*width:(i+1)*width], ort[i*width:(i+1)*width]
		for j := range p {
			lo, hi = min(lo, float64(o[j])), max(hi, float64(o[j]))
			worst[i] = max(worst[i], math.Abs(float64(p[j]-o[j])))
		}
		r.MaxAbsDiff = max(r.MaxAbsDiff, worst[i])
		r.PareTop[i], r.OrtTop[i] = tensor.Argmax(p), tensor.Argmax(o)
	}
	r.LogitRange = hi - lo
	for _, w := range worst {
		if w > Tolerance*max(1, r.LogitRange) {
			r.Beyond++
		}
	}
	return r, nil
}
