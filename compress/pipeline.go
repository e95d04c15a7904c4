package compress

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
)

// Pipeline is a compression run as one job.Stepper. Each Step does a
// bounded slice of one stage: a slice of the solver's search, one
// training batch, one evaluation batch, or one piece of model surgery.
type Pipeline struct {
	cfg Config
	// defaultEpochs: the fine-tune's epochs were not given and are chosen
	// from the data's size.
	defaultEpochs bool
	rep           *Report
	start         time.Time

	// The loaders every stage shares.
	train, val, test *train.Loader

	// models holds each finished stage's result; "original" is the input.
	models map[string]*onnx.Model
	output []byte // the exported file, once quantized

	queue    []task
	current  *task
	stageAt  time.Time
	stage    Stage
	last     job.Progress
	lastWhat string
	finished Stage
	done     bool
	watch    watched
}

// task is one piece of a stage: a Stepper run to its end, then its
// continuation (which may queue more tasks).
type task struct {
	stage Stage
	what  string // the sub-step a person reads: "solve", "validate", ...
	s     job.Stepper
	then  func() error
	// batch reads a Step's trained batch (ok false: the Step trained
	// none); nil for a task that trains nothing.
	batch func(sub job.Progress) (loss, acc float64, ok bool)
}

// once is a Stepper of one Step doing f.
type once struct {
	f    func(ctx context.Context) error
	done bool
}

func (o *once) Step(ctx context.Context) (job.Progress, error) {
	o.done = true
	return job.Progress{Done: 1, Total: 1}, o.f(ctx)
}
func (o *once) Done() bool { return o.done }

// New checks cfg and prepares a pipeline; no work is done until Step.
func New(cfg Config) (*Pipeline, error) {
	defaultEpochs := cfg.Finetune.Epochs == 0
	cfg.defaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, defaultEpochs: defaultEpochs, models: map[string]*onnx.Model{"original": cfg.Model}}
	p.rep = &Report{Resources: map[qcqp.Resource]ResourceChange{}, Accuracy: map[string]Accuracy{},
		Bytes: map[string]int64{}, Seconds: map[Stage]float64{}, Recipe: p.recipe()}
	if err := p.loaders(); err != nil {
		return nil, err
	}
	from := 0
	if r := cfg.Resume; r != nil {
		if r.Report != nil {
			p.rep = r.Report
			p.rep.Resources = orEmpty(p.rep.Resources)
			p.rep.Accuracy = orEmpty(p.rep.Accuracy)
			p.rep.Bytes = orEmpty(p.rep.Bytes)
			p.rep.Seconds = orEmpty(p.rep.Seconds)
		}
		for i, s := range Stages {
			if s == r.After {
				from = i + 1
			}
		}
		p.models[modelKey[r.After]] = r.Model
	}
	p.rep.TrainImages = p.train.Len()
	p.rep.ValImages = p.val.Len()
	if p.test != nil {
		p.rep.TestImages = p.test.Len()
	}
	starts := map[Stage]func(){StagePrune: p.startPrune, StageFinetune: p.startFinetune, StageQuantize: p.startQuantize, StageEvaluate: p.startEvaluate}
	for _, s := range Stages[from:] {
		p.queue = append(p.queue, task{stage: s, what: "start", s: &once{f: func(context.Context) error { starts[s](); return nil }}})
	}
	return p, nil
}

func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// modelKey is the name of each stage's result in Model and Report.Bytes.
var modelKey = map[Stage]string{StagePrune: "pruned", StageFinetune: "finetuned", StageQuantize: "quantized"}

// then queues tasks to run right after the current one, in order.
func (p *Pipeline) then(ts ...task) {
	p.queue = append(ts, p.queue...)
}

// Done reports whether the pipeline has finished.
func (p *Pipeline) Done() bool { return p.done }

// Step runs the next slice of work.
func (p *Pipeline) Step(ctx context.Context) (job.Progress, error) {
	if p.done {
		return p.last, fmt.Errorf("compress: the pipeline is finished")
	}
	if err := ctx.Err(); err != nil {
		return p.last, err
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	if p.current == nil {
		t := p.queue[0]
		p.queue = p.queue[1:]
		p.current = &t
		if t.stage != p.stage {
			p.endStage()
			p.stage, p.stageAt = t.stage, time.Now()
		}
	}
	t := p.current
	p.lastWhat = t.what
	sub, err := t.s.Step(ctx)
	if err != nil {
		return p.last, err
	}
	prog := job.Progress{Stage: string(t.stage), Done: sub.Done, Total: sub.Total, Elapsed: time.Since(p.start),
		Figures: maps.Clone(sub.Figures), Message: sub.Message}
	if prog.Figures == nil {
		prog.Figures = map[string]float64{}
	}
	p.watch.train = nil
	if t.batch != nil {
		if loss, acc, ok := t.batch(sub); ok {
			p.watch.trained++
			p.watch.train = &TrainStep{Stage: t.stage, Step: p.watch.trained, Loss: loss, Accuracy: acc}
		}
	}
	delete(prog.Figures, "stage_done") // a sub-step's own (QIL's schedule stages)
	prog.Figures["stage_index"] = float64(stageIndex(t.stage))
	if t.s.Done() {
		p.current = nil
		if t.then != nil {
			if err := t.then(); err != nil {
				return p.last, err
			}
		}
		if len(p.queue) == 0 || p.queue[0].stage != t.stage {
			// The stage's last task: its result is final (Model), and a
			// page can store it to resume from.
			p.finished = t.stage
			prog.Figures["stage_done"] = 1
			// Its time goes in the report now: a page's request that ends
			// with this stage never starts the next one.
			p.endStage()
			p.stage = ""
		}
		if len(p.queue) == 0 {
			// The sum of the stages, not this request's wall time: a page
			// runs one stage per request and resumes with the report.
			p.rep.TotalSeconds = 0
			for _, sec := range p.rep.Seconds {
				p.rep.TotalSeconds += sec
			}
			p.done = true
		}
	}
	p.last = prog
	return prog, nil
}

func (p *Pipeline) endStage() {
	if p.stage != "" {
		p.rep.Seconds[p.stage] += time.Since(p.stageAt).Seconds()
	}
}

func stageIndex(s Stage) int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return -1
}

// Doing names the sub-step under way or just run ("solve", "train",
// "validate", "test", ...), for a progress line.
func (p *Pipeline) Doing() string {
	if p.current != nil {
		return p.current.what
	}
	return p.lastWhat
}

// Finished is the last stage whose result is final ("" before the
// first): after the Step whose Progress has the figure "stage_done" = 1,
// Model of that stage and Report can be stored and given back as a
// Resume.
func (p *Pipeline) Finished() Stage { return p.finished }

// Report is the run's report; complete once Done.
func (p *Pipeline) Report() *Report { return p.rep }

// Model returns a stage's result: "original", "pruned", "finetuned" or
// "quantized" (the exported QDQ model), nil before it exists.
func (p *Pipeline) Model(name string) *onnx.Model { return p.models[name] }

// Output is the exported QDQ file's bytes, set once the pipeline is done:
// exactly what was measured and evaluated.
func (p *Pipeline) Output() []byte {
	if !p.done {
		return nil
	}
	return p.output
}

// Run drives a pipeline to its end.
func Run(ctx context.Context, cfg Config, report func(job.Progress)) (*Pipeline, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return p, job.Run(ctx, p, report)
}
