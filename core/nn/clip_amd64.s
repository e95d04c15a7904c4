//go:build amd64 && !purego

#include "textflag.h"

// Clip and ClipGrad eight floats a step (clip.go, simd_amd64.go). n is a
// multiple of 8. VMAXPS a, b returns b unless a > b, VMINPS unless a < b
// (b on NaN either way), which is the Go loop's compare-and-set.

// func clipAVX2(y, x *float32, n int, lo, hi float32)
TEXT ·clipAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Y0
	VBROADCASTSS hi+28(FP), Y1
	SHRQ         $3, CX
	JZ           clipDone

clipLoop:
	VMOVUPS (SI), Y2
	VMAXPS  Y2, Y0, Y2 // lo > v ? lo : v
	VMINPS  Y2, Y1, Y2 // hi < v ? hi : v
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     clipLoop

clipDone:
	VZEROUPPER
	RET

// func clipGradAVX2(d, grad, x *float32, n int, lo, hi float32)
// d = g where lo <= x <= hi (ordered compares: false on NaN), else g * 0.
TEXT ·clipGradAVX2(SB), NOSPLIT, $0-40
	MOVQ         d+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y0
	VBROADCASTSS hi+36(FP), Y1
	VXORPS       Y5, Y5, Y5
	SHRQ         $3, CX
	JZ           clipGradDone

clipGradLoop:
	VMOVUPS (DX), Y2
	VCMPPS  $0x1d, Y0, Y2, Y3 // x >= lo (GE_OQ)
	VCMPPS  $0x12, Y1, Y2, Y4 // x <= hi (LE_OQ)
	VANDPS  Y4, Y3, Y3
	VMOVUPS (SI), Y2
	VMULPS  Y5, Y2, Y4        // g * 0
	VANDPS  Y2, Y3, Y2        // g inside
	VANDNPS Y4, Y3, Y4        // g * 0 outside
	VORPS   Y4, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     clipGradLoop

clipGradDone:
	VZEROUPPER
	RET

// func clampZeroToMaxAVX2(v *float32, n int, hiBits uint32)
// The epilogue's clamp to [0, hi] (epilogue.go: relu, clampZeroToMax) on
// the bit patterns, eight lanes a step, n a multiple of 8: a lane with its
// sign bit set becomes +0, then one whose bits exceed hi's (hi's sign bit
// clear: both compare as non-negative int32, NaNs of either sign
// included) becomes hi. relu is hi = 0x7fffffff, which no lane exceeds.
TEXT ·clampZeroToMaxAVX2(SB), NOSPLIT, $0-20
	MOVQ         v+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVL         hiBits+16(FP), AX
	MOVD         AX, X0
	VPBROADCASTD X0, Y0
	SHRQ         $3, CX
	JZ           clampDone

clampLoop:
	VMOVDQU   (DI), Y1
	VPSRAD    $31, Y1, Y2
	VPANDN    Y1, Y2, Y1     // negative lanes to +0
	VPCMPGTD  Y0, Y1, Y2     // lanes above hi
	VPBLENDVB Y2, Y0, Y1, Y1 // to hi
	VMOVDQU   Y1, (DI)
	ADDQ      $32, DI
	DECQ      CX
	JNZ       clampLoop

clampDone:
	VZEROUPPER
	RET
