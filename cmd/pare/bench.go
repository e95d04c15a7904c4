package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"time"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// benchResult holds the --json keys of pare bench (docs/cli.md).
type benchResult struct {
	Model    string  `json:"model"`
	Platform string  `json:"platform"`
	Runs     int     `json:"runs"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	P10MS    float64 `json:"p10_ms"`
	P90MS    float64 `json:"p90_ms"`
	MeanMS   float64 `json:"mean_ms"`
	StdMS    float64 `json:"std_ms"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench MODEL [--runs N] [--warmup N] [--json]", stderr)
	runs := fs.Int("runs", 30, "timed runs after warm-up")
	warmup := fs.Int("warmup", 3, "untimed warm-up runs")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file")
	}
	if *runs < 1 || *warmup < 0 {
		return usagef("--runs must be at least 1 and --warmup at least 0")
	}
	m, sess, err := loadModel(pos[0], stderr)
	if err != nil {
		return err
	}
	feeds, err := syntheticInputs(m, 1)
	if err != nil {
		return err
	}
	for i := 0; i < *warmup; i++ {
		if _, err := sess.Run(feeds); err != nil {
			return err
		}
	}
	bar := newProgressBar(stderr, "bench", *runs, !*asJSON)
	times := make([]float64, 0, *runs)
	for i := 0; i < *runs; i++ {
		start := time.Now()
		if _, err := sess.Run(feeds); err != nil {
			return err
		}
		times = append(times, float64(time.Since(start).Nanoseconds())/1e6)
		bar.Update(i+1, "")
	}
	bar.Done()
	r := summarize(times)
	r.Model = pos[0]
	r.Platform = runtime.GOOS + "/" + runtime.GOARCH
	if *asJSON {
		return writeJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "%s on %s, batch 1, %d runs after %d warm-up:\n", r.Model, r.Platform, r.Runs, *warmup)
	fmt.Fprintf(stdout, "  median %.3f ms  (p10 %.3f, p90 %.3f, min %.3f, max %.3f, mean %.3f ± %.3f)\n",
		r.MedianMS, r.P10MS, r.P90MS, r.MinMS, r.MaxMS, r.MeanMS, r.StdMS)
	return nil
}

func summarize(times []float64) benchResult {
	s := append([]float64(nil), times...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		pos := p * float64(len(s)-1)
		lo := int(math.Floor(pos))
		hi := int(math.Ceil(pos))
		return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	mean := sum / float64(len(s))
	var ss float64
	for _, v := range s {
		ss += (v - mean) * (v - mean)
	}
	return benchResult{
		Runs: len(s), MedianMS: q(0.5), MinMS: s[0], MaxMS: s[len(s)-1],
		P10MS: q(0.1), P90MS: q(0.9), MeanMS: mean, StdMS: math.Sqrt(ss / float64(len(s))),
	}
}

// syntheticInputs makes deterministic inputs for every graph input, with
// symbolic batch dims set to batch. Float inputs are uniform in [0, 1).
func syntheticInputs(m *onnx.Model, batch int) (map[string]*tensor.Tensor, error) {
	shapes, err := graph.DefaultInputShapes(m, batch)
	if err != nil {
		return nil, err
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	feeds := map[string]*tensor.Tensor{}
	for _, in := range g.Inputs() {
		shape := shapes[in.Name]
		dt := tensor.Float32
		if in.Type != nil && in.Type.TensorType != nil {
			dt = tensor.DType(in.Type.TensorType.ElemType)
		}
		if dt != tensor.Float32 && dt != tensor.Int64 {
			return nil, fmt.Errorf("input %s has element type %v; pare bench makes float32 and int64 inputs only", in.Name, dt)
		}
		t, err := tensor.NewChecked(dt, shape)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", in.Name, err)
		}
		switch dt {
		case tensor.Float32:
			for i := range t.F32 {
				t.F32[i] = rng.Float32()
			}
		case tensor.Int64:
			// index-like inputs: zeros are always in range
		}
		feeds[in.Name] = t
	}
	return feeds, nil
}
