//go:build amd64 && !purego

package gemm

import (
	"fmt"
	"math"
	"sync"
)

// The integer GEMM natively (qgemm.go): B in blocks of columns, each block
// of 8-column panels quantized straight from the stored matrix or the
// PanelSource's float panels by q16PackAVX2, then multiplied a strip of
// four rows at a time by qgemmStripAVX2. Strips of fewer than four rows and
// panels of fewer than eight columns are computed into a 4 x 8 tile and
// added to C here, with the kernel's operations (so the same bits).

//go:noescape
func qgemmStripAVX2(a *int16, b *int16, c *float32, ldc, panels, pairs int, alpha *float32, acc int)

//go:noescape
func q16PackAVX2(dst *int16, src *float32, rowStride, panelStride, kb, panels int, inv, limit float32) bool

// qgemmNC is the columns of B quantized per block: 256 columns of 16-bit
// pairs are at most 64 KiB for k up to 256 (L2 for deeper k).
const qgemmNC = 256

type qgemmScratch struct {
	codes  []int16
	floats []float32 // PanelSource panels, or the last partial panel
	tile   [32]float32
}

var qgemmScratchPool = sync.Pool{New: func() any { return new(qgemmScratch) }}

func qgemmAVX2(a *QuantA, n int, b operandB, inv float32, acc bool, c []float32, ldc int) bool {
	k, m := a.k, a.m
	pairs := (k + 1) / 2
	if k > math.MaxInt32/64 || b.trans {
		return false
	}
	s := qgemmScratchPool.Get().(*qgemmScratch)
	defer qgemmScratchPool.Put(s)
	limit := float32(a.bLimit)
	accFlag := 0
	if acc {
		accFlag = 1
	}
	strips := (m + 3) / 4
	for jc := 0; jc < n; jc += qgemmNC {
		nb := min(qgemmNC, n-jc)
		full, rest := nb/8, nb%8
		panels := full
		if rest > 0 {
			panels++
		}
		s.codes = growInt16(s.codes, panels*pairs*16)
		if !q16PackBlock(s, b, k, jc, nb, full, rest, inv, limit) {
			return false
		}
		for st := 0; st < strips; st++ {
			rows := min(4, m-4*st)
			as := a.strips[st*pairs*8 : (st+1)*pairs*8]
			al := a.alpha[4*st : 4*st+4]
			cs := c[4*st*ldc+jc:]
			if rows == 4 && full > 0 {
				checkQgemmTile(cs, ldc, 4, full*8)
				qgemmStripAVX2(&as[0], &s.codes[0], &cs[0], ldc, full, pairs, &al[0], accFlag)
			}
			// A partial strip, panel by panel through the tile; the last
			// partial panel of every strip likewise.
			from := full
			if rows < 4 {
				from = 0
			}
			for p := from; p < panels; p++ {
				cols := min(8, nb-8*p)
				qgemmStripAVX2(&as[0], &s.codes[p*pairs*16], &s.tile[0], 8, 1, pairs, &al[0], 0)
				for r := 0; r < rows; r++ {
					row := cs[r*ldc+8*p : r*ldc+8*p+cols]
					for j := range row {
						v := s.tile[r*8+j]
						if acc {
							v = row[j] + v
						}
						row[j] = v
					}
				}
			}
		}
	}
	return true
}

// q16PackBlock quantizes columns [jc, jc+nb) of B into s.codes as full
// panels and, when rest > 0, one more zero-padded panel.
func q16PackBlock(s *qgemmScratch, b operandB, k, jc, nb, full, rest int, inv, limit float32) bool {
	pairs := (k + 1) / 2
	if b.src != nil {
		panels := full
		if rest > 0 {
			panels++
		}
		s.floats = growFloat32(s.floats, panels*8*k)
		b.panels(s.floats, 0, k, jc, nb, 8)
		checkQ16Pack(s.codes, s.floats, 8, 8*k, k, panels)
		return q16PackAVX2(&s.codes[0], &s.floats[0], 8, 8*k, k, panels, inv, limit)
	}
	if full > 0 {
		src := b.b[jc:]
		checkQ16Pack(s.codes, src, b.ldb, 8, k, full)
		if !q16PackAVX2(&s.codes[0], &src[0], b.ldb, 8, k, full, inv, limit) {
			return false
		}
	}
	if rest > 0 {
		s.floats = growFloat32(s.floats, 8*k)
		clear(s.floats)
		for r := 0; r < k; r++ {
			copy(s.floats[r*8:r*8+rest], b.b[r*b.ldb+jc+8*full:r*b.ldb+jc+8*full+rest])
		}
		codes := s.codes[full*pairs*16:]
		checkQ16Pack(codes, s.floats, 8, 8*k, k, 1)
		return q16PackAVX2(&codes[0], &s.floats[0], 8, 8*k, k, 1, inv, limit)
	}
	return true
}

// checkQ16Pack panics unless src holds panels panels of k rows of 8 at the
// strides given and dst their codes: the assembly reads and writes raw
// memory.
func checkQ16Pack(dst []int16, src []float32, rowStride, panelStride, k, panels int) {
	last := (panels-1)*panelStride + (k-1)*rowStride + 8
	if k < 1 || panels < 1 || len(src) < last || len(dst) < panels*((k+1)/2)*16 {
		panic(fmt.Sprintf("gemm: integer pack of %d panels of %d rows: source %d, destination %d", panels, k, len(src), len(dst)))
	}
}

// checkQgemmTile panics unless c holds rows x cols at stride ldc.
func checkQgemmTile(c []float32, ldc, rows, cols int) {
	if len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("gemm: integer kernel: C has %d elements, needs %d x %d at stride %d", len(c), rows, cols, ldc))
	}
}
