//go:build amd64 && !purego

package gemm

// kernel6x16ShiftAVX2 is kernel6x16AVX2 reading step p of B, 16 values,
// as 8 at b + offsets[p] and 8 at b2 + offsets[p] instead of from a
// packed panel (sgemm_avx2_amd64.s).
//
//go:noescape
func kernel6x16ShiftAVX2(k int, a, b, b2 *float32, offsets *int32, c *float32, ldc int, alpha, beta float32)

// kernel4x16ShiftAVX2 is kernel4x16AVX2 with kernel6x16ShiftAVX2's B.
//
//go:noescape
func kernel4x16ShiftAVX2(k int, a, b, b2 *float32, offsets *int32, c *float32, ldc int, alpha, beta float32)

// shiftedHalf is the width of each of the two ymm halves of a 16-column
// tile: a Shifted B's output rows must be a whole number of them.
const shiftedHalf = avxNR / 2

// sgemmShiftedAVX2 is sgemmAVX2B for a Shifted B whose output rows are
// whole 8-column halves of the 16-column tile (ResNet's 32, 16 and 8): the
// same blocking of A and k, and for each tile the kernel reads B's two
// halves of every row straight from the frame,
// where sgemmPanelsAVX2 first gathers them into a packed panel. A
// convolution's gather was 10-18 % of a native ResNet-20 training step,
// load/store bound (docs/training.md); the frame costs one copy of the
// image. The sums are sgemmAVX2B's, bit for bit: the same products in the
// same order, blocks of avxKC added to C in turn.
//
// It reports false for other shapes. SgemmShifted has checked the sizes
// and that every value of B lies inside the frame.
func sgemmShiftedAVX2(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *Shifted, beta float32, c []float32, ldc int) bool {
	if b.Width%shiftedHalf != 0 || n%avxNR != 0 {
		return false
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return true
	}
	buf := getAVXPackBuffers()
	defer putAVXPackBuffers(buf)
	var edge [avxMR * avxNR]float32
	for pc := 0; pc < k; pc += avxKC {
		kb := min(avxKC, k-pc)
		betaPanel := float32(1)
		if pc == 0 {
			betaPanel = beta
		}
		offsets := &b.Offsets[pc]
		for ic := 0; ic < m; ic += avxMC {
			mb := min(avxMC, m-ic)
			packAAVX2(transA, mb, kb, a, lda, ic, pc, buf.a)
			for j0 := 0; j0 < n; j0 += avxNR {
				// Columns j0 and j0+8 of every row, offset 0 (each half
				// of the tile lies in one output row): inside the frame,
				// as check found its last value is.
				col := &b.Frame[j0/b.Width*b.Stride+j0%b.Width]
				j1 := j0 + shiftedHalf
				col2 := &b.Frame[j1/b.Width*b.Stride+j1%b.Width]
				for i0 := 0; i0 < mb; i0 += avxMR {
					aPanel := &buf.a[i0*kb]
					rows := min(avxMR, mb-i0)
					ct := c[(ic+i0)*ldc+j0:]
					switch rows {
					case avxMR:
						kernel6x16ShiftAVX2(kb, aPanel, col, col2, offsets, &ct[0], ldc, alpha, betaPanel)
					case 4:
						kernel4x16ShiftAVX2(kb, aPanel, col, col2, offsets, &ct[0], ldc, alpha, betaPanel)
					default:
						if rows < 4 {
							kernel4x16ShiftAVX2(kb, aPanel, col, col2, offsets, &edge[0], avxNR, alpha, 0)
						} else {
							kernel6x16ShiftAVX2(kb, aPanel, col, col2, offsets, &edge[0], avxNR, alpha, 0)
						}
						storeEdgeTile(&edge, rows, avxNR, betaPanel, ct, ldc)
					}
				}
			}
		}
	}
	return true
}

// sgemmShiftedAAVX2 is sgemmAVX2B for a Shifted A: its 6-row micro-panels
// are interleaved straight from the frame (packShiftedAAVX2), where a
// stored A would first be written out whole. A convolution's weight
// gradient, dW^T = col(X) * dY^T, is the case: its col matrix is 9x the
// image for a 3x3 kernel.
func sgemmShiftedAAVX2(m, n, k int, alpha float32, a *Shifted, transB bool, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	sgemmAVX2B(m, n, k, alpha, operandA{shifted: a}, transB, b, ldb, nil, beta, c, ldc)
}

// packShiftedAAVX2 is packAAVX2 for a Shifted A: within one output row
// each of the six rows of a micro-panel is a run of the frame, and the
// assembly interleaves six runs from anywhere.
func packShiftedAAVX2(s *Shifted, mb, kb, ic, pc int, dst []float32) {
	for i0 := 0; i0 < mb; i0 += avxMR {
		panel := dst[i0*kb : i0*kb+avxMR*kb]
		rows := min(avxMR, mb-i0)
		r0 := ic + i0
		for p := pc; p < pc+kb; {
			run := min(s.Width-p%s.Width, pc+kb-p) // steps of k inside one output row
			at := p/s.Width*s.Stride + p%s.Width
			d := panel[(p-pc)*avxMR : (p-pc+run)*avxMR]
			if rows == avxMR {
				o := s.Offsets[r0 : r0+avxMR]
				o0 := int(o[0])
				// SgemmShiftedA checked that every value read is in the frame.
				packPanelA6RowsAVX2(run, &s.Frame[o0+at], int(o[1])-o0, int(o[2])-o0, int(o[3])-o0, int(o[4])-o0, int(o[5])-o0, &d[0])
			} else {
				for r := 0; r < avxMR; r++ {
					if r >= rows {
						for q := 0; q < run; q++ {
							d[q*avxMR+r] = 0
						}
						continue
					}
					src := s.Frame[int(s.Offsets[r0+r])+at:][:run]
					for q, v := range src {
						d[q*avxMR+r] = v
					}
				}
			}
			p += run
		}
	}
}
