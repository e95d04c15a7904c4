//go:build amd64 && !purego

#include "textflag.h"

// func actGradTermsAVX2(dx, x, dy *float32, terms *float64, n int, lo, width, inv, q, invQ float32)
//
// actGradsUnsignedGo's element-wise part, eight elements per step (n is
// a multiple of 8), in its float32 operations and order:
//
//	u = x - lo; xh = u*inv; level = ((q*xh + 1.5*2^23) - 1.5*2^23) * invQ
//	f = (2*level + 1) - 2*xh
//	pruned = u <= 0, clipped = u >= width and not pruned (both false on NaN)
//	dx = dy where neither, else +0
//	terms = float64(dy where not pruned, else +0) *
//	        float64(f where neither, 2 where clipped, else +0)
//
// The product of two float32 values is exact in float64, so VMULPD gives
// the Go loop's term; its first source is dy's factor, as in the Go
// loop's MULSD, so that a NaN keeps the same payload.
TEXT ·actGradTermsAVX2(SB), NOSPLIT, $0-60
	MOVQ         dx+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         dy+16(FP), DX
	MOVQ         terms+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSS lo+40(FP), Y15
	VBROADCASTSS width+44(FP), Y9
	VBROADCASTSS inv+48(FP), Y14
	VBROADCASTSS q+52(FP), Y13
	VBROADCASTSS invQ+56(FP), Y11
	MOVL         $0x4B400000, AX // 1.5*2^23
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	MOVL         $0x3F800000, AX // 1
	VMOVD        AX, X10
	VPBROADCASTD X10, Y10
	MOVL         $0x40000000, AX // 2
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	VXORPS       Y7, Y7, Y7
	SHRQ         $3, CX
	JZ           done

loop:
	VMOVUPS (SI), Y0
	VSUBPS  Y15, Y0, Y0 // u
	VMULPS  Y14, Y0, Y1 // xh
	VMULPS  Y1, Y13, Y2 // q*xh
	VADDPS  Y12, Y2, Y2
	VSUBPS  Y12, Y2, Y2
	VMULPS  Y11, Y2, Y2 // level
	VADDPS  Y2, Y2, Y2  // 2*level
	VADDPS  Y10, Y2, Y2 // + 1
	VADDPS  Y1, Y1, Y1  // 2*xh
	VSUBPS  Y1, Y2, Y2  // f

	VCMPPS  $2, Y7, Y0, Y3  // pruned: u <= 0
	VCMPPS  $13, Y9, Y0, Y4 // u >= width
	VANDNPS Y4, Y3, Y4      // clipped: and not pruned
	VORPS   Y3, Y4, Y5      // not inside

	VMOVUPS (DX), Y0
	VANDNPS Y0, Y5, Y6 // dy where inside
	VMOVUPS Y6, (DI)
	VANDNPS Y0, Y3, Y0 // dy where not pruned
	VANDNPS Y2, Y5, Y2 // f where inside
	VANDPS  Y8, Y4, Y4 // 2 where clipped
	VORPS   Y4, Y2, Y2

	VCVTPS2PD    X0, Y1
	VCVTPS2PD    X2, Y3
	VMULPD       Y3, Y1, Y1
	VMOVUPD      Y1, (R8)
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y2, X2
	VCVTPS2PD    X0, Y0
	VCVTPS2PD    X2, Y2
	VMULPD       Y2, Y0, Y0
	VMOVUPD      Y0, 32(R8)

	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	ADDQ $64, R8
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
