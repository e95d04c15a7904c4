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
	p := newBufferPool(false, nil)
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

// TestPoolPutTwiceKeepsOneEntry: a buffer put back twice is handed out
// once, for float32 (kept by capacity) and other dtypes (kept by size).
func TestPoolPutTwiceKeepsOneEntry(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Int64} {
		p := newBufferPool(false, nil)
		a := p.get(dt, []int{4})
		p.put(a)
		p.put(a)
		if b := p.get(dt, []int{4}); b != a {
			t.Fatalf("%v: the free buffer was not reused", dt)
		}
		if c := p.get(dt, []int{4}); c == a {
			t.Fatalf("%v: a buffer put twice was handed out twice", dt)
		}
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

func TestPoolServesFromLargerBufferWithinSlack(t *testing.T) {
	p := newBufferPool(false, nil)
	big := p.get(tensor.Float32, []int{64, 56, 56})
	huge := p.get(tensor.Float32, []int{64, 112, 112})
	p.put(huge)
	p.put(big)
	// 128x28x28 is half of 64x56x56: served by it, resliced, not by the
	// 4x larger 64x112x112 buffer.
	half := p.get(tensor.Float32, []int{128, 28, 28})
	if &half.F32[0] != &big.F32[0] || len(half.F32) != 128*28*28 || half.Len() != len(half.F32) {
		t.Fatalf("half-size request not served by the 2x buffer (len %d)", len(half.F32))
	}
	for _, v := range half.F32 {
		if v != 0 {
			t.Fatal("reused buffer not cleared")
		}
	}
	// A quarter-size request would waste 3/4 of the 64x112x112 buffer.
	quarter := p.get(tensor.Float32, []int{64, 56, 56})
	if &quarter.F32[0] == &huge.F32[0] {
		t.Fatal("a buffer 4x the request was reused")
	}
	// Returned, the resliced buffer keeps its full capacity for later.
	p.put(half)
	again := p.get(tensor.Float32, []int{64, 56, 56})
	if &again.F32[0] != &big.F32[0] {
		t.Fatal("resliced buffer lost its capacity in the pool")
	}
	// Other dtypes are reused at the same size only.
	i := p.get(tensor.Int64, []int{10})
	p.put(i)
	if j := p.get(tensor.Int64, []int{5}); &j.I64[0] == &i.I64[0] {
		t.Fatal("int64 buffer reused at another size")
	}
}
