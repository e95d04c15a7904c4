//go:build amd64 && !purego

#include "textflag.h"

// The 6x16 AVX2/FMA micro-kernel of sgemmAVX2 (sgemm_avx2_amd64.go).
//
// Register use: Y0..Y11 hold the 6x16 tile of sums (row r in Y(2r), Y(2r+1));
// Y12, Y13 the 16 values of packed B at one step of k; Y14, Y15 two
// broadcast values of packed A. Twelve independent accumulators hide the
// 4-cycle FMA latency of two FMA pipes (8 in flight at least), and each step
// of k costs two vector loads and six broadcasts for twelve FMAs.

// FMA4 multiplies the 16 values of B in Y12, Y13 by the first 4 values
// of the 6 of A at offA(SI) into the sums of rows 0-3; FMA6 by all 6.
#define FMA4(offA) \
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

#define FMA6(offA) \
	FMA4(offA)                      \
	VBROADCASTSS offA+16(SI), Y14   \
	VBROADCASTSS offA+20(SI), Y15   \
	VFMADD231PS  Y12, Y14, Y8       \
	VFMADD231PS  Y13, Y14, Y9       \
	VFMADD231PS  Y12, Y15, Y10      \
	VFMADD231PS  Y13, Y15, Y11

// STEP multiplies one step of k: A at offA(SI) (6 floats), packed B at
// offB(DX) (16 floats).
#define STEP(offA, offB) \
	VMOVUPS offB(DX), Y12    \
	VMOVUPS offB+32(DX), Y13 \
	FMA6(offA)

// STEP4 is STEP for the first four rows of the 6-row A panel.
#define STEP4(offA, offB) \
	VMOVUPS offB(DX), Y12    \
	VMOVUPS offB+32(DX), Y13 \
	FMA4(offA)

// SSTEP is STEP for a shifted B (kernel6x16ShiftAVX2): the step's 16
// values are 8 at DX and 8 at R12, both offsets[step] floats on, the
// int32 read at offO(R11).
#define SSTEP(offA, offO) \
	MOVLQSX offO(R11), BX        \
	VMOVUPS (DX)(BX*4), Y12      \
	VMOVUPS (R12)(BX*4), Y13     \
	FMA6(offA)

// SSTEP4 is SSTEP for the first four rows.
#define SSTEP4(offA, offO) \
	MOVLQSX offO(R11), BX        \
	VMOVUPS (DX)(BX*4), Y12      \
	VMOVUPS (R12)(BX*4), Y13     \
	FMA4(offA)

// The store of a tile: C = alpha*sums + beta*C with alpha broadcast in
// Y12, beta in Y13 and beta's bits in AX; C is at DI with row stride R8
// bytes and is not read when beta is +-0 (it may hold NaN). R10 is set
// to row 3. SCALE, BETA and WRITE take rows 0-3; the 6-row kernels add
// rows 4 and 5 (at R10+R8, R10+2*R8).
#define SCALE4 \
	VMULPS Y12, Y0, Y0 \
	VMULPS Y12, Y1, Y1 \
	VMULPS Y12, Y2, Y2 \
	VMULPS Y12, Y3, Y3 \
	VMULPS Y12, Y4, Y4 \
	VMULPS Y12, Y5, Y5 \
	VMULPS Y12, Y6, Y6 \
	VMULPS Y12, Y7, Y7

#define BETA4 \
	VFMADD231PS (DI), Y13, Y0         \
	VFMADD231PS 32(DI), Y13, Y1       \
	VFMADD231PS (DI)(R8*1), Y13, Y2   \
	VFMADD231PS 32(DI)(R8*1), Y13, Y3 \
	VFMADD231PS (DI)(R8*2), Y13, Y4   \
	VFMADD231PS 32(DI)(R8*2), Y13, Y5 \
	VFMADD231PS (R10), Y13, Y6        \
	VFMADD231PS 32(R10), Y13, Y7

#define WRITE4 \
	VMOVUPS Y0, (DI)         \
	VMOVUPS Y1, 32(DI)       \
	VMOVUPS Y2, (DI)(R8*1)   \
	VMOVUPS Y3, 32(DI)(R8*1) \
	VMOVUPS Y4, (DI)(R8*2)   \
	VMOVUPS Y5, 32(DI)(R8*2) \
	VMOVUPS Y6, (R10)        \
	VMOVUPS Y7, 32(R10)

#define ROW3 \
	LEAQ (R8)(R8*2), R9  \
	LEAQ (DI)(R9*1), R10 \
	ANDL $0x7fffffff, AX

// STORE6 and STORE4 store the 6 or 4 rows of the tile and return.
#define STORE6 \
	SCALE4                               \
	VMULPS      Y12, Y8, Y8              \
	VMULPS      Y12, Y9, Y9              \
	VMULPS      Y12, Y10, Y10            \
	VMULPS      Y12, Y11, Y11            \
	ROW3                                 \
	JZ          write                    \
	BETA4                                \
	VFMADD231PS (R10)(R8*1), Y13, Y8     \
	VFMADD231PS 32(R10)(R8*1), Y13, Y9   \
	VFMADD231PS (R10)(R8*2), Y13, Y10    \
	VFMADD231PS 32(R10)(R8*2), Y13, Y11  \
write:                                   \
	WRITE4                               \
	VMOVUPS     Y8, (R10)(R8*1)          \
	VMOVUPS     Y9, 32(R10)(R8*1)        \
	VMOVUPS     Y10, (R10)(R8*2)         \
	VMOVUPS     Y11, 32(R10)(R8*2)       \
	VZEROUPPER                           \
	RET

#define STORE4 \
	SCALE4     \
	ROW3       \
	JZ  write4 \
	BETA4      \
write4:        \
	WRITE4     \
	VZEROUPPER \
	RET

// ZERO6 and ZERO4 clear the sums.
#define ZERO4 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

#define ZERO6 \
	ZERO4             \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8 // row stride of C in bytes
	ZERO6

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
	VBROADCASTSS alpha+40(FP), Y12
	VBROADCASTSS beta+44(FP), Y13
	MOVL         beta+44(FP), AX
	STORE6

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
	ZERO4

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
	VBROADCASTSS beta+44(FP), Y13
	MOVL         beta+44(FP), AX
	STORE4

// func kernel6x16ShiftAVX2(k int, a, b, b2 *float32, offsets *int32, c *float32, ldc int, alpha, beta float32)
// kernel6x16AVX2 with an unpacked B (sgemm_shifted_avx2_amd64.go): step p
// of k reads columns 0-7 of the tile at b + offsets[p] and columns 8-15
// at b2 + offsets[p] (b+8 within an output row, the next row's start for
// rows of 8). The extra cost is one scalar load per step, beside two
// vector loads and twelve FMAs.
TEXT ·kernel6x16ShiftAVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ b2+24(FP), R12
	MOVQ offsets+32(FP), R11
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	ZERO6

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   stail

sloop4:
	PREFETCHT0 384(SI)
	SSTEP(0, 0)
	SSTEP(24, 4)
	SSTEP(48, 8)
	SSTEP(72, 12)
	ADDQ $96, SI
	ADDQ $16, R11
	DECQ R9
	JNZ  sloop4

stail:
	ANDQ $3, CX
	JZ   sstore

sloop1:
	SSTEP(0, 0)
	ADDQ $24, SI
	ADDQ $4, R11
	DECQ CX
	JNZ  sloop1

sstore:
	VBROADCASTSS alpha+56(FP), Y12
	VBROADCASTSS beta+60(FP), Y13
	MOVL         beta+60(FP), AX
	STORE6

// func kernel4x16ShiftAVX2(k int, a, b, b2 *float32, offsets *int32, c *float32, ldc int, alpha, beta float32)
// kernel4x16AVX2 with the unpacked B of kernel6x16ShiftAVX2.
TEXT ·kernel4x16ShiftAVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ b2+24(FP), R12
	MOVQ offsets+32(FP), R11
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), R8
	SHLQ $2, R8
	ZERO4

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   stail4

sloop4x4:
	SSTEP4(0, 0)
	SSTEP4(24, 4)
	SSTEP4(48, 8)
	SSTEP4(72, 12)
	ADDQ $96, SI
	ADDQ $16, R11
	DECQ R9
	JNZ  sloop4x4

stail4:
	ANDQ $3, CX
	JZ   sstore4

sloop4x1:
	SSTEP4(0, 0)
	ADDQ $24, SI
	ADDQ $4, R11
	DECQ CX
	JNZ  sloop4x1

sstore4:
	VBROADCASTSS alpha+56(FP), Y12
	VBROADCASTSS beta+60(FP), Y13
	MOVL         beta+60(FP), AX
	STORE4
