//go:build amd64 && !purego

#include "textflag.h"

// Lane indices of a 16-wide panel row, as int32: 0..7 and 8..15.
DATA panelLanes<>+0(SB)/4, $0
DATA panelLanes<>+4(SB)/4, $1
DATA panelLanes<>+8(SB)/4, $2
DATA panelLanes<>+12(SB)/4, $3
DATA panelLanes<>+16(SB)/4, $4
DATA panelLanes<>+20(SB)/4, $5
DATA panelLanes<>+24(SB)/4, $6
DATA panelLanes<>+28(SB)/4, $7
DATA panelLanes<>+32(SB)/4, $8
DATA panelLanes<>+36(SB)/4, $9
DATA panelLanes<>+40(SB)/4, $10
DATA panelLanes<>+44(SB)/4, $11
DATA panelLanes<>+48(SB)/4, $12
DATA panelLanes<>+52(SB)/4, $13
DATA panelLanes<>+56(SB)/4, $14
DATA panelLanes<>+60(SB)/4, $15
GLOBL panelLanes<>(SB), RODATA|NOPTR, $64

// func gatherPanel16AVX2(dst, img *float32, rows *colRow, kb, oh, ow, inH, inW int)
//
// Writes one 16-wide panel of kb rows of a stride-1 "same" col matrix
// (im2col_panels16_amd64.go): row r of the panel is, for lanes i with
// lo <= ow+i < hi and 0 <= oh+dh < inH, the image value
// img[plane + (oh+dh)*inW + ow+i+dw], and +0 elsewhere. The values are
// loaded with VMASKMOVPS under that lane mask: masked-off lanes are
// neither read nor faulted on, so the lanes left of the image (dw < 0 at
// ow = 0) may point before it. A row outside the image is stored as zeros
// without a load.
TEXT ·gatherPanel16AVX2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ kb+24(FP), CX
	MOVQ oh+32(FP), R9
	MOVQ ow+40(FP), R10
	MOVQ inH+48(FP), R11
	MOVQ inW+56(FP), R12
	TESTQ CX, CX
	JZ    gatherDone
	VMOVDQU panelLanes<>+0(SB), Y14
	VMOVDQU panelLanes<>+32(SB), Y15
	VPXOR   Y13, Y13, Y13

gatherRow:
	MOVLQSX 4(R8), AX // dh
	ADDQ    R9, AX    // ih = oh + dh
	CMPQ    AX, R11
	JAE     gatherZero // ih < 0 or ih >= inH (unsigned)
	IMULQ   R12, AX    // ih*inW
	MOVLQSX 0(R8), BX  // plane
	ADDQ    BX, AX
	MOVLQSX 8(R8), BX  // dw
	ADDQ    BX, AX
	ADDQ    R10, AX    // element index of lane 0: plane + ih*inW + ow + dw
	LEAQ    (SI)(AX*4), AX
	MOVLQSX 12(R8), BX // lo
	SUBQ    R10, BX    // a = lo - ow: first lane inside the row
	MOVLQSX 16(R8), DX // hi
	SUBQ    R10, DX    // b = hi - ow: first lane past it
	VMOVD   BX, X0
	VPBROADCASTD X0, Y0
	VMOVD   DX, X1
	VPBROADCASTD X1, Y1
	VPCMPGTD Y14, Y1, Y2 // b > lane
	VPCMPGTD Y14, Y0, Y3 // a > lane
	VPANDN   Y2, Y3, Y2  // a <= lane < b
	VPCMPGTD Y15, Y1, Y4
	VPCMPGTD Y15, Y0, Y5
	VPANDN   Y4, Y5, Y4
	VMASKMOVPS (AX), Y2, Y6
	VMASKMOVPS 32(AX), Y4, Y7
	VMOVUPS  Y6, (DI)
	VMOVUPS  Y7, 32(DI)
	JMP      gatherNext

gatherZero:
	VMOVUPS Y13, (DI)
	VMOVUPS Y13, 32(DI)

gatherNext:
	ADDQ $64, DI
	ADDQ $20, R8
	DECQ CX
	JNZ  gatherRow

gatherDone:
	VZEROUPPER
	RET
