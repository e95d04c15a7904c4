package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/pare-ml/pare/internal/benchrun"
	"github.com/pare-ml/pare/qcqp"
)

// latencyResult holds the --json keys of pare latency (docs/cli.md).
type latencyResult struct {
	Model            string           `json:"model"`
	Output           string           `json:"output"`
	Runtime          string           `json:"runtime"`
	Grid             int              `json:"grid"`
	FullMS           float64          `json:"full_ms"`
	PredictedFullMS  float64          `json:"predicted_full_ms"`
	OverheadMS       float64          `json:"overhead_ms"`
	Scale            float64          `json:"scale"`
	Layers           []latencyLayer   `json:"layers"`
	Validation       []latencyNetwork `json:"validation"`
	MeanPercentError float64          `json:"mean_percent_error"`
}

type latencyLayer struct {
	qcqp.LayerLatency
	Samples int `json:"samples"`
	// FullMS is the fit at the layer's full width.
	FullMS float64 `json:"full_ms"`
}

type latencyNetwork struct {
	MeasuredMS  float64 `json:"measured_ms"`
	PredictedMS float64 `json:"predicted_ms"`
}

func runLatency(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("latency", "latency MODEL -o MODEL.latency.json [--grid N] [--validate N] [--warmup N] [--time D] [--json]", stderr)
	out := fs.String("o", "", "latency model file to write (required; what a latency budget of pare prune reads)")
	grid := fs.Int("grid", 4, "widths per axis: each layer is timed at N x N (input, output) channel counts")
	validate := fs.Int("validate", 20, "random pruned networks to measure the mean percentage error on")
	warmup := fs.Int("warmup", benchrun.Auto, "untimed warm-up runs before each timing (default: until the run time stops falling)")
	maxWarmup := fs.Duration("max-warmup", 5*time.Second, "longest automatic warm-up of one timing")
	minTime := fs.Duration("time", 200*time.Millisecond, "least duration of each timing's timed runs (0: exactly 10 runs)")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give exactly one model file")
	case *out == "":
		return usagef("-o FILE is required, e.g. -o model.latency.json")
	case *grid < 2 || *grid > 16:
		return usagef("--grid %d: give 2 to 16 widths per axis (four coefficients need at least 2)", *grid)
	case *validate < 1:
		return usagef("--validate %d: give at least 1 validation network (20 is the default)", *validate)
	case *maxWarmup <= 0 || *warmup < benchrun.Auto || *minTime < 0:
		return usagef("--max-warmup must be positive, --warmup at least 0 and --time at least 0")
	}
	m, err := readModel(pos[0], stderr)
	if err != nil {
		return err
	}
	a, err := qcqp.Analyze(m)
	if err != nil {
		return err
	}
	if a.Free() == 0 {
		return fmt.Errorf("nothing in %s can be pruned (%s), so a latency model would have nothing to steer; run 'pare info --channels %s'", pos[0], a.FrozenSummary(), pos[0])
	}
	rt := pareRuntime()
	opts := qcqp.MeasureOptions{Grid: *grid, Validate: *validate, Runtime: rt, Seed: 1,
		Bench: benchrun.Options{Warmup: *warmup, MaxWarmup: *maxWarmup, MinTime: *minTime}}
	if *minTime == 0 {
		opts.Bench.MinTime = -1
	}
	if !*asJSON {
		opts.Progress = func(s string) { fmt.Fprintln(stderr, "latency:", s) }
	}
	rep, err := qcqp.MeasureLatency(context.Background(), a, opts)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := rep.Model.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	layers, err := a.Layers(qcqp.NormL1)
	if err != nil {
		return err
	}
	p, err := a.Problem(layers, nil)
	if err != nil {
		return err
	}
	full := make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		full[i] = mp.Channels
	}
	pred, err := rep.Model.Seconds(p, full)
	if err != nil {
		return err
	}
	r := &latencyResult{Model: pos[0], Output: *out, Runtime: rt, Grid: *grid, FullMS: 1e3 * rep.FullSeconds,
		PredictedFullMS: 1e3 * pred, OverheadMS: 1e3 * rep.Model.Overhead, Scale: rep.Model.Scale, MeanPercentError: rep.Model.MeanPercentError}
	for k, l := range rep.Model.Layers {
		pl := &p.Layers[k]
		r.Layers = append(r.Layers, latencyLayer{LayerLatency: l, Samples: len(rep.Samples[l.Layer]),
			FullMS: 1e3 * l.Seconds(p.InWidth(pl), p.Maps[pl.Out].Channels)})
	}
	for k, n := range rep.Networks {
		r.Validation = append(r.Validation, latencyNetwork{MeasuredMS: 1e3 * n.Seconds, PredictedMS: 1e3 * rep.Predicted[k]})
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "latency model of %s on %s -> %s\n", r.Model, r.Runtime, r.Output)
	fmt.Fprintf(stdout, "\n%-36s %11s %11s %11s %11s %9s\n", "layer (t = a + b*in + c*out + d*in*out)", "a (us)", "b (ns)", "c (ns)", "d (ns)", "full ms")
	for _, l := range r.Layers {
		fmt.Fprintf(stdout, "%-36s %11.3f %11.3f %11.3f %11.4f %9.4f\n", clip(l.Layer, 36), 1e6*l.A, 1e9*l.B, 1e9*l.C, 1e9*l.D, l.FullMS)
	}
	fmt.Fprintf(stdout, "\nwhole network: measured %.4f ms, predicted %.4f ms = overhead %.4f ms + %.3f x the layers' fits\n", r.FullMS, r.PredictedFullMS, r.OverheadMS, r.Scale)
	fmt.Fprintf(stdout, "validation: mean percentage error %.2f %% on %d random pruned networks (a quarter to all channels kept per group)\n", r.MeanPercentError, len(r.Validation))
	return nil
}

// pareRuntime names the runtime Pare's timings ran on.
func pareRuntime() string { return "pare " + runtime.GOOS + "/" + runtime.GOARCH }
