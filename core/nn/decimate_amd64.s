//go:build amd64 && !purego

#include "textflag.h"

// func decimate2AVX2(dst, src *float32, n int)
//
// dst[i] = src[2i] for i < n, n a multiple of 8: the row of a stride-2
// window's col matrix (im2col2D). Each step loads src[0:8] and src[7:15]
// (never src[15], so src needs only 2n-1 values), keeps the even values
// of the first and the odd lanes of the second (src[8], ..., src[14]),
// which VSHUFPS leaves as the 64-bit pairs (0 2)(8 10)(4 6)(12 14) and
// VPERMPD puts in order. A copy: the results are the values' bits.
TEXT ·decimate2AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   decimateDone

decimateLoop:
	VMOVUPS (SI), Y0
	VMOVUPS 28(SI), Y1
	VSHUFPS $0xD8, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	ADDQ    $64, SI
	DECQ    CX
	JNZ     decimateLoop

decimateDone:
	VZEROUPPER
	RET
