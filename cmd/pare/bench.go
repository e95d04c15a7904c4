package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/benchrun"
)

// benchResult holds the --json keys of pare bench (docs/cli.md).
type benchResult struct {
	Model      string  `json:"model"`
	Platform   string  `json:"platform"`
	Runs       int     `json:"runs"`
	WarmupRuns int     `json:"warmup_runs"`
	WarmupMS   float64 `json:"warmup_ms"`
	Warmed     bool    `json:"warmed"`
	Stable     bool    `json:"stable"`
	Note       string  `json:"note,omitempty"`
	MedianMS   float64 `json:"median_ms"`
	MinMS      float64 `json:"min_ms"`
	MaxMS      float64 `json:"max_ms"`
	P10MS      float64 `json:"p10_ms"`
	P90MS      float64 `json:"p90_ms"`
	MeanMS     float64 `json:"mean_ms"`
	StdMS      float64 `json:"std_ms"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench MODEL [--runs N] [--time D] [--warmup N] [--max-warmup D] [--json]", stderr)
	runs := fs.Int("runs", 10, "least number of timed runs")
	minTime := fs.Duration("time", 3*time.Second, "least duration of the timed runs (0: exactly --runs runs)")
	warmup := fs.Int("warmup", benchrun.Auto, "untimed warm-up runs (default: until the run time stops falling)")
	maxWarmup := fs.Duration("max-warmup", 20*time.Second, "longest automatic warm-up")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file")
	}
	if *runs < 1 || *warmup < benchrun.Auto || *minTime < 0 || *maxWarmup <= 0 {
		return usagef("--runs must be at least 1, --warmup at least 0, --time at least 0 and --max-warmup positive")
	}
	m, sess, err := loadSession(pos[0], stderr)
	if err != nil {
		return err
	}
	feeds, err := syntheticInputs(m, 1)
	if err != nil {
		return err
	}
	opts := benchrun.Options{Warmup: *warmup, MaxWarmup: *maxWarmup, Runs: *runs, MinTime: *minTime}
	if *minTime == 0 {
		opts.MinTime = -1
	}
	if !*asJSON {
		fmt.Fprintf(stderr, "bench: warming up and timing %s (at least %d runs and %v)...\n", pos[0], *runs, *minTime)
	}
	rep, err := benchrun.Measure(func() error { _, err := sess.Run(feeds); return err }, opts)
	if err != nil {
		return err
	}
	r := summarize(rep.Times)
	r.Model = pos[0]
	r.Platform = runtime.GOOS + "/" + runtime.GOARCH
	r.WarmupRuns, r.WarmupMS = rep.WarmupRuns, float64(rep.WarmupTime.Microseconds())/1e3
	r.Warmed, r.Stable, r.Note = rep.Warmed, rep.Stable, rep.Note
	if *asJSON {
		return writeJSON(stdout, r)
	}
	how := "until stable"
	if *warmup >= 0 {
		how = "fixed"
	} else if !rep.Warmed {
		how = "stopped at --max-warmup"
	}
	fmt.Fprintf(stdout, "%s on %s, batch 1, %d runs after %d warm-up runs (%.1f s, %s):\n",
		r.Model, r.Platform, r.Runs, r.WarmupRuns, r.WarmupMS/1e3, how)
	fmt.Fprintf(stdout, "  median %.3f ms  (p10 %.3f, p90 %.3f, min %.3f, max %.3f, mean %.3f ± %.3f)\n",
		r.MedianMS, r.P10MS, r.P90MS, r.MinMS, r.MaxMS, r.MeanMS, r.StdMS)
	if !r.Stable {
		fmt.Fprintf(stdout, "  not stable: %s\n", r.Note)
	}
	return nil
}

func summarize(times []float64) benchResult {
	var sum float64
	for _, v := range times {
		sum += v
	}
	mean := sum / float64(len(times))
	var ss float64
	for _, v := range times {
		ss += (v - mean) * (v - mean)
	}
	q := func(p float64) float64 { return benchrun.Quantile(times, p) }
	return benchResult{
		Runs: len(times), MedianMS: q(0.5), MinMS: q(0), MaxMS: q(1),
		P10MS: q(0.1), P90MS: q(0.9), MeanMS: mean, StdMS: math.Sqrt(ss / float64(len(times))),
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
