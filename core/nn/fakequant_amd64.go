//go:build amd64 && !purego

package nn

// On amd64 with AVX2 FakeQuant's passes run eight values at a time in
// assembly (fakequant_amd64.s): as scalar Go the fake quantization of a
// QDQ model's activations cost a quarter of its inference, more than the
// depthwise convolutions of fashion-dwnet. The quantization keeps the
// float32 division (VDIVPS rounds exactly as Go's division does).

//go:noescape
func fakeQuantAVX2(y, src *float32, n int, scale, lo, hi, nan, off, step float32)

//go:noescape
func signMulAVX2(y, x *float32, n int, c float32)

//go:noescape
func fqAbsAVX2(y, x *float32, n int)

//go:noescape
func fqReluAVX2(y, x *float32, n int)

//go:noescape
func fqAddAVX2(y, x *float32, n int, c float32)

//go:noescape
func fqSubAVX2(y, x *float32, n int, c float32)

//go:noescape
func fqMulAVX2(y, x *float32, n int, c float32)

//go:noescape
func fqClipAVX2(y, x *float32, n int, lo, hi float32)

// fakeQuantSIMDMin is the shortest input the assembly takes.
const fakeQuantSIMDMin = avxBlock

// simdFakeQuant runs q on the longest prefix of x whose length is a
// multiple of avxBlock and returns that length (0 without AVX2); y and x
// have one length, checked by Apply.
func simdFakeQuant(q *FakeQuant, y, x []float32) int {
	n := len(x) &^ (avxBlock - 1)
	if !simdKernels || n == 0 {
		return 0
	}
	y, x = y[:n], x[:n] // bounds the assembly
	if len(q.Pre) == 0 {
		fakeQuantAVX2(&y[0], &x[0], n, q.Scale, q.Lo, q.Hi, q.NaN, q.Offset, q.Step)
		if q.Signed {
			signMulAVX2(&y[0], &x[0], n, q.signScale())
		}
		return n
	}
	for lo := 0; lo < n; lo += fakeQuantBlock {
		hi := min(lo+fakeQuantBlock, n)
		ys, xs := y[lo:hi], x[lo:hi]
		m, yp, src := hi-lo, &ys[0], &xs[0]
		for _, p := range q.Pre {
			switch p.Kind {
			case FakeQuantAbs:
				fqAbsAVX2(yp, src, m)
			case FakeQuantRelu:
				fqReluAVX2(yp, src, m)
			case FakeQuantSub:
				fqSubAVX2(yp, src, m, p.A)
			case FakeQuantAdd:
				fqAddAVX2(yp, src, m, p.A)
			case FakeQuantMul:
				fqMulAVX2(yp, src, m, p.A)
			case FakeQuantClip:
				fqClipAVX2(yp, src, m, p.A, p.B)
			}
			src = yp
		}
		fakeQuantAVX2(yp, src, m, q.Scale, q.Lo, q.Hi, q.NaN, q.Offset, q.Step)
		if q.Signed {
			signMulAVX2(yp, &xs[0], m, q.signScale())
		}
	}
	return n
}
