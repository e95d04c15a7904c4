package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/benchrun"
	"github.com/pare-ml/pare/qcqp"
)

// latencyBudget is --budget latency=...: Seconds, or Fraction of the
// unpruned network's predicted time.
type latencyBudget = qcqp.LatencyBudget

// parseLatencyBudget reads "2ms", "500us", "0.002s" or "60%".
func parseLatencyBudget(s string) (latencyBudget, error) {
	bad := fmt.Errorf("%q is not a latency budget: give a time such as 2ms, 500us or 0.01s, or a percentage of the model's predicted time (60%%)", s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || v <= 0 || v > 100 {
			return latencyBudget{}, bad
		}
		return latencyBudget{Fraction: v / 100}, nil
	}
	d, err := time.ParseDuration(strings.ReplaceAll(s, "µ", "u"))
	if err != nil || d <= 0 {
		return latencyBudget{}, bad
	}
	return latencyBudget{Seconds: d.Seconds()}, nil
}

// latencyModelFor reads the --latency-model file a latency budget needs
// (nil without a latency budget), and refuses the one without the other:
// pare prune and pare compress take the pair the same way.
func latencyModelFor(lat *latencyBudget, file, modelPath string) (*qcqp.LatencyModel, error) {
	switch {
	case lat != nil && file == "":
		return nil, usagef("a latency budget needs a latency model of this network: measure one with 'pare latency %s -o model.latency.json' and pass --latency-model model.latency.json", modelPath)
	case lat == nil && file != "":
		return nil, usagef("--latency-model is only read by a latency budget (--budget latency=2ms)")
	case lat == nil:
		return nil, nil
	}
	return readLatencyModel(file)
}

func readLatencyModel(path string) (*qcqp.LatencyModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--latency-model: %w (write one with 'pare latency MODEL -o FILE')", err)
	}
	defer f.Close()
	lm, err := qcqp.ReadLatencyModel(f)
	if err != nil {
		return nil, fmt.Errorf("--latency-model %s: %w", path, err)
	}
	return lm, nil
}

// addLatencyConstraint adds the latency budget to p and returns its limit
// in seconds. A budget below what the model predicts with one channel per
// prunable group (the frozen layers, the overhead and the narrowest
// network) is refused with that figure.
func addLatencyConstraint(p *qcqp.Problem, lm *qcqp.LatencyModel, b latencyBudget, file string) (float64, error) {
	l, err := lm.AddBudget(p, b)
	var un *qcqp.UnreachableLatencyError
	var mis *qcqp.LatencyMismatchError
	switch {
	case err == nil:
		return l.Seconds, nil
	case errors.As(err, &mis):
		return 0, fmt.Errorf("--latency-model %s does not fit this network: %w", file, mis.Err)
	case errors.As(err, &un):
		return 0, fmt.Errorf("--budget %s (%.4g ms) is below %.4g ms, the least the latency model (%s) predicts: the frozen layers and overhead with one channel per prunable group; give at least latency=%sms (the unpruned model is predicted at %.4g ms)",
			b, 1e3*un.Limit.Seconds, 1e3*un.Limit.Least, lm.Runtime, ceilDigits(1e3*un.Limit.Least, 4), 1e3*un.Limit.Full)
	}
	return 0, err
}

// latencyReport is the "latency" key of pare prune --json: the latency
// model's predictions, and the unpruned and written models timed on
// this run's runtime.
type latencyReport struct {
	Model             string   `json:"model_runtime"`
	ModelError        float64  `json:"model_mean_percent_error"`
	BudgetMS          float64  `json:"budget_ms"`
	PredictedBeforeMS float64  `json:"predicted_before_ms"`
	PredictedAfterMS  float64  `json:"predicted_after_ms"`
	MeasuredOn        string   `json:"measured_on"`
	MeasuredBeforeMS  float64  `json:"measured_before_ms"`
	MeasuredAfterMS   float64  `json:"measured_after_ms"`
	MeasuredError     *float64 `json:"measured_error_percent"`
}

// predictLatency fills the latency resource from the model's predictions
// and refuses a selection the model puts over budget.
func predictLatency(p *qcqp.Problem, lm *qcqp.LatencyModel, counts []int, limit float64) (resourceChange, *latencyReport, error) {
	full := make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		full[i] = mp.Channels
	}
	before, err := lm.Seconds(p, full)
	if err != nil {
		return resourceChange{}, nil, err
	}
	after, err := lm.Seconds(p, counts)
	if err != nil {
		return resourceChange{}, nil, err
	}
	if after > limit*(1+1e-12) {
		return resourceChange{}, nil, fmt.Errorf("the pruned model's predicted latency is %.6g ms, over its budget %.6g ms (a bug in pare; nothing written)", 1e3*after, 1e3*limit)
	}
	rep := &latencyReport{Model: lm.Runtime, ModelError: lm.MeanPercentError, BudgetMS: 1e3 * limit,
		PredictedBeforeMS: 1e3 * before, PredictedAfterMS: 1e3 * after}
	return resourceChange{Before: before, After: after, Budget: &limit}, rep, nil
}

// measureLatency times the unpruned model and the written file on Pare's
// executor here.
func measureLatency(rep *latencyReport, original *onnx.Model, written string, stderr io.Writer) error {
	o := benchrun.Options{Warmup: benchrun.Auto, MaxWarmup: 5 * time.Second, MinTime: 300 * time.Millisecond}
	before, err := qcqp.TimeModel(original, o)
	if err != nil {
		return fmt.Errorf("timing the unpruned model: %w", err)
	}
	m, err := onnx.ReadModelFile(written)
	if err != nil {
		return err
	}
	after, err := qcqp.TimeModel(m, o)
	if err != nil {
		return fmt.Errorf("timing %s: %w", written, err)
	}
	rep.MeasuredOn = pareRuntime()
	rep.MeasuredBeforeMS, rep.MeasuredAfterMS = 1e3*before, 1e3*after
	e := 100 * math.Abs(rep.PredictedAfterMS-rep.MeasuredAfterMS) / rep.MeasuredAfterMS
	rep.MeasuredError = &e
	return nil
}

// ceilDigits formats v > 0 with digits significant digits, rounded up, so
// that the figure an error suggests is itself accepted.
func ceilDigits(v float64, digits int) string {
	e := math.Pow(10, float64(digits-1)-math.Floor(math.Log10(v)))
	return strconv.FormatFloat(math.Ceil(v*e)/e, 'g', digits, 64)
}
