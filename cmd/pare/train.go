package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
)

// pare train and pare finetune share this engine; they differ in their
// defaults (see trainDefaults).

// trainDefaults are the flag defaults of one command.
type trainDefaults struct {
	epochs      int
	lr          float64
	schedule    string
	warmup      int
	weightDecay float64
	nesterov    bool
}

// trainFlags are the parsed command line of pare train / finetune.
type trainFlags struct {
	fs                                 *flag.FlagSet
	data, val, out, opt, sched, logits string
	split, freeze                      string
	epochs, batch, warmup, limit       int
	padCrop                            int
	lr, momentum, decay, clip, scale   float64
	valSplit                           float64
	seed                               int64
	nesterov, hflip, freezeBN, asJSON  bool
	mean, std                          floatList
	order                              string
}

func newTrainFlags(name, synopsis string, def trainDefaults, stderr io.Writer) *trainFlags {
	f := &trainFlags{fs: newFlagSet(name, synopsis, stderr)}
	fs := f.fs
	fs.StringVar(&f.data, "data", "", "training images: IDX folder or files, CIFAR-10 binary, ImageFolder dir or .zip (the formats of pare eval)")
	fs.StringVar(&f.val, "val", "", "validation images, evaluated after each epoch (default: --val-split of --data, if set)")
	fs.Float64Var(&f.valSplit, "val-split", 0, "hold out this fraction of --data (stratified, seeded) for validation when --val is not given")
	fs.StringVar(&f.split, "split", "train", "which split of a folder holding both train and test files (IDX, CIFAR-10) --data reads; --val reads the other")
	fs.StringVar(&f.out, "o", "", "write the trained model here (required)")
	fs.IntVar(&f.epochs, "epochs", def.epochs, "passes over the training images")
	fs.Float64Var(&f.lr, "lr", def.lr, "learning rate")
	fs.StringVar(&f.opt, "optimizer", "sgd", "sgd, adam or adamw")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "SGD momentum")
	fs.BoolVar(&f.nesterov, "nesterov", def.nesterov, "Nesterov momentum (SGD)")
	fs.Float64Var(&f.decay, "weight-decay", def.weightDecay, "weight decay of Conv/Gemm/MatMul weights (biases and BatchNorm get none)")
	fs.StringVar(&f.sched, "schedule", def.schedule, "learning-rate schedule: constant, cosine or step (x0.1 every third of the run)")
	fs.IntVar(&f.warmup, "warmup", def.warmup, "steps of linear learning-rate warm-up")
	fs.Float64Var(&f.clip, "clip", 0, "clip the global gradient norm to this (0: off)")
	fs.IntVar(&f.batch, "batch", 64, "images per step")
	fs.Int64Var(&f.seed, "seed", 1, "seed of shuffling, augmentation, dropout and the validation split")
	fs.IntVar(&f.limit, "limit", 0, "train on the first N images only (0: all)")
	fs.IntVar(&f.padCrop, "pad-crop", 0, "augment: shift images by up to N pixels (random crop of the image padded by N)")
	fs.BoolVar(&f.hflip, "hflip", false, "augment: mirror images left-right at random (not for digits)")
	fs.StringVar(&f.freeze, "freeze", "", "comma-separated initializer names to keep fixed")
	fs.BoolVar(&f.freezeBN, "freeze-bn", false, "use BatchNorm running statistics instead of batch statistics while training")
	fs.StringVar(&f.logits, "logits", "", "value the loss attaches to (default: the output, or the input of a final Softmax)")
	fs.Float64Var(&f.scale, "scale", 1, "multiply raw pixel values (0..255) by this (1/255 gives 0..1)")
	fs.Var(&f.mean, "mean", "per-channel mean subtracted after scaling")
	fs.Var(&f.std, "std", "per-channel std divided by after the mean")
	fs.StringVar(&f.order, "channel-order", "RGB", "channel order of the model's input: RGB or BGR")
	fs.BoolVar(&f.asJSON, "json", false, "print a machine-readable JSON report")
	return f
}

// trainReport is the --json output of pare train / finetune (docs/training.md).
type trainReport struct {
	Model           string        `json:"model"`
	Output          string        `json:"output"`
	Data            string        `json:"data"`
	Val             string        `json:"val,omitempty"`
	TrainImages     int           `json:"train_images"`
	ValImages       int           `json:"val_images"`
	Params          int           `json:"trainable_params"`
	Batch           int           `json:"batch"`
	MemoryBytes     int64         `json:"memory_bytes"`
	ActivationBytes int64         `json:"activation_bytes"`
	InitialValAcc   *float64      `json:"initial_val_accuracy,omitempty"`
	Epochs          []epochReport `json:"epochs"`
	ImagesPerSecond float64       `json:"images_per_second"`
	Seconds         float64       `json:"seconds"`
	Notes           []string      `json:"notes,omitempty"`
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
		trainDefaults{epochs: 10, lr: 0.05, schedule: "cosine", warmup: 100, weightDecay: 5e-4, nesterov: true}, stderr)
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
	case f.epochs < 1 || f.batch < 1 || f.lr <= 0:
		return usagef("--epochs and --batch must be >= 1 and --lr > 0")
	case f.valSplit < 0 || f.valSplit >= 1:
		return usagef("--val-split must be in [0, 1)")
	case !slices.Contains([]string{"sgd", "adam", "adamw"}, f.opt):
		return usagef("--optimizer %q: use sgd, adam or adamw", f.opt)
	}
	if err := checkPreprocessFlags(f.scale, f.order, f.std); err != nil {
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
	// refuses (a Conv with group 0, sizes that cannot fit) first.
	if err := exec.Validate(m); err != nil {
		return err
	}
	net, err := train.NewNet(m, train.NetOptions{Logits: f.logits, Seed: f.seed, FreezeBatchNorm: f.freezeBN})
	if err != nil {
		return err
	}
	if err := f.applyFreeze(net); err != nil {
		return err
	}
	trainSet, valSet, trainIdx, valIdx, notes, err := f.openData()
	if err != nil {
		return err
	}
	inShape, err := modelInputShape(m, f.batch)
	if err != nil {
		return err
	}
	if len(m.Graph.Output) > 0 {
		if k, ok := modelClasses(m, net.InputNames()[0], inShape, m.Graph.Output[0].Name); ok {
			for _, s := range []*dataset.Set{trainSet, valSet} {
				if s != nil {
					if err := s.CheckClasses(k); err != nil {
						return err
					}
				}
			}
		}
	}
	pre := dataset.DefaultPreprocess(inShape)
	pre.Scale = float32(f.scale)
	pre.Mean, pre.Std = f.mean, f.std
	pre.ChannelOrder = strings.ToUpper(f.order)

	loader := &train.Loader{Set: trainSet, Indices: trainIdx, Preprocess: pre, BatchSize: f.batch, Shuffle: true, Seed: f.seed,
		Augment: train.Augment{PadCrop: f.padCrop, HFlip: f.hflip}}
	// A last batch of one or two images would make BatchNorm statistics
	// meaningless; drop it when the epoch has several batches.
	loader.DropLast = loader.Len() > f.batch
	cfg := train.Config{Epochs: f.epochs, Optimizer: f.opt, LR: f.lr, Momentum: f.momentum, Nesterov: f.nesterov,
		WeightDecay: f.decay, Schedule: f.sched, WarmupSteps: f.warmup, ClipNorm: f.clip}
	if f.momentum == 0 {
		cfg.Momentum = -1
	}
	tr, err := train.NewTrainer(net, loader, cfg)
	if err != nil {
		return err
	}
	var valLoader *train.Loader
	if valSet != nil {
		valLoader = &train.Loader{Set: valSet, Indices: valIdx, Preprocess: pre, BatchSize: f.batch}
	}
	rep := &trainReport{Model: pos[0], Output: f.out, Data: f.data, Val: f.val, TrainImages: loader.Len(),
		Params: net.NumParams(), Batch: f.batch, Notes: notes}
	if valLoader != nil {
		rep.ValImages = valLoader.Len()
	}
	inputName := net.InputNames()[0]
	if mem, err := net.EstimateMemory(map[string][]int{inputName: inShape}); err == nil {
		rep.MemoryBytes, rep.ActivationBytes = mem.Total(), mem.Activations
	}
	if !f.asJSON {
		fmt.Fprintf(stdout, "%s: %d trainable values in %d tensors; %d training images", cmd, rep.Params, len(net.Params), rep.TrainImages)
		if valLoader != nil {
			fmt.Fprintf(stdout, ", %d validation images", rep.ValImages)
		}
		fmt.Fprintf(stdout, "\nmemory at batch %d: %.1f MB (activations kept for backward %.1f MB)\n", f.batch, mb(rep.MemoryBytes), mb(rep.ActivationBytes))
		for _, n := range notes {
			fmt.Fprintln(stdout, "note:", n)
		}
	}
	ctx := context.Background()
	if cmd == "finetune" && valLoader != nil {
		acc, _, err := evaluateWithBar(ctx, net, valLoader, stderr, "validate", !f.asJSON)
		if err != nil {
			return err
		}
		rep.InitialValAcc = &acc
		if !f.asJSON {
			fmt.Fprintf(stdout, "before: validation accuracy %.2f %%\n", 100*acc)
		}
	}
	start := time.Now()
	images := 0
	for !tr.Done() {
		epochStart := time.Now()
		bar := newProgressBar(stderr, fmt.Sprintf("epoch %d/%d", len(rep.Epochs)+1, f.epochs), loader.Steps(), !f.asJSON)
		var p train.Progress
		for {
			if p, err = tr.Step(ctx); err != nil {
				if images == 0 && f.batch > 1 {
					// Graphs exported with a batch of 1 baked into a
					// Reshape fail on the first batch.
					return fmt.Errorf("%w\n(the first batch failed: if the graph fixes its batch size, try --batch 1)", err)
				}
				return err
			}
			images += p.Images
			bar.Update(p.Step+1, fmt.Sprintf("loss %.4f acc %.2f%% lr %.3g", p.EpochLoss, 100*p.EpochAcc, p.LR))
			if p.EpochDone {
				break
			}
		}
		bar.Done()
		er := epochReport{Epoch: p.Epoch + 1, Loss: p.EpochLoss, Accuracy: p.EpochAcc}
		line := fmt.Sprintf("epoch %d/%d: loss %.4f, train accuracy %.2f %%", er.Epoch, f.epochs, er.Loss, 100*er.Accuracy)
		if valLoader != nil {
			acc, loss, err := evaluateWithBar(ctx, net, valLoader, stderr, "validate", !f.asJSON)
			if err != nil {
				return err
			}
			er.ValAcc, er.ValLoss = &acc, &loss
			line += fmt.Sprintf(", validation accuracy %.2f %% (loss %.4f)", 100*acc, loss)
		}
		er.Seconds = time.Since(epochStart).Seconds()
		rep.Epochs = append(rep.Epochs, er)
		if !f.asJSON {
			fmt.Fprintf(stdout, "%s [%.0fs]\n", line, er.Seconds)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.ImagesPerSecond = float64(images) / rep.Seconds
	if err := net.WriteBack(); err != nil {
		return err
	}
	if err := writeModel(m, f.out); err != nil {
		return err
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "wrote %s (%.0f images/s, %.0fs)\n", f.out, rep.ImagesPerSecond, rep.Seconds)
	return nil
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

// openData opens --data and --val (or splits --data).
func (f *trainFlags) openData() (trainSet, valSet *dataset.Set, trainIdx, valIdx []int, notes []string, err error) {
	trainSet, err = dataset.Options{Split: f.split}.OpenPath(f.data)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	notes = append(notes, trainSet.Notes...)
	if f.val != "" {
		other := dataset.SplitTest
		if f.split == dataset.SplitTest {
			other = dataset.SplitTrain
		}
		if valSet, err = (dataset.Options{Split: other}).OpenPath(f.val); err != nil {
			return nil, nil, nil, nil, nil, err
		}
	} else if f.valSplit > 0 {
		if trainIdx, valIdx, err = trainSet.Split(1-f.valSplit, f.seed); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		valSet = trainSet
	}
	if f.limit > 0 {
		if trainIdx == nil {
			trainIdx = make([]int, trainSet.N())
			for i := range trainIdx {
				trainIdx[i] = i
			}
		}
		if f.limit < len(trainIdx) {
			trainIdx = trainIdx[:f.limit]
		}
	}
	return trainSet, valSet, trainIdx, valIdx, notes, nil
}

// modelInputShape is the model's single input shape at batch size batch.
func modelInputShape(m *onnx.Model, batch int) ([]int, error) {
	in, err := singleInput(m)
	if err != nil {
		return nil, err
	}
	shapes, err := graph.DefaultInputShapes(m, batch)
	if err != nil {
		return nil, err
	}
	s := append([]int(nil), shapes[in.Name]...)
	if len(s) > 0 {
		// A fixed batch dimension of 1 (a common export default) is
		// usually not a limit of the graph; train with the batch asked.
		s[0] = batch
	}
	return s, nil
}

func evaluateWithBar(ctx context.Context, net *train.Net, data *train.Loader, stderr io.Writer, label string, show bool) (acc, loss float64, err error) {
	ev := train.NewEvaluator(net, data)
	bar := newProgressBar(stderr, label, data.Steps(), show)
	for step := 1; ; step++ {
		done, err := ev.Step(ctx)
		if err != nil {
			return 0, 0, err
		}
		bar.Update(step, fmt.Sprintf("acc %.2f%%", 100*ev.Accuracy()))
		if done {
			break
		}
	}
	bar.Done()
	return ev.Accuracy(), ev.Loss(), nil
}

func writeModel(m *onnx.Model, path string) error {
	data, err := onnx.Encode(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
