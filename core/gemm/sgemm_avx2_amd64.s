//go:build amd64 && !purego

#include "textflag.h"

// The 6x16 AVX2/FMA micro-kernel of sgemmAVX2 (sgemm_avx2_amd64.go).
//
// Register use: Y0..Y11 hold the 6x16 tile of sums (row r in Y(2r), Y(2r+1));
// Y12, Y13 the 16 values of packed B at one step of k; Y14, Y15 two
// broadcast values of packed A. Twelve independent accumulators hide the
// 4-cycle FMA latency of two FMA pipes (8 in flight at least), and each step
// of k costs two vector loads and six broadcasts for twelve FMAs.

// STEP multiplies one step of k: A at off6(SI) (6 floats), B at off16(DX)
// (16 floats).
#define STEP(offA, offB) \
	VMOVUPS      offB(DX), Y12      \
	VMOVUPS      offB+32(DX), Y13   \
	VBROADCASTSS offA(SI), Y14      \
	VBROADCASTSS offA+4(SI), Y15    \
	VFMADD231PS  Y12, Y14, Y0       \
	VFMADD231PS  Y13, Y14, Y1       \
	VFMADD231PS  Y12, Y15, Y2       \
	VFMADD231PS  Y13, Y15, Y3       \
	VBROADCASTSS offA+8(SI), Y14    \
	VBROADCASTSS offA+12(SI), Y15   \
	VFMADD231PS  Y12, Y14, Y4       \
	VFMADD231PS  Y13, Y14, Y5       \
	VFMADD231PS  Y12, Y15, Y6       \
	VFMADD231PS  Y13, Y15, Y7       \
	VBROADCASTSS offA+16(SI), Y14   \
	VBROADCASTSS offA+20(SI), Y15   \
	VFMADD231PS  Y12, Y14, Y8       \
	VFMADD231PS  Y13, Y14, Y9       \
	VFMADD231PS  Y12, Y15, Y10      \
	VFMADD231PS  Y13, Y15, Y11

// func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8 // row stride of C in bytes

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	// Four steps of k per iteration to amortise the loop overhead.
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	PREFETCHT0 384(SI)
	STEP(0, 0)
	STEP(24, 64)
	PREFETCHT0 512(DX)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DX
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DX
	DECQ CX
	JNZ  loop1

store:
	// Scale by alpha, then add beta*C unless beta is +-0, in which case C
	// must not be read (it may hold NaN).
	VBROADCASTSS alpha+40(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7
	VMULPS       Y12, Y8, Y8
	VMULPS       Y12, Y9, Y9
	VMULPS       Y12, Y10, Y10
	VMULPS       Y12, Y11, Y11

	LEAQ (R8)(R8*2), R9 // three rows
	LEAQ (DI)(R9*1), R10 // row 3

	MOVL beta+44(FP), AX
	ANDL $0x7fffffff, AX
	JZ   write

	VBROADCASTSS beta+44(FP), Y13
	VFMADD231PS  (DI), Y13, Y0
	VFMADD231PS  32(DI), Y13, Y1
	VFMADD231PS  (DI)(R8*1), Y13, Y2
	VFMADD231PS  32(DI)(R8*1), Y13, Y3
	VFMADD231PS  (DI)(R8*2), Y13, Y4
	VFMADD231PS  32(DI)(R8*2), Y13, Y5
	VFMADD231PS  (R10), Y13, Y6
	VFMADD231PS  32(R10), Y13, Y7
	VFMADD231PS  (R10)(R8*1), Y13, Y8
	VFMADD231PS  32(R10)(R8*1), Y13, Y9
	VFMADD231PS  (R10)(R8*2), Y13, Y10
	VFMADD231PS  32(R10)(R8*2), Y13, Y11

write:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y3, 32(DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y5, 32(DI)(R8*2)
	VMOVUPS Y6, (R10)
	VMOVUPS Y7, 32(R10)
	VMOVUPS Y8, (R10)(R8*1)
	VMOVUPS Y9, 32(R10)(R8*1)
	VMOVUPS Y10, (R10)(R8*2)
	VMOVUPS Y11, 32(R10)(R8*2)
	VZEROUPPER
	RET

// STEP4 is STEP for the first four rows of the 6-row A panel.
#define STEP4(offA, offB) \
	VMOVUPS      offB(DX), Y12      \
	VMOVUPS      offB+32(DX), Y13   \
	VBROADCASTSS offA(SI), Y14      \
	VBROADCASTSS offA+4(SI), Y15    \
	VFMADD231PS  Y12, Y14, Y0       \
	VFMADD231PS  Y13, Y14, Y1       \
	VFMADD231PS  Y12, Y15, Y2       \
	VFMADD231PS  Y13, Y15, Y3       \
	VBROADCASTSS offA+8(SI), Y14    \
	VBROADCASTSS offA+12(SI), Y15   \
	VFMADD231PS  Y12, Y14, Y4       \
	VFMADD231PS  Y13, Y14, Y5       \
	VFMADD231PS  Y12, Y15, Y6       \
	VFMADD231PS  Y13, Y15, Y7

// func kernel4x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
// The 6x16 kernel for a last row panel with at most four rows: it reads the
// same 6-row packed A but computes and stores rows 0-3 only, so that m = 16,
// 32, 64 (6q+4 or 6q+2) do not pay for two or four padding rows. Eight
// accumulators still cover two FMA pipes of latency 4.
TEXT ·kernel4x16AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail4

loop4x4:
	STEP4(0, 0)
	STEP4(24, 64)
	PREFETCHT0 512(DX)
	STEP4(48, 128)
	STEP4(72, 192)
	ADDQ $96, SI
	ADDQ $256, DX
	DECQ R9
	JNZ  loop4x4

tail4:
	ANDQ $3, CX
	JZ   store4

loop4x1:
	STEP4(0, 0)
	ADDQ $24, SI
	ADDQ $64, DX
	DECQ CX
	JNZ  loop4x1

store4:
	VBROADCASTSS alpha+40(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7

	LEAQ (R8)(R8*2), R9

	MOVL beta+44(FP), AX
	ANDL $0x7fffffff, AX
	JZ   write4

	VBROADCASTSS beta+44(FP), Y13
	VFMADD231PS  (DI), Y13, Y0
	VFMADD231PS  32(DI), Y13, Y1
	VFMADD231PS  (DI)(R8*1), Y13, Y2
	VFMADD231PS  32(DI)(R8*1), Y13, Y3
	VFMADD231PS  (DI)(R8*2), Y13, Y4
	VFMADD231PS  32(DI)(R8*2), Y13, Y5
	VFMADD231PS  (DI)(R9*1), Y13, Y6
	VFMADD231PS  32(DI)(R9*1), Y13, Y7

write4:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R8*1)
	VMOVUPS Y3, 32(DI)(R8*1)
	VMOVUPS Y4, (DI)(R8*2)
	VMOVUPS Y5, 32(DI)(R8*2)
	VMOVUPS Y6, (DI)(R9*1)
	VMOVUPS Y7, 32(DI)(R9*1)
	VZEROUPPER
	RET
