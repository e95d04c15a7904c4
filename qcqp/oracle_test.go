package qcqp

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// TestPrunedModelsLoadInOnnxruntime writes a randomly pruned copy of every
// test model, runs it in onnxruntime-node (tools/oracle/run.mjs, the
// oracle of core/exec's tests) and checks that its outputs agree with
// Pare's executor on the same file: another runtime loads the smaller
// model and computes the same thing.
func TestPrunedModelsLoadInOnnxruntime(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("onnxruntime-node runs in a node process of its own, which a GOOS=js test cannot start; the native run checks the pruned models in it")
	}
	node, missing := testassets.OnnxruntimeNode()
	if node == "" {
		t.Skip(missing)
	}
	if testing.Short() {
		t.Skip("starts node once per model")
	}
	for _, name := range pruneModels {
		t.Run(name, func(t *testing.T) {
			m := loadPruneModel(t, name)
			a := analyze(t, m)
			r := rand.New(rand.NewPCG(7, uint64(len(name))))
			pm, err := a.Prune(randomSelection(a, r), PruneOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "pruned.onnx")
			b, err := onnx.Encode(pm)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			in := randomInputs(t, pm, r)
			args := []string{"../tools/oracle/run.mjs", file, filepath.Join(dir, "out")}
			for k, x := range in {
				p := filepath.Join(dir, "in_"+sanitize(k)+".npy")
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := tensor.WriteNpy(f, x); err != nil {
					t.Fatal(err)
				}
				f.Close()
				args = append(args, k+"="+p)
			}
			if out, err := osexec.Command(node, args...).CombinedOutput(); err != nil {
				t.Fatalf("onnxruntime cannot run the pruned model: %v\n%s", err, out)
			}
			var outs []struct{ Name, File string }
			data, err := os.ReadFile(filepath.Join(dir, "out", "outputs.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &outs); err != nil {
				t.Fatal(err)
			}
			want := map[string]*tensor.Tensor{}
			for _, o := range outs {
				f, err := os.Open(filepath.Join(dir, "out", o.File))
				if err != nil {
					t.Fatal(err)
				}
				x, err := tensor.ReadNpy(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				want[o.Name] = x
			}
			got := runModel(t, pm, in)
			for k := range got {
				if want[k] == nil {
					t.Fatalf("onnxruntime gave no output %s", k)
				}
			}
			closeOutputs(t, got, want, 1e-4)
			t.Logf("max |pare - onnxruntime| = %.3g", maxDiff(got, want))
		})
	}
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
