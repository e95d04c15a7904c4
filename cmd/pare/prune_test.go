package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/qcqp"
)

func TestPruneMNIST8(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r pruneResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qcqp.Measure(m)
	if err != nil {
		t.Fatal(err)
	}
	macs := r.Resources["macs"]
	if macs.Budget == nil || *macs.Budget != 786560/2 || macs.Before != 786560 {
		t.Errorf("macs %+v, want before 786,560 and budget 393,280", macs)
	}
	if got.MACs != macs.After || got.MACs > *macs.Budget || got.Params != r.Resources["params"].After {
		t.Errorf("the written file measures %+v; the report says %+v", got, r.Resources)
	}
	if r.Gap == nil || r.Bound == nil || r.Status == "" || len(r.Maps) != 2 {
		t.Errorf("report lacks gap, bound, status or maps: %s", stdout)
	}
	// Both convs lose channels, so a frozen-neighbour count of the same
	// selection saves the weights between removed channels twice.
	if est, ok := r.FrozenEstimate["macs"]; !ok || est >= macs.After {
		t.Errorf("frozen-neighbour estimate %v (present %v), want below the file's %v MACs", est, ok, macs.After)
	}
	found := false
	for _, e := range m.MetadataProps {
		found = found || e.Key == qcqp.MetadataKey && strings.Contains(e.Value, `"removed"`) && strings.Contains(e.Value, "macs=50%")
	}
	if !found {
		t.Errorf("no %s metadata recording the budget and removed channels: %v", qcqp.MetadataKey, m.MetadataProps)
	}
	// The baselines prove nothing themselves; their gap is to the
	// solver's bound computed without search, which the solver's
	// optimum (r) cannot exceed.
	for _, method := range []string{"greedy", "l1", "knapsack"} {
		stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--method", method, "-o", out, "--json")
		var b pruneResult
		if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil {
			t.Fatalf("--method %s: exit %d: %s", method, code, errs)
		}
		if b.Method != method || b.Resources["macs"].After > *b.Resources["macs"].Budget {
			t.Errorf("--method %s: %s", method, stdout)
		}
		if b.Bound == nil || b.Gap == nil || *b.Bound < r.Objective*(1-1e-9) || b.Objective > r.Objective*(1+1e-9) ||
			math.Abs(*b.Gap - (*b.Bound-b.Objective) / *b.Bound) > 1e-9 {
			t.Errorf("--method %s: objective %v, bound %v, gap %v; the solver's %s optimum is %v", method, b.Objective, b.Bound, b.Gap, r.Status, r.Objective)
		}
	}
	text, errs, code := runPare(t, "prune", model, "--budget", "params=0.6", "-o", out)
	if code != 0 || !strings.Contains(text, "params") || !strings.Contains(text, "gap") || !strings.Contains(text, "kept channels") {
		t.Errorf("text output (exit %d, %s):\n%s", code, errs, text)
	}
}

func TestPruneBadRequests(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	out := filepath.Join(t.TempDir(), "x.onnx")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{model, "-o", out}, 2, "--budget is required"},
		{[]string{model, "--budget", "macs=50%"}, 2, "-o OUT is required"},
		{[]string{model, "--budget", "flops=50%", "-o", out}, 2, "unknown resource"},
		{[]string{model, "--budget", "macs=150%", "-o", out}, 2, "is not a budget"},
		{[]string{model, "--budget", "macs=lots", "-o", out}, 2, "is not a budget"},
		{[]string{model, "--budget", "macs=50%,macs=40%", "-o", out}, 2, "twice"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--importance", "l3"}, 2, "want l1, l2 or taylor"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--importance", "taylor"}, 2, "--data DIR"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--method", "magic"}, 2, "not available"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--time-limit", "0s"}, 2, "--time-limit"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--min-keep", "120%"}, 2, "--min-keep"},
		{[]string{model, "--budget", "macs=50%", "-o", out, "--min-keep", "some"}, 2, "is not a share"},
		// Keeping 90 % of every group cannot fit half the MACs: the error
		// names the floor as the cause.
		{[]string{model, "--budget", "macs=50%", "-o", out, "--min-keep", "90%"}, 1, "90 % of every prunable group (--min-keep)"},
		// The first conv alone, at one channel, and the frozen logits
		// cost more than 1,000 MACs: the error names the constraint and
		// the smallest reachable figure.
		{[]string{model, "--budget", "macs=1000", "-o", out}, 1, "macs is at least"},
		{[]string{model, "--budget", "memory=1k", "-o", out}, 1, "memory (while"},
		{[]string{filepath.Join(t.TempDir(), "missing.onnx"), "--budget", "macs=50%", "-o", out}, 1, "cannot open model"},
	} {
		_, errs, code := runPare(t, append([]string{"prune"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("pare prune %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errs, c.code, c.want)
		}
	}
	if _, err := onnx.ReadModelFile(out); err == nil {
		t.Error("a failed request wrote the output file")
	}
}

// --emit-lp writes the problem pare prune solved; CBC, where installed,
// finds the same optimum in it.
func TestPruneEmitLP(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	dir := t.TempDir()
	lp, out := filepath.Join(dir, "m.lp"), filepath.Join(dir, "m.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--emit-lp", lp, "-o", out, "--json")
	var r pruneResult
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("exit %d: %s", code, errs)
	}
	text, err := os.ReadFile(lp)
	if err != nil || !strings.HasPrefix(string(text), `\ Pare channel selection`) || !strings.Contains(string(text), "Subject To") {
		t.Fatalf("the LP file (%v): %.200s", err, text)
	}
	if _, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--granularity", "shape", "--emit-lp", lp, "-o", out); code != 2 || !strings.Contains(errs, "--emit-lp") {
		t.Errorf("--emit-lp with --granularity shape: exit %d, %s", code, errs)
	}
	if runtime.GOOS == "js" {
		t.Skip("CBC runs as a process of its own, which a GOOS=js test cannot start; the native run solves the LP file")
	}
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		t.Skip("cbc is not installed (Debian: apt-get install coinor-cbc); the LP file is not solved")
	}
	res, err := exec.Command(cbc, lp, "-solve").CombinedOutput()
	if err != nil {
		t.Fatalf("cbc: %v\n%s", err, res)
	}
	var opt float64
	for _, line := range strings.Split(string(res), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Objective value:"); ok {
			opt, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err != nil || !strings.Contains(string(res), "Optimal solution found") || math.Abs(opt-r.Objective) > 1e-6*r.Objective {
		t.Fatalf("CBC's optimum %v (%v), pare prune's %v (%s)\n%s", opt, err, r.Objective, r.Status, res)
	}
}

// --min-keep keeps the share of every channel group, and the file's
// metadata records it.
func TestPruneMinKeep(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	narrowest := func(args ...string) (float64, pruneResult) {
		t.Helper()
		stdout, errs, code := runPare(t, append([]string{"prune", model, "--budget", "macs=30%", "-o", out, "--json"}, args...)...)
		var r pruneResult
		if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		low := 1.0
		for _, mp := range r.Maps {
			low = min(low, float64(mp.Kept)/float64(mp.Channels))
		}
		return low, r
	}
	free, _ := narrowest("--min-keep", "0")
	if free >= 0.4 {
		t.Fatalf("without a floor the narrowest group keeps %.2f: a 40 %% floor would test nothing", free)
	}
	low, r := narrowest("--min-keep", "40%")
	if low < 0.4 || r.Resources["macs"].After > *r.Resources["macs"].Budget {
		t.Fatalf("--min-keep 40%%: the narrowest group keeps %.2f; macs %+v", low, r.Resources["macs"])
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range m.MetadataProps {
		found = found || e.Key == qcqp.MetadataKey && strings.Contains(e.Value, `"min_keep":0.4`)
	}
	if !found {
		t.Errorf("the metadata does not record the floor: %v", m.MetadataProps)
	}
	// The default floor is 25 %, lowered, with a note, where the budget
	// cannot pay for it.
	if low, r := narrowest(); low < 0.25 || r.MinKeep != 0.25 || len(r.Notes) != 0 {
		t.Errorf("default at 30 %%: narrowest %.2f, min_keep %v, notes %q", low, r.MinKeep, r.Notes)
	}
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=5%", "-o", out, "--json")
	var r5 pruneResult
	if code != 0 || json.Unmarshal([]byte(stdout), &r5) != nil {
		t.Fatalf("macs=5%%: exit %d: %s", code, errs)
	}
	if r5.MinKeep <= 0 || r5.MinKeep >= 0.25 || len(r5.Notes) != 1 || !strings.Contains(r5.Notes[0], "lowered to") {
		t.Errorf("macs=5%%: min_keep %v, notes %q", r5.MinKeep, r5.Notes)
	}
}

func TestInfoChannels(t *testing.T) {
	model := sharedAsset(t, "models/resnet8-cifar10.onnx")
	stdout, errs, code := runPare(t, "info", model, "--channels", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r channelsResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	// ResNet-8: three stages; each stage's residual Add ties the block's
	// input with its last conv (a stem conv or the 1x1 shortcut), so 9
	// convs give 6 masks; the input and the logits are frozen.
	if r.Prunable != 6 || r.Frozen != 2 {
		t.Errorf("%d prunable and %d frozen groups, want 6 and 2", r.Prunable, r.Frozen)
	}
	tied := 0
	for _, g := range r.Groups {
		if len(g.Producers) == 2 {
			tied++
		}
		if !g.Prunable && len(g.Reasons) == 0 {
			t.Errorf("frozen group %s gives no reason", g.Map)
		}
	}
	if tied != 3 {
		t.Errorf("%d groups tie two producers, want 3 (one per residual Add)", tied)
	}
	text, _, code := runPare(t, "info", model, "--channels")
	if code != 0 || !strings.Contains(text, "because: network input") || !strings.Contains(text, "tied: conv2d_2") {
		t.Errorf("text output:\n%s", text)
	}
}

// TestPruneNothingPrunable: a single conv from the network input to its
// output has no group that may shrink; pare says so and why.
func TestPruneNothingPrunable(t *testing.T) {
	vi := func(name string, dims ...int64) *onnx.ValueInfo {
		shape := &onnx.TensorShape{}
		for _, d := range dims {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
		return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
	}
	w, err := tensor.ToONNX(tensor.New(tensor.Float32, []int{2, 3, 1, 1}), "w")
	if err != nil {
		t.Fatal(err)
	}
	m := &onnx.Model{IRVersion: 8, OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Name: "one-conv", Input: []*onnx.ValueInfo{vi("x", 1, 3, 4, 4)}, Output: []*onnx.ValueInfo{vi("y", 1, 2, 4, 4)},
		Initializer: []*onnx.Tensor{w},
		Node:        []*onnx.Node{{Name: "conv", OpType: "Conv", Input: []string{"x", "w"}, Output: []string{"y"}}},
	}}
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "one.onnx")
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "-o", filepath.Join(dir, "out.onnx"))
	if code != 1 || !strings.Contains(errs, "nothing in") || !strings.Contains(errs, "network input") || !strings.Contains(errs, "info --channels") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestPruneTaylor(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	data := sharedAsset(t, "data/mnist")
	out := filepath.Join(t.TempDir(), "pruned.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--importance", "taylor", "--data", data, "--split", "test", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r pruneResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Importance != "taylor" || r.Objective <= 0 || r.Resources["macs"].After > *r.Resources["macs"].Budget {
		t.Errorf("taylor run: %s", stdout)
	}
	// Two batches of 32 test images that mnist-8 gets all right with
	// saturated confidence give no gradient at all: a clear error.
	_, errs, code = runPare(t, "prune", model, "--budget", "macs=50%", "--importance", "taylor", "--data", data, "--split", "test", "--taylor-batches", "2", "-o", out)
	if code != 1 || !strings.Contains(errs, "no gradient") {
		t.Errorf("exit %d, stderr %q; want the no-gradient error", code, errs)
	}
	// The default split is train, which this folder lacks: the error
	// says which flag chooses.
	_, errs, code = runPare(t, "prune", model, "--budget", "macs=50%", "--importance", "taylor", "--data", data, "-o", out)
	if code != 1 || !strings.Contains(errs, "--split") {
		t.Errorf("exit %d, stderr %q; want the --split hint", code, errs)
	}
}

// --granularity shape: channels, then kernel taps; the MACs reported are
// those of the written file with its zero taps skipped, within the budget,
// and the bad combinations are refused before any work.
func TestPruneKernelShape(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	out := filepath.Join(t.TempDir(), "shape.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=30%", "--granularity", "shape", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r pruneResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	eff, err := qcqp.EffectiveMACs(m)
	if err != nil {
		t.Fatal(err)
	}
	macs := r.Resources["macs"]
	if r.Granularity != "shape" || r.Taps == nil || r.Taps.Removed == 0 || macs.After != eff || eff > *macs.Budget || r.Taps.DenseMACs <= eff {
		t.Fatalf("report %s; the file has %.0f effective MACs", stdout, eff)
	}
	found := false
	for _, e := range m.MetadataProps {
		found = found || e.Key == qcqp.MetadataKey && strings.Contains(e.Value, `"granularity":"shape"`) && strings.Contains(e.Value, `"taps"`)
	}
	if !found {
		t.Errorf("the recipe does not record the taps: %v", m.MetadataProps)
	}
	// Fine-tuning keeps the removed taps removed (train.KeepZeroTaps).
	tuned := filepath.Join(t.TempDir(), "tuned.onnx")
	data := sharedAsset(t, "data/mnist")
	if _, errs, code := runPare(t, "finetune", out, "--data", data, "--split", "test", "--limit", "640", "--lr", "1e-3", "-o", tuned, "--allow-worse"); code != 0 {
		t.Fatalf("finetune: exit %d: %s", code, errs)
	}
	tm, err := onnx.ReadModelFile(tuned)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qcqp.EffectiveMACs(tm); err != nil || got != eff {
		t.Errorf("after fine-tuning the file has %v effective MACs (%v), before %v", got, err, eff)
	}
	for _, bad := range [][]string{
		{"--budget", "params=50%", "--granularity", "shape"},
		{"--budget", "macs=50%", "--granularity", "shape", "--method", "l1"},
		{"--budget", "macs=50%", "--granularity", "shape", "--importance", "l2"},
		{"--budget", "macs=50%", "--granularity", "taps"},
	} {
		_, errs, code := runPare(t, append([]string{"prune", model, "-o", out}, bad...)...)
		if code != 2 || !strings.Contains(errs, "granularity") {
			t.Errorf("%q: exit %d, %s", bad, code, errs)
		}
	}
}

// pare prune --data fine-tunes the written model with finetune's
// defaults, distilled from the original: the report carries finetune's,
// the file is never worse on validation than the pruned one, its figures
// are the pruned ones, and no temporary file is left beside it.
func TestPruneWithDataFinetunes(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	data := sharedAsset(t, "data/mnist")
	dir := t.TempDir()
	out := filepath.Join(dir, "pruned.onnx")
	stdout, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--data", data, "--split", "test", "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r pruneResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	var ft trainReport
	if err := json.Unmarshal(r.Finetune, &ft); err != nil {
		t.Fatalf("no finetune report: %v\n%s", err, stdout)
	}
	if !ft.Distill || ft.InitialValAcc == nil || ft.BestValAcc == nil || *ft.BestValAcc < *ft.InitialValAcc || *ft.BestValAcc < 0.9 {
		t.Errorf("fine-tune: distill %v, validation %v -> %v", ft.Distill, ft.InitialValAcc, ft.BestValAcc)
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qcqp.Measure(m); err != nil || got.MACs != r.Resources["macs"].After || got.MACs > *r.Resources["macs"].Budget {
		t.Errorf("the fine-tuned file measures %+v (%v); the report says %+v", got, err, r.Resources["macs"])
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left beside the output: %v", entries)
	}
	if _, errs, code := runPare(t, "prune", model, "--budget", "macs=50%", "--val", data, "-o", out); code != 2 || !strings.Contains(errs, "--val is for the fine-tune") {
		t.Errorf("--val without --data: exit %d, %s", code, errs)
	}
}
