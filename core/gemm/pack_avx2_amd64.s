//go:build amd64 && !purego

#include "textflag.h"

// func packPanelB16AVX2(k int, src *float32, ldb int, dst *float32)
// Copies k rows of 16 floats, row p at src+p*ldb, to dst+16*p: one full
// micro-panel of B for the 6x16 kernel, two rows per iteration.
TEXT ·packPanelB16AVX2(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8 // row stride in bytes

	MOVQ CX, R9
	SHRQ $1, R9
	JZ   odd

loop2:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (SI)(R8*1), Y2
	VMOVUPS 32(SI)(R8*1), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	LEAQ    (SI)(R8*2), SI
	ADDQ    $128, DI
	DECQ    R9
	JNZ     loop2

odd:
	ANDQ $1, CX
	JZ   done
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)

done:
	VZEROUPPER
	RET

// func packPanelA6TransAVX2(k int, src *float32, lda int, dst *float32)
// Copies k groups of 6 consecutive floats, group p at src+p*lda, to
// dst+6*p: one full micro-panel of A stored transposed.
TEXT ·packPanelA6TransAVX2(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8
	TESTQ CX, CX
	JZ    tdone

tloop:
	VMOVUPS (SI), X0
	MOVQ    16(SI), AX
	VMOVUPS X0, (DI)
	MOVQ    AX, 16(DI)
	ADDQ    R8, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     tloop

tdone:
	VZEROUPPER
	RET

// TRANSPOSE8 transposes the 8x8 block in Y0..Y7 (row i in Yi) and stores
// its column j, 8 floats, at off+64*j(DI). Clobbers Y0..Y15.
#define TRANSPOSE8(off) \
	VUNPCKLPS  Y1, Y0, Y8            \
	VUNPCKHPS  Y1, Y0, Y9            \
	VUNPCKLPS  Y3, Y2, Y10           \
	VUNPCKHPS  Y3, Y2, Y11           \
	VUNPCKLPS  Y5, Y4, Y12           \
	VUNPCKHPS  Y5, Y4, Y13           \
	VUNPCKLPS  Y7, Y6, Y14           \
	VUNPCKHPS  Y7, Y6, Y15           \
	VSHUFPS    $0x44, Y10, Y8, Y0    \
	VSHUFPS    $0xEE, Y10, Y8, Y1    \
	VSHUFPS    $0x44, Y11, Y9, Y2    \
	VSHUFPS    $0xEE, Y11, Y9, Y3    \
	VSHUFPS    $0x44, Y14, Y12, Y4   \
	VSHUFPS    $0xEE, Y14, Y12, Y5   \
	VSHUFPS    $0x44, Y15, Y13, Y6   \
	VSHUFPS    $0xEE, Y15, Y13, Y7   \
	VPERM2F128 $0x20, Y4, Y0, Y8     \
	VPERM2F128 $0x20, Y5, Y1, Y9     \
	VPERM2F128 $0x20, Y6, Y2, Y10    \
	VPERM2F128 $0x20, Y7, Y3, Y11    \
	VPERM2F128 $0x31, Y4, Y0, Y12    \
	VPERM2F128 $0x31, Y5, Y1, Y13    \
	VPERM2F128 $0x31, Y6, Y2, Y14    \
	VPERM2F128 $0x31, Y7, Y3, Y15    \
	VMOVUPS    Y8, off(DI)           \
	VMOVUPS    Y9, off+64(DI)        \
	VMOVUPS    Y10, off+128(DI)      \
	VMOVUPS    Y11, off+192(DI)      \
	VMOVUPS    Y12, off+256(DI)      \
	VMOVUPS    Y13, off+320(DI)      \
	VMOVUPS    Y14, off+384(DI)      \
	VMOVUPS    Y15, off+448(DI)

// LOAD8 loads 8 floats from each of the 8 rows at base, base+ldb, ...
#define LOAD8(base) \
	VMOVUPS (base), Y0         \
	VMOVUPS (base)(R8*1), Y1   \
	VMOVUPS (base)(R8*2), Y2   \
	VMOVUPS (base)(R9*1), Y3   \
	VMOVUPS (base)(R8*4), Y4   \
	VMOVUPS (base)(R10*1), Y5  \
	VMOVUPS (base)(R9*2), Y6   \
	VMOVUPS (base)(R11*1), Y7

// func packPanelB16TransAVX2(k int, src *float32, ldb int, dst *float32)
// Packs 16 rows of k floats, row q at src+q*ldb, as k groups of 16
// (dst[16p+q] = row q[p]): one full micro-panel of B stored transposed.
// Eight steps of p at a time, as two 8x8 transposes.
TEXT ·packPanelB16TransAVX2(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DI
	SHLQ $2, R8                 // row stride in bytes
	LEAQ (R8)(R8*2), R9         // 3 rows
	LEAQ (R8)(R8*4), R10        // 5 rows
	LEAQ (R9)(R8*4), R11        // 7 rows
	LEAQ (SI)(R8*8), R12        // row 8

	MOVQ CX, R13
	SHRQ $3, R13
	JZ   ttail

tloop8:
	LOAD8(SI)
	TRANSPOSE8(0)
	LOAD8(R12)
	TRANSPOSE8(32)
	ADDQ $32, SI
	ADDQ $32, R12
	ADDQ $512, DI
	DECQ R13
	JNZ  tloop8

ttail:
	ANDQ $7, CX
	JZ   tdone8

tloop1:
	VMOVSS (SI), X0
	VMOVSS (SI)(R8*1), X1
	VMOVSS (SI)(R8*2), X2
	VMOVSS (SI)(R9*1), X3
	VMOVSS (SI)(R8*4), X4
	VMOVSS (SI)(R10*1), X5
	VMOVSS (SI)(R9*2), X6
	VMOVSS (SI)(R11*1), X7
	VMOVSS X0, (DI)
	VMOVSS X1, 4(DI)
	VMOVSS X2, 8(DI)
	VMOVSS X3, 12(DI)
	VMOVSS X4, 16(DI)
	VMOVSS X5, 20(DI)
	VMOVSS X6, 24(DI)
	VMOVSS X7, 28(DI)
	VMOVSS (R12), X0
	VMOVSS (R12)(R8*1), X1
	VMOVSS (R12)(R8*2), X2
	VMOVSS (R12)(R9*1), X3
	VMOVSS (R12)(R8*4), X4
	VMOVSS (R12)(R10*1), X5
	VMOVSS (R12)(R9*2), X6
	VMOVSS (R12)(R11*1), X7
	VMOVSS X0, 32(DI)
	VMOVSS X1, 36(DI)
	VMOVSS X2, 40(DI)
	VMOVSS X3, 44(DI)
	VMOVSS X4, 48(DI)
	VMOVSS X5, 52(DI)
	VMOVSS X6, 56(DI)
	VMOVSS X7, 60(DI)
	ADDQ   $4, SI
	ADDQ   $4, R12
	ADDQ   $64, DI
	DECQ   CX
	JNZ    tloop1

tdone8:
	VZEROUPPER
	RET

// func packPanelA6RowsAVX2(k int, src *float32, o1, o2, o3, o4, o5 int, dst *float32)
// Interleaves 6 rows of k floats, row 0 at src and row r at src+o_r
// floats, into dst as k groups of 6 (dst[6p+r] = row r[p]): one full
// micro-panel of A, stored (o_r = r*lda) or a gemm.Shifted (rows are
// windows of one frame). Four steps of p at a time: a 4x4 transpose of
// rows 0-3 and a pairwise interleave of rows 4-5 give four 6-value groups
// (96 bytes).
TEXT ·packPanelA6RowsAVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ o1+16(FP), R8
	MOVQ o2+24(FP), R9
	MOVQ o3+32(FP), R10
	MOVQ o4+40(FP), R12
	MOVQ o5+48(FP), R13
	MOVQ dst+56(FP), DI
	SHLQ $2, R8 // offsets in bytes
	SHLQ $2, R9
	SHLQ $2, R10
	SHLQ $2, R12
	SHLQ $2, R13

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   rtail

rloop4:
	VMOVUPS (SI), X0
	VMOVUPS (SI)(R8*1), X1
	VMOVUPS (SI)(R9*1), X2
	VMOVUPS (SI)(R10*1), X3
	VMOVUPS (SI)(R12*1), X4
	VMOVUPS (SI)(R13*1), X5

	VUNPCKLPS X1, X0, X6
	VUNPCKHPS X1, X0, X7
	VUNPCKLPS X3, X2, X8
	VUNPCKHPS X3, X2, X9
	VUNPCKLPS X5, X4, X10
	VUNPCKHPS X5, X4, X11

	VMOVLHPS X8, X6, X0
	VMOVHLPS X6, X8, X1
	VMOVLHPS X9, X7, X2
	VMOVHLPS X7, X9, X3

	VMOVUPS X0, (DI)
	VMOVLPS X10, 16(DI)
	VMOVUPS X1, 24(DI)
	VMOVHPS X10, 40(DI)
	VMOVUPS X2, 48(DI)
	VMOVLPS X11, 64(DI)
	VMOVUPS X3, 72(DI)
	VMOVHPS X11, 88(DI)

	ADDQ $16, SI
	ADDQ $96, DI
	DECQ R11
	JNZ  rloop4

rtail:
	ANDQ $3, CX
	JZ   rdone

rloop1:
	VMOVSS (SI), X0
	VMOVSS (SI)(R8*1), X1
	VMOVSS (SI)(R9*1), X2
	VMOVSS (SI)(R10*1), X3
	VMOVSS (SI)(R12*1), X4
	VMOVSS (SI)(R13*1), X5
	VMOVSS X0, (DI)
	VMOVSS X1, 4(DI)
	VMOVSS X2, 8(DI)
	VMOVSS X3, 12(DI)
	VMOVSS X4, 16(DI)
	VMOVSS X5, 20(DI)
	ADDQ   $4, SI
	ADDQ   $24, DI
	DECQ   CX
	JNZ    rloop1

rdone:
	VZEROUPPER
	RET
