//go:build amd64 && !purego

#include "textflag.h"

// func depthwise3x3RowAVX2(out, r0, r1, r2, w *float32, n int)
//
// out[i] += w0*r0[i] + w1*r0[i+1] + w2*r0[i+2] + w3*r1[i] + ... + w8*r2[i+2]
// for i < n (a multiple of 8), eight outputs a step: the stride-1 interior
// of depthwiseRow3x3, with its Go loop's operations in its order (each
// product rounded, summed left to right, then added to out; no fused
// multiply-add). A NaN result may differ from Go's in sign: x86 keeps the
// first operand's NaN, and Go's compiler orders the operands of the
// additions as its registers fall.
TEXT ·depthwise3x3RowAVX2(SB), NOSPLIT, $0-48
	MOVQ         out+0(FP), DI
	MOVQ         r0+8(FP), SI
	MOVQ         r1+16(FP), BX
	MOVQ         r2+24(FP), DX
	MOVQ         w+32(FP), AX
	MOVQ         n+40(FP), CX
	VBROADCASTSS 0(AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	VBROADCASTSS 16(AX), Y4
	VBROADCASTSS 20(AX), Y5
	VBROADCASTSS 24(AX), Y6
	VBROADCASTSS 28(AX), Y7
	VBROADCASTSS 32(AX), Y8
	SHRQ         $3, CX
	JZ           dwDone

dwLoop:
	VMULPS  (SI), Y0, Y10  // t = w0*r0[i]
	VMULPS  4(SI), Y1, Y11
	VADDPS  Y11, Y10, Y10  // t = t + w1*r0[i+1]
	VMULPS  8(SI), Y2, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  (BX), Y3, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  4(BX), Y4, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  8(BX), Y5, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  (DX), Y6, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  4(DX), Y7, Y11
	VADDPS  Y11, Y10, Y10
	VMULPS  8(DX), Y8, Y11
	VADDPS  Y11, Y10, Y10
	VMOVUPS (DI), Y11
	VADDPS  Y10, Y11, Y11  // out[i] + t
	VMOVUPS Y11, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	DECQ    CX
	JNZ     dwLoop

dwDone:
	VZEROUPPER
	RET
