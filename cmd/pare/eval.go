package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
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
	var pp preprocessFlags
	pp.register(fs, "")
	split := fs.String("split", "", "which split of a folder holding both train and test files (IDX, CIFAR-10): train or test (default: test, with a note)")
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
	if err := pp.check(); err != nil {
		return err
	}
	m, sess, err := loadSession(pos[0], stderr)
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
	if k, ok := modelClasses(m, in.Name, inShape, sess.OutputNames()[0]); ok {
		if err := set.CheckClasses(k); err != nil {
			return err
		}
	}
	p := pp.apply(dataset.DefaultPreprocess(inShape))

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
	res, err := evaluate(sess, in.Name, &eval.Images{Set: set, Indices: eval.Range(0, n), Preprocess: p, BatchSize: bs}, !*asJSON, stderr)
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

// evaluate runs core/eval's Evaluator with a progress bar and turns its
// result into the report.
func evaluate(sess *exec.Session, input string, data *eval.Images, show bool, stderr io.Writer) (*evalResult, error) {
	ev, err := eval.New(data, eval.SessionForward(sess, input), eval.Options{Classes: data.Set.Classes, CheckClasses: data.Set.CheckClasses})
	if err != nil {
		return nil, err
	}
	bar := newProgressBar(stderr, "eval", data.Len(), show)
	err = job.Run(context.Background(), ev, func(p job.Progress) {
		bar.Update(int(p.Done), fmt.Sprintf("acc %.2f%%", 100*p.Figures["accuracy"]))
	})
	bar.Done()
	if err != nil {
		var be *eval.BatchError
		if errors.As(err, &be) && be.Kind == eval.ReadFailed {
			return nil, fmt.Errorf("preparing images %d..: %w", be.Seen, be.Err)
		}
		return nil, err
	}
	r := ev.Result()
	return &evalResult{Count: r.Count, Correct: r.Correct, Accuracy: r.Accuracy(), Classes: r.Classes, Confusion: r.Confusion, PerClass: r.PerClass()}, nil
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
