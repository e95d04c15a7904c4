package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/core/units"
	"github.com/pare-ml/pare/qcqp"
)

// pare train and pare finetune share this engine (core/train's Prepare and
// Fit); they differ in their defaults (train.TrainDefaults and
// train.FinetuneDefaults).

// trainFlags are the parsed command line of pare train / finetune.
type trainFlags struct {
	fs *flag.FlagSet
	// splitGiven: the user named --split, so a folder without that split
	// is an error rather than a fallback to the one it holds.
	splitGiven                         bool
	data, val, out, opt, sched, logits string
	split, freeze, teacher             string
	epochs, batch, warmup, limit       int
	padCrop                            int
	lr, momentum, decay, clip          float64
	valSplit                           float64
	seed                               int64
	nesterov, hflip, freezeBN, asJSON  bool
	distill, allowWorse                bool
	pre                                preprocessFlags
}

func newTrainFlags(name, synopsis string, def train.Config, valSplit float64, stderr io.Writer) *trainFlags {
	f := &trainFlags{fs: newFlagSet(name, synopsis, stderr)}
	fs := f.fs
	fs.StringVar(&f.data, "data", "", "training images: IDX folder or files, CIFAR-10 binary, ImageFolder dir or .zip (the formats of pare eval)")
	fs.StringVar(&f.val, "val", "", "validation images, evaluated before training, after each epoch (and mid-epoch for long ones); the best weights are kept")
	fs.Float64Var(&f.valSplit, "val-split", valSplit, "hold out this fraction of --data (stratified, seeded) for validation when --val is not given (0: no validation)")
	fs.StringVar(&f.split, "split", "train", "which split of a folder holding both train and test files (IDX, CIFAR-10) --data reads; --val reads the other")
	fs.StringVar(&f.out, "o", "", "write the trained model here (required)")
	fs.IntVar(&f.epochs, "epochs", def.Epochs, "passes over the training images")
	fs.Float64Var(&f.lr, "lr", def.LR, "learning rate (0: chosen by a learning-rate range test on a few batches)")
	fs.StringVar(&f.opt, "optimizer", def.Optimizer, "sgd, adam or adamw")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "SGD momentum")
	fs.BoolVar(&f.nesterov, "nesterov", def.Nesterov, "Nesterov momentum (SGD)")
	fs.Float64Var(&f.decay, "weight-decay", def.WeightDecay, "weight decay of Conv/Gemm/MatMul weights (biases and BatchNorm get none)")
	fs.StringVar(&f.sched, "schedule", def.Schedule, "learning-rate schedule: constant, cosine or step (x0.1 every third of the run)")
	fs.IntVar(&f.warmup, "warmup", def.WarmupSteps, "steps of linear learning-rate warm-up (-1: 5 % of the run, at most 100)")
	fs.Float64Var(&f.clip, "clip", 0, "clip the global gradient norm to this (0: off)")
	fs.IntVar(&f.batch, "batch", 64, "images per step")
	fs.Int64Var(&f.seed, "seed", 1, "seed of shuffling, augmentation, dropout and the validation split")
	fs.IntVar(&f.limit, "limit", 0, "train on the first N images only (0: all)")
	fs.IntVar(&f.padCrop, "pad-crop", 0, "augment: shift images by up to N pixels (random crop of the image padded by N)")
	fs.BoolVar(&f.hflip, "hflip", false, "augment: mirror images left-right at random (not for digits)")
	fs.StringVar(&f.freeze, "freeze", "", "comma-separated initializer names to keep fixed")
	fs.BoolVar(&f.freezeBN, "freeze-bn", false, fmt.Sprintf("use BatchNorm running statistics instead of batch statistics while training (finetune: on by itself below --batch %d)", train.SmallBatch))
	fs.StringVar(&f.logits, "logits", "", "value the loss attaches to (default: the output, or the input of a final Softmax)")
	fs.BoolVar(&f.distill, "distill", false, "knowledge distillation: train against the original model's softened logits (temperature 4, weight 0.7) and the labels (0.3)")
	fs.StringVar(&f.teacher, "teacher", "", "with --distill, the teacher model (default: MODEL as given, before training)")
	fs.BoolVar(&f.allowWorse, "allow-worse", false, "write the trained weights even when they validate worse than MODEL's (default: keep the best validated, possibly MODEL's own)")
	f.pre.register(fs, "")
	fs.BoolVar(&f.asJSON, "json", false, "print a machine-readable JSON report")
	return f
}

// trainReport is the --json output of pare train / finetune (docs/training.md).
type trainReport struct {
	Model           string             `json:"model"`
	Output          string             `json:"output"`
	Data            string             `json:"data"`
	Val             string             `json:"val,omitempty"`
	TrainImages     int                `json:"train_images"`
	ValImages       int                `json:"val_images"`
	Params          int                `json:"trainable_params"`
	Batch           int                `json:"batch"`
	Optimizer       string             `json:"optimizer"`
	Schedule        string             `json:"schedule"`
	Warmup          int                `json:"warmup_steps"`
	LR              float64            `json:"lr"`
	LRSource        string             `json:"lr_source"`
	Distill         bool               `json:"distill"`
	FreezeBN        bool               `json:"freeze_bn"`
	MemoryBytes     int64              `json:"memory_bytes"`
	ActivationBytes int64              `json:"activation_bytes"`
	InitialValAcc   *float64           `json:"initial_val_accuracy,omitempty"`
	RecalValAcc     *float64           `json:"recalibrated_val_accuracy,omitempty"`
	BestValAcc      *float64           `json:"best_val_accuracy,omitempty"`
	Kept            train.Kept         `json:"kept"`
	Retries         int                `json:"retries"`
	Diverged        bool               `json:"diverged"`
	Epochs          []epochReport      `json:"epochs"`
	Checkpoints     []train.Checkpoint `json:"checkpoints,omitempty"`
	Probe           []train.ProbePoint `json:"probe,omitempty"`
	Events          []string           `json:"events,omitempty"`
	ImagesPerSecond float64            `json:"images_per_second"`
	Seconds         float64            `json:"seconds"`
	Notes           []string           `json:"notes,omitempty"`
}

type epochReport struct {
	Epoch    int      `json:"epoch"`
	Loss     float64  `json:"loss"`
	Accuracy float64  `json:"accuracy"`
	ValLoss  *float64 `json:"val_loss,omitempty"`
	ValAcc   *float64 `json:"val_accuracy,omitempty"`
	Seconds  float64  `json:"seconds"`
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	f := newTrainFlags("train", "train MODEL --data TRAIN [--val VAL] [--epochs N] [--lr L] [--optimizer sgd|adam] [--batch B] [--seed S] -o OUT [--json]",
		train.TrainDefaults(), 0, stderr)
	return f.run("train", args, stdout, stderr)
}

func (f *trainFlags) run(cmd string, args []string, stdout, stderr io.Writer) error {
	pos, err := parseInterleaved(f.fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give exactly one model file")
	case f.data == "":
		return usagef("--data PATH is required")
	case f.out == "":
		return usagef("-o OUT is required")
	case f.epochs < 1 || f.batch < 1 || f.lr < 0:
		return usagef("--epochs and --batch must be >= 1 and --lr >= 0 (0 chooses it)")
	case f.valSplit < 0 || f.valSplit >= 1:
		return usagef("--val-split must be in [0, 1)")
	case f.teacher != "" && !f.distill:
		return usagef("--teacher is for --distill")
	case !slices.Contains([]string{"sgd", "adam", "adamw"}, f.opt):
		return usagef("--optimizer %q: use sgd, adam or adamw", f.opt)
	}
	if err := f.pre.check(); err != nil {
		return err
	}
	if err := checkOutputFile("-o", f.out); err != nil {
		return err
	}
	m, err := readModel(pos[0], stderr)
	if err != nil {
		return err
	}
	// Training runs its own executor: refuse what every other command
	// refuses (a Conv with group 0, an input type Pare cannot compute on,
	// sizes that cannot fit) first.
	if err := exec.Validate(m); err != nil {
		return err
	}
	setup := train.Setup{Model: m, Limit: f.limit, Batch: f.batch, Seed: f.seed,
		Augment:    train.Augment{PadCrop: f.padCrop, HFlip: f.hflip},
		Net:        train.NetOptions{Logits: f.logits, Seed: f.seed, FreezeBatchNorm: f.freezeBN},
		Preprocess: f.pre.preprocess(),
		// Taps that kernel-shape pruning removed stay removed.
		KeepZeroTaps: qcqp.ShapePruned(m)}
	var notes []string
	if cmd == "finetune" && f.batch < train.SmallBatch && !flagSet(f.fs, "freeze-bn") {
		setup.Net.FreezeBatchNorm = true
		notes = append(notes, fmt.Sprintf("BatchNorm uses its running statistics (--freeze-bn): batches of %d images are too few to estimate new ones", f.batch))
	}
	if f.distill {
		setup.Distill = &train.DistillOptions{}
		if f.teacher != "" {
			if setup.Teacher, err = readModel(f.teacher, stderr); err != nil {
				return err
			}
		}
	}
	if f.freeze != "" {
		// Check the names before reading any image.
		probe, err := train.NewNet(m, setup.Net)
		if err != nil {
			return err
		}
		if err := f.applyFreeze(probe); err != nil {
			return err
		}
	}
	if setup.Train, err = (dataset.Options{Split: f.split}).OpenPath(f.data); err != nil {
		// A folder holding one split only (MNIST's t10k files) is what
		// the user means when --split is not given.
		only, again := (dataset.Options{}).OpenPath(f.data)
		if flagSet(f.fs, "split") || again != nil {
			return err
		}
		setup.Train = only
		notes = append(notes, fmt.Sprintf("%s holds no %s split; training on its %s images", f.data, f.split, cmp.Or(only.SplitName, "only")))
	}
	notes = append(notes, setup.Train.Notes...)
	if f.val != "" {
		other := dataset.SplitTest
		if f.split == dataset.SplitTest {
			other = dataset.SplitTrain
		}
		if setup.Val, err = (dataset.Options{Split: other}).OpenPath(f.val); err != nil {
			return err
		}
	} else {
		setup.ValFraction = f.valSplit
	}
	plan, err := train.Prepare(setup)
	if err != nil {
		return err
	}
	net := plan.Net
	if err := f.applyFreeze(net); err != nil {
		return err
	}
	if len(m.Graph.Output) > 0 {
		if k, ok := modelClasses(m, net.InputNames()[0], plan.InputShape, m.Graph.Output[0].Name); ok {
			for _, s := range []*dataset.Set{setup.Train, setup.Val} {
				if s != nil {
					if err := s.CheckClasses(k); err != nil {
						return err
					}
				}
			}
		}
	}
	notes = append(notes, plan.Notes...)
	cfg := train.Config{Epochs: f.epochs, Optimizer: f.opt, LR: f.lr, Momentum: f.momentum, Nesterov: f.nesterov,
		WeightDecay: f.decay, Schedule: f.sched, WarmupSteps: f.warmup, ClipNorm: f.clip}
	if f.momentum == 0 {
		cfg.Momentum = -1
	}
	opts := plan.Options(cfg)
	opts.AllowWorse = f.allowWorse
	fit, err := train.NewFit(net, opts)
	if err != nil {
		return err
	}
	rep := &trainReport{Model: pos[0], Output: f.out, Data: f.data, Val: f.val, TrainImages: plan.Train.Len(),
		Params: net.NumParams(), Batch: f.batch, Optimizer: cmp.Or(f.opt, "sgd"), Schedule: cmp.Or(f.sched, "constant"),
		Warmup: opts.WarmupSteps, Distill: f.distill, FreezeBN: setup.Net.FreezeBatchNorm,
		MemoryBytes: plan.Memory.Total(), ActivationBytes: plan.Memory.Activations, Notes: notes}
	if plan.Val != nil {
		rep.ValImages = plan.Val.Len()
	}
	if !f.asJSON {
		fmt.Fprintf(stdout, "%s: %d trainable values in %d tensors; %d training images", cmd, rep.Params, len(net.Params), rep.TrainImages)
		if plan.Val != nil {
			fmt.Fprintf(stdout, ", %d validation images", rep.ValImages)
		}
		fmt.Fprintf(stdout, "\nmemory at batch %d: %s (activations kept for backward %s)\n", f.batch, units.Bytes(rep.MemoryBytes), units.Bytes(rep.ActivationBytes))
		for _, n := range notes {
			fmt.Fprintln(stdout, "note:", n)
		}
	}
	if err := driveFit(context.Background(), fit, stdout, stderr, !f.asJSON); err != nil {
		if fit.Result().Images == 0 && f.batch > 1 && !errors.Is(err, context.Canceled) {
			// Graphs exported with a batch of 1 baked into a Reshape fail
			// on the first batch.
			return fmt.Errorf("%w\n(the first batch failed: if the graph fixes its batch size, try --batch 1)", err)
		}
		return err
	}
	res := fit.Result()
	rep.fill(res)
	if err := writeModel(m, f.out); err != nil {
		return err
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "wrote %s (%s weights; %.0f images/s, %.0fs)\n", f.out, res.Kept, rep.ImagesPerSecond, rep.Seconds)
	return nil
}

// fill copies the job's result into the report.
func (rep *trainReport) fill(res *train.FitResult) {
	rep.LR, rep.LRSource, rep.Probe = res.LR, res.LRSource, res.Probe
	rep.Kept, rep.Retries, rep.Diverged = res.Kept, res.Retries, res.Diverged
	rep.Checkpoints, rep.Events = res.Checkpoints, res.Events
	if res.Initial != nil {
		rep.InitialValAcc = &res.Initial.Accuracy
	}
	if res.Recalibrated != nil {
		rep.RecalValAcc = &res.Recalibrated.Accuracy
	}
	if res.Best != nil {
		rep.BestValAcc = &res.Best.Accuracy
	}
	for _, e := range res.Epochs {
		er := epochReport{Epoch: e.Epoch, Loss: e.Loss, Accuracy: e.Accuracy, Seconds: e.Seconds}
		if e.Val != nil {
			er.ValAcc, er.ValLoss = &e.Val.Accuracy, &e.Val.Loss
		}
		rep.Epochs = append(rep.Epochs, er)
	}
	rep.Seconds = res.Seconds
	if res.Seconds > 0 {
		rep.ImagesPerSecond = float64(res.Images) / res.Seconds
	}
}

// driveFit runs fit to the end, drawing one progress bar per stage on
// stderr and printing the job's messages on stdout.
func driveFit(ctx context.Context, fit *train.Fit, stdout, stderr io.Writer, show bool) error {
	var bar *progressBar
	stage := ""
	defer func() {
		if bar != nil {
			bar.Done()
		}
	}()
	return job.Run(ctx, fit, func(p job.Progress) {
		if p.Stage != stage || bar == nil {
			if bar != nil {
				bar.Done()
			}
			stage = p.Stage
			bar = newProgressBar(stderr, stage, int(p.Total), show)
		}
		bar.Update(int(p.Done), progressFigures(p))
		if p.Message != "" && show {
			bar.Done()
			fmt.Fprintln(stdout, p.Message)
			bar = newProgressBar(stderr, stage, int(p.Total), show)
		}
	})
}

// progressFigures is the text after a bar: the figures a stage reports.
func progressFigures(p job.Progress) string {
	fig := p.Figures
	switch p.Stage {
	case "train":
		return fmt.Sprintf("epoch %.0f loss %.4f acc %.2f%% lr %.3g", fig["epoch"], fig["loss"], 100*fig["accuracy"], fig["lr"])
	case "probe":
		return fmt.Sprintf("lr %.2g loss %.4f", fig["lr"], fig["loss"])
	}
	return fmt.Sprintf("acc %.2f%%", 100*fig["accuracy"])
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

func (f *trainFlags) applyFreeze(net *train.Net) error {
	if f.freeze == "" {
		return nil
	}
	for _, name := range strings.Split(f.freeze, ",") {
		name = strings.TrimSpace(name)
		p := net.Param(name)
		if p == nil {
			var names []string
			for _, q := range net.Params {
				names = append(names, q.Name)
			}
			return usagef("--freeze %s: no such parameter; the parameters are %s", name, strings.Join(names, ", "))
		}
		p.Frozen = true
	}
	return nil
}

func writeModel(m *onnx.Model, path string) error {
	data, err := onnx.Encode(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}
