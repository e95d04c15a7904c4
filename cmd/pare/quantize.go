package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// quantizeReport is the --json output of pare quantize (docs/quantization.md).
type quantizeReport struct {
	Model       string        `json:"model"`
	Output      string        `json:"output"`
	Method      string        `json:"method"`
	Bits        string        `json:"bits"`
	Storage     string        `json:"storage"`
	Layers      []layerReport `json:"layers"`
	TrainImages int           `json:"train_images"`
	ValImages   int           `json:"val_images,omitempty"`
	FloatValAcc *float64      `json:"float_val_accuracy,omitempty"`
	ValAcc      *float64      `json:"val_accuracy,omitempty"`
	Stages      []stageReport `json:"stages,omitempty"`
	InputBytes  int64         `json:"input_bytes"`
	OutputBytes int64         `json:"output_bytes"`
	Seconds     float64       `json:"seconds"`
	Notes       []string      `json:"notes,omitempty"`
	Recipe      string        `json:"recipe"`
	// TeacherTargets: QIL learned from the float model's outputs, not
	// the labels (--teacher-targets, or labels of another task).
	TeacherTargets bool `json:"teacher_targets,omitempty"`
}

type layerReport struct {
	Node   string `json:"node"`
	Op     string `json:"op"`
	Bits   string `json:"bits"`
	Signed bool   `json:"signed,omitempty"`
	// PerChannelWeights: one weight scale per output channel (every PTQ
	// layer, QIL's depthwise ones) instead of one for the layer.
	PerChannelWeights bool `json:"per_channel_weights,omitempty"`
}

type stageReport struct {
	Bits   string   `json:"bits"`
	Loss   float64  `json:"train_loss"`
	ValAcc *float64 `json:"val_accuracy,omitempty"`
}

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("quantize", "quantize MODEL --data TRAIN [--val VAL] [--bits 4/4] [--layer-bits NAME=3/3,...] [--keep-fp first,last|none] [--method qil|ptq] [--storage int8|int4] -o OUT [--json]", stderr)
	var (
		data, val, split, out, bitsFlag, layerBits, keep, method, schedule, storage, intervals, actInit string
		epochs, batch, limit, calib                                                                     int
		lr, intervalLR                                                                                  float64
		seed                                                                                            int64
		quantizerOnly, teacherTargets, distill, asJSON                                                  bool
		pp                                                                                              preprocessFlags
	)
	fs.StringVar(&data, "data", "", "training images (the formats of pare eval); QIL trains on them, PTQ calibrates on them (required)")
	fs.StringVar(&val, "val", "", "validation images: accuracy of the float and the quantized model, and after each stage")
	fs.StringVar(&split, "split", "train", "which split of a folder holding both --data reads; --val reads the other")
	fs.StringVar(&out, "o", "", "write the quantized QDQ model here (required)")
	fs.StringVar(&bitsFlag, "bits", "4/4", "weight/activation bits, 2..8: 4/4, w4a4, or 4 for both")
	fs.StringVar(&layerBits, "layer-bits", "", "per-layer bits by node name: NAME=3/3,NAME2=8/8 (mixed precision)")
	fs.StringVar(&keep, "keep-fp", "first,last", "layers left in full precision: first, last, node names, or none")
	fs.StringVar(&method, "method", "qil", "qil (learned intervals, trained) or ptq (min-max post-training baseline)")
	fs.StringVar(&schedule, "schedule", "progressive", "progressive (8 -> 5 -> 4 -> 3 -> 2 down to the target) or direct")
	fs.StringVar(&storage, "storage", "int8", "weight storage: int8 (opset 13, every runtime) or int4 (opset 21, half the size at 4 bits or fewer)")
	fs.IntVar(&epochs, "epochs", 1, "epochs per stage of the schedule")
	fs.Float64Var(&lr, "lr", 1e-5, "Adam learning rate of the weights")
	fs.Float64Var(&intervalLR, "interval-lr", 1e-3, "interval parameters' rate, relative to their initial size")
	fs.BoolVar(&quantizerOnly, "quantizer-only", false, "learn the intervals only; the weights stay as they are")
	fs.StringVar(&intervals, "weight-intervals", qil.DefaultIntervals, weightIntervalsHelp)
	fs.StringVar(&actInit, "act-init", qil.DefaultActInit, "QIL activation intervals: re-calibrated at the start of each stage that lowers their bits (stage: the default, the most accurate in docs/quantization.md), calibrated once at the first stage's width (first) or at the target width (target)")
	fs.BoolVar(&teacherTargets, "teacher-targets", false, "with --quantizer-only: learn from the float model's outputs, not the labels (images of another task; chosen by itself when the labels do not fit the model)")
	fs.BoolVar(&distill, "distill", false, "also learn from the float model's logits (knowledge distillation, temperature 4, weight 0.7)")
	fs.IntVar(&calib, "calibration", 512, "training images that initialise the intervals (and calibrate PTQ)")
	fs.IntVar(&batch, "batch", 64, "images per step")
	fs.IntVar(&limit, "limit", 0, "train on the first N images only (0: all)")
	fs.Int64Var(&seed, "seed", 1, "seed of shuffling")
	pp.register(fs, "")
	fs.BoolVar(&asJSON, "json", false, "print a machine-readable JSON report")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give exactly one model file")
	case data == "":
		return usagef("--data PATH is required: QIL learns its intervals from images, and PTQ calibrates on them")
	case out == "":
		return usagef("-o OUT is required")
	case epochs < 1 || batch < 1 || lr <= 0 || intervalLR <= 0:
		return usagef("--epochs and --batch must be >= 1, --lr and --interval-lr > 0")
	case method != "qil" && method != "ptq":
		return usagef("--method %s: use qil or ptq", method)
	case teacherTargets && (!quantizerOnly || method != "qil"):
		return usagef("--teacher-targets is for QIL with --quantizer-only: only the intervals may learn from the float model's answers on images of another task")
	case storage != string(qil.StorageInt8) && storage != string(qil.StorageInt4):
		return usagef("--storage %s: use int8 or int4", storage)
	case !slices.Contains(qil.IntervalChoices, intervals):
		return usagef("--weight-intervals %s: use %s", intervals, strings.Join(qil.IntervalChoices, ", "))
	case !slices.Contains(qil.ActInitChoices, actInit):
		return usagef("--act-init %s: use %s", actInit, strings.Join(qil.ActInitChoices, ", "))
	case method == "ptq" && flagSet(fs, "act-init"):
		return usagef("--act-init is for QIL: min-max PTQ calibrates every activation once")
	case method == "ptq" && flagSet(fs, "weight-intervals"):
		return usagef("--weight-intervals is for QIL: min-max PTQ always scales each output channel")
	}
	if err := pp.check(); err != nil {
		return err
	}
	opt, err := quantizeOptions(bitsFlag, layerBits, keep)
	if err != nil {
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
	inShape, err := modelInputShape(m, batch)
	if err != nil {
		return err
	}
	pre := pp.apply(dataset.DefaultPreprocess(inShape))
	loader := &train.Loader{Set: trainSet, Indices: trainIdx, Preprocess: pre, BatchSize: batch, Shuffle: true, Seed: seed}
	loader.DropLast = loader.Len() > batch
	var valLoader *train.Loader
	if valSet != nil {
		valLoader = &train.Loader{Set: valSet, Preprocess: pre, BatchSize: batch}
	}
	rep := &quantizeReport{Model: pos[0], Output: out, Method: method, Bits: opt.Bits.String(), Storage: storage,
		TrainImages: loader.Len(), Notes: notes}
	if st, err := os.Stat(pos[0]); err == nil {
		rep.InputBytes = st.Size()
	}
	ctx := context.Background()
	start := time.Now()
	if valLoader != nil {
		rep.ValImages = valLoader.Len()
		acc, err := qil.Accuracy(ctx, m, valLoader)
		if err != nil {
			return err
		}
		rep.FloatValAcc = &acc
		if !asJSON {
			fmt.Fprintf(stdout, "float model: validation accuracy %.2f %%\n", 100*acc)
		}
	}
	var result *onnx.Model
	var layers []*qil.Layer
	if method == "ptq" {
		if result, layers, err = qil.PTQ(ctx, m, loader, opt, calib, qil.Storage(storage)); err != nil {
			return err
		}
	} else {
		cfg := qil.Config{Options: opt, Schedule: schedule, Epochs: epochs, LR: lr, IntervalLR: intervalLR,
			QuantizerOnly: quantizerOnly, TeacherTargets: teacherTargets, Intervals: intervals, ActInit: actInit, CalibrationImages: calib, Seed: seed, KeepZeroTaps: qcqp.ShapePruned(m)}
		if distill {
			cfg.Distill = &train.DistillOptions{}
		}
		if result, layers, err = trainQIL(ctx, m, loader, valLoader, cfg, rep, stdout, stderr, !asJSON); err != nil {
			return err
		}
		how := ", weight intervals " + intervals + ", activation intervals " + actInit + map[bool]string{true: ", quantizer only"}[quantizerOnly]
		if rep.TeacherTargets {
			how += ", float model's outputs as targets"
		}
		recipe := fmt.Sprintf("method=QIL (%s, %d epoch(s) per stage%s); storage=%s; tool=pare %s", schedule, epochs, how, storage, version)
		for _, l := range layers {
			recipe += fmt.Sprintf("; %s=%s", l.Node, l.Bits)
		}
		if result, err = qil.Export(result, qil.Storage(storage), recipe); err != nil {
			return err
		}
	}
	for _, l := range layers {
		rep.Layers = append(rep.Layers, layerReport{Node: l.Node, Op: l.OpType, Bits: l.Bits.String(), Signed: l.Signed && l.Quantized(), PerChannelWeights: l.PerChannel && l.Quantized()})
	}
	for _, e := range result.MetadataProps {
		if e.Key == "pare.quantization" {
			rep.Recipe = e.Value
		}
	}
	if valLoader != nil {
		acc, err := qil.Accuracy(ctx, result, valLoader)
		if err != nil {
			return fmt.Errorf("evaluating the exported model: %w", err)
		}
		rep.ValAcc = &acc
	}
	if err := writeModel(result, out); err != nil {
		return err
	}
	if st, err := os.Stat(out); err == nil {
		rep.OutputBytes = st.Size()
	}
	rep.Seconds = time.Since(start).Seconds()
	if asJSON {
		return writeJSON(stdout, rep)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	for _, l := range rep.Layers {
		fmt.Fprintf(stdout, "  %-24s %-6s %s\n", l.Node, l.Op, l.Bits)
	}
	if rep.ValAcc != nil {
		fmt.Fprintf(stdout, "quantized (%s, %s): validation accuracy %.2f %%\n", method, rep.Bits, 100**rep.ValAcc)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes; the input was %d) in %.0fs\n", out, rep.OutputBytes, rep.InputBytes, rep.Seconds)
	return nil
}

// quantizeOptions parses --bits, --layer-bits and --keep-fp.
func quantizeOptions(bitsFlag, layerBits, keep string) (qil.Options, error) {
	var opt qil.Options
	b, err := qil.ParseBits(bitsFlag)
	if err != nil {
		return opt, usagef("--bits: %v", err)
	}
	opt.Bits = b
	if opt.LayerBits, err = qil.ParseLayerBits(layerBits); err != nil {
		return opt, usagef("--layer-bits: %v", err)
	}
	opt.KeepFP = qil.ParseKeepFP(keep)
	return opt, nil
}

// trainQIL runs QIL's stages with a progress bar, validating after each.
func trainQIL(ctx context.Context, m *onnx.Model, loader, valLoader *train.Loader, cfg qil.Config, rep *quantizeReport, stdout, stderr io.Writer, show bool) (*onnx.Model, []*qil.Layer, error) {
	run, err := qil.NewRun(ctx, m, loader, cfg)
	if err != nil {
		return nil, nil, err
	}
	rep.Notes = append(rep.Notes, run.Notes()...) // printed with the data's notes at the end
	rep.TeacherTargets = run.TeacherTargets()
	var bar *progressBar
	for !run.Done() {
		if bar == nil {
			bar = newProgressBar(stderr, run.Stage(), 1, show)
		}
		p, err := run.Step(ctx)
		if err != nil {
			return nil, nil, err
		}
		bar.total = int(p.Total)
		bar.Update(int(p.Done), fmt.Sprintf("loss %.4f acc %.2f%%", p.Figures["loss"], 100*p.Figures["accuracy"]))
		if p.Figures["stage_done"] == 0 {
			continue
		}
		bar.Done()
		bar = nil
		sr := stageReport{Bits: strings.Split(p.Stage, ",")[0], Loss: p.Figures["loss"]}
		what := "train accuracy"
		if rep.TeacherTargets {
			what = "agreement with the float model on the training images"
		}
		line := fmt.Sprintf("%s: %s %.2f %%", p.Stage, what, 100*p.Figures["accuracy"])
		if valLoader != nil {
			acc, _, err := train.Evaluate(ctx, run.Net(), valLoader)
			if err != nil {
				return nil, nil, err
			}
			sr.ValAcc = &acc
			line += fmt.Sprintf(", validation accuracy %.2f %%", 100*acc)
		}
		rep.Stages = append(rep.Stages, sr)
		if show {
			fmt.Fprintf(stdout, "%s [%.0fs]\n", line, p.Elapsed.Seconds())
		}
	}
	qm, err := run.Model()
	if err != nil {
		return nil, nil, err
	}
	return qm, run.Layers(), nil
}

// weightIntervalsHelp is the --weight-intervals help of pare quantize
// and pare compress.
const weightIntervalsHelp = "QIL weight intervals: depthwise (one per output channel of a depthwise Conv, one per layer elsewhere), per-channel (one per output channel of every Conv, and of every Gemm with transB=1: the default, the most accurate in docs/quantization.md) or per-layer (the paper's)"
