//go:build amd64 && !purego

#include "textflag.h"

// FakeQuant's passes (fakequant.go) eight floats per step
// (fakequant_amd64.go). n is a multiple of 8. Each value takes the Go
// loop's float32 operations in the Go loop's order. The compare-and-set
// clamps are VMAXPS and VMINPS with the bound as the first source: they
// return the second source (the value) unless the bound compares beyond
// it, so a NaN value passes through, as in Go.

// func fakeQuantAVX2(y, src *float32, n int, scale, lo, hi, nan, off, step float32)
// y = (round(clamp(src/scale, lo, hi), NaN to nan) + off) * step.
TEXT ·fakeQuantAVX2(SB), NOSPLIT, $0-48
	MOVQ         y+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y1
	VBROADCASTSS lo+28(FP), Y2
	VBROADCASTSS hi+32(FP), Y3
	VBROADCASTSS nan+36(FP), Y4
	VBROADCASTSS off+40(FP), Y7
	VBROADCASTSS step+44(FP), Y8
	MOVL         $0x4B400000, AX // 1.5*2^23
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6
	SHRQ         $3, CX
	JZ           fakeQuantDone

fakeQuantLoop:
	VMOVUPS   (SI), Y0
	VDIVPS    Y1, Y0, Y0
	VMAXPS    Y0, Y2, Y0     // lo if lo > r
	VMINPS    Y0, Y3, Y0     // hi if hi < r
	VCMPPS    $3, Y0, Y0, Y5 // unordered: r is NaN
	VBLENDVPS Y5, Y4, Y0, Y0
	VADDPS    Y6, Y0, Y0
	VSUBPS    Y6, Y0, Y0
	VADDPS    Y7, Y0, Y0
	VMULPS    Y8, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       fakeQuantLoop

fakeQuantDone:
	VZEROUPPER
	RET

// func signMulAVX2(y, x *float32, n int, c float32)
// y = y * sign(x*c), sign(v) being 1, -1, or v (zeros and NaN).
TEXT ·signMulAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y4
	VXORPS       Y7, Y7, Y7
	MOVL         $0x3F800000, AX // 1
	VMOVD        AX, X5
	VPBROADCASTD X5, Y5
	MOVL         $0xBF800000, AX // -1
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6
	SHRQ         $3, CX
	JZ           signMulDone

signMulLoop:
	VMOVUPS   (SI), Y0
	VMULPS    Y4, Y0, Y0
	VCMPPS    $14, Y7, Y0, Y1 // x > 0
	VCMPPS    $1, Y7, Y0, Y2  // x < 0
	VBLENDVPS Y1, Y5, Y0, Y0
	VBLENDVPS Y2, Y6, Y0, Y0
	VMOVUPS   (DI), Y3
	VMULPS    Y0, Y3, Y3
	VMOVUPS   Y3, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       signMulLoop

signMulDone:
	VZEROUPPER
	RET

// func fqAbsAVX2(y, x *float32, n int)
// y = x with the sign bit cleared.
TEXT ·fqAbsAVX2(SB), NOSPLIT, $0-24
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVL         $0x7FFFFFFF, AX
	VMOVD        AX, X1
	VPBROADCASTD X1, Y1
	SHRQ         $3, CX
	JZ           absDone

absLoop:
	VANDPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     absLoop

absDone:
	VZEROUPPER
	RET

// func fqReluAVX2(y, x *float32, n int)
// y = +0 where x <= 0, else x (NaN stays).
TEXT ·fqReluAVX2(SB), NOSPLIT, $0-24
	MOVQ   y+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y7, Y7, Y7
	SHRQ   $3, CX
	JZ     reluDone

reluLoop:
	VMOVUPS (SI), Y0
	VCMPPS  $2, Y7, Y0, Y1 // x <= 0
	VANDNPS Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     reluLoop

reluDone:
	VZEROUPPER
	RET

// func fqAddAVX2(y, x *float32, n int, c float32)
// y = x + c.
TEXT ·fqAddAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y1
	SHRQ         $3, CX
	JZ           addCDone

addCLoop:
	VMOVUPS (SI), Y0
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addCLoop

addCDone:
	VZEROUPPER
	RET

// func fqSubAVX2(y, x *float32, n int, c float32)
// y = x - c.
TEXT ·fqSubAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y1
	SHRQ         $3, CX
	JZ           subCDone

subCLoop:
	VMOVUPS (SI), Y0
	VSUBPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     subCLoop

subCDone:
	VZEROUPPER
	RET

// func fqMulAVX2(y, x *float32, n int, c float32)
// y = x * c.
TEXT ·fqMulAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y1
	SHRQ         $3, CX
	JZ           mulCDone

mulCLoop:
	VMOVUPS (SI), Y0
	VMULPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     mulCLoop

mulCDone:
	VZEROUPPER
	RET

// func fqClipAVX2(y, x *float32, n int, lo, hi float32)
// y = lo where x < lo, then hi where that is > hi (NaN stays).
TEXT ·fqClipAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Y2
	VBROADCASTSS hi+28(FP), Y3
	SHRQ         $3, CX
	JZ           clipDone

clipLoop:
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y2, Y0
	VMINPS  Y0, Y3, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     clipLoop

clipDone:
	VZEROUPPER
	RET
