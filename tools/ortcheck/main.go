// Command ortcheck runs an ONNX classifier over a labelled image set in
// onnxruntime-node and in Pare's executor, image by image, and prints one
// JSON line: each runtime's accuracy, how many images their top classes
// disagree on, and the largest logit difference against the logit range.
// It is the check behind the "onnxruntime" columns of docs/quantization.md
// (scripts/quantize_table.sh), for any file Pare writes.
//
//	go run ./tools/ortcheck -model q.onnx -data ../shared/assets/data/mnist
//	go run ./tools/ortcheck -model q.onnx -data /usr/share/datasets/fashion-mnist -split test
//
// The images get Pare's default preprocessing for the model's input
// shape (pixels to [0, 1], or the model's own 0..255 where its input says
// so), as pare eval and pare quantize without preprocessing flags.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/ortcheck"
)

type report struct {
	Model       string  `json:"model"`
	Images      int     `json:"images"`
	PareAcc     float64 `json:"pare_accuracy"`
	OrtAcc      float64 `json:"onnxruntime_accuracy"`
	Disagree    int     `json:"disagreements"`
	MaxAbsDiff  float64 `json:"max_abs_diff"`
	LogitRange  float64 `json:"logit_range"`
	WithinRange bool    `json:"within_tolerance"`
	// Beyond is how many images have a logit outside the tolerance
	// (ortcheck.Result.Beyond: level flips at quantizer boundaries).
	Beyond int `json:"images_beyond_tolerance"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ortcheck:", err)
		os.Exit(1)
	}
}

func run() error {
	modelPath := flag.String("model", "", "ONNX classifier (required)")
	dataPath := flag.String("data", "", "labelled images, any format pare eval reads (required)")
	split := flag.String("split", "test", "which split of a folder holding both")
	limit := flag.Int("limit", 0, "the first N images only (0: all)")
	chunk := flag.Int("chunk", 1000, "images per onnxruntime process")
	flag.Parse()
	if *modelPath == "" || *dataPath == "" || *chunk < 1 || *limit < 0 {
		flag.Usage()
		os.Exit(2)
	}
	node, missing := ortcheck.Node()
	if node == "" {
		return fmt.Errorf("%s", missing)
	}
	model, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	m, err := onnx.Decode(model)
	if err != nil {
		return err
	}
	set, err := dataset.Options{Split: *split}.OpenPath(*dataPath)
	if err != nil {
		return err
	}
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return err
	}
	if len(m.Graph.Input) == 0 {
		return fmt.Errorf("the model has no input")
	}
	var inShape []int
	for _, in := range m.Graph.Input {
		if s, ok := shapes[in.Name]; ok {
			inShape = append([]int(nil), s...)
			break
		}
	}
	if len(inShape) == 0 {
		return fmt.Errorf("the model's input has no shape")
	}
	n := set.N()
	if *limit > 0 {
		n = min(n, *limit)
	}
	inShape[0] = *chunk
	loader := &train.Loader{Set: set, Preprocess: dataset.DefaultPreprocess(inShape), BatchSize: *chunk}
	if n < set.N() {
		loader.Indices = make([]int, n)
		for i := range loader.Indices {
			loader.Indices[i] = i
		}
	}
	rep := report{Model: *modelPath, WithinRange: true}
	ctx := context.Background()
	pareRight, ortRight := 0, 0
	for step := range loader.Steps() {
		x, labels, err := loader.Batch(0, step)
		if err != nil {
			return err
		}
		r, err := ortcheck.Compare(ctx, node, model, x)
		if err != nil {
			return err
		}
		for i, l := range labels {
			if r.PareTop[i] == l {
				pareRight++
			}
			if r.OrtTop[i] == l {
				ortRight++
			}
		}
		rep.Images += r.Images
		rep.Disagree += len(r.Disagreements())
		rep.MaxAbsDiff = max(rep.MaxAbsDiff, r.MaxAbsDiff)
		rep.LogitRange = max(rep.LogitRange, r.LogitRange)
		rep.WithinRange = rep.WithinRange && r.Within()
		rep.Beyond += r.Beyond
	}
	rep.PareAcc = float64(pareRight) / float64(max(1, rep.Images))
	rep.OrtAcc = float64(ortRight) / float64(max(1, rep.Images))
	return json.NewEncoder(os.Stdout).Encode(rep)
}
