package compress

import (
	"math"
	"testing"

	"github.com/pare-ml/pare/core/job"
)

// watchChecker follows Pipeline.Watch through a run (TestPipelineDemo
// calls see after every Step): the solver's incumbent during prune, one
// trained batch per training Step of the fine-tune and QIL, counted
// without gaps, and the QIL run's intervals from calibration on.
type watchChecker struct {
	selections   int
	trained      int           // the last Trained seen
	startOf      map[Stage]int // Trained when the stage began
	batches      map[Stage]int
	qilTotal     int64 // the QIL schedule's batches, from its Progress
	intervalSeen bool
	qilShown     bool
}

func (c *watchChecker) see(t *testing.T, p *Pipeline, pr job.Progress) {
	t.Helper()
	if c.startOf == nil {
		c.startOf, c.batches = map[Stage]int{}, map[Stage]int{}
	}
	w := p.Watch()
	stage := Stage(pr.Stage)
	if _, ok := c.startOf[stage]; !ok {
		c.startOf[stage] = c.trained
	}
	if w.Selection != nil {
		if w.Analysis == nil || len(w.Selection.Counts()) != len(w.Analysis.Maps) {
			t.Fatalf("%s: a selection of %d maps without its analysis of the same maps", stage, len(w.Selection.Counts()))
		}
		if stage == StagePrune {
			c.selections++
		}
	}
	if w.Train == nil {
		if w.Trained != c.trained {
			t.Fatalf("%s %s: Trained went %d -> %d without a trained batch", stage, p.Doing(), c.trained, w.Trained)
		}
	} else {
		b := w.Train
		if b.Stage != stage || b.Step != c.trained+1 || w.Trained != b.Step {
			t.Fatalf("%s: batch %+v after %d trained, Trained %d", stage, *b, c.trained, w.Trained)
		}
		if stage != StageFinetune && stage != StageQuantize {
			t.Fatalf("a batch trained in %s", stage)
		}
		if !(b.Loss > 0) || math.IsInf(b.Loss, 0) || b.Accuracy < 0 || b.Accuracy > 1 {
			t.Fatalf("%s batch %d: loss %v, accuracy %v", stage, b.Step, b.Loss, b.Accuracy)
		}
		c.batches[stage]++
		// Each stage's own count of batches agrees (the Fit's trainer
		// and QIL's schedule count from 1 per request).
		if got := int64(b.Step - c.startOf[stage]); pr.Done != got {
			t.Fatalf("%s: batch %d of the stage, its progress says %d", stage, got, pr.Done)
		}
		if stage == StageQuantize {
			c.qilTotal = pr.Total
		}
	}
	c.trained = w.Trained
	// The run shows from its calibration to the pipeline's end.
	switch {
	case w.QIL == nil && (c.qilShown || w.Train != nil && stage == StageQuantize):
		t.Fatalf("%s %s: no QIL run", stage, p.Doing())
	case w.QIL != nil && stage != StageQuantize && stage != StageEvaluate:
		t.Fatalf("a QIL run in %s", stage)
	}
	if w.QIL != nil {
		c.qilShown = true
		for _, l := range w.QIL.Layers() {
			if iv, ok := w.QIL.Intervals(l); ok && iv.WD > 0 && iv.XD > 0 && len(w.QIL.Weights(l)) > 0 {
				c.intervalSeen = true
			}
		}
	}
}

func (c *watchChecker) check(t *testing.T) {
	t.Helper()
	if c.selections == 0 {
		t.Error("the solver's incumbent never showed during prune")
	}
	if c.batches[StageFinetune] == 0 {
		t.Error("no fine-tune batch showed")
	}
	if int64(c.batches[StageQuantize]) != c.qilTotal || c.qilTotal == 0 {
		t.Errorf("%d QIL batches showed, its schedule has %d", c.batches[StageQuantize], c.qilTotal)
	}
	if !c.intervalSeen {
		t.Error("no quantized layer's intervals and weights showed")
	}
	t.Logf("watched: %d incumbents, %d fine-tune and %d QIL batches", c.selections, c.batches[StageFinetune], c.batches[StageQuantize])
}
