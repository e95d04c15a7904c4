//go:build amd64 && !purego

package gemm

// Packing for sgemmAVX2: the same layouts as packA/packB in blocked.go but
// for the 6x16 tile, with whole micro-panel rows moved as fixed-size arrays
// (the compiler turns a [16]float32 assignment into four 16-byte moves with
// one bounds check instead of sixteen).

// packAAVX2 copies the mb x kb block of op(A) at (ic, pc) into dst as 6-row
// micro-panels: for each panel, for each p, 6 consecutive values. Rows past
// mb are zero so the micro-kernel never needs an edge case.
func packAAVX2(transA bool, mb, kb int, a []float32, lda, ic, pc int, dst []float32) {
	for i0 := 0; i0 < mb; i0 += avxMR {
		panel := dst[i0*kb : i0*kb+avxMR*kb]
		rows := min(avxMR, mb-i0)
		if transA {
			// op(A)[i][p] = A[p][i]: each p reads 6 consecutive values.
			for p := 0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+i0:]
				d := (*[avxMR]float32)(panel[p*avxMR : p*avxMR+avxMR])
				if rows == avxMR {
					*d = [avxMR]float32(src[:avxMR])
					continue
				}
				*d = [avxMR]float32{}
				copy(d[:rows], src)
			}
			continue
		}
		if rows == avxMR {
			base := (ic+i0)*lda + pc
			r0 := a[base : base+kb]
			r1 := a[base+lda : base+lda+kb]
			r2 := a[base+2*lda : base+2*lda+kb]
			r3 := a[base+3*lda : base+3*lda+kb]
			r4 := a[base+4*lda : base+4*lda+kb]
			r5 := a[base+5*lda : base+5*lda+kb]
			for p := range r0 {
				d := (*[avxMR]float32)(panel[p*avxMR : p*avxMR+avxMR])
				*d = [avxMR]float32{r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]}
			}
			continue
		}
		for r := 0; r < avxMR; r++ {
			if r >= rows {
				for p := 0; p < kb; p++ {
					panel[p*avxMR+r] = 0
				}
				continue
			}
			src := a[(ic+i0+r)*lda+pc : (ic+i0+r)*lda+pc+kb]
			for p, v := range src {
				panel[p*avxMR+r] = v
			}
		}
	}
}

// packBAVX2 copies the kb x nb block of op(B) at (pc, jc) into dst as
// 16-column micro-panels: for each panel, for each p, 16 consecutive values,
// zero padded past nb.
func packBAVX2(transB bool, kb, nb int, b []float32, ldb, pc, jc int, dst []float32) {
	for j0 := 0; j0 < nb; j0 += avxNR {
		panel := dst[j0*kb : j0*kb+avxNR*kb]
		cols := min(avxNR, nb-j0)
		if !transB {
			for p := 0; p < kb; p++ {
				src := b[(pc+p)*ldb+jc+j0:]
				d := (*[avxNR]float32)(panel[p*avxNR : p*avxNR+avxNR])
				if cols == avxNR {
					*d = [avxNR]float32(src[:avxNR])
					continue
				}
				*d = [avxNR]float32{}
				copy(d[:cols], src)
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: each output column is a contiguous row of
		// B, read in order and scattered with stride 16.
		if cols < avxNR {
			clear(panel)
		}
		for q := 0; q < cols; q++ {
			src := b[(jc+j0+q)*ldb+pc : (jc+j0+q)*ldb+pc+kb]
			for p, v := range src {
				panel[p*avxNR+q] = v
			}
		}
	}
}
