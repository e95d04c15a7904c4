package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/job"
)

// FitOptions describe a whole training job: `pare train` and `pare
// finetune`, the page's fine-tune stage, and the recovery after pruning or
// quantization.
type FitOptions struct {
	// Config holds the hyperparameters. LR 0 chooses the learning rate
	// with an LRProbe first (Probe bounds it).
	Config
	Probe ProbeOptions
	// Train are the training batches; Val, when set, the validation
	// images, evaluated before training, every ValidateEvery steps and at
	// the end of each epoch.
	Train, Val *Loader
	// ValidateEvery is the number of steps between validations (default:
	// once per epoch, and also mid-epoch when an epoch has more than 500
	// steps).
	ValidateEvery int
	// AllowWorse keeps the last weights even when they validate worse than
	// the model given. By default Fit ends with the best validated
	// weights, which may be the original ones.
	AllowWorse bool
	// Retries bounds how often the divergence guard restarts training at
	// a lower rate (default 3). Negative turns the guard's loss-rise test
	// off (a loss that is not finite still ends training, keeping the
	// original weights).
	Retries int
}

// Score is a validation result.
type Score struct {
	Accuracy float64 `json:"accuracy"`
	Loss     float64 `json:"loss"`
	Images   int     `json:"images"` // how many images it is over (all workers')
}

// keepMargin is how much better on validation accuracy the weights Fit
// ends with must be than the model given for Fit to replace it: one
// image, and at least 0.1 percentage point. A smaller gain is below what
// the choice of validation images decides (on 6,000 images at 93 %, one
// standard error is 0.33 points), and a model that is not clearly better
// is not worth changing the user's file for.
func keepMargin(images int) float64 {
	if images <= 0 {
		return 0
	}
	return math.Max(1/float64(images), 0.001)
}

func (s Score) better(than Score) bool {
	return s.Accuracy > than.Accuracy || (s.Accuracy == than.Accuracy && s.Loss < than.Loss)
}

// Checkpoint is one validation during training.
type Checkpoint struct {
	Step      int     `json:"step"`  // training steps taken
	Epoch     float64 `json:"epoch"` // in epochs, fractional mid-epoch
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_accuracy"`
	Val       Score   `json:"val"`
	Best      bool    `json:"best"`
}

// EpochResult sums up one epoch.
type EpochResult struct {
	Epoch    int     `json:"epoch"` // from 1
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Val      *Score  `json:"val,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// Kept says which weights a Fit ended with.
type Kept string

const (
	KeptLast     Kept = "last"     // the weights after the last step
	KeptBest     Kept = "best"     // the best validated weights
	KeptOriginal Kept = "original" // the model's own weights: training did not beat them, or diverged
)

// FitResult is what a Fit did; valid after every Step.
type FitResult struct {
	LR       float64      `json:"lr"`              // the base rate of the last attempt
	LRSource string       `json:"lr_source"`       // "given" or the probe's rule
	Probe    []ProbePoint `json:"probe,omitempty"` // the range test's curve
	Initial  *Score       `json:"initial_val,omitempty"`
	// Recalibrated is the validation after BatchNormalization's statistics
	// were re-estimated (kept as the start when better than Initial).
	Recalibrated *Score `json:"recalibrated_val,omitempty"`
	Best         *Score `json:"best_val,omitempty"`
	// Checkpoints are the validations during training, in order.
	Checkpoints []Checkpoint  `json:"checkpoints,omitempty"`
	Epochs      []EpochResult `json:"epochs"`
	// Retries counts the divergence guard's restarts; Diverged is set
	// when it gave up.
	Retries  int  `json:"retries"`
	Diverged bool `json:"diverged"`
	Kept     Kept `json:"kept"`
	// Events are the lines Progress.Message carried (the chosen rate,
	// each divergence, what was kept).
	Events  []string `json:"events,omitempty"`
	Images  int      `json:"images"`
	Seconds float64  `json:"seconds"`
}

type fitStage int

const (
	stageInitialVal fitStage = iota
	stageRecalibrate
	stageRecalVal
	stageProbe
	stageTrain
	stageVal
	stageDone
)

// Fit is a training job as one job.Stepper. Its stages, reported as
// Progress.Stage, are, in order: "validate" (the model as given, when
// there is validation), "recalibrate" (BatchNormalization statistics
// re-estimated for the current weights, see BNRecalibration; with
// validation, kept only when they validate better), "probe" (only when
// the rate is to be chosen), then "train" and "validate" at each
// checkpoint. Its guards:
//
//   - divergence: a loss that is NaN or infinite; over the last 50
//     batches, a mean loss above max(3 x, +1 nat) that of the first 50 or
//     a training accuracy more than 10 points below theirs; or a
//     validation loss above max(3 x, +1 nat) the one before training or
//     accuracy more than 10 points below it:
//     restores the best weights so far, divides the rate by 10 and
//     restarts training, up to Retries times; then the original weights
//     are restored;
//   - keep-best: with validation, Fit ends with the best validated
//     weights, the original ones included, unless AllowWorse.
//
// When Fit is done, the weights it kept are in the net and written back
// into the model (Net.WriteBack).
type Fit struct {
	net   *Net
	opt   FitOptions
	stage fitStage
	start time.Time

	plan     []fitStage // the stages still to come after the current one
	recal    *BNRecalibration
	probe    *LRProbe
	trainer  *Trainer
	ev       *eval.Evaluator
	original *Weights
	best     *Weights
	bestAt   Score

	// The divergence guard's state: the last batch losses and accuracies
	// (a window of guardWindow()), and the levels training starts from:
	// the first window's mean loss and accuracy, and the validation loss
	// before training (-1 until known).
	recentLoss, recentAcc []float64
	ref, refAcc, refVal   float64
	refValAcc             float64 // the validation accuracy training starts from
	epochAt               time.Time
	res                   FitResult
	msg                   string
}

// NewFit prepares a job on net. It checks the options now, so that a bad
// flag fails before any work.
func NewFit(net *Net, opt FitOptions) (*Fit, error) {
	if opt.Train == nil || opt.Train.Steps() == 0 {
		return nil, fmt.Errorf("train: no training batches (fewer images than one batch?)")
	}
	if opt.Epochs <= 0 {
		return nil, fmt.Errorf("train: epochs must be positive")
	}
	if opt.LR < 0 || math.IsNaN(opt.LR) || math.IsInf(opt.LR, 0) {
		return nil, fmt.Errorf("train: the learning rate must be a positive number (or 0 to choose it)")
	}
	if _, err := NewSchedule(opt.Config, opt.Train.Steps()); err != nil {
		return nil, err // before the probe spends any time
	}
	if opt.Retries == 0 {
		opt.Retries = 3
	}
	if opt.ValidateEvery <= 0 {
		steps := opt.Train.Steps()
		opt.ValidateEvery = steps
		if steps > 500 {
			opt.ValidateEvery = (steps + (steps+499)/500 - 1) / ((steps + 499) / 500)
		}
	}
	f := &Fit{net: net, opt: opt, original: net.Snapshot(), ref: -1, refAcc: -1, refVal: -1}
	f.best = f.original
	f.res.Kept = KeptLast
	if opt.Val != nil {
		f.plan = append(f.plan, stageInitialVal)
	}
	if net.HasBatchStats() {
		r, err := NewBNRecalibration(net, opt.Train)
		if err != nil {
			return nil, err
		}
		f.recal = r
		f.plan = append(f.plan, stageRecalibrate)
		if opt.Val != nil {
			f.plan = append(f.plan, stageRecalVal)
		}
	}
	if opt.LR == 0 {
		// Made now so that its checks fail before any work; it starts from
		// the weights the stages before it leave (rebase).
		p, err := NewLRProbe(net, opt.Train, opt.Config, opt.Probe)
		if err != nil {
			return nil, err
		}
		f.probe = p
		f.plan = append(f.plan, stageProbe)
	} else {
		f.res.LR, f.res.LRSource = opt.LR, "given"
		if _, _, err := NewOptimizer(net, opt.Config); err != nil {
			return nil, err
		}
	}
	f.plan = append(f.plan, stageTrain)
	if err := f.next(); err != nil {
		return nil, err
	}
	return f, nil
}

// next moves to the next planned stage and prepares it.
func (f *Fit) next() error {
	f.stage, f.plan = f.plan[0], f.plan[1:]
	switch f.stage {
	case stageInitialVal, stageRecalVal:
		ev, err := NewEvaluator(f.net, f.opt.Val)
		if err != nil {
			return err
		}
		f.ev = ev
	case stageProbe:
		f.probe.rebase()
	case stageTrain:
		return f.startTraining()
	}
	return nil
}

// Result is what the job has done so far.
func (f *Fit) Result() *FitResult { return &f.res }

// Done reports whether the job has finished.
func (f *Fit) Done() bool { return f.stage == stageDone }

func (f *Fit) startTraining() error {
	cfg := f.opt.Config
	cfg.LR = f.res.LR
	tr, err := NewTrainer(f.net, f.opt.Train, cfg)
	if err != nil {
		return err
	}
	f.trainer = tr
	f.recentLoss, f.recentAcc = f.recentLoss[:0], f.recentAcc[:0]
	f.epochAt = time.Now()
	return nil
}

func (f *Fit) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	f.res.Events = append(f.res.Events, line)
	if f.msg != "" {
		f.msg += "\n"
	}
	f.msg += line
}

// Step does one batch of the current stage.
func (f *Fit) Step(ctx context.Context) (job.Progress, error) {
	if f.Done() {
		return job.Progress{}, fmt.Errorf("train: the job is finished")
	}
	if err := ctx.Err(); err != nil {
		return job.Progress{}, err
	}
	if f.start.IsZero() {
		f.start = time.Now()
	}
	f.msg = ""
	var p job.Progress
	var err error
	switch f.stage {
	case stageRecalibrate:
		p, err = f.stepRecalibrate(ctx)
	case stageProbe:
		p, err = f.stepProbe(ctx)
	case stageInitialVal, stageRecalVal, stageVal:
		p, err = f.stepVal(ctx)
	case stageTrain:
		p, err = f.stepTrain(ctx)
	}
	if err != nil {
		return p, err
	}
	f.res.Seconds = time.Since(f.start).Seconds()
	p.Elapsed = time.Since(f.start)
	if f.msg != "" {
		p.Message = f.msg
	}
	return p, nil
}

func (f *Fit) stepRecalibrate(ctx context.Context) (job.Progress, error) {
	p, err := f.recal.Step(ctx)
	if err != nil {
		f.net.Restore(f.original)
		return p, err
	}
	if !f.recal.Done() {
		return p, nil
	}
	if f.opt.Val == nil {
		f.say("BatchNormalization statistics re-estimated on %d training images for the current weights", f.recal.Images())
	}
	return p, f.next()
}

func (f *Fit) stepProbe(ctx context.Context) (job.Progress, error) {
	p, err := f.probe.Step(ctx)
	if err != nil || !f.probe.Done() {
		return p, err
	}
	lr, reason := f.probe.LR()
	f.res.LR, f.res.LRSource, f.res.Probe = lr, reason, f.probe.Points()
	f.say("%s", p.Message)
	p.Message = ""
	return p, f.next()
}

func (f *Fit) stepVal(ctx context.Context) (job.Progress, error) {
	p, err := f.ev.Step(ctx)
	if err != nil || !f.ev.Done() {
		return p, err
	}
	r := f.ev.Result()
	score := Score{Accuracy: r.Accuracy(), Loss: r.Loss(), Images: r.Count}
	if par := f.opt.Parallel; par != nil {
		if score, err = par.score(ctx, r); err != nil { // every worker keeps the same weights
			return p, err
		}
	}
	ev, err := NewEvaluator(f.net, f.opt.Val)
	if err != nil {
		return p, err
	}
	f.ev = ev
	switch f.stage {
	case stageInitialVal:
		f.res.Initial = &score
		f.res.Best = &score
		f.bestAt = score
		f.refVal, f.refValAcc = score.Loss, score.Accuracy
		f.say("before training: validation accuracy %.2f %% (loss %.4f)", 100*score.Accuracy, score.Loss)
		return p, f.next()
	case stageRecalVal:
		f.res.Recalibrated = &score
		// Clearly better only: the model's own statistics stay when the
		// new ones merely move the loss a little (10 % and 0.01 nat).
		if score.Accuracy > f.bestAt.Accuracy || (score.Accuracy == f.bestAt.Accuracy && score.Loss < 0.9*f.bestAt.Loss-0.01) {
			f.say("BatchNormalization statistics re-estimated on %d training images: validation accuracy %.2f %% (loss %.4f)", f.recal.Images(), 100*score.Accuracy, score.Loss)
			f.best = f.net.Snapshot()
			f.bestAt = score
			f.res.Best = &score
			f.refVal, f.refValAcc = score.Loss, score.Accuracy
		} else {
			f.net.Restore(f.original)
			f.say("re-estimated BatchNormalization statistics validate no better (%.2f %%); training starts from the model's own", 100*score.Accuracy)
		}
		return p, f.next()
	}
	last := f.trainer.Last()
	if f.opt.Retries >= 0 && f.res.Initial != nil && (risen(score.Loss, f.refVal) || dropped(score.Accuracy, f.refValAcc)) {
		f.stage = stageTrain
		return f.retry(p, fmt.Sprintf("the validation accuracy went to %.1f %% (loss %.3g) from %.1f %% (loss %.3g)",
			100*score.Accuracy, score.Loss, 100*f.refValAcc, f.refVal), last)
	}
	cp := Checkpoint{Step: last.GlobalStep, Epoch: float64(last.GlobalStep) / float64(last.StepsPerEpoch),
		TrainLoss: last.EpochLoss, TrainAcc: last.EpochAcc, Val: score}
	if f.res.Best == nil || score.better(f.bestAt) {
		cp.Best = true
		f.bestAt = score
		f.res.Best = &score
		f.best = f.net.Snapshot()
	}
	f.res.Checkpoints = append(f.res.Checkpoints, cp)
	if last.EpochDone {
		f.endEpoch(&score, cp.Best)
	} else {
		f.say("step %d (epoch %.2f): validation accuracy %.2f %% (loss %.4f)%s", cp.Step, cp.Epoch, 100*score.Accuracy, score.Loss, bestMark(cp.Best))
	}
	f.stage = stageTrain
	if f.trainer.Done() {
		return p, f.finish()
	}
	return p, nil
}

func bestMark(best bool) string {
	if best {
		return ", best so far"
	}
	return ""
}

func (f *Fit) endEpoch(val *Score, best bool) {
	last := f.trainer.Last()
	er := EpochResult{Epoch: last.Epoch + 1, Loss: last.EpochLoss, Accuracy: last.EpochAcc, Val: val, Seconds: time.Since(f.epochAt).Seconds()}
	f.epochAt = time.Now()
	f.res.Epochs = append(f.res.Epochs, er)
	line := fmt.Sprintf("epoch %d/%d: loss %.4f, train accuracy %.2f %%", er.Epoch, last.Epochs, er.Loss, 100*er.Accuracy)
	if val != nil {
		line += fmt.Sprintf(", validation accuracy %.2f %% (loss %.4f)%s", 100*val.Accuracy, val.Loss, bestMark(best))
	}
	f.say("%s [%.0fs]", line, er.Seconds)
}

func (f *Fit) stepTrain(ctx context.Context) (job.Progress, error) {
	p, err := f.trainer.Step(ctx)
	if err != nil && !errors.Is(err, ErrNotFinite) {
		return p, err
	}
	last := f.trainer.Last()
	if err == nil {
		f.res.Images += last.Images
	}
	if reason := f.diverged(err, last); reason != "" {
		return f.retry(p, reason, last)
	}
	due := (last.Step+1)%f.opt.ValidateEvery == 0 || last.EpochDone
	switch {
	case f.ev != nil && due:
		f.stage = stageVal
	case last.EpochDone:
		f.endEpoch(nil, false)
	}
	if f.stage == stageTrain && f.trainer.Done() {
		return p, f.finish()
	}
	return p, nil
}

// guardWindow is how many batches the divergence guard averages: 50, or
// a quarter of an epoch when that is fewer (at least 10). Means over
// many batches, because a trained model's batch losses are heavy-tailed:
// one confidently wrong image gives mnist-8 a batch loss of 6 among
// batches of 0.
func (f *Fit) guardWindow() int {
	return min(50, max(10, f.opt.Train.Steps()/4))
}

// risen reports whether loss is well above the reference level: three
// times it, and at least 1 nat more.
func risen(loss, ref float64) bool {
	return ref >= 0 && loss > math.Max(3*ref, ref+1)
}

// dropped reports whether accuracy fell more than 10 points below a
// reference well above chance (below 20 % there is nothing to lose).
func dropped(acc, ref float64) bool {
	return ref >= 0.2 && acc < ref-0.1
}

// diverged says why the run has diverged, or "": the loss is not finite,
// or over the last window the mean loss has risen (risen) or the
// accuracy dropped (dropped) from the first window's. Both, because a
// trained model can fall apart with its loss less than doubled (mnist-8
// at SGD 1e-3: loss 2.3 to 4.3, accuracy 99 % to 21 %), and a net
// trained from scratch can blow up with its accuracy at chance.
func (f *Fit) diverged(err error, last StepStats) string {
	if err != nil {
		return "the loss is not finite"
	}
	w := f.guardWindow()
	if len(f.recentLoss) == w {
		f.recentLoss, f.recentAcc = f.recentLoss[1:], f.recentAcc[1:]
	}
	f.recentLoss = append(f.recentLoss, last.Loss)
	f.recentAcc = append(f.recentAcc, last.Accuracy)
	if len(f.recentLoss) < w {
		return ""
	}
	loss, acc := mean(f.recentLoss), mean(f.recentAcc)
	if f.ref < 0 {
		// The first full window of the first attempt; a validation loss
		// before training that is higher is the safer reference.
		f.ref, f.refAcc = math.Max(loss, f.refVal), acc
		return ""
	}
	if f.opt.Retries < 0 {
		return ""
	}
	if risen(loss, f.ref) {
		return fmt.Sprintf("the mean loss of the last %d batches rose to %.3g from %.3g", w, loss, f.ref)
	}
	if dropped(acc, f.refAcc) {
		return fmt.Sprintf("the training accuracy of the last %d batches fell to %.1f %% from %.1f %%", w, 100*acc, 100*f.refAcc)
	}
	return ""
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func (f *Fit) retry(p job.Progress, reason string, last StepStats) (job.Progress, error) {
	p.Stage = "train"
	f.net.Restore(f.best)
	if f.res.Retries >= max(0, f.opt.Retries) {
		f.net.Restore(f.original)
		f.res.Diverged = true
		f.res.Kept = KeptOriginal
		f.say("training diverged at step %d (%s) after %d restart(s) at lower rates; the model keeps its original weights. Give a smaller --lr, or check the preprocessing (--scale, --mean, --std).",
			last.GlobalStep+1, reason, f.res.Retries)
		return p, f.wrapUp()
	}
	f.res.Retries++
	f.res.LR /= 10
	f.say("training diverged at step %d (%s): restored the best weights so far and restarted at learning rate %.2g (restart %d of at most %d)",
		last.GlobalStep+1, reason, f.res.LR, f.res.Retries, f.opt.Retries)
	f.res.Epochs, f.res.Checkpoints = nil, nil
	if err := f.startTraining(); err != nil {
		return p, err
	}
	return p, nil
}

// Stop ends the job before its course (the user cancelled it): the net
// gets the best validated weights so far when validation has found any
// better than the model given (a checkpoint, or re-estimated
// BatchNormalization statistics), and the original weights otherwise,
// since what was trained since the last validation is unvalidated. What
// was kept is Result().Kept, and the net's weights are written back.
func (f *Fit) Stop() error {
	if f.Done() {
		return nil
	}
	images := f.res.Images
	clearly := f.res.Initial == nil || f.bestAt.Accuracy >= f.res.Initial.Accuracy+keepMargin(f.res.Initial.Images)
	if f.opt.Val != nil && f.best != f.original && clearly {
		f.net.Restore(f.best)
		f.res.Kept = KeptBest
		f.say("stopped after %d training images; kept the best validated weights so far (%.2f %%)", images, 100*f.bestAt.Accuracy)
	} else {
		f.net.Restore(f.original)
		f.res.Kept = KeptOriginal
		f.say("stopped after %d training images, before validation found weights clearly better than the model given; kept its original weights", images)
	}
	return f.wrapUp()
}

// finish picks the weights to keep once training has run its course.
func (f *Fit) finish() error {
	switch {
	case f.opt.Val == nil:
		f.res.Kept = KeptLast
	case f.opt.AllowWorse:
		f.res.Kept = KeptLast
		if f.res.Initial != nil && f.res.Best != nil && f.res.Initial.better(lastVal(f.res)) {
			f.say("the trained model validates worse than the original (%.2f %% against %.2f %%); kept as asked (--allow-worse)", 100*lastVal(f.res).Accuracy, 100*f.res.Initial.Accuracy)
		}
	case f.best != f.original && f.res.Initial != nil && f.bestAt.Accuracy < f.res.Initial.Accuracy+keepMargin(f.res.Initial.Images):
		f.net.Restore(f.original)
		f.best = f.original
		f.res.Kept = KeptOriginal
		f.say("the best validated weights (%.2f %%) are not clearly better than the original (%.2f %%: less than %.2f points more), so the model keeps its original weights (--allow-worse keeps the trained ones)",
			100*f.bestAt.Accuracy, 100*f.res.Initial.Accuracy, 100*keepMargin(f.res.Initial.Images))
	case f.best == f.original:
		f.net.Restore(f.original)
		f.res.Kept = KeptOriginal
		best := lastVal(f.res)
		for _, c := range f.res.Checkpoints {
			if c.Val.better(best) {
				best = c.Val
			}
		}
		f.say("training did not beat the original on validation (%.2f %% before, at best %.2f %% after); the model keeps its original weights (--allow-worse keeps the trained ones)",
			100*f.res.Initial.Accuracy, 100*best.Accuracy)
	default:
		f.net.Restore(f.best)
		f.res.Kept = KeptBest
		if n := len(f.res.Checkpoints); n > 0 && !f.res.Checkpoints[n-1].Best {
			f.say("kept the best validated weights (%.2f %%), not the last (%.2f %%)", 100*f.res.Best.Accuracy, 100*f.res.Checkpoints[n-1].Val.Accuracy)
		}
	}
	return f.wrapUp()
}

func lastVal(r FitResult) Score {
	if n := len(r.Checkpoints); n > 0 {
		return r.Checkpoints[n-1].Val
	}
	if r.Initial != nil {
		return *r.Initial
	}
	return Score{}
}

func (f *Fit) wrapUp() error {
	f.stage = stageDone
	return f.net.WriteBack()
}
