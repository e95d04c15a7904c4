package nn

import (
	"fmt"
	"math"
)

// FakeQuant is one QuantizeLinear -> DequantizeLinear pair on float32
// values, with the element-wise ops a quantizer puts before it (Pre) and
// the signed form's multiply by Sign of the input after it: what the
// executor runs in place of every quantized activation of a QDQ model.
// For each value v (after Pre):
//
//	r = v / Scale                                 (float32 division)
//	r = Lo if r < Lo, Hi if r > Hi, NaN if r is NaN, else r
//	r = (r + 1.5*2^23) - 1.5*2^23                 (round half to even)
//	y = (r + Offset) * Step
//	y = y * sign(x * SignScale)                   (when Signed)
//
// which is QuantizeLinear's k = saturate(round(v/s) + z) followed by
// DequantizeLinear's (k - z') s' when Lo and Hi are the saturation range
// less z, NaN is -z (NaN quantizes to level 0), Offset is z - z' and Step
// is s': clamping before rounding gives the same k since the bounds are
// integers, and the magic-number rounding is exact for |r| <= 2^22. Every
// step is a float32 operation, so the result does not depend on the build:
// under WebAssembly the SIMD kernel module and on amd64 with AVX2 the
// assembly compute the Go code's bits (TestFakeQuantSIMDMatchesGo).
type FakeQuant struct {
	Pre                              []FakeQuantOp
	Scale, Lo, Hi, NaN, Offset, Step float32
	Signed                           bool
	// SignScale, when not 0, is the constant of a Mul the input went
	// through before the Sign read it (a network's input scaling ahead
	// of a signed quantizer: Pre then starts with that Mul). The Go loop
	// and the kernels take the sign of the same float32 product the Mul
	// made; 0 stands for 1 (the sign of x itself).
	SignScale float32
}

// signScale is the factor the sign of the input is taken after.
func (q *FakeQuant) signScale() float32 {
	if q.SignScale == 0 {
		return 1 // x * 1 is x, NaN aside (whose sign is NaN either way)
	}
	return q.SignScale
}

// FakeQuantOp is an element-wise op before the quantization, with the
// float32 semantics of the ONNX kernels: Abs clears the sign bit, Relu
// maps v <= 0 to +0 (NaN stays), Add, Sub and Mul take the constant A,
// Clip sets v < A to A, then v > B to B (NaN stays). Its layout (three 32-bit
// fields) is read by the WebAssembly kernel.
type FakeQuantOp struct {
	Kind FakeQuantOpKind
	A, B float32
}

// FakeQuantOpKind names a FakeQuantOp.
type FakeQuantOpKind uint32

// The op kinds (their values are part of the kernel module's contract).
const (
	FakeQuantAbs FakeQuantOpKind = iota
	FakeQuantRelu
	FakeQuantSub
	FakeQuantAdd
	FakeQuantClip
	// FakeQuantMul is v * A: a network's input scaling (Mul of the image
	// by 1/255 or so) before the input's quantization.
	FakeQuantMul
)

// fakeQuantBlock is how many values go through the ops of Pre at a time:
// small enough to stay in the first-level cache between passes.
const fakeQuantBlock = 1024

// fakeQuantMagic is 1.5*2^23: adding and subtracting it rounds a float32
// of magnitude at most 2^22 to an integer, half to even.
const fakeQuantMagic = 1 << 23 * 1.5

// Apply writes the fake-quantized x into y, which must have x's length
// and may be x itself unless q is Signed (the sign is read from x after y
// is written).
func (q *FakeQuant) Apply(y, x []float32) {
	if len(y) != len(x) {
		panic(fmt.Sprintf("nn: FakeQuant: y has %d elements, x %d", len(y), len(x)))
	}
	for _, p := range q.Pre {
		if p.Kind > FakeQuantMul {
			panic(fmt.Sprintf("nn: FakeQuant: unknown op kind %d", p.Kind))
		}
	}
	if q.SignScale != 0 && (!q.Signed || len(q.Pre) == 0 || q.Pre[0].Kind != FakeQuantMul || q.Pre[0].A != q.SignScale) {
		panic("nn: FakeQuant: SignScale is set without a signed form whose Pre starts with that Mul")
	}
	if q.Signed && len(x) > 0 && &y[0] == &x[0] {
		panic("nn: FakeQuant: a signed fake quantization cannot run in place")
	}
	// The kernels clamp with max then min, which is the compare-and-set
	// chain only when the range is not reversed; no QDQ pair makes one.
	n := 0
	if !(q.Lo > q.Hi) {
		n = simdFakeQuant(q, y, x)
	}
	q.applyGo(y[n:], x[n:])
}

// applyGo is the reference: the formula above, one value at a time, in
// blocks of fakeQuantBlock through the ops of Pre.
func (q *FakeQuant) applyGo(y, x []float32) {
	for lo := 0; lo < len(x); lo += fakeQuantBlock {
		hi := min(lo+fakeQuantBlock, len(x))
		q.applyBlockGo(y[lo:hi], x[lo:hi])
	}
}

func (q *FakeQuant) applyBlockGo(y, x []float32) {
	src := x
	for _, p := range q.Pre {
		p.applyGo(y, src)
		src = y
	}
	fakeQuantGo(y, src, q.Scale, q.Lo, q.Hi, q.NaN, q.Offset, q.Step)
	if q.Signed {
		signMulGo(y, x, q.signScale())
	}
}

// fakeQuantGo is the quantization of src into y. Compare-and-set rather
// than the min and max builtins, whose NaN and signed-zero rules Go's
// WebAssembly spells out in full (1.83 ms under node for 64K values
// against 0.25 ms with the branches); the NaN test rides in the last
// branch.
func fakeQuantGo(y, src []float32, scale, lo, hi, nan, off, step float32) {
	y = y[:len(src)]
	for i, v := range src {
		r := v / scale
		if r < lo {
			r = lo
		} else if r > hi {
			r = hi
		} else if r != r {
			r = nan
		}
		r = float32(r+fakeQuantMagic) - fakeQuantMagic
		y[i] = (r + off) * step
	}
}

// signMulGo multiplies y by the Sign kernel's sign of x*c: 1, -1, or
// x*c itself (zeros and NaN).
func signMulGo(y, x []float32, c float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] *= signOf(v * c)
	}
}

func signOf(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return v
}

// applyGo writes op(x) into y, as the op's kernel computes it on float32.
func (p FakeQuantOp) applyGo(y, x []float32) {
	y = y[:len(x)]
	switch p.Kind {
	case FakeQuantAbs:
		for i, v := range x {
			y[i] = float32(math.Abs(float64(v)))
		}
	case FakeQuantRelu:
		for i, v := range x {
			if v <= 0 {
				v = 0
			}
			y[i] = v
		}
	case FakeQuantSub:
		for i, v := range x {
			y[i] = v - p.A
		}
	case FakeQuantAdd:
		for i, v := range x {
			y[i] = v + p.A
		}
	case FakeQuantMul:
		for i, v := range x {
			y[i] = v * p.A
		}
	case FakeQuantClip:
		for i, v := range x {
			if v < p.A {
				v = p.A
			}
			if v > p.B {
				v = p.B
			}
			y[i] = v
		}
	}
}
