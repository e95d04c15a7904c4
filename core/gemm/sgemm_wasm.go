//go:build js && wasm && !purego

package gemm

import "sync"

// sgemmSIMD drives the SIMD kernel module (simd_imports_wasm.go): it cuts
// the problem into k-blocks and column blocks, has B's panels packed, and
// hands each block to sgemm_block.

// Blocking: a k-block of kc rows of B is packed nc columns at a time into
// ceil(nc/8) contiguous k x 8 panels; the kernel sweeps every 4-row panel of
// A across them, so one 4 x kc strip of A (4 KB) stays in L1 while the packed
// block (kc*nc*4 bytes) streams from L2.
const (
	simdKC    = 256
	simdKCMax = 1024 // k up to this is one block (with fewer columns)
	simdNC    = 256
	simdPanel = 8 // columns per packed panel of B: the kernel's tile width
	simdTile  = 4 * simdPanel
)

// simdScratch is the heap memory the kernel reads packed operands from.
// It comes from a sync.Pool, so it is always heap allocated and goroutines
// never share one.
type simdScratch struct {
	packedB []float32 // ceil(simdNC/8) panels of simdKC x 8
	transA  []float32 // op(A) for one k-block when A is stored transposed
	codes   []int16   // B's code pairs for the integer kernel (qgemm_wasm.go)
	tile    [simdTile]float32
}

var simdScratchPool = sync.Pool{New: func() any {
	return &simdScratch{packedB: make([]float32, simdKC*simdNC)}
}}

// sgemmSIMD is the sgemm kernel under js/wasm when the host bound the SIMD
// module. Sizes were checked by Sgemm; m, n >= 1.
func sgemmSIMD(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 {
		// Nothing to multiply: C = beta*C, an O(m*n) pass that gains
		// nothing from SIMD. The pure-Go kernel defines its edge cases.
		pureGoSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m == 1 && (!transA || lda == 1) {
		// One row of A (contiguous): a matrix-vector product that reads B
		// once, instead of a 4-row tile that is three quarters waste and
		// a packed copy of B.
		callSimdGemv(transB, n, k, alpha, a, b, ldb, beta, c)
		return
	}
	sgemmSIMDB(transA, m, n, k, alpha, a, lda, &operandB{b: b, ldb: ldb, trans: transB}, beta, c, ldc)
}

// sgemmPanelsSIMD is SgemmPanels' kernel beside sgemmSIMD: the same
// blocking, with B's 8-column panels written by the PanelSource.
func sgemmPanelsSIMD(transA bool, m, n, k int, alpha float32, a []float32, lda int, src PanelSource, beta float32, c []float32, ldc int) {
	if k == 0 {
		pureGoSgemm(transA, false, m, n, k, alpha, a, lda, nil, n, beta, c, ldc)
		return
	}
	sgemmSIMDB(transA, m, n, k, alpha, a, lda, &operandB{src: src}, beta, c, ldc)
}

// sgemmShiftedASIMD is SgemmShiftedA's kernel: sgemmSIMDB with A read
// from the frame by sgemm_shifted_a instead of stored, so each element of
// C is the same sum in the same order (the same k-blocks, column blocks
// and packing of op(B)): the bits of Sgemm on the stored A (SgemmShiftedA
// checked the sizes and that A lies in its frame, and took m = 1 and
// k = 0 to Sgemm).
func sgemmShiftedASIMD(m, n, k int, alpha float32, a *Shifted, transB bool, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmSIMDOn(&operandA{shifted: a}, m, n, k, alpha, &operandB{b: b, ldb: ldb, trans: transB}, beta, c, ldc)
}

// operandA is the A sgemmSIMDOn multiplies: stored (a, lda; transposed
// into scratch block by block when trans), or a Shifted read in place.
type operandA struct {
	a       []float32
	lda     int
	trans   bool
	shifted *Shifted
}

// packSIMD packs the kb x nb block of op(B) at (pc, jc) into dst as the
// kernel's 8-column panels, from the stored matrix or the PanelSource.
func (o *operandB) packSIMD(dst []float32, pc, kb, jc, nb int) {
	switch {
	case o.src != nil:
		o.panels(dst, pc, kb, jc, nb, simdPanel)
	case o.trans:
		packPanelsTransposed(dst, o.b[jc*o.ldb+pc:], o.ldb, kb, nb)
	default:
		callSimdPackB(dst, o.b[pc*o.ldb+jc:], o.ldb, kb, nb)
	}
}

// sgemmSIMDB is the blocked driver of the entry points with a stored A;
// k >= 1.
func sgemmSIMDB(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *operandB, beta float32, c []float32, ldc int) {
	sgemmSIMDOn(&operandA{a: a, lda: lda, trans: transA}, m, n, k, alpha, b, beta, c, ldc)
}

// sgemmSIMDOn is the blocked driver of every entry point; k >= 1.
func sgemmSIMDOn(a *operandA, m, n, k int, alpha float32, b *operandB, beta float32, c []float32, ldc int) {
	s := simdScratchPool.Get().(*simdScratch)
	defer simdScratchPool.Put(s)

	// Up to simdKCMax, k is one block: every extra k-block is another pass
	// that reads and writes all of C (ResNet's k = 288 and 576 convs). The
	// packed block stays at simdKC*simdNC floats: fewer columns per block.
	kc, nc := simdKC, simdNC
	if k > simdKC && k <= simdKCMax {
		kc = k
		nc = max(simdPanel, simdKC*simdNC/k/simdPanel*simdPanel)
	}
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		blockBeta := beta
		if pc > 0 {
			blockBeta = 1 // later k-blocks accumulate onto the first
		}
		var aBlock []float32
		ldaBlock := a.lda
		switch {
		case a.shifted != nil: // read in place, block by block, by callSimdShiftedA
		case a.trans:
			s.transA = growFloat32(s.transA, m*kb)
			callSimdTranspose(s.transA, kb, a.a[pc*a.lda:], a.lda, kb, m)
			aBlock, ldaBlock = s.transA, kb
		default:
			aBlock = a.a[pc:]
		}
		for jc := 0; jc < n; jc += nc {
			nb := min(nc, n-jc)
			packed := s.packedB[:roundUp(nb, simdPanel)*kb]
			b.packSIMD(packed, pc, kb, jc, nb)
			if a.shifted != nil {
				callSimdShiftedA(a.shifted, pc, packed, c[jc:], ldc, m, nb, kb, alpha, blockBeta, s.tile[:])
			} else {
				callSimdKernel(aBlock, ldaBlock, packed, c[jc:], ldc, m, nb, kb, alpha, blockBeta, s.tile[:])
			}
		}
	}
}
