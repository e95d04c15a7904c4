package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/latencytest"
	"github.com/pare-ml/pare/qcqp"
)

// mnist8Latency writes a latency model of mnist-8's three layers (in the
// range pare latency measures natively) and returns its path.
func mnist8Latency(t *testing.T) string {
	t.Helper()
	lm := &qcqp.LatencyModel{Runtime: "test", Overhead: -1e-5, Layers: []qcqp.LayerLatency{
		{Layer: "Convolution28", A: 1.1e-5, C: 8.6e-7},
		{Layer: "Convolution110", A: 1e-6, B: 2.6e-6, C: 3.9e-7, D: 1.4e-7},
		{Layer: "Times212", A: 1.5e-6, B: 1.2e-7},
	}}
	path := filepath.Join(t.TempDir(), "mnist-8.latency.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := lm.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// The written model's latency, predicted from its own channel counts
// by the same latency model, meets the budget and equals the report.
func TestPruneLatencyBudget(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	lat := mnist8Latency(t)
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "latency=0.05ms", "--latency-model", lat, "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r pruneResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	l, rc := r.Latency, r.Resources["latency"]
	if l == nil || rc.Budget == nil || math.Abs(*rc.Budget-5e-5) > 1e-12 || math.Abs(l.BudgetMS-0.05) > 1e-9 {
		t.Fatalf("latency report %+v, resource %+v", l, rc)
	}
	if l.PredictedAfterMS > l.BudgetMS || l.PredictedAfterMS >= l.PredictedBeforeMS || l.MeasuredBeforeMS <= 0 || l.MeasuredAfterMS <= 0 || l.MeasuredOn == "" {
		t.Fatalf("latency report %+v", l)
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	p := latencytest.Problem(t, m)
	n := make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		n[i] = mp.Channels
	}
	lm, err := readLatencyModel(lat)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lm.Seconds(p, n)
	if err != nil {
		t.Fatal(err)
	}
	if got > *rc.Budget || math.Abs(got-rc.After) > 1e-12 {
		t.Fatalf("the written file's predicted latency is %g s; the report says %g s, budget %g s", got, rc.After, *rc.Budget)
	}

	// A percentage of the predicted time, beside a MACs budget.
	stdout, errs, code = runPare(t, "prune", model, "--budget", "latency=70%,macs=80%", "--latency-model", lat, "-o", out, "--json")
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if rc := r.Resources["latency"]; rc.After > 0.7*rc.Before*(1+1e-12) || r.Resources["macs"].After > *r.Resources["macs"].Budget {
		t.Fatalf("%+v", r.Resources)
	}
}

func TestPruneLatencyBadRequests(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	lat := mnist8Latency(t)
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	wrong := filepath.Join(t.TempDir(), "other.latency.json")
	if err := os.WriteFile(wrong, []byte(`{"runtime":"x","layers":[{"layer":"conv9","a":1e-5}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--budget", "latency=2ms"}, 2, "pare latency"},
		{[]string{"--budget", "macs=50%", "--latency-model", lat}, 2, "only read by a latency budget"},
		{[]string{"--budget", "latency=fast", "--latency-model", lat}, 2, "not a latency budget"},
		{[]string{"--budget", "latency=1ms,latency=2ms", "--latency-model", lat}, 2, "twice"},
		// One channel per group costs 7.61 us by the model above.
		{[]string{"--budget", "latency=0.005ms", "--latency-model", lat}, 1, "give at least latency=0.00761ms"},
		{[]string{"--budget", "latency=2ms", "--latency-model", wrong}, 1, "no fit for layer"},
		{[]string{"--budget", "latency=2ms", "--latency-model", filepath.Join(t.TempDir(), "absent.json")}, 1, "pare latency MODEL"},
	} {
		_, errs, code := runPare(t, append([]string{"prune", model, "-o", out}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused request wrote %s", out)
	}
}

// pare latency end to end on mnist-8 with the shortest timings: a model
// pare prune reads, and a report with the validation error.
func TestLatencyCommand(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	lat := filepath.Join(t.TempDir(), "m.latency.json")
	stdout, errs, code := runPare(t, "latency", model, "-o", lat, "--grid", "2", "--validate", "2", "--warmup", "1", "--time", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r latencyResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Layers) != 3 || len(r.Validation) != 2 || r.FullMS <= 0 || r.MeanPercentError <= 0 || r.PredictedFullMS <= 0 || r.Scale <= 0 {
		t.Fatalf("%s", stdout)
	}
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	budget := r.PredictedFullMS * 0.9
	if _, errs, code := runPare(t, "prune", model, "--budget", "latency=90%", "--latency-model", lat, "-o", out); code != 0 {
		t.Fatalf("prune with the measured model (%.4g ms budget): exit %d: %s", budget, code, errs)
	}
	for _, args := range [][]string{{"--grid", "1"}, {"--validate", "0"}, {}} {
		a := append([]string{"latency", model}, args...)
		if len(args) > 0 {
			a = append(a, "-o", lat)
		}
		if _, errs, code := runPare(t, a...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}
