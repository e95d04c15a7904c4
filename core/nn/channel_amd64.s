//go:build amd64 && !purego

#include "textflag.h"

// The element-wise training passes of channel.go, eight floats per step
// (simd_amd64.go). n is a multiple of 8. Every value takes the Go loop's
// float32 operations in the Go loop's order, so the results are its bits.

// func reluMaskAVX2(d, grad, y *float32, n int)
// d = g where the bits of y are not all zero, else +0.
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   reluMaskDone
	VPXOR Y0, Y0, Y0

reluMaskLoop:
	VMOVDQU  (DX), Y1
	VPCMPEQD Y0, Y1, Y1 // all ones where y is +0
	VPANDN   (SI), Y1, Y1
	VMOVDQU  Y1, (DI)
	ADDQ     $32, DI
	ADDQ     $32, SI
	ADDQ     $32, DX
	DECQ     CX
	JNZ      reluMaskLoop

reluMaskDone:
	VZEROUPPER
	RET

// func addAVX2(y, a, b *float32, n int)
// y = a + b.
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   addDone

addLoop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     addLoop

addDone:
	VZEROUPPER
	RET

// func addReluAVX2(y, a, b *float32, n int)
// y = reluBits(a + b): every bit cleared where the sign bit is set.
TEXT ·addReluAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   addReluDone

addReluLoop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     addReluLoop

addReluDone:
	VZEROUPPER
	RET

// func affineAVX2(y, x *float32, n int, k, off float32)
// y = x*k + off (a multiply, then an add).
TEXT ·affineAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS k+24(FP), Y2
	VBROADCASTSS off+28(FP), Y3
	SHRQ         $3, CX
	JZ           affineDone

affineLoop:
	VMOVUPS (SI), Y0
	VMULPS  Y2, Y0, Y0
	VADDPS  Y3, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     affineLoop

affineDone:
	VZEROUPPER
	RET

// func affineReluAVX2(y, x *float32, n int, k, off float32)
// y = reluBits(x*k + off).
TEXT ·affineReluAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS k+24(FP), Y2
	VBROADCASTSS off+28(FP), Y3
	SHRQ         $3, CX
	JZ           affineReluDone

affineReluLoop:
	VMOVUPS (SI), Y0
	VMULPS  Y2, Y0, Y0
	VADDPS  Y3, Y0, Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     affineReluLoop

affineReluDone:
	VZEROUPPER
	RET

// func bnInputGradAVX2(dx, grad, x *float32, n int, mu, inv, kc, mg, mgx float32)
// dx = kc * ((g - mg) - ((x - mu) * inv) * mgx).
TEXT ·bnInputGradAVX2(SB), NOSPLIT, $0-52
	MOVQ         dx+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS mu+32(FP), Y4
	VBROADCASTSS inv+36(FP), Y5
	VBROADCASTSS kc+40(FP), Y6
	VBROADCASTSS mg+44(FP), Y7
	VBROADCASTSS mgx+48(FP), Y8
	SHRQ         $3, CX
	JZ           bnDone

bnLoop:
	VMOVUPS (DX), Y0
	VSUBPS  Y4, Y0, Y0 // x - mu
	VMULPS  Y5, Y0, Y0 // xhat
	VMULPS  Y8, Y0, Y0 // xhat * mgx
	VMOVUPS (SI), Y1
	VSUBPS  Y7, Y1, Y1 // g - mg
	VSUBPS  Y0, Y1, Y1
	VMULPS  Y1, Y6, Y1 // kc * (...)
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     bnLoop

bnDone:
	VZEROUPPER
	RET

// func gradSums4SSE(out *[8]float32, gs, xs *float32, n int, mean float32)
// out[0:4] = lane sums of g, out[4:8] = lane sums of g*(x-mean), over n
// values (n > 0, a multiple of 4), lane i taking values i, i+4, ...
TEXT ·gradSums4SSE(SB), NOSPLIT, $0-36
	MOVQ  out+0(FP), DI
	MOVQ  gs+8(FP), SI
	MOVQ  xs+16(FP), DX
	MOVQ  n+24(FP), CX
	MOVSS mean+32(FP), X4
	SHUFPS $0, X4, X4 // mean in every lane
	XORPS X0, X0      // sums of g
	XORPS X1, X1      // sums of g*(x-mean)
	SHRQ  $2, CX

gradSumsLoop:
	MOVUPS (SI), X2
	MOVUPS (DX), X3
	ADDPS  X2, X0
	SUBPS  X4, X3
	MULPS  X2, X3
	ADDPS  X3, X1
	ADDQ   $16, SI
	ADDQ   $16, DX
	DECQ   CX
	JNZ    gradSumsLoop

	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	RET

// func moments4SSE(out *[8]float32, xs *float32, n int)
// out[0:4] = lane sums of x, out[4:8] = lane sums of x*x, over n values
// (n > 0, a multiple of 4), lane i taking values i, i+4, ...
TEXT ·moments4SSE(SB), NOSPLIT, $0-24
	MOVQ  out+0(FP), DI
	MOVQ  xs+8(FP), SI
	MOVQ  n+16(FP), CX
	XORPS X0, X0 // sums of x
	XORPS X1, X1 // sums of x*x
	SHRQ  $2, CX

momentsLoop:
	MOVUPS (SI), X2
	ADDPS  X2, X0
	MULPS  X2, X2
	ADDPS  X2, X1
	ADDQ   $16, SI
	DECQ   CX
	JNZ    momentsLoop

	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	RET
