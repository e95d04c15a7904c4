package exec

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

func TestPoolClearsOnlyWhenAsked(t *testing.T) {
	p := newBufferPool()
	a := p.get(tensor.Float32, []int{2, 3})
	for i := range a.F32 {
		a.F32[i] = 7
	}
	p.put(a)
	b := p.getUninit(tensor.Float32, []int{3, 2})
	if b != a || b.F32[0] != 7 || !slices.Equal(b.Shape, []int{3, 2}) {
		t.Fatalf("getUninit did not recycle the buffer as is: %v %v", b.Shape, b.F32)
	}
	p.put(b)
	c := p.get(tensor.Float32, []int{6})
	if c != a {
		t.Fatal("get did not recycle the buffer")
	}
	for i, v := range c.F32 {
		if v != 0 {
			t.Fatalf("get returned a recycled buffer with stale value %v at %d", v, i)
		}
	}
	if d := p.getUninit(tensor.Float32, []int{6}); d == a || len(d.F32) != 6 {
		t.Fatal("getUninit handed out a buffer still in use, or of the wrong size")
	}
}

// TestRepeatedRunsMatchFreshSessions runs models several times on changing
// inputs, so that every recycled buffer (cleared or not) holds another
// run's values, and compares each result with a fresh session's.
func TestRepeatedRunsMatchFreshSessions(t *testing.T) {
	for _, file := range []string{"mobilenetv2_035.onnx", "resnet20_cifar.onnx", "shufflenetv2_small.onnx"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("..", "..", "testdata", "models", file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s is absent: %v", path, err)
			}
			m, err := onnx.ReadModelFile(path)
			if err != nil {
				t.Fatal(err)
			}
			shapes, err := graph.DefaultInputShapes(m, 1)
			if err != nil {
				t.Fatal(err)
			}
			reused, err := NewSession(m)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(21, 22))
			for run := 0; run < 3; run++ {
				feeds := map[string]*tensor.Tensor{}
				for name, shape := range shapes {
					x := tensor.New(tensor.Float32, shape)
					for i := range x.F32 {
						x.F32[i] = rng.Float32()*2 - 1
					}
					feeds[name] = x
				}
				got, err := reused.Run(feeds)
				if err != nil {
					t.Fatal(err)
				}
				fresh, err := NewSession(m)
				if err != nil {
					t.Fatal(err)
				}
				want, err := fresh.Run(feeds)
				if err != nil {
					t.Fatal(err)
				}
				for name, w := range want {
					g := got[name]
					if g == nil || !slices.Equal(g.Shape, w.Shape) {
						t.Fatalf("run %d: output %q missing or reshaped", run, name)
					}
					for i := range w.F32 {
						if g.F32[i] != w.F32[i] {
							t.Fatalf("run %d: output %q[%d] = %v, a fresh session gives %v", run, name, i, g.F32[i], w.F32[i])
						}
					}
				}
			}
		})
	}
}
