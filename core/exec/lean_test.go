package exec

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// constBytes is the storage of a session's constants, counting a tensor
// shared under two names once.
func constBytes(s *Session) int {
	seen := map[*tensor.Tensor]bool{}
	n := 0
	for _, t := range s.consts {
		if !seen[t] {
			seen[t] = true
			n += 4*len(t.F32) + 8*len(t.I64)
		}
	}
	return n
}

func TestRunOnlySessionMatchesAndHoldsLess(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models")
	for _, file := range []string{"resnet20_cifar.onnx", "mobilenetv2_035.onnx", "densenet_small.onnx", "efficientnet_small.onnx", "shufflenetv2_small.onnx", "squeezenet_small.onnx", "ops_mix.onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := onnx.ReadModelFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			full, err := NewSession(m)
			if err != nil {
				t.Fatal(err)
			}
			lean, err := NewSessionWith(m, SessionOptions{RunOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			feeds := testmodels.RandomInputs(t, m, 5)
			want, err := full.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lean.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want {
				g := got[name]
				if g == nil || !slices.Equal(g.Shape, w.Shape) {
					t.Fatalf("output %s missing or reshaped", name)
				}
				for i := range w.F32 {
					if g.F32[i] != w.F32[i] {
						t.Fatalf("output %s[%d]: run-only %v, full %v", name, i, g.F32[i], w.F32[i])
					}
				}
			}
			fb, lb := constBytes(full), constBytes(lean)
			if lb > fb {
				t.Fatalf("run-only session holds %d constant bytes, the full one %d", lb, fb)
			}
			// Only a folded BatchNormalization makes new weights; chains
			// without one read the originals, and there is nothing to drop.
			if folded := countOp(full.steps, "BatchNormalization") - countOp(full.fused, "BatchNormalization"); folded > 0 && lb >= fb {
				t.Errorf("fusion folded %d BatchNormalizations but the run-only session released nothing (%d bytes)", folded, lb)
			}
			t.Logf("constants: full %d B, run-only %d B", fb, lb)
			if _, err := lean.RunAll(feeds); !errors.Is(err, ErrRunOnly) {
				t.Fatalf("RunAll on a run-only session: %v", err)
			}
		})
	}
}

func countOp(steps []step, op string) int {
	n := 0
	for _, st := range steps {
		if st.node.OpType == op {
			n++
		}
	}
	return n
}
