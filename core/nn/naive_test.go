package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// Direct, obviously-correct implementations the kernels are checked
// against. They share only the resolved Window (sizes and pads), whose
// resolution is tested separately against hand-computed cases.

// forEachIndex calls fn with every multi-index of shape, last axis fastest.
func forEachIndex(shape []int, fn func(idx []int)) {
	idx := make([]int, len(shape))
	if product(shape) == 0 {
		return
	}
	for {
		fn(idx)
		d := len(shape) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

func flat(shape, idx []int) int {
	o := 0
	for i := range shape {
		o = o*shape[i] + idx[i]
	}
	return o
}

// naiveConv computes Conv by its definition.
func naiveConv(x, w, b *tensor.Tensor, g *ConvGeometry) []float32 {
	y := make([]float32, product(g.OutShape()))
	cg, mg := g.InChannels/g.Group, g.OutChannels/g.Group
	r := len(g.In)
	pos := make([]int, r)
	forEachIndex(g.OutShape(), func(o []int) {
		n, m := o[0], o[1]
		gr := m / mg
		var s float64
		if b != nil {
			s = float64(b.F32[m])
		}
		for c := 0; c < cg; c++ {
			forEachIndex(g.Kernel, func(k []int) {
				for d := 0; d < r; d++ {
					pos[d] = o[2+d]*g.Strides[d] - g.PadBegin[d] + k[d]*g.Dilations[d]
					if pos[d] < 0 || pos[d] >= g.In[d] {
						return
					}
				}
				xi := flat(x.Shape, append([]int{n, gr*cg + c}, pos...))
				wi := flat(w.Shape, append([]int{m, c}, k...))
				s += float64(x.F32[xi]) * float64(w.F32[wi])
			})
		}
		y[flat(g.OutShape(), o)] = float32(s)
	})
	return y
}

// naiveConvTranspose scatters every input value through the kernel.
func naiveConvTranspose(x, w, b *tensor.Tensor, g *ConvTransposeGeometry) []float32 {
	out := g.OutShape()
	y := make([]float64, product(out))
	cg, mg := g.InChannels/g.Group, g.OutChannels/g.Group
	r := len(g.In)
	pos := make([]int, r)
	forEachIndex(x.Shape, func(i []int) {
		n, c := i[0], i[1]
		gr := c / cg
		xv := float64(x.F32[flat(x.Shape, i)])
		for mm := 0; mm < mg; mm++ {
			forEachIndex(g.Kernel, func(k []int) {
				for d := 0; d < r; d++ {
					pos[d] = i[2+d]*g.Strides[d] - g.PadBegin[d] + k[d]*g.Dilations[d]
					if pos[d] < 0 || pos[d] >= g.In[d] {
						return
					}
				}
				wv := float64(w.F32[flat(w.Shape, append([]int{c, mm}, k...))])
				y[flat(out, append([]int{n, gr*mg + mm}, pos...))] += xv * wv
			})
		}
	})
	res := make([]float32, len(y))
	forEachIndex(out, func(o []int) {
		v := y[flat(out, o)]
		if b != nil {
			v += float64(b.F32[o[1]])
		}
		res[flat(out, o)] = float32(v)
	})
	return res
}

// naivePool computes max or average pooling by its definition.
func naivePool(x *tensor.Tensor, g *PoolGeometry, isMax, countIncludePad bool) []float32 {
	y := make([]float32, product(g.OutShape()))
	r := len(g.In)
	pos := make([]int, r)
	forEachIndex(g.OutShape(), func(o []int) {
		best := math.Inf(-1)
		var sum float64
		var count, padCount int
		forEachIndex(g.Kernel, func(k []int) {
			inside, inPad := true, true
			for d := 0; d < r; d++ {
				pos[d] = o[2+d]*g.Strides[d] - g.PadBegin[d] + k[d]*g.Dilations[d]
				if pos[d] < 0 || pos[d] >= g.In[d] {
					inside = false
				}
				if pos[d] < -g.PadBegin[d] || pos[d] >= g.In[d]+g.PadEnd[d] {
					inPad = false
				}
			}
			if inPad {
				padCount++
			}
			if !inside {
				return
			}
			v := float64(x.F32[flat(x.Shape, append([]int{o[0], o[1]}, pos...))])
			best = math.Max(best, v)
			sum += v
			count++
		})
		switch {
		case isMax:
			y[flat(g.OutShape(), o)] = float32(best)
		case countIncludePad:
			y[flat(g.OutShape(), o)] = float32(sum / float64(padCount))
		default:
			y[flat(g.OutShape(), o)] = float32(sum / float64(count))
		}
	})
	return y
}

func randTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape)
	for i := range t.F32 {
		t.F32[i] = float32(rng.NormFloat64())
	}
	return t
}

func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4+1e-4*math.Abs(float64(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: value %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}
