package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/core/units"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// compressResult is the --json output of pare compress: the pipeline's
// report and the files written (docs/cli.md).
type compressResult struct {
	Model  string            `json:"model"`
	Output string            `json:"output"`
	Stages map[string]string `json:"stage_files,omitempty"`
	*compress.Report
}

func runCompress(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compress", "compress MODEL --data TRAIN [--val VAL] [--test TEST] [--budget macs=50%[,params=..,memory=..,latency=2ms]] [--latency-model FILE] [--bits w4a4] -o OUT [--json]", stderr)
	var (
		budgets                                          stringList
		data, val, test, split, out, bits, keep, storage string
		layerBits, schedule, intervals                   string
		qilEpochs                                        int
		quantizerOnly                                    bool
		importance, minKeep                              string
		timeLimit                                        time.Duration
		epochs, batch, limit                             int
		seed                                             int64
		noDistill, noFinetune, keepStages, asJSON        bool
		pre                                              preprocessFlags
	)
	fs.Var(&budgets, "budget", "resource caps of the pruned model: macs, params or memory = a percentage (50%), a fraction (0.5) or a figure (1.2M, 2MB); latency = a time (2ms, 500us) or a percentage, with --latency-model; repeat or separate with commas; without a budget nothing is pruned or fine-tuned, and the model is quantized only")
	latencyFile := fs.String("latency-model", "", "latency model written by 'pare latency' (or the web app), read by a latency budget")
	fs.StringVar(&data, "data", "", "labelled training images (the formats of pare eval): fine-tuning and QIL learn from them (required)")
	fs.StringVar(&val, "val", "", "validation images: keep-best and every stage's accuracy (default: 10 % of --data held out, stratified)")
	fs.StringVar(&test, "test", "", "test images no stage looks at: every stage's accuracy on them is reported")
	fs.StringVar(&split, "split", "train", "which split of a folder holding both --data reads; --val and --test read the other")
	fs.StringVar(&out, "o", "", "write the compressed QDQ model here (required)")
	fs.StringVar(&bits, "bits", "4/4", "weight/activation bits, 2..8: 4/4, w4a4, or 4 for both")
	fs.StringVar(&keep, "keep-fp", "first,last", "layers left in full precision: first, last, node names, or none")
	fs.StringVar(&layerBits, "layer-bits", "", "per-layer bits by node name: NAME=3/3,NAME2=8/8 (mixed precision)")
	fs.StringVar(&schedule, "schedule", "progressive", "QIL schedule: progressive (8 -> 5 -> 4 -> 3 -> 2 down to the target) or direct")
	fs.IntVar(&qilEpochs, "qil-epochs", 1, "QIL epochs per stage of the schedule")
	fs.BoolVar(&quantizerOnly, "quantizer-only", false, "QIL learns the intervals only; the fine-tuned weights stay as they are")
	fs.StringVar(&intervals, "weight-intervals", qil.DefaultIntervals, weightIntervalsHelp)
	fs.StringVar(&storage, "storage", "int8", "weight storage: int8 (opset 13, every runtime) or int4 (opset 21, half the size)")
	fs.StringVar(&importance, "importance", "l1", "how channels are scored for pruning: l1 (the paper's) or l2")
	fs.StringVar(&minKeep, "min-keep", "auto", "the share of every prunable channel group that pruning must keep (25% or 0.25); auto: 25 %, lowered as far as the budget needs; 0: one channel (the paper's problem)")
	fs.DurationVar(&timeLimit, "time-limit", 10*time.Second, "stop the channel-selection solver after this long and keep its best selection")
	fs.IntVar(&epochs, "epochs", 0, fmt.Sprintf("fine-tune epochs (0: enough for %d steps, at most 20)", compress.MinFinetuneSteps))
	fs.BoolVar(&noDistill, "no-distill", false, "fine-tune on the labels alone (default: distil from MODEL)")
	fs.BoolVar(&noFinetune, "no-finetune", false, "quantize the pruned model without fine-tuning it first")
	fs.BoolVar(&keepStages, "keep-stages", false, "also write OUT's pruned and fine-tuned float models beside it (OUT.pruned.onnx, OUT.finetuned.onnx)")
	fs.IntVar(&batch, "batch", 64, "images per training step")
	fs.IntVar(&limit, "limit", 0, "train on the first N images only (0: all)")
	fs.Int64Var(&seed, "seed", 1, "seed of shuffling and the validation hold-out")
	pre.register(fs, "")
	fs.BoolVar(&asJSON, "json", false, "print the machine-readable JSON report")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give exactly one model file")
	case data == "":
		return usagef("--data PATH is required: fine-tuning and QIL learn from labelled images")
	case len(budgets) == 0 && (noDistill || epochs > 0 || keepStages || flagSet(fs, "importance") || flagSet(fs, "time-limit") || flagSet(fs, "min-keep")):
		return usagef("without --budget nothing is pruned and nothing fine-tuned (the model is quantized only): --no-distill, --epochs, --keep-stages, --importance, --time-limit and --min-keep have nothing to act on; give a budget, e.g. --budget macs=50%%")
	case out == "":
		return usagef("-o OUT is required")
	case importance != "l1" && importance != "l2":
		return usagef("--importance %q: want l1 or l2", importance)
	case storage != string(qil.StorageInt8) && storage != string(qil.StorageInt4):
		return usagef("--storage %s: use int8 or int4", storage)
	case timeLimit <= 0:
		return usagef("--time-limit must be positive")
	case schedule != "progressive" && schedule != "direct":
		return usagef("--schedule %s: use progressive or direct", schedule)
	case qilEpochs < 1:
		return usagef("--qil-epochs must be >= 1")
	case !slices.Contains(qil.IntervalChoices, intervals):
		return usagef("--weight-intervals %s: use %s", intervals, strings.Join(qil.IntervalChoices, ", "))
	case epochs < 0 || batch < 1 || limit < 0:
		return usagef("--epochs must be >= 0 (0: chosen), --batch >= 1, --limit >= 0")
	case noFinetune && (noDistill || epochs > 0):
		return usagef("--no-finetune leaves nothing for --no-distill or --epochs")
	}
	bs, lat, err := parseBudgets(budgets)
	if err != nil {
		return usagef("%v", err)
	}
	keepShare, autoKeep, err := parseMinKeep(minKeep)
	if err != nil {
		return usagef("--min-keep: %v", err)
	}
	lm, err := latencyModelFor(lat, *latencyFile, pos[0])
	if err != nil {
		return err
	}
	qopt, err := quantizeOptions(bits, layerBits, keep)
	if err != nil {
		return err
	}
	if err := pre.check(); err != nil {
		return err
	}
	if err := checkOutputFile("-o", out); err != nil {
		return err
	}
	m, err := readModel(pos[0], stderr)
	if err != nil {
		return err
	}
	tf := &trainFlags{data: data, val: val, split: split, limit: limit, seed: seed, splitGiven: flagSet(fs, "split")}
	trainSet, valSet, trainIdx, _, notes, err := tf.openData()
	if err != nil {
		return err
	}
	cfg := compress.Config{Model: m, Budgets: bs, Importance: qcqp.Norm(importance), SolverTime: timeLimit,
		Train: trainSet, TrainIndices: trainIdx, Val: valSet, Batch: batch, Seed: seed,
		Preprocess: pre.preprocess(),
		NoDistill:  noDistill, SkipFinetune: noFinetune,
		Quantize: qil.Config{Options: qopt, Schedule: schedule, Epochs: qilEpochs, QuantizerOnly: quantizerOnly, Intervals: intervals, Seed: seed},
		Storage:  qil.Storage(storage)}
	if !autoKeep {
		cfg.MinKeep = &keepShare
	}
	if lat != nil {
		cfg.Latency, cfg.LatencyModel = lat, lm
	}
	if epochs > 0 {
		cfg.Finetune = train.FinetuneDefaults()
		cfg.Finetune.Epochs = epochs
	}
	if test != "" {
		other := dataset.SplitTest
		if split == dataset.SplitTest {
			other = dataset.SplitTrain
		}
		if cfg.Test, err = (dataset.Options{Split: other}).OpenPath(test); err != nil {
			return err
		}
	}
	p, err := compress.New(cfg)
	if err != nil {
		return err
	}
	if err := driveCompress(context.Background(), p, stdout, stderr, !asJSON); err != nil {
		if errors.Is(err, qcqp.ErrInfeasible) {
			return fmt.Errorf("%v\n(run 'pare info --channels %s' to see what cannot be pruned)", err, pos[0])
		}
		return err
	}
	res := &compressResult{Model: pos[0], Output: out, Report: p.Report()}
	res.Notes = append(notes, res.Notes...)
	if err := writeFileAtomic(out, p.Output()); err != nil {
		return err
	}
	if keepStages {
		res.Stages = map[string]string{}
		base := strings.TrimSuffix(out, ".onnx")
		for _, name := range []string{"pruned", "finetuned"} {
			path := base + "." + name + ".onnx"
			if err := writeModel(p.Model(name), path); err != nil {
				return err
			}
			res.Stages[name] = path
		}
	}
	if asJSON {
		return writeJSON(stdout, res)
	}
	printCompress(stdout, res)
	return nil
}

// driveCompress runs the pipeline with one progress bar per sub-step.
func driveCompress(ctx context.Context, p *compress.Pipeline, stdout, stderr io.Writer, show bool) error {
	var bar *progressBar
	label := ""
	defer func() {
		if bar != nil {
			bar.Done()
		}
	}()
	return job.Run(ctx, p, func(pr job.Progress) {
		l := pr.Stage + " " + p.Doing()
		if l != label || bar == nil {
			if bar != nil {
				bar.Done()
			}
			label = l
			bar = newProgressBar(stderr, label, int(max(pr.Total, 0)), show)
		}
		bar.Update(int(pr.Done), compressFigures(pr))
		if pr.Message != "" && show {
			bar.Done()
			fmt.Fprintln(stdout, pr.Message)
			bar = newProgressBar(stderr, label, int(max(pr.Total, 0)), show)
		}
	})
}

func compressFigures(pr job.Progress) string {
	f := pr.Figures
	if _, ok := f["incumbent"]; ok {
		return fmt.Sprintf("objective %.6g gap %.3g nodes %.0f", f["incumbent"], f["gap"], f["nodes"])
	}
	if _, ok := f["loss"]; ok {
		return fmt.Sprintf("loss %.4f acc %.2f%%", f["loss"], 100*f["accuracy"])
	}
	if a, ok := f["accuracy"]; ok {
		return fmt.Sprintf("acc %.2f%%", 100*a)
	}
	return ""
}

func printCompress(w io.Writer, r *compressResult) {
	rc := r.Recipe
	ran := fmt.Sprintf("%s; fine-tune: %s", strings.Join(rc.Budgets, ","), rc.Finetune)
	if rc.Prune == "skipped" {
		ran = "no budget: quantized only, prune and fine-tune skipped"
	}
	fmt.Fprintf(w, "compressed %s -> %s (%s; QIL %s, %s, %s storage)\n", r.Model, r.Output, ran, rc.Bits, rc.Schedule, rc.Storage)
	if s := r.Solver; s != nil {
		gap := "unproven"
		if s.Gap != nil {
			gap = fmt.Sprintf("%.3g %%", 100**s.Gap)
		}
		fmt.Fprintf(w, "solver   %s: objective %.6g, gap %s, %d nodes, %.2f s\n", s.Status, s.Objective, gap, s.Nodes, s.Seconds)
	}
	fmt.Fprintf(w, "\n%-8s %14s %14s %14s %14s %8s\n", "resource", "original", "pruned", "written", "budget", "written %")
	for _, res := range qcqp.Resources {
		c := r.Resources[res]
		budget := "-"
		if c.Budget != nil {
			budget = units.Thousands(int64(*c.Budget))
		}
		fmt.Fprintf(w, "%-8s %14s %14s %14s %14s %7.1f%%\n", res, units.Thousands(int64(c.Before)), units.Thousands(int64(c.Pruned)), units.Thousands(int64(c.After)), budget, 100*c.After/c.Before)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "%-8s %11.4g ms %11.4g ms %14s %11.4g ms %7.1f%%  (predicted by the %s latency model, mean error %.1f %%)\n", "latency",
			l.PredictedBeforeMS, l.PredictedAfterMS, "-", l.BudgetMS, 100*l.PredictedAfterMS/l.PredictedBeforeMS, l.Runtime, l.ModelError)
	}
	fmt.Fprintf(w, "\n%-10s %10s %10s %12s\n", "model", "val acc", "test acc", "file")
	for _, name := range []string{"original", "pruned", "finetuned", "quantized"} {
		a, ok := r.Accuracy[name]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%-10s %10s %10s %12s\n", name, pct(a.Val), pct(a.Test), units.Bytes(r.Bytes[name]))
	}
	fmt.Fprintf(w, "\ntime    ")
	for _, s := range compress.Stages {
		fmt.Fprintf(w, " %s %.1f s,", s, r.Seconds[s])
	}
	fmt.Fprintf(w, " total %.1f s\n", r.TotalSeconds)
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintf(w, "wrote %s (%s)\n", r.Output, units.Bytes(r.Bytes["quantized"]))
	for _, name := range []string{"pruned", "finetuned"} {
		if path, ok := r.Stages[name]; ok {
			fmt.Fprintf(w, "wrote %s (the %s float model)\n", path, name)
		}
	}
}

func pct(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f %%", 100**v)
}
