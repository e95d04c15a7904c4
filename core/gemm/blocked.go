package gemm

import "sync"

// Blocking parameters of sgemmBlocked. A kc x nc panel of B (packed) stays
// in L2 while mc x kc panels of A (packed) stream through L1 against it;
// the micro-kernel keeps an mr x nr tile of C in registers for the whole k
// loop. kc*nr*4 bytes of B plus kc*mr*4 of A (7 KiB at kc=256) fit L1.
const (
	mr = 4   // rows of the register tile
	nr = 3   // columns of the register tile
	kc = 256 // depth of a packed panel
	mc = 64  // rows of A packed at once
	nc = 510 // columns of B packed at once (a multiple of nr)
)

// packBuffers are the scratch panels of one sgemmBlocked call, pooled so
// that the hot path does not allocate.
type packBuffers struct {
	a []float32 // mc x kc, in mr-row micro-panels
	b []float32 // kc x nc, in nr-column micro-panels
}

var packPool = sync.Pool{New: func() any {
	return &packBuffers{a: make([]float32, mc*kc), b: make([]float32, kc*(nc+nr))}
}}

// sgemmBlocked is the cache- and register-blocked pure-Go kernel (the
// native path, and the fallback every faster kernel is tested against
// besides sgemmRef). Sizes are checked by Sgemm; m, n > 0.
func sgemmBlocked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	buf := packPool.Get().(*packBuffers)
	defer packPool.Put(buf)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(transB, kb, nb, b, ldb, pc, jc, buf.b)
			// The first k panel applies beta; later ones accumulate.
			betaPanel := float32(1)
			if pc == 0 {
				betaPanel = beta
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(transA, mb, kb, a, lda, ic, pc, buf.a)
				macroKernel(mb, nb, kb, alpha, buf.a, buf.b, betaPanel, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// scaleC sets C = beta*C, writing zeros without reading C when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// packA copies the mb x kb block of op(A) at (ic, pc) into dst as mr-row
// micro-panels: for each panel, for each p, mr consecutive values. Rows
// past mb are zero so the micro-kernel never needs an edge case.
func packA(transA bool, mb, kb int, a []float32, lda, ic, pc int, dst []float32) {
	for i0 := 0; i0 < mb; i0 += mr {
		panel := dst[i0*kb : i0*kb+mr*kb]
		rows := min(mr, mb-i0)
		if transA {
			// op(A)[i][p] = A[p][i]: each p reads mr consecutive values.
			for p := 0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+i0:]
				d := panel[p*mr : p*mr+mr]
				for r := 0; r < rows; r++ {
					d[r] = src[r]
				}
				for r := rows; r < mr; r++ {
					d[r] = 0
				}
			}
			continue
		}
		for r := 0; r < mr; r++ {
			if r >= rows {
				for p := 0; p < kb; p++ {
					panel[p*mr+r] = 0
				}
				continue
			}
			src := a[(ic+i0+r)*lda+pc : (ic+i0+r)*lda+pc+kb]
			for p, v := range src {
				panel[p*mr+r] = v
			}
		}
	}
}

// packB copies the kb x nb block of op(B) at (pc, jc) into dst as nr-column
// micro-panels: for each panel, for each p, nr consecutive values, zero
// padded past nb.
func packB(transB bool, kb, nb int, b []float32, ldb, pc, jc int, dst []float32) {
	for j0 := 0; j0 < nb; j0 += nr {
		panel := dst[j0*kb : j0*kb+nr*kb]
		cols := min(nr, nb-j0)
		if !transB {
			for p := 0; p < kb; p++ {
				src := b[(pc+p)*ldb+jc+j0:]
				d := panel[p*nr : p*nr+nr]
				if cols == nr {
					d[0], d[1], d[2] = src[0], src[1], src[2]
					continue
				}
				for q := 0; q < cols; q++ {
					d[q] = src[q]
				}
				for q := cols; q < nr; q++ {
					d[q] = 0
				}
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: each output column is a contiguous row of B.
		for q := 0; q < nr; q++ {
			if q >= cols {
				for p := 0; p < kb; p++ {
					panel[p*nr+q] = 0
				}
				continue
			}
			src := b[(jc+j0+q)*ldb+pc : (jc+j0+q)*ldb+pc+kb]
			for p, v := range src {
				panel[p*nr+q] = v
			}
		}
	}
}

// macroKernel multiplies a packed mb x kb A block by a packed kb x nb B
// block into C (C = beta*C + alpha*A*B), one register tile at a time.
func macroKernel(mb, nb, kb int, alpha float32, pa, pb []float32, beta float32, c []float32, ldc int) {
	var edge [mr * nr]float32
	for j0 := 0; j0 < nb; j0 += nr {
		bPanel := pb[j0*kb : j0*kb+nr*kb]
		cols := min(nr, nb-j0)
		for i0 := 0; i0 < mb; i0 += mr {
			aPanel := pa[i0*kb : i0*kb+mr*kb]
			rows := min(mr, mb-i0)
			if rows == mr && cols == nr {
				microKernel4x3(kb, alpha, aPanel, bPanel, beta, c[i0*ldc+j0:], ldc)
				continue
			}
			// Edge tile: compute the full tile into scratch, store the
			// part that exists.
			microKernel4x3(kb, 1, aPanel, bPanel, 0, edge[:], nr)
			for r := 0; r < rows; r++ {
				row := c[(i0+r)*ldc+j0 : (i0+r)*ldc+j0+cols]
				for q := range row {
					if beta == 0 {
						row[q] = alpha * edge[r*nr+q]
					} else {
						row[q] = alpha*edge[r*nr+q] + beta*row[q]
					}
				}
			}
		}
	}
}
