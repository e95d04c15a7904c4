package train

import (
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// byteSource reads small numbers from fuzz input, 0 once it runs out.
type byteSource struct{ b []byte }

func (s *byteSource) next(n int) int {
	if len(s.b) == 0 || n <= 0 {
		return 0
	}
	v := int(s.b[0]) % n
	s.b = s.b[1:]
	return v
}

func (s *byteSource) shape(rank, maxDim int) []int {
	d := make([]int, rank)
	for i := range d {
		d[i] = 1 + s.next(maxDim)
	}
	return d
}

func (s *byteSource) ints(n, lo, hi int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(lo + s.next(hi-lo+1))
	}
	return v
}

// FuzzBackward builds one node with fuzzed shapes and attributes (many
// of them invalid) and runs a training forward and backward pass on it.
// Bad shapes and attributes must come back as errors; when the forward
// pass accepts a node, the backward pass must succeed and give every
// parameter a gradient of its shape.
func FuzzBackward(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 1, 2, 1, 1, 0, 1})
	f.Add([]byte{1, 2, 3, 3, 2, 2, 1, 0, 1, 1, 1})
	f.Add([]byte{5, 1, 4, 2, 3, 0, 0, 2})
	f.Add([]byte{9, 2, 3, 4, 1, 3, 2, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSource{b: data}
		b := newTestModel(13, int64(len(data)))
		switch s.next(12) {
		case 0, 1: // Conv
			g := 1 + s.next(3)
			x := append([]int{1 + s.next(2), g * (1 + s.next(3))}, s.shape(2, 7)...)
			w := append([]int{g * (1 + s.next(3)), x[1] / g}, s.shape(2, 4)...)
			b.param("x", x, nil).param("w", w, nil)
			b.node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", int64(g)),
				aInts("strides", s.ints(2, 0, 3)...), aInts("pads", s.ints(4, -1, 3)...), aInts("dilations", s.ints(2, 0, 2)...))
		case 2: // MaxPool
			b.paramDistinct("x", append([]int{1, 1 + s.next(3)}, s.shape(2, 7)...))
			b.node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", s.ints(2, 0, 4)...),
				aInts("strides", s.ints(2, 0, 3)...), aInts("pads", s.ints(4, -1, 2)...), aInt("ceil_mode", int64(s.next(2))))
		case 3: // AveragePool
			b.param("x", append([]int{1, 1 + s.next(3)}, s.shape(2, 7)...), nil)
			b.node("AveragePool", []string{"x"}, []string{"y"}, aInts("kernel_shape", s.ints(2, 0, 4)...),
				aInts("strides", s.ints(2, 0, 3)...), aInts("pads", s.ints(4, -1, 2)...),
				aInt("count_include_pad", int64(s.next(2))), aInt("ceil_mode", int64(s.next(2))))
		case 4: // Gemm
			b.param("a", s.shape(2, 5), nil).param("b", s.shape(2, 5), nil).param("c", s.shape(1+s.next(2), 5), nil)
			b.node("Gemm", []string{"a", "b", "c"}, []string{"y"}, aInt("transA", int64(s.next(2))), aInt("transB", int64(s.next(2))))
		case 5: // MatMul
			b.param("a", s.shape(1+s.next(4), 4), nil).param("b", s.shape(1+s.next(4), 4), nil)
			b.node("MatMul", []string{"a", "b"}, []string{"y"})
		case 6: // BatchNormalization
			x := s.shape(2+s.next(3), 4)
			c := x[1]
			if s.next(4) == 0 {
				c = 1 + s.next(5)
			}
			b.param("x", x, nil).param("s", []int{c}, nil).param("bias", []int{c}, nil).param("m", []int{c}, nil)
			b.param("v", []int{c}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			b.node("BatchNormalization", []string{"x", "s", "bias", "m", "v"}, []string{"y"})
		case 7, 8: // broadcasting arithmetic
			op := []string{"Add", "Sub", "Mul", "Div"}[s.next(4)]
			b.param("a", s.shape(s.next(4), 3), nil).param("b", s.shape(s.next(4), 3), avoiding(1, 0))
			b.node(op, []string{"a", "b"}, []string{"y"})
		case 9: // Slice
			b.param("x", s.shape(1+s.next(3), 6), nil)
			b.ints("st", s.ints(1, -7, 7)...).ints("en", s.ints(1, -7, 7)...).ints("ax", s.ints(1, -3, 2)...).ints("sp", s.ints(1, -3, 3)...)
			b.node("Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"})
		case 10: // Pad
			mode := []string{"constant", "reflect", "edge"}[s.next(3)]
			b.param("x", s.shape(2, 5), nil).ints("p", s.ints(4, -2, 4)...)
			b.node("Pad", []string{"x", "p"}, []string{"y"}, aString("mode", mode))
		default: // Transpose, Concat
			if s.next(2) == 0 {
				b.param("x", s.shape(3, 4), nil)
				b.node("Transpose", []string{"x"}, []string{"y"}, aInts("perm", s.ints(3, -1, 3)...))
			} else {
				b.param("a", s.shape(2, 3), nil).param("b", s.shape(2, 3), nil)
				b.node("Concat", []string{"a", "b"}, []string{"y"}, aInt("axis", int64(s.next(5)-2)))
			}
		}
		b.output("y")
		net, err := NewNet(b.m, NetOptions{})
		if err != nil {
			return
		}
		p, err := net.Forward(nil, ModeTrain)
		if err != nil {
			return
		}
		y := p.Logits()
		if y.DType != tensor.Float32 {
			return
		}
		if err := net.Backward(p, tensor.New(tensor.Float32, y.Shape)); err != nil {
			t.Fatalf("forward accepted the node but backward failed: %v", err)
		}
		for _, prm := range net.Params {
			if prm.Grad.Len() != prm.Value.Len() {
				t.Fatalf("%s: gradient of %d values for %d", prm.Name, prm.Grad.Len(), prm.Value.Len())
			}
		}
	})
}
