//go:build amd64 && !purego

#include "textflag.h"

// The Winograd F(2x2, 3x3) transforms of winograd.go, eight tiles (a row's
// 16 columns of outputs) per step, in the operation order of
// winogradInputGo and winogradOutputGo. Lanes hold tiles 0, 1, 4, 5, 2, 3,
// 6, 7 of the eight (winogradSlot): the order VSHUFPS leaves them in when
// it de-interleaves the input columns within 128-bit halves, and the
// order VUNPCKLPS/VUNPCKHPS need to interleave the outputs back.

// WROW transforms one input row of eight tiles along its columns: from the
// 18 floats at (r) (padded columns 16g..16g+17), d0..d3 of tile t are
// columns 2t..2t+3; h0 = d0-d2, h1 = d1+d2, h2 = d2-d1, h3 = d1-d3.
// ta, tb are scratch.
#define WROW(r, h0, h1, h2, h3, ta, tb) \
	VMOVUPS  (r), ta                \
	VMOVUPS  32(r), tb              \
	VSHUFPS  $0x88, tb, ta, h0      \
	VSHUFPS  $0xDD, tb, ta, h1      \
	VMOVUPS  8(r), ta               \
	VMOVUPS  40(r), tb              \
	VSHUFPS  $0x88, tb, ta, h2      \
	VSHUFPS  $0xDD, tb, ta, h3      \
	VSUBPS   h2, h0, h0             \
	VSUBPS   h3, h1, h3             \
	VADDPS   h2, h1, ta             \
	VSUBPS   h1, h2, h2             \
	VMOVAPS  ta, h1

// func winogradInput8AVX2(v *float32, vStride int, pad *float32, wp, tH, groups int)
//
// V[xi][tile] = (B^T d B)[xi] for the tH x 8*groups tiles of a padded
// plane (rows of wp floats); plane xi of V starts xi*vStride floats after v.
TEXT ·winogradInput8AVX2(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), DI
	MOVQ vStride+8(FP), R8
	SHLQ $2, R8               // bytes between planes of V
	MOVQ pad+16(FP), SI
	MOVQ wp+24(FP), R9
	SHLQ $2, R9               // bytes between padded rows
	MOVQ tH+32(FP), CX
	LEAQ (R8)(R8*2), R13      // three planes
	LEAQ (R9)(R9*2), R10      // three rows
	MOVQ groups+40(FP), R12
	SHLQ $6, R12
	NEGQ R12
	LEAQ (R12)(R9*2), R12     // from a tile row's end to the next's start: two rows less its 64*groups bytes

inrow:
	MOVQ groups+40(FP), BX

ingroup:
	LEAQ (SI)(R9*1), AX
	LEAQ (SI)(R9*2), DX
	WROW(AX, Y0, Y1, Y2, Y3, Y12, Y13)
	WROW(DX, Y4, Y5, Y6, Y7, Y12, Y13)

	// xi = 4..7: row 1 + row 2
	LEAQ    (DI)(R8*4), R11
	VADDPS  Y4, Y0, Y14
	VMOVUPS Y14, (R11)
	VADDPS  Y5, Y1, Y14
	VMOVUPS Y14, (R11)(R8*1)
	VADDPS  Y6, Y2, Y14
	VMOVUPS Y14, (R11)(R8*2)
	VADDPS  Y7, Y3, Y14
	VMOVUPS Y14, (R11)(R13*1)

	// xi = 8..11: row 2 - row 1
	LEAQ    (DI)(R8*8), R11
	VSUBPS  Y0, Y4, Y14
	VMOVUPS Y14, (R11)
	VSUBPS  Y1, Y5, Y14
	VMOVUPS Y14, (R11)(R8*1)
	VSUBPS  Y2, Y6, Y14
	VMOVUPS Y14, (R11)(R8*2)
	VSUBPS  Y3, Y7, Y14
	VMOVUPS Y14, (R11)(R13*1)

	// xi = 0..3: row 0 - row 2
	WROW(SI, Y8, Y9, Y10, Y11, Y12, Y13)
	VSUBPS  Y4, Y8, Y14
	VMOVUPS Y14, (DI)
	VSUBPS  Y5, Y9, Y14
	VMOVUPS Y14, (DI)(R8*1)
	VSUBPS  Y6, Y10, Y14
	VMOVUPS Y14, (DI)(R8*2)
	VSUBPS  Y7, Y11, Y14
	VMOVUPS Y14, (DI)(R13*1)

	// xi = 12..15: row 1 - row 3
	LEAQ    (SI)(R10*1), AX
	WROW(AX, Y8, Y9, Y10, Y11, Y12, Y13)
	LEAQ    (DI)(R13*4), R11
	VSUBPS  Y8, Y0, Y14
	VMOVUPS Y14, (R11)
	VSUBPS  Y9, Y1, Y14
	VMOVUPS Y14, (R11)(R8*1)
	VSUBPS  Y10, Y2, Y14
	VMOVUPS Y14, (R11)(R8*2)
	VSUBPS  Y11, Y3, Y14
	VMOVUPS Y14, (R11)(R13*1)

	ADDQ $32, DI
	ADDQ $64, SI
	DECQ BX
	JNZ  ingroup
	ADDQ R12, SI
	DECQ CX
	JNZ  inrow
	VZEROUPPER
	RET

// WCOLS loads the four values m[4i..4i+3] of eight tiles from the planes
// at (p) and reduces them along the row: b0 = m0+m1+m2, b1 = m1-m2-m3.
#define WCOLS(p, b0, b1) \
	VMOVUPS (p), Y12          \
	VMOVUPS (p)(R8*1), Y13    \
	VMOVUPS (p)(R8*2), Y14    \
	VMOVUPS (p)(R13*1), Y15   \
	VADDPS  Y13, Y12, b0      \
	VADDPS  Y14, b0, b0       \
	VSUBPS  Y14, Y13, b1      \
	VSUBPS  Y15, b1, b1

// func winogradOutput8AVX2(y, m *float32, mStride, tH, groups, accumulate int)
//
// The 2x2 outputs (A^T M A) of tH x 8*groups tiles into the plane y (rows
// of 16*groups floats), added to y's values when accumulate is not 0;
// plane xi of M starts xi*mStride floats after m.
TEXT ·winogradOutput8AVX2(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ m+8(FP), SI
	MOVQ mStride+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R13
	MOVQ tH+24(FP), CX
	MOVQ groups+32(FP), R9
	SHLQ $6, R9               // bytes of an output row
	MOVQ accumulate+40(FP), AX

outrow:
	MOVQ groups+32(FP), BX

outgroup:
	WCOLS(SI, Y0, Y1)
	LEAQ (SI)(R8*4), R11
	WCOLS(R11, Y2, Y3)
	LEAQ (SI)(R8*8), R11
	WCOLS(R11, Y4, Y5)
	LEAQ (SI)(R13*4), R11
	WCOLS(R11, Y6, Y7)

	VADDPS Y2, Y0, Y8         // y00 = b0[0]+b0[1]+b0[2]
	VADDPS Y4, Y8, Y8
	VADDPS Y3, Y1, Y9         // y01 = b1[0]+b1[1]+b1[2]
	VADDPS Y5, Y9, Y9
	VSUBPS Y4, Y2, Y10        // y10 = b0[1]-b0[2]-b0[3]
	VSUBPS Y6, Y10, Y10
	VSUBPS Y5, Y3, Y11        // y11 = b1[1]-b1[2]-b1[3]
	VSUBPS Y7, Y11, Y11

	VUNPCKLPS Y9, Y8, Y12     // row 2s, columns 16g..16g+7
	VUNPCKHPS Y9, Y8, Y13     // and 16g+8..16g+15
	VUNPCKLPS Y11, Y10, Y14   // row 2s+1
	VUNPCKHPS Y11, Y10, Y15
	TESTQ     AX, AX
	JZ        outstore
	VADDPS    (DI), Y12, Y12
	VADDPS    32(DI), Y13, Y13
	VADDPS    (DI)(R9*1), Y14, Y14
	VADDPS    32(DI)(R9*1), Y15, Y15

outstore:
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, 32(DI)
	VMOVUPS Y14, (DI)(R9*1)
	VMOVUPS Y15, 32(DI)(R9*1)

	ADDQ $64, DI
	ADDQ $32, SI
	DECQ BX
	JNZ  outgroup
	ADDQ R9, DI               // past the odd row just written
	DECQ CX
	JNZ  outrow
	VZEROUPPER
	RET

// func winogradFrame16AVX2(pad *float32, wp int, src *float32, h, groups int)
//
// Copies h rows of 16*groups floats from src into pad's rows 1..h from
// column 1 (rows of wp floats).
TEXT ·winogradFrame16AVX2(SB), NOSPLIT, $0-40
	MOVQ pad+0(FP), DI
	MOVQ wp+8(FP), R9
	SHLQ $2, R9
	LEAQ 4(DI)(R9*1), DI      // row 1, column 1
	MOVQ src+16(FP), SI
	MOVQ h+24(FP), CX
	MOVQ groups+32(FP), R10
	MOVQ R10, R12
	SHLQ $6, R12
	NEGQ R12
	ADDQ R9, R12              // from a row's end in pad to the next row

framerow:
	MOVQ R10, BX

framegroup:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    BX
	JNZ     framegroup
	ADDQ    R12, DI
	DECQ    CX
	JNZ     framerow
	VZEROUPPER
	RET
