//go:build amd64 && !purego

package gemm

// Packing for sgemmAVX2: the same layouts as packA/packB in blocked.go but
// for the 6x16 tile. Full micro-panels are copied in assembly
// (pack_avx2_amd64.s): Go's copy of a 64-byte row is a memmove call, and its
// scalar interleave of six rows of A cost as much as the multiply when n is
// small (0.8 ns a value); edge panels, zero padded, stay in Go.

// packAAVX2 copies the mb x kb block of op(A) at (ic, pc) into dst as 6-row
// micro-panels: for each panel, for each p, 6 consecutive values. Rows past
// mb are zero so the micro-kernel never needs an edge case.
func packAAVX2(transA bool, mb, kb int, a []float32, lda, ic, pc int, dst []float32) {
	for i0 := 0; i0 < mb; i0 += avxMR {
		panel := dst[i0*kb : i0*kb+avxMR*kb]
		rows := min(avxMR, mb-i0)
		if transA {
			// op(A)[i][p] = A[p][i]: each p reads 6 consecutive values.
			first := pc*lda + ic + i0
			if rows == avxMR {
				_ = a[first+(kb-1)*lda+avxMR-1] // last value the assembly reads
				packPanelA6TransAVX2(kb, &a[first], lda, &panel[0])
				continue
			}
			for p := 0; p < kb; p++ {
				d := panel[p*avxMR : p*avxMR+avxMR]
				n := copy(d[:rows], a[first+p*lda:])
				clear(d[n:])
			}
			continue
		}
		first := (ic+i0)*lda + pc
		if rows == avxMR {
			_ = a[first+(avxMR-1)*lda+kb-1] // last value the assembly reads
			packPanelA6AVX2(kb, &a[first], lda, &panel[0])
			continue
		}
		for r := 0; r < avxMR; r++ {
			if r >= rows {
				for p := 0; p < kb; p++ {
					panel[p*avxMR+r] = 0
				}
				continue
			}
			src := a[first+r*lda : first+r*lda+kb]
			for p, v := range src {
				panel[p*avxMR+r] = v
			}
		}
	}
}

// packPanelA6AVX2 interleaves 6 rows of k floats, row r at src+r*lda, into
// dst as k groups of 6.
func packPanelA6AVX2(k int, src *float32, lda int, dst *float32) {
	packPanelA6RowsAVX2(k, src, lda, 2*lda, 3*lda, 4*lda, 5*lda, dst)
}

// packPanelA6RowsAVX2 interleaves 6 rows of k floats, row 0 at src and row
// r at src+o_r floats, into dst as k groups of 6.
//
//go:noescape
func packPanelA6RowsAVX2(k int, src *float32, o1, o2, o3, o4, o5 int, dst *float32)

// packPanelA6TransAVX2 copies k groups of 6 consecutive floats, group p at
// src+p*lda, to dst+6*p.
//
//go:noescape
func packPanelA6TransAVX2(k int, src *float32, lda int, dst *float32)

// packPanelB16AVX2 copies k rows of 16 floats, row p at src+p*ldb, to
// dst+16*p.
//
//go:noescape
func packPanelB16AVX2(k int, src *float32, ldb int, dst *float32)

// packPanelB16TransAVX2 packs 16 rows of k floats, row q at src+q*ldb, as
// k groups of 16.
//
//go:noescape
func packPanelB16TransAVX2(k int, src *float32, ldb int, dst *float32)

// packBAVX2 copies the kb x nb block of op(B) at (pc, jc) into dst as
// 16-column micro-panels: for each panel, for each p, 16 consecutive values,
// zero padded past nb.
func packBAVX2(transB bool, kb, nb int, b []float32, ldb, pc, jc int, dst []float32) {
	for j0 := 0; j0 < nb; j0 += avxNR {
		panel := dst[j0*kb : j0*kb+avxNR*kb]
		cols := min(avxNR, nb-j0)
		if !transB {
			first := pc*ldb + jc + j0
			if cols == avxNR {
				// The panel's last element, (pc+kb-1, jc+j0+15), is in
				// B: the bounds check covers the assembly's reads.
				_ = b[first+(kb-1)*ldb+avxNR-1]
				packPanelB16AVX2(kb, &b[first], ldb, &panel[0])
				continue
			}
			for p := 0; p < kb; p++ {
				d := panel[p*avxNR : p*avxNR+avxNR]
				n := copy(d[:cols], b[first+p*ldb:])
				clear(d[n:])
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: each output column is a contiguous row of
		// B.
		first := (jc+j0)*ldb + pc
		if cols == avxNR {
			_ = b[first+(avxNR-1)*ldb+kb-1] // last value the assembly reads
			packPanelB16TransAVX2(kb, &b[first], ldb, &panel[0])
			continue
		}
		clear(panel)
		for q := 0; q < cols; q++ {
			src := b[(jc+j0+q)*ldb+pc : (jc+j0+q)*ldb+pc+kb]
			for p, v := range src {
				panel[p*avxNR+q] = v
			}
		}
	}
}
