//go:build amd64 && !purego

#include "textflag.h"

// The integer GEMM's kernels natively (qgemm_amd64.go), in the layouts of
// the wasm kernel's (kernel.wat: qgemm_block, q16_pack): A as QuantA's
// strips (per 4 rows, per pair of k, four rows' two 16-bit codes), B as
// panels of 8 columns, per pair of k the 8 columns' two codes (32 bytes).

// func qgemmStripAVX2(a *int16, b *int16, c *float32, ldc, panels, pairs int, alpha *float32, acc int)
//
// One strip of four rows of C across panels full 8-column panels:
// C[r][j] = alpha[r] * sum (+ C[r][j] when acc is not 0). Per pair of k,
// one load of B, four broadcasts of A's row pairs, four VPMADDWD (16
// multiply-adds each) and four VPADDD; the int32 sums are exact, then
// converted to float32 (VCVTDQ2PS, round to nearest), multiplied by the
// row's scale and added to C: the wasm kernel's operations in its order.
TEXT ·qgemmStripAVX2(SB), NOSPLIT, $0-64
	MOVQ c+16(FP), DI
	MOVQ ldc+24(FP), R8
	SHLQ $2, R8              // row stride in bytes
	MOVQ panels+32(FP), R9
	MOVQ pairs+40(FP), R10
	MOVQ alpha+48(FP), R11
	MOVQ acc+56(FP), R12
	MOVQ b+8(FP), SI         // the current panel of B
	VBROADCASTSS 0(R11), Y8
	VBROADCASTSS 4(R11), Y9
	VBROADCASTSS 8(R11), Y10
	VBROADCASTSS 12(R11), Y11

panelLoop:
	MOVQ   a+0(FP), AX
	MOVQ   R10, CX
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	VPXOR  Y2, Y2, Y2
	VPXOR  Y3, Y3, Y3

pairLoop:
	VMOVDQU      (SI), Y4
	VPBROADCASTD (AX), Y5
	VPMADDWD     Y4, Y5, Y5
	VPADDD       Y5, Y0, Y0
	VPBROADCASTD 4(AX), Y6
	VPMADDWD     Y4, Y6, Y6
	VPADDD       Y6, Y1, Y1
	VPBROADCASTD 8(AX), Y5
	VPMADDWD     Y4, Y5, Y5
	VPADDD       Y5, Y2, Y2
	VPBROADCASTD 12(AX), Y6
	VPMADDWD     Y4, Y6, Y6
	VPADDD       Y6, Y3, Y3
	ADDQ         $32, SI
	ADDQ         $16, AX
	DECQ         CX
	JNZ          pairLoop

	VCVTDQ2PS Y0, Y0
	VMULPS    Y8, Y0, Y0
	VCVTDQ2PS Y1, Y1
	VMULPS    Y9, Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS    Y11, Y3, Y3
	MOVQ      DI, DX
	TESTQ     R12, R12
	JZ        store
	VMOVUPS   (DX), Y7
	VADDPS    Y0, Y7, Y0     // C + v
	VMOVUPS   (DX)(R8*1), Y7
	VADDPS    Y1, Y7, Y1
	LEAQ      (DX)(R8*2), BX
	VMOVUPS   (BX), Y7
	VADDPS    Y2, Y7, Y2
	VMOVUPS   (BX)(R8*1), Y7
	VADDPS    Y3, Y7, Y3

store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, (DX)(R8*1)
	LEAQ    (DX)(R8*2), BX
	VMOVUPS Y2, (BX)
	VMOVUPS Y3, (BX)(R8*1)
	ADDQ    $32, DI
	DECQ    R9
	JNZ     panelLoop
	VZEROUPPER
	RET

// func q16PackAVX2(dst *int16, src *float32, rowStride, panelStride, kb, panels int, inv, limit float32) bool
//
// panels panels of 8 columns: for each pair of rows (2p, 2p+1) of a panel
// (rows rowStride floats apart, panels panelStride apart), the codes
// round(v * inv) as int16, interleaved per column; after an odd kb the last
// row pairs with zeros. Reports whether every |code| is at most limit (a
// NaN compares false).
TEXT ·q16PackAVX2(SB), NOSPLIT, $0-57
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         rowStride+16(FP), R8
	SHLQ         $2, R8
	MOVQ         panelStride+24(FP), R9
	SHLQ         $2, R9
	MOVQ         kb+32(FP), R10
	MOVQ         panels+40(FP), R11
	VBROADCASTSS inv+48(FP), Y8
	VBROADCASTSS limit+52(FP), Y9
	MOVL         $0x7fffffff, AX
	MOVD         AX, X10
	VPBROADCASTD X10, Y10    // |x| mask
	VPCMPEQD     Y11, Y11, Y11 // all lanes ok so far
	VMOVDQU      interleave<>(SB), Y12
	VPXOR        Y13, Y13, Y13 // zeros

packPanel:
	MOVQ SI, AX              // this panel's first row
	MOVQ R10, CX
	SHRQ $1, CX
	JZ   packOdd

packPair:
	VMULPS    (AX), Y8, Y0
	VMULPS    (AX)(R8*1), Y8, Y1
	VROUNDPS  $8, Y0, Y0     // nearest, no exceptions
	VROUNDPS  $8, Y1, Y1
	VANDPS    Y10, Y0, Y2
	VCMPPS    $2, Y9, Y2, Y2 // |code| <= limit
	VANDPS    Y2, Y11, Y11
	VANDPS    Y10, Y1, Y2
	VCMPPS    $2, Y9, Y2, Y2
	VANDPS    Y2, Y11, Y11
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VPACKSSDW Y1, Y0, Y0     // per lane: row 2p's four, row 2p+1's four
	VPSHUFB   Y12, Y0, Y0    // per lane: the two rows interleaved per column
	VMOVDQU   Y0, (DI)
	ADDQ      $32, DI
	LEAQ      (AX)(R8*2), AX
	DECQ      CX
	JNZ       packPair

packOdd:
	TESTQ     $1, R10
	JZ        packNext
	VMULPS    (AX), Y8, Y0
	VROUNDPS  $8, Y0, Y0
	VANDPS    Y10, Y0, Y2
	VCMPPS    $2, Y9, Y2, Y2
	VANDPS    Y2, Y11, Y11
	VCVTPS2DQ Y0, Y0
	VPACKSSDW Y13, Y0, Y0
	VPSHUFB   Y12, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $32, DI

packNext:
	ADDQ R9, SI
	DECQ R11
	JNZ  packPanel

	VMOVMSKPS Y11, AX
	CMPL      AX, $0xff
	SETEQ     ret+56(FP)
	VZEROUPPER
	RET

// interleave picks, in each 128-bit lane, the words a0 b0 a1 b1 a2 b2 a3 b3
// from a0 a1 a2 a3 b0 b1 b2 b3.
DATA interleave<>+0(SB)/8, $0x0b0a030209080100
DATA interleave<>+8(SB)/8, $0x0f0e07060d0c0504
DATA interleave<>+16(SB)/8, $0x0b0a030209080100
DATA interleave<>+24(SB)/8, $0x0f0e07060d0c0504
GLOBL interleave<>(SB), RODATA|NOPTR, $32
