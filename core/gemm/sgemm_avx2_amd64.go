//go:build amd64 && !purego

package gemm

// sgemmAVX2 is the native amd64 kernel when the CPU has AVX2 and FMA
// (dispatch_amd64.go decides; PARE_GEMM=go keeps sgemmBlocked). It follows
// the same plan as sgemmBlocked — pack panels of op(A) and op(B), keep a
// tile of C in registers for the whole k loop — with a 6x16 tile computed
// by kernel6x16AVX2 in assembly: 12 ymm accumulators, two vector loads of B
// and six broadcasts of A per step of k. On the EPYC it was written on that
// is 110-125 GFLOP/s on one core for 256^3 and CNN-shaped products, against
// about 7 for the pure-Go 4x3 kernel (BenchmarkSgemmAVX2, BenchmarkSgemmPureGo,
// BenchmarkSgemmModelShapes).
//
// Around the kernel: alpha and beta are applied in the kernel's store (beta
// 0 never reads C); edge tiles go through a scratch tile; a last row panel
// of at most four rows uses kernel4x16AVX2; m = 1 (a classifier at batch 1)
// skips packing for dot/axpy loops (gemv_avx2_amd64.go); full micro-panels
// are packed in assembly (pack_avx2_amd64.go).

// Blocking of sgemmAVX2. A kc x 16 micro-panel of B (16 KiB) stays in L1
// while the mc x kc block of packed A (144 KiB) sits in L2 and is swept
// against it; when m > mc, the kc x ncPacked block of packed B (256 KiB)
// lives in L2 and is reused by every block of A. That block is the pack
// buffers' largest part: at nc = 1024 it was 1 MiB, most of it resident
// natively where a model has a GEMM of more than mc rows and 784 columns
// (DenseNet-121's second transition: 0.8 MiB of its peak RSS;
// docs/benchmarks.md), for a repacking of A every 256 columns instead of
// every 1024 that is under 1 % of those products' work.
const (
	avxMR       = 6    // rows of the register tile
	avxNR       = 16   // columns of the register tile (two ymm registers)
	avxKC       = 256  // depth of a packed panel
	avxMC       = 144  // rows of A packed at once (a multiple of avxMR)
	avxNC       = 1024 // columns of C per pass when m <= avxMC, B packed a micro-panel at a time (a multiple of avxNR)
	avxNCPacked = 256  // columns of B packed at once when m > avxMC (a multiple of avxNR)
)

// kernel6x16AVX2 computes the 6x16 tile C = alpha*A*B + beta*C from k steps
// of a packed A micro-panel (6 values per step) and a packed B micro-panel
// (16 values per step); C has row stride ldc elements. When beta is +-0, C is
// written without being read. Implemented in sgemm_avx2_amd64.s.
//
//go:noescape
func kernel6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// kernel4x16AVX2 is kernel6x16AVX2 for rows 0-3 of the A micro-panel only
// (it reads the same 6-row packing): a last row panel of at most four rows
// wastes no FMAs on more than three padding rows. Rows 4-5 of C are neither
// read nor written.
//
//go:noescape
func kernel4x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// avxPackBuffers are the packed panels of one sgemmAVX2 call. Sized for
// full blocks; the packing rounds rows and columns up to whole micro-panels,
// which the sizes include.
type avxPackBuffers struct {
	a []float32 // avxMC x avxKC, in 6-row micro-panels
	b []float32 // avxKC x avxNCPacked, in 16-column micro-panels
}

// avxPackFree is a leaky free list of pack buffers (the Effective Go
// pattern): unlike a sync.Pool it is not emptied by garbage collection, so
// inference does not re-allocate and zero 400 KiB every few runs. It keeps
// at most cap buffers (1.6 MiB); extra ones from concurrent calls are left
// to the collector.
var avxPackFree = make(chan *avxPackBuffers, 4)

func getAVXPackBuffers() *avxPackBuffers {
	select {
	case buf := <-avxPackFree:
		return buf
	default:
		return &avxPackBuffers{a: make([]float32, avxMC*avxKC), b: make([]float32, avxKC*avxNCPacked)}
	}
}

func putAVXPackBuffers(buf *avxPackBuffers) {
	select {
	case avxPackFree <- buf:
	default:
	}
}

// sgemmAVX2 is a kernelFunc: sizes are checked by Sgemm and m, n > 0.
func sgemmAVX2(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m == 1 && sgemvRowAVX2(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c) {
		return
	}
	sgemmAVX2B(m, n, k, alpha, operandA{a: a, lda: lda, trans: transA}, transB, b, ldb, nil, beta, c, ldc)
}

// sgemmPanelsAVX2 is SgemmPanels' kernel beside sgemmAVX2: the same
// blocking, with B's 16-column micro-panels written by the PanelSource
// where sgemmAVX2 packs them from a stored matrix. For a convolution
// (nn.ColPanels) the im2col matrix is then never written out and read
// back by the packer: each micro-panel is gathered from the image into
// the L1 buffer the kernel reads it from.
func sgemmPanelsAVX2(transA bool, m, n, k int, alpha float32, a []float32, lda int, src PanelSource, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	sgemmAVX2B(m, n, k, alpha, operandA{a: a, lda: lda, trans: transA}, false, nil, 0, src, beta, c, ldc)
}

// operandA is the A of sgemmAVX2B: a stored matrix (a, lda, trans) or,
// when shifted is set, a Shifted whose rows are packed from its frame.
type operandA struct {
	a       []float32
	lda     int
	trans   bool
	shifted *Shifted
}

// pack packs the mb x kb block at (ic, pc) as packAAVX2 does.
func (o *operandA) pack(mb, kb, ic, pc int, dst []float32) {
	if o.shifted != nil {
		packShiftedAAVX2(o.shifted, mb, kb, ic, pc, dst)
		return
	}
	packAAVX2(o.trans, mb, kb, o.a, o.lda, ic, pc, dst)
}

// sgemmAVX2B is the blocked driver of the entry points (k >= 1): A is a
// stored matrix or a Shifted; B is the stored matrix b (transB, ldb) or,
// when src is set, a PanelSource.
func sgemmAVX2B(m, n, k int, alpha float32, a operandA, transB bool, b []float32, ldb int, src PanelSource, beta float32, c []float32, ldc int) {
	buf := getAVXPackBuffers()
	defer putAVXPackBuffers(buf)
	nc := avxNC
	if m > avxMC {
		nc = avxNCPacked
	}
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += avxKC {
			kb := min(avxKC, k-pc)
			// The first k panel applies beta; later ones accumulate.
			betaPanel := float32(1)
			if pc == 0 {
				betaPanel = beta
			}
			if m <= avxMC {
				// One block of A: no B panel is reused across blocks of
				// A, so pack each 16-column panel of B just before its
				// use, into a buffer that stays in L1, instead of writing
				// the whole B block out to L2 and reading it back.
				a.pack(m, kb, 0, pc, buf.a)
				for j0 := 0; j0 < nb; j0 += avxNR {
					cols := min(avxNR, nb-j0)
					packBOrPanelsAVX2(src, transB, kb, cols, b, ldb, pc, jc+j0, buf.b)
					macroKernelAVX2(m, cols, kb, alpha, buf.a, buf.b, betaPanel, c[jc+j0:], ldc)
				}
				continue
			}
			packBOrPanelsAVX2(src, transB, kb, nb, b, ldb, pc, jc, buf.b)
			for ic := 0; ic < m; ic += avxMC {
				mb := min(avxMC, m-ic)
				a.pack(mb, kb, ic, pc, buf.a)
				macroKernelAVX2(mb, nb, kb, alpha, buf.a, buf.b, betaPanel, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// packBOrPanelsAVX2 packs the kb x nb block of op(B) at (pc, jc) into dst
// as 16-column micro-panels: through src when it is set (dst sliced to the
// exact size Panels promises), from b otherwise.
func packBOrPanelsAVX2(src PanelSource, transB bool, kb, nb int, b []float32, ldb, pc, jc int, dst []float32) {
	if src != nil {
		src.Panels(dst[:(nb+avxNR-1)/avxNR*avxNR*kb], pc, kb, jc, nb, avxNR)
		return
	}
	packBAVX2(transB, kb, nb, b, ldb, pc, jc, dst)
}

// macroKernelAVX2 multiplies a packed mb x kb block of A by a packed kb x nb
// block of B into C (C = alpha*A*B + beta*C), one 6x16 tile at a time. For
// each micro-panel of B it sweeps all of A's micro-panels, so the B panel is
// read from L1 ceil(mb/6) times.
func macroKernelAVX2(mb, nb, kb int, alpha float32, pa, pb []float32, beta float32, c []float32, ldc int) {
	var edge [avxMR * avxNR]float32
	for j0 := 0; j0 < nb; j0 += avxNR {
		bPanel := pb[j0*kb : j0*kb+avxNR*kb]
		cols := min(avxNR, nb-j0)
		for i0 := 0; i0 < mb; i0 += avxMR {
			aPanel := pa[i0*kb : i0*kb+avxMR*kb]
			rows := min(avxMR, mb-i0)
			if (rows == avxMR || rows == 4) && cols == avxNR {
				// The tile lies inside C: rows i0..i0+rows-1 of C exist
				// (i0+rows <= mb <= m) and each has columns j0..j0+15
				// (j0+16 <= nb <= n <= ldc), which Sgemm checked.
				tileKernelAVX2(rows, kb, &aPanel[0], &bPanel[0], &c[i0*ldc+j0], ldc, alpha, beta)
				continue
			}
			// Edge tile: compute the whole tile into scratch, store
			// the part that exists.
			tileKernelAVX2(rows, kb, &aPanel[0], &bPanel[0], &edge[0], avxNR, alpha, 0)
			storeEdgeTile(&edge, rows, cols, beta, c[i0*ldc+j0:], ldc)
		}
	}
}

// storeEdgeTile stores rows x cols of a tile computed into edge (alpha
// applied, beta not) to C as edge + beta*C; beta 0 does not read C.
func storeEdgeTile(edge *[avxMR * avxNR]float32, rows, cols int, beta float32, c []float32, ldc int) {
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+cols]
		tile := edge[r*avxNR : r*avxNR+cols]
		if beta == 0 {
			copy(row, tile)
			continue
		}
		for q, v := range tile {
			row[q] = v + beta*row[q]
		}
	}
}

// tileKernelAVX2 runs the narrowest kernel that covers rows rows of the
// tile: kernel4x16AVX2 for up to four, kernel6x16AVX2 otherwise. (A branch,
// not a func value: an indirect call would make the scratch tile escape.)
func tileKernelAVX2(rows, k int, a, b, c *float32, ldc int, alpha, beta float32) {
	if rows <= 4 {
		kernel4x16AVX2(k, a, b, c, ldc, alpha, beta)
		return
	}
	kernel6x16AVX2(k, a, b, c, ldc, alpha, beta)
}
