package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// evalResult holds the --json keys of pare eval (docs/cli.md).
type evalResult struct {
	Model     string    `json:"model"`
	Data      string    `json:"data"`
	Format    string    `json:"format"`
	Count     int       `json:"count"`
	Correct   int       `json:"correct"`
	Accuracy  float64   `json:"accuracy"`
	Classes   []string  `json:"classes"`
	PerClass  []float64 `json:"per_class_accuracy"`
	Confusion [][]int   `json:"confusion"`
	Notes     []string  `json:"notes,omitempty"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "eval MODEL --data PATH [--split train|test] [--scale S] [--mean M,..] [--std S,..] [--limit N] [--json]", stderr)
	data := fs.String("data", "", "labelled images: IDX folder, CIFAR-10 binary, ImageFolder dir or .zip, digits CSV")
	scale := ratio(1)
	fs.Var(&scale, "scale", "multiply raw pixel values (0..255) by this, a number or a fraction (1/255 gives 0..1)")
	var mean, std floatList
	fs.Var(&mean, "mean", "per-channel mean subtracted after scaling (one value or one per channel)")
	fs.Var(&std, "std", "per-channel std divided by after the mean (one value or one per channel)")
	split := fs.String("split", "", "which split of a folder holding both train and test files (IDX, CIFAR-10): train or test (default: test, with a note)")
	order := fs.String("channel-order", "RGB", "channel order of the model's input: RGB or BGR")
	limit := fs.Int("limit", 0, "evaluate only the first N images (0: all)")
	batch := fs.Int("batch", 32, "images per inference call when the model's batch dimension is dynamic")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file")
	}
	if *data == "" {
		return usagef("--data PATH is required")
	}
	if *limit < 0 || *batch < 1 {
		return usagef("--limit must be >= 0 and --batch >= 1")
	}
	m, sess, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(*data); err != nil {
		return fmt.Errorf("cannot open --data %s: %v; give an IDX folder (MNIST), CIFAR-10 binary batches, a folder or .zip of class sub-folders of images, or the digits CSV", *data, err)
	}
	set, err := dataset.Options{Split: *split}.OpenPath(*data)
	if err != nil {
		return err
	}
	in, err := singleInput(m)
	if err != nil {
		return err
	}
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return err
	}
	inShape := shapes[in.Name]
	p := dataset.DefaultPreprocess(inShape)
	p.Scale = float32(scale)
	p.Mean, p.Std = mean, std
	p.ChannelOrder = strings.ToUpper(*order)

	notes := append([]string(nil), set.Notes...)
	for _, note := range []string{conversionNote(set, p), dataset.RangeNote(set, p)} {
		if note != "" {
			notes = append(notes, note) // printed with the result, or in the JSON
		}
	}
	n := len(set.Labels)
	if *limit > 0 && *limit < n {
		n = *limit
	}
	if n == 0 {
		return fmt.Errorf("%s holds no images", *data)
	}
	bs := 1
	if batchIsDynamic(in) {
		bs = *batch
	}
	ev := &evaluator{sess: sess, set: set, pre: p, input: in.Name, sampleShape: inShape[1:]}
	res, err := ev.run(n, bs, newProgressBar(stderr, "eval", n, !*asJSON))
	if err != nil {
		return err
	}
	res.Model, res.Data, res.Format, res.Notes = pos[0], *data, set.Format, notes
	if *asJSON {
		return writeJSON(stdout, res)
	}
	printEval(stdout, res)
	return nil
}

// conversionNote says when the images are not what the model takes, so a
// user who gave the wrong data set (MNIST digits to a CIFAR model) learns
// why the accuracy is poor instead of seeing a silent conversion.
func conversionNote(set *dataset.Set, p dataset.Preprocess) string {
	shape, uniform := set.Shape()
	if !uniform {
		return ""
	}
	var diffs []string
	if p.Channels > 0 && shape.C != p.Channels {
		diffs = append(diffs, fmt.Sprintf("%d channel(s) converted to %d", shape.C, p.Channels))
	}
	if (p.Height > 0 && shape.H != p.Height) || (p.Width > 0 && shape.W != p.Width) {
		diffs = append(diffs, fmt.Sprintf("%dx%d resized to %dx%d (bilinear)", shape.H, shape.W, p.Height, p.Width))
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("the images are %dx%dx%d but the model takes %dx%dx%d: %s; check that this is the data the model was trained on",
		shape.C, shape.H, shape.W, p.Channels, p.Height, p.Width, strings.Join(diffs, ", "))
}

// singleInput returns the model's one graph input; Pare evaluates image
// classifiers, which have exactly one.
func singleInput(m *onnx.Model) (*onnx.ValueInfo, error) {
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	ins := g.Inputs()
	if len(ins) != 1 {
		names := make([]string, len(ins))
		for i, v := range ins {
			names[i] = v.Name
		}
		return nil, fmt.Errorf("the model has %d inputs (%s); pare eval needs an image classifier with one input", len(ins), strings.Join(names, ", "))
	}
	return ins[0], nil
}

// batchIsDynamic reports whether the first input dimension is symbolic or
// unknown, so that several images can go in one call.
func batchIsDynamic(in *onnx.ValueInfo) bool {
	if in.Type == nil || in.Type.TensorType == nil || in.Type.TensorType.Shape == nil {
		return false
	}
	dims := in.Type.TensorType.Shape.Dim
	if len(dims) == 0 {
		return false
	}
	return !dims[0].HasValue || dims[0].Value <= 0
}

type evaluator struct {
	sess        *exec.Session
	set         *dataset.Set
	pre         dataset.Preprocess
	input       string
	sampleShape []int
}

func (e *evaluator) run(n, bs int, bar *progressBar) (*evalResult, error) {
	classes := append([]string(nil), e.set.Classes...)
	confusion := [][]int{}
	grow := func(k int) {
		for len(classes) < k {
			classes = append(classes, fmt.Sprint(len(classes)))
		}
		for len(confusion) < len(classes) {
			confusion = append(confusion, nil)
		}
		for i := range confusion {
			for len(confusion[i]) < len(classes) {
				confusion[i] = append(confusion[i], 0)
			}
		}
	}
	grow(len(classes))
	correct := 0
	sampleSize := tensor.NumElements(e.sampleShape)
	for start := 0; start < n; start += bs {
		count := min(bs, n-start)
		idx := make([]int, count)
		for i := range idx {
			idx[i] = start + i
		}
		buf := make([]float32, count*sampleSize)
		if err := e.set.Batch(idx, e.pre, buf); err != nil {
			return nil, fmt.Errorf("preparing images %d..%d for input %s %v: %w", start, start+count-1, e.input, e.sampleShape, err)
		}
		x := tensor.FromF32(append([]int{count}, e.sampleShape...), buf)
		outs, err := e.sess.Run(map[string]*tensor.Tensor{e.input: x})
		if err != nil {
			return nil, err
		}
		logits := outs[e.sess.OutputNames()[0]]
		preds, width, err := argmaxRows(logits, count)
		if err != nil {
			return nil, err
		}
		grow(width)
		for i, p := range preds {
			label := e.set.Labels[start+i]
			grow(max(label, p) + 1)
			confusion[label][p]++
			if p == label {
				correct++
			}
		}
		bar.Update(start+count, fmt.Sprintf("acc %.2f%%", 100*float64(correct)/float64(start+count)))
	}
	bar.Done()
	res := &evalResult{Count: n, Correct: correct, Accuracy: float64(correct) / float64(n), Classes: classes, Confusion: confusion}
	res.PerClass = make([]float64, len(classes))
	for c := range classes {
		total := 0
		for _, v := range confusion[c] {
			total += v
		}
		if total > 0 {
			res.PerClass[c] = float64(confusion[c][c]) / float64(total)
		}
	}
	return res, nil
}

// argmaxRows returns the index of the largest score in each of rows rows of
// a [rows, K] (or [rows, K, 1, 1]) float32 output.
func argmaxRows(t *tensor.Tensor, rows int) ([]int, int, error) {
	if t.DType != tensor.Float32 {
		return nil, 0, fmt.Errorf("the model's output is %v; pare eval expects float32 class scores", t.DType)
	}
	if len(t.F32) == 0 || len(t.F32)%rows != 0 {
		return nil, 0, fmt.Errorf("the model's output %v does not hold one score row per image (%d images)", t.Shape, rows)
	}
	k := len(t.F32) / rows
	preds := make([]int, rows)
	for r := range rows {
		row := t.F32[r*k : (r+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		preds[r] = best
	}
	return preds, k, nil
}

func printEval(w io.Writer, r *evalResult) {
	fmt.Fprintf(w, "%s on %s (%s): top-1 accuracy %.2f %% (%d of %d)\n", r.Model, r.Data, r.Format, 100*r.Accuracy, r.Correct, r.Count)
	for _, note := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	fmt.Fprintf(w, "\n%-12s %9s\n", "class", "accuracy")
	for c, name := range r.Classes {
		fmt.Fprintf(w, "%-12s %8.2f%%\n", name, 100*r.PerClass[c])
	}
	fmt.Fprintf(w, "\nconfusion matrix (rows: true class, columns: predicted)\n")
	for c := range r.Confusion {
		for _, v := range r.Confusion[c] {
			fmt.Fprintf(w, "%6d", v)
		}
		fmt.Fprintln(w)
	}
}
