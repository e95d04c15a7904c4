;; GENERATED from kernel.wat by scripts/check-wat.sh --write: do not edit.
;; The relaxed-SIMD variant: f32x4.relaxed_madd in the inner loop.
;;
;; Go's wasm emits no SIMD, so the hot loop of every GEMM lives here. The
;; module owns no memory: it imports Go's own WebAssembly.Memory and reads
;; and writes Go's slices in place, so a call costs a JS trampoline hop and
;; nothing is copied. Exports: sgemm_block (the 4x8 register-tiled
;; multiply), sgemm_shifted_a (the same with A read from a framed
;; image), gemv (its m = 1 case), pack_b (B's k x 8 panels, packed
;; with vector copies), transpose (for the transposed layouts of op(A) and
;; op(B)), and five convolution kernels beside the GEMM: depthwise3x3
;; (MobileNet's depthwise convolution with its bias, residual and clamp),
;; clamp (Relu/ReLU6 on a GEMM's output), im2col (the unrolled windows a
;; convolution's GEMM multiplies), col2im (its adjoint, for stride-2 input
;; gradients) and bias_init (the bias and residual a
;; convolution's output starts from); maxpool (windows inside the image);
;; the training passes; fake_quant (a QDQ model's fused QuantizeLinear
;; -> DequantizeLinear); and act_grads (the gradient of QIL's activation
;; quantizer). The Go wrappers
;; (core/gemm/simd_imports_wasm.go, core/nn/simd_wasm.go) check every
;; length before calling, because this code can write anywhere in Go's
;; heap.
;;
;; kernel_relaxed.wat is generated from this file by scripts/check-wat.sh
;; --write: each multiply-add line of the inner loop becomes one
;; f32x4.relaxed_madd. Keep every such line in the exact one-line form
;; "(local.set $cRC (f32x4.add (local.get $cRC) (f32x4.mul (local.get $x) (local.get $bC))))"
;; so the generator finds it.
(module
  ;; Go's memory: no maximum and not shared, exactly as Go declares it, so
  ;; that the import links and follows memory.grow from Go.
  (import "env" "mem" (memory 1))

  ;; sgemm_block computes C = alpha*A*B + beta*C for one k-block.
  ;;
  ;;   a     byte address of A[0][0]; A is m x k, row stride lda floats
  ;;   b     byte address of packed B: ceil(n/8) panels, each k rows of 8
  ;;         contiguous floats (columns past n zero-padded by the packer)
  ;;   c     byte address of C[0][0]; C is m x n, row stride ldc floats
  ;;   m, n, k   sizes, all >= 1
  ;;   alphaBits, betaBits   the float32 bit patterns of alpha and beta
  ;;         (the import signature carries only addresses and integers)
  ;;   tile  byte address of 32 floats of scratch for partial edge tiles
  ;;
  ;; When beta is 0, C is written without being read. Rows of A past m are
  ;; never read: their row pointers are clamped to row i, and the results of
  ;; those lanes are discarded at the store.
  (func (export "sgemm_block")
    (param $a i32) (param $lda i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32)
    (param $alphaBits i32) (param $betaBits i32) (param $tile i32)
    (call $gemm (local.get $a) (local.get $lda) (i32.const 0) (local.get $k) (i32.const 0) (local.get $k)
      (local.get $b) (local.get $c) (local.get $ldc) (local.get $m) (local.get $n) (local.get $k)
      (local.get $alphaBits) (local.get $betaBits) (local.get $tile)))

  ;; sgemm_shifted_a is sgemm_block for an A whose rows are windows of one
  ;; array (Go's gemm.Shifted: a stride-1 convolution's col matrix over a
  ;; zero-framed image, the A of its weight gradient dW^T = col * dY^T), read
  ;; where it lies instead of from an unrolled col matrix 9x the image:
  ;;
  ;;   a      byte address of the block's first column in the frame
  ;;   offs   byte address of m int32 row offsets (floats from a)
  ;;   width  columns per output row; gapBytes what the frame adds between
  ;;          output rows (stride - width, in bytes)
  ;;   first  columns left in the block's first output row (1 .. width)
  ;;
  ;; Row r's column p is at a + 4*offs[r] + the columns before it, plus a
  ;; gap per output row crossed. The multiply-adds are sgemm_block's, in the
  ;; same order, so the bits are those of the same A stored.
  (func (export "sgemm_shifted_a")
    (param $a i32) (param $offs i32) (param $width i32) (param $gapBytes i32) (param $first i32)
    (param $b i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32)
    (param $alphaBits i32) (param $betaBits i32) (param $tile i32)
    (call $gemm (local.get $a) (i32.const 0) (local.get $offs) (local.get $width) (local.get $gapBytes) (local.get $first)
      (local.get $b) (local.get $c) (local.get $ldc) (local.get $m) (local.get $n) (local.get $k)
      (local.get $alphaBits) (local.get $betaBits) (local.get $tile)))

  ;; $gemm is both: A's rows at a + i*lda floats (offs 0), or at
  ;; a + offs[i] floats; each row's k columns in segments (the first of
  ;; first columns, then of segW), with gapBytes skipped after each. A
  ;; stored A is one segment of k.
  (func $gemm
    (param $a i32) (param $lda i32) (param $offs i32) (param $segW i32) (param $gapBytes i32) (param $first i32)
    (param $b i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32)
    (param $alphaBits i32) (param $betaBits i32) (param $tile i32)
    (local $left i32) (local $seg i32) (local $segEnd i32)
    (local $alpha v128) (local $beta f32) (local $betaV v128)
    (local $ldaBytes i32) (local $ldcBytes i32) (local $panelBytes i32)
    (local $i i32) (local $j i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $off i32) (local $bp i32) (local $bPanel i32) (local $cp i32)
    (local $rows i32) (local $cols i32) (local $r i32) (local $q i32)
    (local $dst i32) (local $v f32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)

    (local.set $alpha (f32x4.splat (f32.reinterpret_i32 (local.get $alphaBits))))
    (local.set $beta (f32.reinterpret_i32 (local.get $betaBits)))
    (local.set $betaV (f32x4.splat (local.get $beta)))
    (local.set $ldaBytes (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $ldcBytes (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $panelBytes (i32.shl (local.get $k) (i32.const 5)))

    (loop $rowPanels
      ;; Four row pointers into A; rows past m alias row i.
      (if (i32.eqz (local.get $offs))
        (then
          (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ldaBytes))))
          (local.set $a1 (select (i32.add (local.get $a0) (local.get $ldaBytes)) (local.get $a0)
            (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
          (local.set $a2 (select (i32.add (local.get $a1) (local.get $ldaBytes)) (local.get $a0)
            (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $m))))
          (local.set $a3 (select (i32.add (local.get $a2) (local.get $ldaBytes)) (local.get $a0)
            (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $m)))))
        (else
          (local.set $off (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $a0 (i32.add (local.get $a) (i32.shl (i32.load (local.get $off)) (i32.const 2))))
          (local.set $a1 (local.get $a0))
          (local.set $a2 (local.get $a0))
          (local.set $a3 (local.get $a0))
          (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))
            (then (local.set $a1 (i32.add (local.get $a) (i32.shl (i32.load offset=4 (local.get $off)) (i32.const 2))))))
          (if (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $m))
            (then (local.set $a2 (i32.add (local.get $a) (i32.shl (i32.load offset=8 (local.get $off)) (i32.const 2))))))
          (if (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $m))
            (then (local.set $a3 (i32.add (local.get $a) (i32.shl (i32.load offset=12 (local.get $off)) (i32.const 2))))))))
      (local.set $j (i32.const 0))
      (local.set $bPanel (local.get $b))

      (loop $colPanels
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $off (i32.const 0))
        (local.set $bp (local.get $bPanel))
        (local.set $left (local.get $k))
        (local.set $seg (select (local.get $first) (local.get $k) (i32.lt_u (local.get $first) (local.get $k))))

        ;; The 4x8 register tile: per step of k, two loads of B, four
        ;; broadcasts of A, eight multiply-adds.
        (loop $segments
        (local.set $segEnd (i32.add (local.get $off) (i32.shl (local.get $seg) (i32.const 2))))
        (loop $steps
          (local.set $b0 (v128.load (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $x (v128.load32_splat (i32.add (local.get $a0) (local.get $off))))
          (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
          (local.set $x (v128.load32_splat (i32.add (local.get $a1) (local.get $off))))
          (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
          (local.set $x (v128.load32_splat (i32.add (local.get $a2) (local.get $off))))
          (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
          (local.set $x (v128.load32_splat (i32.add (local.get $a3) (local.get $off))))
          (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (local.set $off (i32.add (local.get $off) (i32.const 4)))
          (br_if $steps (i32.lt_u (local.get $off) (local.get $segEnd))))
        (local.set $left (i32.sub (local.get $left) (local.get $seg)))
        (local.set $off (i32.add (local.get $off) (local.get $gapBytes)))
        (local.set $seg (select (local.get $segW) (local.get $left) (i32.lt_u (local.get $segW) (local.get $left))))
        (br_if $segments (i32.gt_s (local.get $left) (i32.const 0))))

        (local.set $c00 (f32x4.mul (local.get $c00) (local.get $alpha)))
        (local.set $c01 (f32x4.mul (local.get $c01) (local.get $alpha)))
        (local.set $c10 (f32x4.mul (local.get $c10) (local.get $alpha)))
        (local.set $c11 (f32x4.mul (local.get $c11) (local.get $alpha)))
        (local.set $c20 (f32x4.mul (local.get $c20) (local.get $alpha)))
        (local.set $c21 (f32x4.mul (local.get $c21) (local.get $alpha)))
        (local.set $c30 (f32x4.mul (local.get $c30) (local.get $alpha)))
        (local.set $c31 (f32x4.mul (local.get $c31) (local.get $alpha)))
        (local.set $cp (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $i) (local.get $ldcBytes)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $rows (i32.sub (local.get $m) (local.get $i)))
        (local.set $cols (i32.sub (local.get $n) (local.get $j)))

        (if (i32.and (i32.ge_s (local.get $rows) (i32.const 4)) (i32.ge_s (local.get $cols) (i32.const 8)))
          (then
            ;; A whole tile: vector stores straight into C.
            (if (f32.ne (local.get $beta) (f32.const 0))
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $betaV) (v128.load (local.get $cp)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $betaV) (v128.load offset=16 (local.get $cp)))))
                (local.set $dst (i32.add (local.get $cp) (local.get $ldcBytes)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $betaV) (v128.load (local.get $dst)))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $betaV) (v128.load offset=16 (local.get $dst)))))
                (local.set $dst (i32.add (local.get $dst) (local.get $ldcBytes)))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $betaV) (v128.load (local.get $dst)))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $betaV) (v128.load offset=16 (local.get $dst)))))
                (local.set $dst (i32.add (local.get $dst) (local.get $ldcBytes)))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $betaV) (v128.load (local.get $dst)))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $betaV) (v128.load offset=16 (local.get $dst)))))))
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c01))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c10))
            (v128.store offset=16 (local.get $cp) (local.get $c11))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c20))
            (v128.store offset=16 (local.get $cp) (local.get $c21))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c30))
            (v128.store offset=16 (local.get $cp) (local.get $c31)))
          (else
            ;; An edge tile: spill to the scratch tile, then copy only the
            ;; rows and columns that exist in C, one float at a time.
            (v128.store offset=0 (local.get $tile) (local.get $c00))
            (v128.store offset=16 (local.get $tile) (local.get $c01))
            (v128.store offset=32 (local.get $tile) (local.get $c10))
            (v128.store offset=48 (local.get $tile) (local.get $c11))
            (v128.store offset=64 (local.get $tile) (local.get $c20))
            (v128.store offset=80 (local.get $tile) (local.get $c21))
            (v128.store offset=96 (local.get $tile) (local.get $c30))
            (v128.store offset=112 (local.get $tile) (local.get $c31))
            (if (i32.gt_s (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
            (if (i32.gt_s (local.get $cols) (i32.const 8)) (then (local.set $cols (i32.const 8))))
            (local.set $r (i32.const 0))
            (loop $edgeRows
              (local.set $q (i32.const 0))
              (loop $edgeCols
                (local.set $dst (i32.add (local.get $cp)
                  (i32.add (i32.mul (local.get $r) (local.get $ldcBytes)) (i32.shl (local.get $q) (i32.const 2)))))
                (local.set $v (f32.load (i32.add (local.get $tile)
                  (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 3)) (local.get $q)) (i32.const 2)))))
                (if (f32.ne (local.get $beta) (f32.const 0))
                  (then (local.set $v (f32.add (local.get $v) (f32.mul (local.get $beta) (f32.load (local.get $dst)))))))
                (f32.store (local.get $dst) (local.get $v))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeCols (i32.lt_s (local.get $q) (local.get $cols))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRows (i32.lt_s (local.get $r) (local.get $rows))))))

        (local.set $bPanel (i32.add (local.get $bPanel) (local.get $panelBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br_if $colPanels (i32.lt_s (local.get $j) (local.get $n))))

      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $rowPanels (i32.lt_s (local.get $i) (local.get $m)))))

  ;; pack_b lays out the k x n block of a row-major B (row stride ldb floats)
  ;; as sgemm_block reads it: ceil(n/8) panels, each k rows of 8 contiguous
  ;; floats, columns past n zeroed. Go's scalar copy loop costs as much as
  ;; the multiply itself when m is small (early conv layers), so it is here.
  (func (export "pack_b")
    (param $dst i32) (param $b i32) (param $ldb i32) (param $k i32) (param $n i32)
    (local $ldbBytes i32) (local $panelBytes i32) (local $fullBytes i32) (local $rest i32)
    (local $p i32) (local $src i32) (local $col i32) (local $out i32) (local $q i32)
    (local.set $ldbBytes (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $panelBytes (i32.shl (local.get $k) (i32.const 5)))
    (local.set $fullBytes (i32.shl (i32.shr_u (local.get $n) (i32.const 3)) (i32.const 5)))
    (local.set $rest (i32.and (local.get $n) (i32.const 7)))
    (local.set $src (local.get $b))
    ;; Row by row of B, so the reads stream; each 32-byte piece goes to its
    ;; panel at row p.
    (loop $rows
      (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $p) (i32.const 5))))
      (local.set $col (i32.const 0))
      (block $fullDone
        (br_if $fullDone (i32.eqz (local.get $fullBytes)))
        (loop $full
          (v128.store (local.get $out) (v128.load (i32.add (local.get $src) (local.get $col))))
          (v128.store offset=16 (local.get $out) (v128.load offset=16 (i32.add (local.get $src) (local.get $col))))
          (local.set $out (i32.add (local.get $out) (local.get $panelBytes)))
          (local.set $col (i32.add (local.get $col) (i32.const 32)))
          (br_if $full (i32.lt_u (local.get $col) (local.get $fullBytes)))))
      (if (local.get $rest)
        (then
          (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
          (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))
          (local.set $q (i32.const 0))
          (loop $edge
            (f32.store (i32.add (local.get $out) (local.get $q))
              (f32.load (i32.add (local.get $src) (i32.add (local.get $col) (local.get $q)))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br_if $edge (i32.lt_u (local.get $q) (i32.shl (local.get $rest) (i32.const 2)))))))
      (local.set $src (i32.add (local.get $src) (local.get $ldbBytes)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $rows (i32.lt_s (local.get $p) (local.get $k)))))

  ;; transpose writes dst[j][i] = src[i][j] for i < rows, j < cols (row
  ;; strides lds and ldd floats). It serves the transposed layouts: op(A)
  ;; when A is stored transposed, and B's panels when B is. 4x4 blocks go
  ;; through registers (four loads, eight shuffles, four stores), so both
  ;; sides touch whole 16-byte runs instead of one float per cache line;
  ;; the ragged right and bottom edges are copied one float at a time.
  (func (export "transpose")
    (param $dst i32) (param $ldd i32) (param $src i32) (param $lds i32) (param $rows i32) (param $cols i32)
    (local $lddBytes i32) (local $ldsBytes i32) (local $rows4 i32) (local $cols4 i32)
    (local $i i32) (local $j i32) (local $from i32) (local $to i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128)
    (local.set $lddBytes (i32.shl (local.get $ldd) (i32.const 2)))
    (local.set $ldsBytes (i32.shl (local.get $lds) (i32.const 2)))
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (if (i32.and (i32.ne (local.get $rows4) (i32.const 0)) (i32.ne (local.get $cols4) (i32.const 0)))
      (then
        (loop $blockRows
          (local.set $j (i32.const 0))
          (loop $blockCols
            (local.set $from (i32.add (local.get $src)
              (i32.add (i32.mul (local.get $i) (local.get $ldsBytes)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $r0 (v128.load (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $ldsBytes)))
            (local.set $r1 (v128.load (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $ldsBytes)))
            (local.set $r2 (v128.load (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $ldsBytes)))
            (local.set $r3 (v128.load (local.get $from)))
            ;; Interleave rows 0,1 and rows 2,3, then take 64-bit halves:
            ;; lane j of the four rows lands in output row j.
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $r0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $r2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $to (i32.add (local.get $dst)
              (i32.add (i32.mul (local.get $j) (local.get $lddBytes)) (i32.shl (local.get $i) (i32.const 2)))))
            (v128.store (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
            (local.set $to (i32.add (local.get $to) (local.get $lddBytes)))
            (v128.store (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
            (local.set $to (i32.add (local.get $to) (local.get $lddBytes)))
            (v128.store (local.get $to)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r2)))
            (local.set $to (i32.add (local.get $to) (local.get $lddBytes)))
            (v128.store (local.get $to)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r0) (local.get $r2)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br_if $blockCols (i32.lt_u (local.get $j) (local.get $cols4))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $blockRows (i32.lt_u (local.get $i) (local.get $rows4))))))
    ;; Right edge: every row, columns cols4..cols. Bottom edge: rows
    ;; rows4..rows, columns 0..cols4.
    (call $transposeScalar (local.get $dst) (local.get $lddBytes) (local.get $src) (local.get $ldsBytes)
      (i32.const 0) (local.get $rows) (local.get $cols4) (local.get $cols))
    (call $transposeScalar (local.get $dst) (local.get $lddBytes) (local.get $src) (local.get $ldsBytes)
      (local.get $rows4) (local.get $rows) (i32.const 0) (local.get $cols4)))

  ;; transposeScalar copies dst[j][i] = src[i][j] for i0 <= i < i1 and
  ;; j0 <= j < j1 (strides in bytes); an empty range copies nothing.
  (func $transposeScalar
    (param $dst i32) (param $lddBytes i32) (param $src i32) (param $ldsBytes i32)
    (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32)
    (local $i i32) (local $j i32)
    (if (i32.or (i32.ge_u (local.get $i0) (local.get $i1)) (i32.ge_u (local.get $j0) (local.get $j1)))
      (then (return)))
    (local.set $i (local.get $i0))
    (loop $rows
      (local.set $j (local.get $j0))
      (loop $cols
        (f32.store
          (i32.add (local.get $dst)
            (i32.add (i32.mul (local.get $j) (local.get $lddBytes)) (i32.shl (local.get $i) (i32.const 2))))
          (f32.load
            (i32.add (local.get $src)
              (i32.add (i32.mul (local.get $i) (local.get $ldsBytes)) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $j) (local.get $j1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $i1)))))
  ;; depthwise3x3 adds a 3x3 depthwise convolution (one input channel per
  ;; output channel, dilation 1) onto y and clamps the result to [lo, hi]:
  ;;
  ;;   y[c][oh][ow] = clamp(y[c][oh][ow] + sum over kh, kw of
  ;;                  w[c][kh][kw] * x[c][oh*strideH-padT+kh][ow*strideW-padL+kw])
  ;;
  ;; with taps outside the image contributing nothing. y holds the bias (and
  ;; a residual) on entry, so Conv, bias, Add and Relu/ReLU6 are one pass;
  ;; lo = -Inf and hi = +Inf leave the sum unclamped.
  ;;
  ;;   y, x, w   byte addresses of channels planes of outH x outW outputs,
  ;;             channels planes of inH x inW inputs, and channels x 9 weights
  ;;   zeros     byte address of at least inW zero floats: the image row
  ;;             under kernel rows that fall in the top or bottom padding, so
  ;;             the row loop has no per-row branches
  ;;   strideW   1 or 2 (the vector paths); strideH is any positive value
  ;;   colLo, colHi   the outputs [colLo, colHi) of a row whose three taps
  ;;             all lie inside the image row; the caller guarantees it, and
  ;;             the vector loads read only there. Other outputs (next to
  ;;             the left and right padding, and a ragged end) go one at a
  ;;             time through $dwPoint, which checks each tap.
  ;;   loBits, hiBits   the float32 bit patterns of the clamp bounds
  ;;   channels, inH, inW, outH, outW   all >= 1
  ;;
  ;; Four outputs of a row at a time: per kernel row three vector loads (at
  ;; stride 1: the input shifted by 0, 1 and 2 floats; at stride 2: two
  ;; loads de-interleaved into the even and odd taps, and one more float for
  ;; the third tap) and three multiply-adds, into one partial sum per kernel
  ;; row so that the nine additions do not wait on each other.
  (func (export "depthwise3x3")
    (param $y i32) (param $x i32) (param $w i32) (param $zeros i32)
    (param $channels i32) (param $inH i32) (param $inW i32) (param $outH i32) (param $outW i32)
    (param $strideH i32) (param $strideW i32) (param $padT i32) (param $padL i32)
    (param $colLo i32) (param $colHi i32) (param $loBits i32) (param $hiBits i32)
    (local $lo f32) (local $hi f32) (local $loV v128) (local $hiV v128)
    (local $inWBytes i32) (local $inPlaneBytes i32) (local $ch i32) (local $oh i32) (local $ow i32)
    (local $ih i32) (local $a i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $yp i32) (local $p i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (local $w5 v128) (local $w6 v128) (local $w7 v128) (local $w8 v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128)
    (local $v0 v128) (local $v1 v128) (local $t0 v128)
    (local.set $lo (f32.reinterpret_i32 (local.get $loBits)))
    (local.set $hi (f32.reinterpret_i32 (local.get $hiBits)))
    (local.set $loV (f32x4.splat (local.get $lo)))
    (local.set $hiV (f32x4.splat (local.get $hi)))
    (local.set $inWBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $inPlaneBytes (i32.mul (local.get $inWBytes) (local.get $inH)))
    (local.set $yp (local.get $y))
    (loop $channel
      (local.set $w0 (v128.load32_splat offset=0 (local.get $w)))
      (local.set $w1 (v128.load32_splat offset=4 (local.get $w)))
      (local.set $w2 (v128.load32_splat offset=8 (local.get $w)))
      (local.set $w3 (v128.load32_splat offset=12 (local.get $w)))
      (local.set $w4 (v128.load32_splat offset=16 (local.get $w)))
      (local.set $w5 (v128.load32_splat offset=20 (local.get $w)))
      (local.set $w6 (v128.load32_splat offset=24 (local.get $w)))
      (local.set $w7 (v128.load32_splat offset=28 (local.get $w)))
      (local.set $w8 (v128.load32_splat offset=32 (local.get $w)))
      (local.set $oh (i32.const 0))
      (loop $row
        ;; The three image rows under the kernel; a row in the padding reads
        ;; the zero row (the unsigned compare also rejects negative rows).
        (local.set $ih (i32.sub (i32.mul (local.get $oh) (local.get $strideH)) (local.get $padT)))
        (local.set $r0 (select (i32.add (local.get $x) (i32.mul (local.get $ih) (local.get $inWBytes)))
          (local.get $zeros) (i32.lt_u (local.get $ih) (local.get $inH))))
        (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
        (local.set $r1 (select (i32.add (local.get $x) (i32.mul (local.get $ih) (local.get $inWBytes)))
          (local.get $zeros) (i32.lt_u (local.get $ih) (local.get $inH))))
        (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
        (local.set $r2 (select (i32.add (local.get $x) (i32.mul (local.get $ih) (local.get $inWBytes)))
          (local.get $zeros) (i32.lt_u (local.get $ih) (local.get $inH))))

        ;; Left of the interior: one output at a time.
        (local.set $ow (i32.const 0))
        (block $leftDone
          (loop $left
            (br_if $leftDone (i32.ge_s (local.get $ow) (local.get $colLo)))
            (call $dwPoint (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))
              (local.get $r0) (local.get $r1) (local.get $r2) (local.get $w)
              (i32.sub (i32.mul (local.get $ow) (local.get $strideW)) (local.get $padL))
              (local.get $inW) (local.get $lo) (local.get $hi))
            (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
            (br $left)))

        ;; The interior, four outputs at a time; $p is the byte offset of
        ;; the first tap of output $ow in an image row.
        (if (i32.eq (local.get $strideW) (i32.const 1))
          (then
            (block $unitDone
              (loop $unit
                ;; stride 1: the row shifted by 0, 1 and 2 floats
                (br_if $unitDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $colHi)))
                (local.set $p (i32.shl (i32.sub (local.get $ow) (local.get $padL)) (i32.const 2)))
                (local.set $acc0 (v128.load (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))))
                (local.set $a (i32.add (local.get $r0) (local.get $p)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w0) (v128.load (local.get $a)))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w1) (v128.load offset=4 (local.get $a)))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w2) (v128.load offset=8 (local.get $a)))))
                (local.set $a (i32.add (local.get $r1) (local.get $p)))
                (local.set $acc1 (f32x4.mul (local.get $w3) (v128.load (local.get $a))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $w4) (v128.load offset=4 (local.get $a)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $w5) (v128.load offset=8 (local.get $a)))))
                (local.set $a (i32.add (local.get $r2) (local.get $p)))
                (local.set $acc2 (f32x4.mul (local.get $w6) (v128.load (local.get $a))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w7) (v128.load offset=4 (local.get $a)))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w8) (v128.load offset=8 (local.get $a)))))
                (v128.store (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))
                  (f32x4.min (f32x4.max (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (local.get $acc2))
                    (local.get $loV)) (local.get $hiV)))
                (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                (br $unit))))
        (else
            (block $stridedDone
              (loop $strided
                ;; stride 2: x[j..j+7] split into even (tap 0) and odd (tap 1) floats; tap 2 is tap 0 moved by one plus x[j+8]
                (br_if $stridedDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $colHi)))
                (local.set $p (i32.shl (i32.sub (i32.shl (local.get $ow) (i32.const 1)) (local.get $padL)) (i32.const 2)))
                (local.set $acc0 (v128.load (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))))
                (local.set $a (i32.add (local.get $r0) (local.get $p)))
                (local.set $v0 (v128.load (local.get $a)))
                (local.set $v1 (v128.load offset=16 (local.get $a)))
                (local.set $t0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w0) (local.get $t0))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w1) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w2) (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $t0) (v128.load32_splat offset=32 (local.get $a))))))
                (local.set $a (i32.add (local.get $r1) (local.get $p)))
                (local.set $v0 (v128.load (local.get $a)))
                (local.set $v1 (v128.load offset=16 (local.get $a)))
                (local.set $t0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
                (local.set $acc1 (f32x4.mul (local.get $w3) (local.get $t0)))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $w4) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $w5) (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $t0) (v128.load32_splat offset=32 (local.get $a))))))
                (local.set $a (i32.add (local.get $r2) (local.get $p)))
                (local.set $v0 (v128.load (local.get $a)))
                (local.set $v1 (v128.load offset=16 (local.get $a)))
                (local.set $t0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
                (local.set $acc2 (f32x4.mul (local.get $w6) (local.get $t0)))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w7) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $w8) (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $t0) (v128.load32_splat offset=32 (local.get $a))))))
                (v128.store (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))
                  (f32x4.min (f32x4.max (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (local.get $acc2))
                    (local.get $loV)) (local.get $hiV)))
                (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                (br $strided)))))

        ;; Right of the interior (and what is left of it): one at a time.
        (block $rightDone
          (loop $right
            (br_if $rightDone (i32.ge_s (local.get $ow) (local.get $outW)))
            (call $dwPoint (i32.add (local.get $yp) (i32.shl (local.get $ow) (i32.const 2)))
              (local.get $r0) (local.get $r1) (local.get $r2) (local.get $w)
              (i32.sub (i32.mul (local.get $ow) (local.get $strideW)) (local.get $padL))
              (local.get $inW) (local.get $lo) (local.get $hi))
            (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
            (br $right)))

        (local.set $yp (i32.add (local.get $yp) (i32.shl (local.get $outW) (i32.const 2))))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br_if $row (i32.lt_s (local.get $oh) (local.get $outH))))
      (local.set $x (i32.add (local.get $x) (local.get $inPlaneBytes)))
      (local.set $w (i32.add (local.get $w) (i32.const 36)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $ch) (local.get $channels)))))


  ;; $dwPoint finishes one output of depthwise3x3 tap by tap, skipping the
  ;; taps whose column ix0, ix0+1 or ix0+2 lies outside [0, inW): y at yp
  ;; plus the taps of the image rows r0, r1, r2 under weights w[0..8],
  ;; clamped to [lo, hi].
  (func $dwPoint
    (param $yp i32) (param $r0 i32) (param $r1 i32) (param $r2 i32) (param $w i32)
    (param $ix0 i32) (param $inW i32) (param $lo f32) (param $hi f32)
    (local $acc f32) (local $t i32) (local $ix i32) (local $off i32) (local $wt i32)
    (local.set $acc (f32.load (local.get $yp)))
    (loop $taps
      (local.set $ix (i32.add (local.get $ix0) (local.get $t)))
      (if (i32.lt_u (local.get $ix) (local.get $inW))
        (then
          (local.set $off (i32.shl (local.get $ix) (i32.const 2)))
          (local.set $wt (i32.add (local.get $w) (i32.shl (local.get $t) (i32.const 2))))
          (local.set $acc (f32.add (local.get $acc)
            (f32.mul (f32.load offset=0 (local.get $wt)) (f32.load (i32.add (local.get $r0) (local.get $off))))))
          (local.set $acc (f32.add (local.get $acc)
            (f32.mul (f32.load offset=12 (local.get $wt)) (f32.load (i32.add (local.get $r1) (local.get $off))))))
          (local.set $acc (f32.add (local.get $acc)
            (f32.mul (f32.load offset=24 (local.get $wt)) (f32.load (i32.add (local.get $r2) (local.get $off))))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $taps (i32.lt_u (local.get $t) (i32.const 3))))
    (f32.store (local.get $yp) (f32.min (f32.max (local.get $acc) (local.get $lo)) (local.get $hi))))

  ;; clamp limits the n floats at p to [lo, hi] (float32 bit patterns), four
  ;; at a time: the Relu or ReLU6 after a fused Conv's GEMM, which Go's
  ;; scalar code made as slow as the GEMM itself. max(-0, +0) is +0, so Relu
  ;; leaves no negative zeros; NaNs stay NaN.
  (func (export "clamp") (param $p i32) (param $n i32) (param $loBits i32) (param $hiBits i32)
    (local $lo f32) (local $hi f32) (local $loV v128) (local $hiV v128) (local $vecEnd i32) (local $end i32)
    (local.set $lo (f32.reinterpret_i32 (local.get $loBits)))
    (local.set $hi (f32.reinterpret_i32 (local.get $hiBits)))
    (local.set $loV (f32x4.splat (local.get $lo)))
    (local.set $hiV (f32x4.splat (local.get $hi)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (v128.store (local.get $p)
          (f32x4.min (f32x4.max (v128.load (local.get $p)) (local.get $loV)) (local.get $hiV)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p)
          (f32.min (f32.max (f32.load (local.get $p)) (local.get $lo)) (local.get $hi)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail))))


  ;; im2col unrolls the windows of a 2-D image into the columns of a GEMM
  ;; operand, exactly like core/nn's im2col2D: row (c*kH+kh)*kW+kw of col
  ;; holds, for every output (oh, ow) in row-major order, the image value
  ;; img[c][oh*strideH-padT+kh*dilH][ow*strideW-padL+kw*dilW], or 0 where
  ;; that falls in the padding.
  ;;
  ;;   col, img  byte addresses: channels*kH*kW rows of outH*outW floats,
  ;;             channels planes of inH x inW floats
  ;;   all sizes >= 1, padL >= 0; padT may be negative (a block of output
  ;;   rows starting below the first: the row index is compared unsigned,
  ;;   so any row outside [0, inH) is padding)
  ;;
  ;; col is written in full and only there; img is read only at in-image
  ;; positions. Go's scalar loops (a bounds check per float) made this a
  ;; fifth of ResNet-8; here a stride-1 row segment is vector copies, a
  ;; stride-2 one two loads and a de-interleave per four outputs.
  (func $im2col (export "im2col")
    (param $col i32) (param $img i32) (param $channels i32) (param $inH i32) (param $inW i32)
    (param $outH i32) (param $outW i32) (param $kH i32) (param $kW i32)
    (param $strideH i32) (param $strideW i32) (param $padT i32) (param $padL i32)
    (param $dilH i32) (param $dilW i32)
    (local $inWBytes i32) (local $inPlaneBytes i32) (local $outWBytes i32)
    (local $c i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $off i32) (local $lo i32) (local $hi i32) (local $ih i32) (local $src i32) (local $seg i32)
    (local $vecHi i32) (local $j i32)
    (local.set $inWBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $inPlaneBytes (i32.mul (local.get $inWBytes) (local.get $inH)))
    (local.set $outWBytes (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $seg (local.get $col))
    (loop $channel
      (local.set $kh (i32.const 0))
      (loop $kernelRow
        (local.set $kw (i32.const 0))
        (loop $kernelCol
          ;; Outputs [lo, hi) of a row read image columns ow*strideW+off
          ;; inside [0, inW).
          (local.set $off (i32.sub (i32.mul (local.get $kw) (local.get $dilW)) (local.get $padL)))
          (local.set $lo (i32.const 0))
          (if (i32.lt_s (local.get $off) (i32.const 0))
            (then (local.set $lo (i32.div_u (i32.add (i32.sub (i32.const 0) (local.get $off))
              (i32.sub (local.get $strideW) (i32.const 1))) (local.get $strideW)))))
          (local.set $hi (i32.const 0))
          (if (i32.gt_s (i32.sub (local.get $inW) (local.get $off)) (i32.const 0))
            (then (local.set $hi (i32.add (i32.div_u (i32.sub (i32.sub (local.get $inW) (i32.const 1)) (local.get $off))
              (local.get $strideW)) (i32.const 1)))))
          (if (i32.gt_s (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))
          (if (i32.gt_s (local.get $lo) (local.get $hi)) (then (local.set $lo (local.get $hi))))
          ;; At stride 2 a vector step of four outputs from ow loads image
          ;; columns j .. j+7 (j = 2*ow+off): it may start only while
          ;; j+7 < inW, i.e. ow < vecHi.
          (local.set $vecHi (i32.const 0))
          (if (i32.gt_s (i32.sub (i32.sub (local.get $inW) (i32.const 7)) (local.get $off)) (i32.const 0))
            (then (local.set $vecHi (i32.add (i32.div_u (i32.sub (i32.sub (local.get $inW) (i32.const 8)) (local.get $off))
              (i32.const 2)) (i32.const 1)))))
          (local.set $oh (i32.const 0))
          (loop $outRow
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $strideH)) (local.get $padT))
              (i32.mul (local.get $kh) (local.get $dilH))))
            (if (i32.or (i32.ge_u (local.get $ih) (local.get $inH)) (i32.ge_s (local.get $lo) (local.get $hi)))
              (then (call $zeroFloats (local.get $seg) (i32.const 0) (local.get $outW)))
              (else
                (local.set $src (i32.add (i32.add (local.get $img) (i32.mul (local.get $ih) (local.get $inWBytes)))
                  (i32.shl (local.get $off) (i32.const 2))))
                (if (local.get $lo) (then (call $zeroFloats (local.get $seg) (i32.const 0) (local.get $lo))))
                (local.set $ow (local.get $lo))
                (if (i32.eq (local.get $strideW) (i32.const 1))
                  (then
                    ;; $src + 4*ow is the image column of output ow.
                    (block $copyDone
                      (loop $copy
                        (br_if $copyDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                        (v128.store (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2)))
                          (v128.load (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2)))))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                        (br $copy))))
                  (else
                    (if (i32.eq (local.get $strideW) (i32.const 2))
                      (then
                        (block $pairsDone
                          (loop $pairs
                            (br_if $pairsDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                            (br_if $pairsDone (i32.ge_s (local.get $ow) (local.get $vecHi)))
                            (local.set $j (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 3))))
                            (v128.store (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2)))
                              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                                (v128.load (local.get $j)) (v128.load offset=16 (local.get $j))))
                            (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                            (br $pairs)))))))
                ;; What the vector loops left, one at a time at any stride.
                (block $restDone
                  (loop $rest
                    (br_if $restDone (i32.ge_s (local.get $ow) (local.get $hi)))
                    (f32.store (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2)))
                      (f32.load (i32.add (local.get $src)
                        (i32.shl (i32.mul (local.get $ow) (local.get $strideW)) (i32.const 2)))))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $rest)))
                (if (i32.lt_s (local.get $hi) (local.get $outW))
                  (then (call $zeroFloats (local.get $seg) (local.get $hi) (local.get $outW))))))
            (local.set $seg (i32.add (local.get $seg) (local.get $outWBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br_if $outRow (i32.lt_s (local.get $oh) (local.get $outH))))
          (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
          (br_if $kernelCol (i32.lt_s (local.get $kw) (local.get $kW))))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
        (br_if $kernelRow (i32.lt_s (local.get $kh) (local.get $kH))))
      (local.set $img (i32.add (local.get $img) (local.get $inPlaneBytes)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $c) (local.get $channels)))))

  ;; col2im is im2col's adjoint, exactly like core/nn's Col2Im on a 2-D
  ;; window: it adds every in-image entry of col (the layout im2col writes)
  ;; into the image position im2col read it from, and drops the padding
  ;; entries. The image is accumulated into, not cleared. Each image value
  ;; receives its additions in Col2Im's order (channel, kh, kw, oh, then
  ;; ow), one f32.add each, so the sums keep Go's bits. In Go the closure
  ;; call per row and a bounds check per float made the stride-2 input
  ;; gradients of ResNet's downsampling convolutions 2-3 % of a training
  ;; step.
  ;;
  ;;   img, col  byte addresses: channels planes of inH x inW floats,
  ;;             channels*kH*kW rows of outH*outW floats
  ;;   all sizes >= 1, padT and padL >= 0
  ;;
  ;; img is read and written only at in-image positions that some col
  ;; entry maps to, and col only inside its rows. At stride 1 four outputs
  ;; are one vector add; at stride 2 the four image values of four outputs
  ;; (columns j, j+2, j+4, j+6) are gathered from two loads, added to, and
  ;; put back between the odd columns, which are stored unchanged (a blend,
  ;; not an added zero: -0 + 0 would turn into +0). A stride-2 step may
  ;; start only while j+7 < inW, so that its loads and stores stay inside
  ;; the image row.
  (func (export "col2im")
    (param $img i32) (param $col i32) (param $channels i32) (param $inH i32) (param $inW i32)
    (param $outH i32) (param $outW i32) (param $kH i32) (param $kW i32)
    (param $strideH i32) (param $strideW i32) (param $padT i32) (param $padL i32)
    (param $dilH i32) (param $dilW i32)
    (local $inWBytes i32) (local $inPlaneBytes i32) (local $outWBytes i32)
    (local $c i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $off i32) (local $lo i32) (local $hi i32) (local $ih i32) (local $dst i32) (local $seg i32)
    (local $vecHi i32) (local $j i32) (local $s i32) (local $d0 v128) (local $d1 v128) (local $sum v128)
    (local.set $inWBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $inPlaneBytes (i32.mul (local.get $inWBytes) (local.get $inH)))
    (local.set $outWBytes (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $seg (local.get $col))
    (loop $channel
      (local.set $kh (i32.const 0))
      (loop $kernelRow
        (local.set $kw (i32.const 0))
        (loop $kernelCol
          ;; Outputs [lo, hi) of a row map to image columns ow*strideW+off
          ;; inside [0, inW) (core/nn's outputSpan).
          (local.set $off (i32.sub (i32.mul (local.get $kw) (local.get $dilW)) (local.get $padL)))
          (local.set $lo (i32.const 0))
          (if (i32.lt_s (local.get $off) (i32.const 0))
            (then (local.set $lo (i32.div_u (i32.add (i32.sub (i32.const 0) (local.get $off))
              (i32.sub (local.get $strideW) (i32.const 1))) (local.get $strideW)))))
          (local.set $hi (i32.const 0))
          (if (i32.gt_s (i32.sub (local.get $inW) (local.get $off)) (i32.const 0))
            (then (local.set $hi (i32.add (i32.div_u (i32.sub (i32.sub (local.get $inW) (i32.const 1)) (local.get $off))
              (local.get $strideW)) (i32.const 1)))))
          (if (i32.gt_s (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))
          (if (i32.gt_s (local.get $lo) (local.get $hi)) (then (local.set $lo (local.get $hi))))
          (local.set $vecHi (i32.const 0))
          (if (i32.gt_s (i32.sub (i32.sub (local.get $inW) (i32.const 7)) (local.get $off)) (i32.const 0))
            (then (local.set $vecHi (i32.add (i32.div_u (i32.sub (i32.sub (local.get $inW) (i32.const 8)) (local.get $off))
              (i32.const 2)) (i32.const 1)))))
          (local.set $oh (i32.const 0))
          (loop $outRow
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $strideH)) (local.get $padT))
              (i32.mul (local.get $kh) (local.get $dilH))))
            (if (i32.and (i32.lt_u (local.get $ih) (local.get $inH)) (i32.lt_s (local.get $lo) (local.get $hi)))
              (then
                ;; $dst + 4*ow*strideW is the image column of output ow.
                (local.set $dst (i32.add (i32.add (local.get $img) (i32.mul (local.get $ih) (local.get $inWBytes)))
                  (i32.shl (local.get $off) (i32.const 2))))
                (local.set $ow (local.get $lo))
                (if (i32.eq (local.get $strideW) (i32.const 1))
                  (then
                    (block $addDone
                      (loop $add
                        (br_if $addDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                        (local.set $j (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 2))))
                        (v128.store (local.get $j)
                          (f32x4.add (v128.load (local.get $j))
                            (v128.load (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2))))))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                        (br $add))))
                  (else
                    (if (i32.eq (local.get $strideW) (i32.const 2))
                      (then
                        (block $pairsDone
                          (loop $pairs
                            (br_if $pairsDone (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                            (br_if $pairsDone (i32.ge_s (local.get $ow) (local.get $vecHi)))
                            (local.set $j (i32.add (local.get $dst) (i32.shl (local.get $ow) (i32.const 3))))
                            (local.set $d0 (v128.load (local.get $j)))
                            (local.set $d1 (v128.load offset=16 (local.get $j)))
                            (local.set $sum (f32x4.add
                              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $d0) (local.get $d1))
                              (v128.load (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2))))))
                            (v128.store (local.get $j)
                              (i8x16.shuffle 0 1 2 3 20 21 22 23 4 5 6 7 28 29 30 31 (local.get $sum) (local.get $d0)))
                            (v128.store offset=16 (local.get $j)
                              (i8x16.shuffle 8 9 10 11 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $sum) (local.get $d1)))
                            (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                            (br $pairs)))))))
                ;; What the vector loops left, one at a time at any stride.
                (block $restDone
                  (loop $rest
                    (br_if $restDone (i32.ge_s (local.get $ow) (local.get $hi)))
                    (local.set $j (i32.add (local.get $dst)
                      (i32.shl (i32.mul (local.get $ow) (local.get $strideW)) (i32.const 2))))
                    (f32.store (local.get $j)
                      (f32.add (f32.load (local.get $j))
                        (f32.load (i32.add (local.get $seg) (i32.shl (local.get $ow) (i32.const 2))))))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $rest)))))
            (local.set $seg (i32.add (local.get $seg) (local.get $outWBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br_if $outRow (i32.lt_s (local.get $oh) (local.get $outH))))
          (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
          (br_if $kernelCol (i32.lt_s (local.get $kw) (local.get $kW))))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
        (br_if $kernelRow (i32.lt_s (local.get $kh) (local.get $kH))))
      (local.set $img (i32.add (local.get $img) (local.get $inPlaneBytes)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $c) (local.get $channels)))))

  ;; im2col_panels writes a block of a 2-D convolution's col matrix (the
  ;; rows im2col would unroll) straight into sgemm_block's packed panels:
  ;; rows [p0, p0+kb) and columns (output positions) [j0, j0+nb) as
  ;; ceil(nb/8) panels of kb x 8 floats, zero past column j0+nb. im2col
  ;; then pack_b wrote the whole col matrix (9x the image for a 3x3 kernel)
  ;; and read it back; here each 8 outputs of a row are two vector loads
  ;; from the image into a panel that the GEMM reads next, from cache.
  ;;
  ;;   dst    the panels
  ;;   img    the image of this call (channels x inH x inW floats);
  ;;          imgBytes its length in bytes: loads stay inside it
  ;;   rows   kb row descriptors of 20 bytes (core/nn's colRow): the
  ;;          row's channel plane offset in floats, and dh, dw: the image
  ;;          row and column of output (0, 0) under this kernel tap
  ;;          (kh*dilH - padT, kw*dilW - padL); the last two fields are
  ;;          not read here
  ;;
  ;; Eight outputs that lie in one output row are one vector step at
  ;; stride 1 (two loads) and 2 (four loads, the even columns kept); lanes
  ;; whose image column falls outside the row are zeroed with a mask, and
  ;; a whole step in the vertical padding stores zeros. At stride 1 with
  ;; output rows as wide as the image's, steps that cross an output row
  ;; are vector steps too (the wrapped columns zeroed afterwards). Other
  ;; steps that cross a row, the last partial one, other strides and
  ;; loads that would leave the image go one output at a time.
  (func (export "im2col_panels")
    (param $dst i32) (param $img i32) (param $imgBytes i32) (param $rows i32) (param $kb i32)
    (param $j0 i32) (param $nb i32) (param $inH i32) (param $inW i32) (param $outW i32)
    (param $strideH i32) (param $strideW i32)
    (local $imgEnd i32) (local $panelBytes i32) (local $inWBytes i32) (local $oh0 i32) (local $ow0 i32)
    (local $pr i32) (local $plane i32) (local $dh i32) (local $dw i32)
    (local $oh i32) (local $ow i32) (local $done i32) (local $out i32)
    (local $ih i32) (local $iw i32) (local $src i32) (local $q i32) (local $ohq i32) (local $owq i32)
    (local $v f32) (local $inWV v128) (local $iwV v128)
    (local $shifted i32) (local $p i32) (local $lo i32) (local $hi i32) (local $end i32) (local $maskOw i32)
    (local $wrapping i32) (local $out0 i32) (local $rowStart i32) (local $lim i32)
    (local $c i32) (local $cLo i32) (local $cHi i32) (local $v0 v128) (local $v1 v128)
    (local $posV v128) (local $loV v128) (local $limV v128)
    (local.set $imgEnd (i32.add (local.get $img) (local.get $imgBytes)))
    ;; Stride 1 with output rows as wide as the image's ("same" padding,
    ;; ResNet's 3x3 convolutions) and whole rows of eight: output position
    ;; j of a col row reads image position j + dh*inW + dw, so the source
    ;; of each step is the previous one plus eight floats.
    (local.set $shifted (i32.and
      (i32.and (i32.eq (i32.or (local.get $strideH) (local.get $strideW)) (i32.const 1))
               (i32.eq (local.get $outW) (local.get $inW)))
      (i32.eqz (i32.and (i32.or (i32.or (local.get $outW) (local.get $j0)) (local.get $nb)) (i32.const 7)))))
    ;; The same shift when output rows are not a whole number of steps
    ;; (mnist's 28 and 14): a step then crosses from one output row into
    ;; the next, so the image is copied shifted without masks and the
    ;; columns that wrapped in from the neighbouring row are zeroed after.
    (local.set $wrapping (i32.and (i32.eqz (local.get $shifted))
      (i32.and (i32.eq (i32.or (local.get $strideH) (local.get $strideW)) (i32.const 1))
        (i32.and (i32.eq (local.get $outW) (local.get $inW)) (i32.ge_u (local.get $outW) (i32.const 8))))))
    (local.set $end (i32.add (local.get $j0) (local.get $nb)))
    (local.set $panelBytes (i32.shl (local.get $kb) (i32.const 5)))
    (local.set $inWBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $inWV (i32x4.splat (local.get $inW)))
    (local.set $oh0 (i32.div_u (local.get $j0) (local.get $outW)))
    (local.set $ow0 (i32.rem_u (local.get $j0) (local.get $outW)))
    (loop $row
      (local.set $plane (i32.add (local.get $img) (i32.shl (i32.load (local.get $rows)) (i32.const 2))))
      (local.set $dh (i32.load offset=4 (local.get $rows)))
      (local.set $dw (i32.load offset=8 (local.get $rows)))
      (local.set $oh (local.get $oh0))
      (local.set $ow (local.get $ow0))
      (local.set $done (i32.const 0))
      (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $pr) (i32.const 5))))
      ;; (A tap more than eight columns off would leave more than one
      ;; step per row at the edge: those rows take the general path.)
      (if (i32.and (local.get $shifted) (i32.le_u (i32.add (local.get $dw) (i32.const 8)) (i32.const 16)))
        (then
          ;; Positions [lo, hi) lie in image rows 0 .. inH-1; the steps
          ;; at output column maskOw have lanes off the row's edge.
          (local.set $lo (i32.mul (select (i32.sub (i32.const 0) (local.get $dh)) (i32.const 0)
            (i32.lt_s (local.get $dh) (i32.const 0))) (local.get $outW)))
          (local.set $hi (i32.sub (local.get $inH) (local.get $dh)))
          (local.set $hi (i32.mul (select (local.get $hi) (i32.const 0) (i32.gt_s (local.get $hi) (i32.const 0))) (local.get $outW)))
          (local.set $maskOw (select (i32.const 0)
            (select (i32.sub (local.get $outW) (i32.const 8)) (i32.const -1) (i32.gt_s (local.get $dw) (i32.const 0)))
            (i32.lt_s (local.get $dw) (i32.const 0))))
          (local.set $src (i32.add (local.get $plane)
            (i32.shl (i32.add (local.get $j0) (i32.add (i32.mul (local.get $dh) (local.get $inW)) (local.get $dw))) (i32.const 2))))
          (local.set $p (local.get $j0))
          (loop $fast
            (block $fastStored
              (if (i32.or (i32.lt_s (local.get $p) (local.get $lo)) (i32.ge_s (local.get $p) (local.get $hi)))
                (then
                  (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
                  (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))
                  (br $fastStored)))
              (if (i32.ne (local.get $ow) (local.get $maskOw))
                (then
                  (v128.store (local.get $out) (v128.load (local.get $src)))
                  (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $src)))
                  (br $fastStored)))
              (local.set $iwV (i32x4.add (i32x4.splat (i32.add (local.get $ow) (local.get $dw))) (v128.const i32x4 0 1 2 3)))
              (if (i32.and (i32.ge_u (local.get $src) (local.get $img))
                           (i32.le_u (i32.add (local.get $src) (i32.const 32)) (local.get $imgEnd)))
                (then
                  (v128.store (local.get $out)
                    (v128.and (v128.load (local.get $src)) (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
                  (local.set $iwV (i32x4.add (local.get $iwV) (v128.const i32x4 4 4 4 4)))
                  (v128.store offset=16 (local.get $out)
                    (v128.and (v128.load offset=16 (local.get $src)) (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
                  (br $fastStored)))
              ;; The image's first or last row: the lanes inside it one at a time.
              (local.set $q (i32.const 0))
              (loop $edgeLane
                (local.set $v (f32.const 0))
                (if (i32.lt_u (i32.add (i32.add (local.get $ow) (local.get $dw)) (local.get $q)) (local.get $inW))
                  (then (local.set $v (f32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))))))
                (f32.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 2))) (local.get $v))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeLane (i32.lt_u (local.get $q) (i32.const 8)))))
            (local.set $src (i32.add (local.get $src) (i32.const 32)))
            (local.set $ow (i32.add (local.get $ow) (i32.const 8)))
            (if (i32.eq (local.get $ow) (local.get $outW)) (then (local.set $ow (i32.const 0))))
            (local.set $out (i32.add (local.get $out) (local.get $panelBytes)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $fast (i32.lt_s (local.get $p) (local.get $end))))
          (local.set $done (local.get $nb))))
      (if (local.get $wrapping)
        (then
          ;; Positions [lo, hi) lie in image rows 0 .. inH-1, as above.
          (local.set $lo (i32.mul (select (i32.sub (i32.const 0) (local.get $dh)) (i32.const 0)
            (i32.lt_s (local.get $dh) (i32.const 0))) (local.get $outW)))
          (local.set $hi (i32.sub (local.get $inH) (local.get $dh)))
          (local.set $hi (i32.mul (select (local.get $hi) (i32.const 0) (i32.gt_s (local.get $hi) (i32.const 0))) (local.get $outW)))
          ;; Output columns [cLo, cHi) read outside the image row: the
          ;; ones wrapped in from the neighbouring row by the shift.
          (local.set $cLo (i32.const 0))
          (local.set $cHi (i32.const 0))
          (if (i32.lt_s (local.get $dw) (i32.const 0))
            (then (local.set $cHi (i32.sub (i32.const 0) (local.get $dw)))))
          (if (i32.gt_s (local.get $dw) (i32.const 0))
            (then
              (local.set $cLo (i32.sub (local.get $outW) (local.get $dw)))
              (local.set $cHi (local.get $outW))))
          (if (i32.lt_s (local.get $cLo) (i32.const 0)) (then (local.set $cLo (i32.const 0))))
          (if (i32.gt_s (local.get $cHi) (local.get $outW)) (then (local.set $cHi (local.get $outW))))
          (local.set $src (i32.add (local.get $plane)
            (i32.shl (i32.add (local.get $j0) (i32.add (i32.mul (local.get $dh) (local.get $inW)) (local.get $dw))) (i32.const 2))))
          (local.set $out0 (local.get $out))
          ;; Lanes at positions [lo, lim) hold image values; the others
          ;; (rows in the padding, past the block's end) are zero.
          (local.set $lim (select (local.get $hi) (local.get $end) (i32.lt_s (local.get $hi) (local.get $end))))
          (local.set $loV (i32x4.splat (local.get $lo)))
          (local.set $limV (i32x4.splat (local.get $lim)))
          (local.set $p (local.get $j0))
          (loop $wrapStep
            (block $wrapStored
              (if (i32.or (i32.le_s (i32.add (local.get $p) (i32.const 8)) (local.get $lo)) (i32.ge_s (local.get $p) (local.get $lim)))
                (then
                  (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
                  (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))
                  (br $wrapStored)))
              (if (i32.and (i32.ge_u (local.get $src) (local.get $img))
                           (i32.le_u (i32.add (local.get $src) (i32.const 32)) (local.get $imgEnd)))
                (then
                  ;; The shifted image as it is, two loads and two stores;
                  ;; a step that reaches the padding rows or the block's
                  ;; end keeps only its lanes in [lo, lim).
                  (local.set $v0 (v128.load (local.get $src)))
                  (local.set $v1 (v128.load offset=16 (local.get $src)))
                  (if (i32.or (i32.lt_s (local.get $p) (local.get $lo)) (i32.gt_s (i32.add (local.get $p) (i32.const 8)) (local.get $lim)))
                    (then
                      (local.set $posV (i32x4.add (i32x4.splat (local.get $p)) (v128.const i32x4 0 1 2 3)))
                      (local.set $v0 (v128.and (local.get $v0)
                        (v128.and (i32x4.ge_s (local.get $posV) (local.get $loV)) (i32x4.lt_s (local.get $posV) (local.get $limV)))))
                      (local.set $posV (i32x4.add (local.get $posV) (v128.const i32x4 4 4 4 4)))
                      (local.set $v1 (v128.and (local.get $v1)
                        (v128.and (i32x4.ge_s (local.get $posV) (local.get $loV)) (i32x4.lt_s (local.get $posV) (local.get $limV)))))))
                  (v128.store (local.get $out) (local.get $v0))
                  (v128.store offset=16 (local.get $out) (local.get $v1))
                  (br $wrapStored)))
              ;; Loads that would leave the image (the first and last
              ;; rows of the outer channels): lane by lane, each checked
              ;; against the rows and its column.
              (local.set $q (i32.const 0))
              (loop $wrapLane
                (local.set $v (f32.const 0))
                (local.set $owq (i32.rem_u (i32.add (local.get $p) (local.get $q)) (local.get $outW)))
                (if (i32.and
                      (i32.and (i32.ge_s (i32.add (local.get $p) (local.get $q)) (local.get $lo))
                               (i32.lt_s (i32.add (local.get $p) (local.get $q)) (local.get $lim)))
                      (i32.lt_u (i32.add (local.get $owq) (local.get $dw)) (local.get $inW)))
                  (then (local.set $v (f32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))))))
                (f32.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 2))) (local.get $v))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $wrapLane (i32.lt_u (local.get $q) (i32.const 8)))))
            (local.set $src (i32.add (local.get $src) (i32.const 32)))
            (local.set $out (i32.add (local.get $out) (local.get $panelBytes)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $wrapStep (i32.lt_s (local.get $p) (local.get $end))))
          ;; Zero columns [cLo, cHi) of each output row in [j0, end):
          ;; position q is lane (q-j0)%8 of panel (q-j0)/8. (Where a step
          ;; already stored zeros this stores them again.)
          (if (i32.lt_s (local.get $cLo) (local.get $cHi))
            (then
              (local.set $rowStart (i32.mul (i32.div_u (local.get $j0) (local.get $outW)) (local.get $outW)))
              (loop $fixRow
                (local.set $c (local.get $cLo))
                (loop $fixCol
                  (local.set $q (i32.add (local.get $rowStart) (local.get $c)))
                  (if (i32.and (i32.ge_s (local.get $q) (local.get $j0)) (i32.lt_s (local.get $q) (local.get $end)))
                    (then
                      (local.set $q (i32.sub (local.get $q) (local.get $j0)))
                      (f32.store (i32.add (i32.add (local.get $out0)
                        (i32.mul (i32.shr_u (local.get $q) (i32.const 3)) (local.get $panelBytes)))
                        (i32.shl (i32.and (local.get $q) (i32.const 7)) (i32.const 2)))
                        (f32.const 0))))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))
                  (br_if $fixCol (i32.lt_s (local.get $c) (local.get $cHi))))
                (local.set $rowStart (i32.add (local.get $rowStart) (local.get $outW)))
                (br_if $fixRow (i32.lt_s (local.get $rowStart) (local.get $end))))))
          (local.set $done (local.get $nb))))
      (if (i32.lt_s (local.get $done) (local.get $nb)) (then
      (loop $chunk
        (block $stored
          (block $scalar
            ;; Eight whole outputs in one output row read one image row.
            (br_if $scalar (i32.lt_s (i32.sub (local.get $nb) (local.get $done)) (i32.const 8)))
            (br_if $scalar (i32.gt_s (i32.add (local.get $ow) (i32.const 8)) (local.get $outW)))
            (local.set $ih (i32.add (i32.mul (local.get $oh) (local.get $strideH)) (local.get $dh)))
            (if (i32.ge_u (local.get $ih) (local.get $inH))
              (then
                (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $out) (v128.const i32x4 0 0 0 0))
                (br $stored)))
            (local.set $iw (i32.add (i32.mul (local.get $ow) (local.get $strideW)) (local.get $dw)))
            (local.set $src (i32.add (i32.add (local.get $plane) (i32.mul (local.get $ih) (local.get $inWBytes)))
              (i32.shl (local.get $iw) (i32.const 2))))
            (if (i32.eq (local.get $strideW) (i32.const 1))
              (then
                (if (i32.and (i32.ge_s (local.get $iw) (i32.const 0))
                             (i32.le_s (i32.add (local.get $iw) (i32.const 8)) (local.get $inW)))
                  (then
                    (v128.store (local.get $out) (v128.load (local.get $src)))
                    (v128.store offset=16 (local.get $out) (v128.load offset=16 (local.get $src)))
                    (br $stored)))
                ;; A row's edge: load what is there, keep the lanes inside the row.
                (br_if $scalar (i32.lt_u (local.get $src) (local.get $img)))
                (br_if $scalar (i32.gt_u (i32.add (local.get $src) (i32.const 32)) (local.get $imgEnd)))
                (local.set $iwV (i32x4.add (i32x4.splat (local.get $iw)) (v128.const i32x4 0 1 2 3)))
                (v128.store (local.get $out)
                  (v128.and (v128.load (local.get $src)) (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
                (local.set $iwV (i32x4.add (local.get $iwV) (v128.const i32x4 4 4 4 4)))
                (v128.store offset=16 (local.get $out)
                  (v128.and (v128.load offset=16 (local.get $src)) (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
                (br $stored)))
            (br_if $scalar (i32.ne (local.get $strideW) (i32.const 2)))
            ;; Stride 2: sixteen image columns, the even ones kept.
            (if (i32.and (i32.ge_s (local.get $iw) (i32.const 0))
                         (i32.le_s (i32.add (local.get $iw) (i32.const 16)) (local.get $inW)))
              (then
                (v128.store (local.get $out)
                  (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
                (v128.store offset=16 (local.get $out)
                  (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load offset=32 (local.get $src)) (v128.load offset=48 (local.get $src))))
                (br $stored)))
            (br_if $scalar (i32.lt_u (local.get $src) (local.get $img)))
            (br_if $scalar (i32.gt_u (i32.add (local.get $src) (i32.const 64)) (local.get $imgEnd)))
            (local.set $iwV (i32x4.add (i32x4.splat (local.get $iw)) (v128.const i32x4 0 2 4 6)))
            (v128.store (local.get $out)
              (v128.and
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (v128.load (local.get $src)) (v128.load offset=16 (local.get $src)))
                (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
            (local.set $iwV (i32x4.add (local.get $iwV) (v128.const i32x4 8 8 8 8)))
            (v128.store offset=16 (local.get $out)
              (v128.and
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (v128.load offset=32 (local.get $src)) (v128.load offset=48 (local.get $src)))
                (i32x4.lt_u (local.get $iwV) (local.get $inWV))))
            (br $stored))
          ;; One output at a time.
          (local.set $ohq (local.get $oh))
          (local.set $owq (local.get $ow))
          (local.set $q (i32.const 0))
          (loop $lane
            (local.set $v (f32.const 0))
            (if (i32.lt_s (i32.add (local.get $done) (local.get $q)) (local.get $nb))
              (then
                (local.set $ih (i32.add (i32.mul (local.get $ohq) (local.get $strideH)) (local.get $dh)))
                (local.set $iw (i32.add (i32.mul (local.get $owq) (local.get $strideW)) (local.get $dw)))
                (if (i32.and (i32.lt_u (local.get $ih) (local.get $inH)) (i32.lt_u (local.get $iw) (local.get $inW)))
                  (then
                    (local.set $v (f32.load (i32.add (local.get $plane)
                      (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $inW)) (local.get $iw)) (i32.const 2)))))))
                (local.set $owq (i32.add (local.get $owq) (i32.const 1)))
                (if (i32.eq (local.get $owq) (local.get $outW))
                  (then
                    (local.set $owq (i32.const 0))
                    (local.set $ohq (i32.add (local.get $ohq) (i32.const 1)))))))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 2))) (local.get $v))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br_if $lane (i32.lt_u (local.get $q) (i32.const 8)))))
        ;; The next eight outputs.
        (local.set $ow (i32.add (local.get $ow) (i32.const 8)))
        (block $wrapped
          (loop $wrap
            (br_if $wrapped (i32.lt_u (local.get $ow) (local.get $outW)))
            (local.set $ow (i32.sub (local.get $ow) (local.get $outW)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $wrap)))
        (local.set $out (i32.add (local.get $out) (local.get $panelBytes)))
        (local.set $done (i32.add (local.get $done) (i32.const 8)))
        (br_if $chunk (i32.lt_s (local.get $done) (local.get $nb))))))
      (local.set $rows (i32.add (local.get $rows) (i32.const 20)))
      (local.set $pr (i32.add (local.get $pr) (i32.const 1)))
      (br_if $row (i32.lt_s (local.get $pr) (local.get $kb)))))

  ;; $zeroFloats clears the floats [from, to) of the row at p (nothing when
  ;; from >= to): vector stores, then single floats.
  (func $zeroFloats (param $p i32) (param $from i32) (param $to i32)
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.gt_s (i32.add (local.get $from) (i32.const 4)) (local.get $to)))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $from) (i32.const 2))) (v128.const i32x4 0 0 0 0))
        (local.set $from (i32.add (local.get $from) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_s (local.get $from) (local.get $to)))
        (f32.store (i32.add (local.get $p) (i32.shl (local.get $from) (i32.const 2))) (f32.const 0))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $one))))


  ;; bias_init starts a convolution's output: for each of channels planes
  ;; of plane floats, y[c][i] = bias[c], plus src[c][i] when hasSrc is not
  ;; 0 (the residual of a fused Add; src is not read otherwise). The GEMM
  ;; or the depthwise kernel then accumulates onto it. Go's store loop and
  ;; doubling copies cost a twentieth of MobileNetV2.
  (func (export "bias_init")
    (param $y i32) (param $src i32) (param $bias i32) (param $channels i32) (param $plane i32) (param $hasSrc i32)
    (local $c i32) (local $end i32) (local $vecEnd i32) (local $b f32) (local $bV v128)
    (loop $channel
      (local.set $b (f32.load (local.get $bias)))
      (local.set $bV (f32x4.splat (local.get $b)))
      (local.set $end (i32.add (local.get $y) (i32.shl (local.get $plane) (i32.const 2))))
      (local.set $vecEnd (i32.add (local.get $y) (i32.shl (i32.and (local.get $plane) (i32.const -4)) (i32.const 2))))
      (if (local.get $hasSrc)
        (then
          (block $addDone
            (loop $add
              (br_if $addDone (i32.ge_u (local.get $y) (local.get $vecEnd)))
              (v128.store (local.get $y) (f32x4.add (v128.load (local.get $src)) (local.get $bV)))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (local.set $src (i32.add (local.get $src) (i32.const 16)))
              (br $add)))
          (block $addTailDone
            (loop $addTail
              (br_if $addTailDone (i32.ge_u (local.get $y) (local.get $end)))
              (f32.store (local.get $y) (f32.add (f32.load (local.get $src)) (local.get $b)))
              (local.set $y (i32.add (local.get $y) (i32.const 4)))
              (local.set $src (i32.add (local.get $src) (i32.const 4)))
              (br $addTail))))
        (else
          (block $fillDone
            (loop $fill
              (br_if $fillDone (i32.ge_u (local.get $y) (local.get $vecEnd)))
              (v128.store (local.get $y) (local.get $bV))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (br $fill)))
          (block $fillTailDone
            (loop $fillTail
              (br_if $fillTailDone (i32.ge_u (local.get $y) (local.get $end)))
              (f32.store (local.get $y) (local.get $b))
              (local.set $y (i32.add (local.get $y) (i32.const 4)))
              (br $fillTail)))))
      (local.set $bias (i32.add (local.get $bias) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $c) (local.get $channels)))))


  ;; gemv computes y = alpha*a*op(B) + beta*y for a single row a of k floats:
  ;; the m = 1 GEMM of a classifier (MobileNetV2's 1x1280 by 1280x1000),
  ;; where sgemm_block's 4-row tile would compute three rows for nothing and
  ;; packing would copy all of B once more.
  ;;
  ;;   transB 0: B is k x n (row stride ldb); y is accumulated row by row
  ;;          of B (an axpy each), so B streams once
  ;;   transB 1: B is stored n x k (row stride ldb), op(B) its transpose;
  ;;          y[j] is the dot product of a with stored row j
  ;;   n, k >= 1. When beta is 0, y is written without being read.
  (func $gemv (export "gemv")
    (param $y i32) (param $a i32) (param $b i32) (param $ldb i32) (param $n i32) (param $k i32)
    (param $transB i32) (param $alphaBits i32) (param $betaBits i32)
    (local $alpha f32) (local $beta f32) (local $ldbBytes i32) (local $j i32) (local $p i32)
    (local $k4 i32) (local $n4 i32) (local $row i32) (local $acc v128) (local $sum f32) (local $s f32) (local $sV v128)
    (local.set $alpha (f32.reinterpret_i32 (local.get $alphaBits)))
    (local.set $beta (f32.reinterpret_i32 (local.get $betaBits)))
    (local.set $ldbBytes (i32.shl (local.get $ldb) (i32.const 2)))
    (if (local.get $transB)
      (then
        (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
        (loop $rows
          (local.set $row (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldbBytes))))
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $p (i32.const 0))
          (block $vecDone
            (loop $vec
              (br_if $vecDone (i32.ge_s (local.get $p) (local.get $k4)))
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))
                  (v128.load (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2)))))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (br $vec)))
          (local.set $sum (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
          (block $tailDone
            (loop $tail
              (br_if $tailDone (i32.ge_s (local.get $p) (local.get $k)))
              (local.set $sum (f32.add (local.get $sum)
                (f32.mul (f32.load (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))
                  (f32.load (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2)))))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $tail)))
          (local.set $sum (f32.mul (local.get $sum) (local.get $alpha)))
          (if (f32.ne (local.get $beta) (f32.const 0))
            (then (local.set $sum (f32.add (local.get $sum)
              (f32.mul (local.get $beta) (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))))))))
          (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $rows (i32.lt_s (local.get $j) (local.get $n)))))
      (else
        ;; y = beta*y (0 without reading it), then one axpy per row of B.
        (loop $scale
          (if (f32.eq (local.get $beta) (f32.const 0))
            (then (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0)))
            (else (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $beta) (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $scale (i32.lt_s (local.get $j) (local.get $n))))
        (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
        (loop $axpy
          (local.set $row (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $ldbBytes))))
          (local.set $s (f32.mul (local.get $alpha) (f32.load (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))))
          (local.set $sV (f32x4.splat (local.get $s)))
          (local.set $j (i32.const 0))
          (block $vecDone
            (loop $vec
              (br_if $vecDone (i32.ge_s (local.get $j) (local.get $n4)))
              (v128.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
                (f32x4.add (v128.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
                  (f32x4.mul (local.get $sV) (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $vec)))
          (block $tailDone
            (loop $tail
              (br_if $tailDone (i32.ge_s (local.get $j) (local.get $n)))
              (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))
                (f32.add (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
                  (f32.mul (local.get $s) (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $tail)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $axpy (i32.lt_s (local.get $p) (local.get $k)))))))


  ;; ---- Training passes (core/nn's channel and element-wise kernels) ----
  ;;
  ;; Batch normalisation, the ReLU mask and the gradient sums are a few
  ;; flops per element, so in Go's scalar wasm they cost about as much as
  ;; the GEMMs of a training step. Every result equals Go's reference
  ;; (core/nn/channel.go) bit for bit: the f32x4 accumulators are exactly
  ;; Go's four float32 lanes (lane j sums the elements 4i+j of a block of
  ;; 256), tails go to lane 0 as in Go, and the lanes are flushed into
  ;; float64 as float64(a0+a1) + float64(a2+a3). No line here has the
  ;; multiply-add form the relaxed generator rewrites, so both kernels
  ;; compute the same values.

  ;; $planeMoments adds the sum and the sum of squares of the n floats at
  ;; x to the float64 pair at out (as Go's planeMoments: blocks of 256
  ;; floats summed in float32 lanes, each block flushed into float64).
  (func $planeMoments (param $x i32) (param $n i32) (param $out i32)
    (local $len i32) (local $vecEnd i32) (local $end i32) (local $v v128) (local $acc v128) (local $sq v128)
    (local $a0 f32) (local $q0 f32) (local $s f32) (local $sum f64) (local $sumSq f64)
    (block $done
      (loop $blocks
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $len (select (i32.const 256) (local.get $n) (i32.gt_s (local.get $n) (i32.const 256))))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (local.set $end (i32.add (local.get $x) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $vecEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $sq (v128.const i32x4 0 0 0 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $x) (local.get $vecEnd)))
            (local.set $v (v128.load (local.get $x)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
            (local.set $sq (f32x4.add (local.get $sq)
              (f32x4.mul (local.get $v) (local.get $v))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $vec)))
        (local.set $a0 (f32x4.extract_lane 0 (local.get $acc)))
        (local.set $q0 (f32x4.extract_lane 0 (local.get $sq)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
            (local.set $s (f32.load (local.get $x)))
            (local.set $a0 (f32.add (local.get $a0) (local.get $s)))
            (local.set $q0 (f32.add (local.get $q0) (f32.mul (local.get $s) (local.get $s))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $tail)))
        (local.set $sum (f64.add (local.get $sum) (f64.add
          (f64.promote_f32 (f32.add (local.get $a0) (f32x4.extract_lane 1 (local.get $acc))))
          (f64.promote_f32 (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))))
        (local.set $sumSq (f64.add (local.get $sumSq) (f64.add
          (f64.promote_f32 (f32.add (local.get $q0) (f32x4.extract_lane 1 (local.get $sq))))
          (f64.promote_f32 (f32.add (f32x4.extract_lane 2 (local.get $sq)) (f32x4.extract_lane 3 (local.get $sq)))))))
        (br $blocks)))
    (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (local.get $sum)))
    (f64.store offset=8 (local.get $out) (f64.add (f64.load offset=8 (local.get $out)) (local.get $sumSq))))

  ;; channel_moments writes, for each channel c of a batch x channels x
  ;; plane tensor x, out[2c] = the sum and out[2c+1] = the sum of squares
  ;; of its batch*plane values (float64; each plane summed as Go's
  ;; planeMoments, planes added in batch order): BatchNormalization's batch
  ;; statistics.
  ;;
  ;;   out   byte address of 2*channels float64
  ;;   x     byte address of batch*channels*plane floats
  ;;   batch, channels, plane >= 1
  (func (export "channel_moments")
    (param $out i32) (param $x i32) (param $batch i32) (param $channels i32) (param $plane i32)
    (local $c i32) (local $b i32) (local $o i32) (local $planeBytes i32)
    (local.set $planeBytes (i32.shl (local.get $plane) (i32.const 2)))
    (loop $channel
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 4))))
      (f64.store (local.get $o) (f64.const 0))
      (f64.store offset=8 (local.get $o) (f64.const 0))
      (local.set $b (i32.const 0))
      (loop $image
        (call $planeMoments
          (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $channels)) (local.get $c)) (local.get $planeBytes)))
          (local.get $plane) (local.get $o))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $image (i32.lt_s (local.get $b) (local.get $batch))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $c) (local.get $channels)))))

  ;; $planeGradSums adds sum(g) and inv * sum(g*(x-mean)) over the n
  ;; floats at g and x to the float64 pair at out (as Go's planeGradSums
  ;; and its caller: the plane's second sum is scaled by inv in float64).
  (func $planeGradSums (param $g i32) (param $x i32) (param $n i32) (param $mean f32) (param $inv f32) (param $out i32)
    (local $len i32) (local $vecEnd i32) (local $end i32) (local $gv v128) (local $meanV v128)
    (local $accG v128) (local $accGX v128) (local $a0 f32) (local $b0 f32) (local $s f32)
    (local $sumG f64) (local $sumGX f64)
    (local.set $meanV (f32x4.splat (local.get $mean)))
    (block $done
      (loop $blocks
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $len (select (i32.const 256) (local.get $n) (i32.gt_s (local.get $n) (i32.const 256))))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (local.set $end (i32.add (local.get $g) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $vecEnd (i32.add (local.get $g) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
        (local.set $accG (v128.const i32x4 0 0 0 0))
        (local.set $accGX (v128.const i32x4 0 0 0 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $g) (local.get $vecEnd)))
            (local.set $gv (v128.load (local.get $g)))
            (local.set $accG (f32x4.add (local.get $accG) (local.get $gv)))
            (local.set $accGX (f32x4.add (local.get $accGX)
              (f32x4.mul (local.get $gv) (f32x4.sub (v128.load (local.get $x)) (local.get $meanV)))))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $vec)))
        (local.set $a0 (f32x4.extract_lane 0 (local.get $accG)))
        (local.set $b0 (f32x4.extract_lane 0 (local.get $accGX)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $g) (local.get $end)))
            (local.set $s (f32.load (local.get $g)))
            (local.set $a0 (f32.add (local.get $a0) (local.get $s)))
            (local.set $b0 (f32.add (local.get $b0)
              (f32.mul (local.get $s) (f32.sub (f32.load (local.get $x)) (local.get $mean)))))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $tail)))
        (local.set $sumG (f64.add (local.get $sumG) (f64.add
          (f64.promote_f32 (f32.add (local.get $a0) (f32x4.extract_lane 1 (local.get $accG))))
          (f64.promote_f32 (f32.add (f32x4.extract_lane 2 (local.get $accG)) (f32x4.extract_lane 3 (local.get $accG)))))))
        (local.set $sumGX (f64.add (local.get $sumGX) (f64.add
          (f64.promote_f32 (f32.add (local.get $b0) (f32x4.extract_lane 1 (local.get $accGX))))
          (f64.promote_f32 (f32.add (f32x4.extract_lane 2 (local.get $accGX)) (f32x4.extract_lane 3 (local.get $accGX)))))))
        (br $blocks)))
    (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (local.get $sumG)))
    (f64.store offset=8 (local.get $out)
      (f64.add (f64.load offset=8 (local.get $out)) (f64.mul (local.get $sumGX) (f64.promote_f32 (local.get $inv))))))

  ;; channel_grad_sums writes, for each channel c, out[2c] = sum(g) and
  ;; out[2c+1] = sum over images of invStd[c] * sum(g*(x-mean[c])) of the
  ;; channel's planes: the two reductions of BatchNormalization's backward
  ;; pass (the bias and scale gradients).
  ;;
  ;;   out          byte address of 2*channels float64
  ;;   g, x         byte addresses of batch*channels*plane floats each
  ;;   mean, invStd byte addresses of channels floats each
  ;;   batch, channels, plane >= 1
  (func (export "channel_grad_sums")
    (param $out i32) (param $g i32) (param $x i32) (param $mean i32) (param $invStd i32)
    (param $batch i32) (param $channels i32) (param $plane i32)
    (local $c i32) (local $b i32) (local $o i32) (local $off i32) (local $planeBytes i32) (local $mu f32) (local $inv f32)
    (local.set $planeBytes (i32.shl (local.get $plane) (i32.const 2)))
    (loop $channel
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 4))))
      (f64.store (local.get $o) (f64.const 0))
      (f64.store offset=8 (local.get $o) (f64.const 0))
      (local.set $mu (f32.load (i32.add (local.get $mean) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $inv (f32.load (i32.add (local.get $invStd) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $b (i32.const 0))
      (loop $image
        (local.set $off (i32.mul (i32.add (i32.mul (local.get $b) (local.get $channels)) (local.get $c)) (local.get $planeBytes)))
        (call $planeGradSums (i32.add (local.get $g) (local.get $off)) (i32.add (local.get $x) (local.get $off))
          (local.get $plane) (local.get $mu) (local.get $inv) (local.get $o))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $image (i32.lt_s (local.get $b) (local.get $batch))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channel (i32.lt_s (local.get $c) (local.get $channels)))))

  ;; channel_affine sets y = x*scale[c] + shift[c] over a batch x channels
  ;; x plane tensor (BatchNormalization's normalise and affine in one
  ;; multiply-add), then, when relu is not 0, clears every y whose sign bit
  ;; is set (Go's branch-free relu: -0 becomes +0, negative NaNs 0). y may
  ;; be x.
  ;;
  ;;   y, x          byte addresses of batch*channels*plane floats
  ;;   scale, shift  byte addresses of channels floats each
  ;;   batch, channels, plane >= 1
  (func (export "channel_affine")
    (param $y i32) (param $x i32) (param $scale i32) (param $shift i32)
    (param $batch i32) (param $channels i32) (param $plane i32) (param $relu i32)
    (local $b i32) (local $c i32) (local $end i32) (local $vecEnd i32) (local $k f32) (local $off f32)
    (local $kV v128) (local $offV v128) (local $v v128) (local $s f32)
    (loop $image
      (local.set $c (i32.const 0))
      (loop $channel
        (local.set $k (f32.load (i32.add (local.get $scale) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $off (f32.load (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $kV (f32x4.splat (local.get $k)))
        (local.set $offV (f32x4.splat (local.get $off)))
        (local.set $end (i32.add (local.get $y) (i32.shl (local.get $plane) (i32.const 2))))
        (local.set $vecEnd (i32.add (local.get $y) (i32.shl (i32.and (local.get $plane) (i32.const -4)) (i32.const 2))))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $y) (local.get $vecEnd)))
            (local.set $v (f32x4.add (f32x4.mul (v128.load (local.get $x)) (local.get $kV)) (local.get $offV)))
            (if (local.get $relu)
              (then (local.set $v (v128.andnot (local.get $v) (i32x4.shr_s (local.get $v) (i32.const 31))))))
            (v128.store (local.get $y) (local.get $v))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $vec)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $y) (local.get $end)))
            (local.set $s (f32.add (f32.mul (f32.load (local.get $x)) (local.get $k)) (local.get $off)))
            (if (local.get $relu)
              (then (local.set $s (f32.reinterpret_i32 (i32.and (i32.reinterpret_f32 (local.get $s))
                (i32.xor (i32.shr_s (i32.reinterpret_f32 (local.get $s)) (i32.const 31)) (i32.const -1)))))))
            (f32.store (local.get $y) (local.get $s))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $tail)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $channel (i32.lt_s (local.get $c) (local.get $channels))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $image (i32.lt_s (local.get $b) (local.get $batch)))))

  ;; bn_input_grad writes BatchNormalization's input gradient with batch
  ;; statistics, per channel c:
  ;;   dx = k[c] * ((g - meanG[c]) - ((x - mean[c]) * invStd[c]) * meanGX[c])
  ;; in exactly that order of float32 operations (Go's). dx may be g.
  ;;
  ;;   dx, g, x   byte addresses of batch*channels*plane floats each
  ;;   mean, invStd, k, meanG, meanGX   byte addresses of channels floats each
  ;;   batch, channels, plane >= 1
  (func (export "bn_input_grad")
    (param $dx i32) (param $g i32) (param $x i32) (param $mean i32) (param $invStd i32) (param $k i32)
    (param $meanG i32) (param $meanGX i32) (param $batch i32) (param $channels i32) (param $plane i32)
    (local $b i32) (local $c i32) (local $ci i32) (local $end i32) (local $vecEnd i32)
    (local $mu f32) (local $inv f32) (local $kk f32) (local $mg f32) (local $mgx f32)
    (local $muV v128) (local $invV v128) (local $kV v128) (local $mgV v128) (local $mgxV v128)
    (loop $image
      (local.set $c (i32.const 0))
      (loop $channel
        (local.set $ci (i32.shl (local.get $c) (i32.const 2)))
        (local.set $mu (f32.load (i32.add (local.get $mean) (local.get $ci))))
        (local.set $inv (f32.load (i32.add (local.get $invStd) (local.get $ci))))
        (local.set $kk (f32.load (i32.add (local.get $k) (local.get $ci))))
        (local.set $mg (f32.load (i32.add (local.get $meanG) (local.get $ci))))
        (local.set $mgx (f32.load (i32.add (local.get $meanGX) (local.get $ci))))
        (local.set $muV (f32x4.splat (local.get $mu)))
        (local.set $invV (f32x4.splat (local.get $inv)))
        (local.set $kV (f32x4.splat (local.get $kk)))
        (local.set $mgV (f32x4.splat (local.get $mg)))
        (local.set $mgxV (f32x4.splat (local.get $mgx)))
        (local.set $end (i32.add (local.get $dx) (i32.shl (local.get $plane) (i32.const 2))))
        (local.set $vecEnd (i32.add (local.get $dx) (i32.shl (i32.and (local.get $plane) (i32.const -4)) (i32.const 2))))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $dx) (local.get $vecEnd)))
            (v128.store (local.get $dx)
              (f32x4.mul (local.get $kV)
                (f32x4.sub (f32x4.sub (v128.load (local.get $g)) (local.get $mgV))
                  (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $x)) (local.get $muV)) (local.get $invV))
                    (local.get $mgxV)))))
            (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $vec)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $dx) (local.get $end)))
            (f32.store (local.get $dx)
              (f32.mul (local.get $kk)
                (f32.sub (f32.sub (f32.load (local.get $g)) (local.get $mg))
                  (f32.mul (f32.mul (f32.sub (f32.load (local.get $x)) (local.get $mu)) (local.get $inv))
                    (local.get $mgx)))))
            (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $tail)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $channel (i32.lt_s (local.get $c) (local.get $channels))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $image (i32.lt_s (local.get $b) (local.get $batch)))))

  ;; relu_mask sets d[i] = g[i] where the bits of y[i] are not all zero and
  ;; +0 elsewhere, for n floats: ReLU's backward pass read from its output
  ;; (y >= 0, so y > 0 exactly when its bits are not zero). d may be g.
  ;; n >= 0.
  (func (export "relu_mask") (param $d i32) (param $g i32) (param $y i32) (param $n i32)
    (local $end i32) (local $vecEnd i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $d) (local.get $vecEnd)))
        (v128.store (local.get $d)
          (v128.and (v128.load (local.get $g)) (i32x4.ne (v128.load (local.get $y)) (v128.const i32x4 0 0 0 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $d) (local.get $end)))
        (i32.store (local.get $d)
          (select (i32.load (local.get $g)) (i32.const 0) (i32.load (local.get $y))))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail))))

  ;; add sets y = a + b for n floats, then, when relu is not 0, clears
  ;; every y whose sign bit is set (as channel_affine): a residual
  ;; connection's relu(a + b), and gradient accumulation (y = a). y may be
  ;; a or b. n >= 0.
  (func (export "add") (param $y i32) (param $a i32) (param $b i32) (param $n i32) (param $relu i32)
    (local $end i32) (local $vecEnd i32) (local $v v128) (local $s f32)
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $y) (local.get $vecEnd)))
        (local.set $v (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
        (if (local.get $relu)
          (then (local.set $v (v128.andnot (local.get $v) (i32x4.shr_s (local.get $v) (i32.const 31))))))
        (v128.store (local.get $y) (local.get $v))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $vec)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $y) (local.get $end)))
        (local.set $s (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
        (if (local.get $relu)
          (then (local.set $s (f32.reinterpret_i32 (i32.and (i32.reinterpret_f32 (local.get $s))
            (i32.xor (i32.shr_s (i32.reinterpret_f32 (local.get $s)) (i32.const 31)) (i32.const -1)))))))
        (f32.store (local.get $y) (local.get $s))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail))))

  ;; clip is core/nn's clipGo on n floats, n a multiple of 4: y = x
  ;; clamped to [lo, hi] (the bounds as bit patterns), lo where x < lo,
  ;; then hi where x > hi: pmax(v, lo) is v < lo ? lo : v and pmin(v, hi)
  ;; is hi < v ? hi : v, so a NaN stays NaN and -0 stays -0, as in Go.
  ;; A ReLU6 the training engine cannot fuse; y may be x.
  (func (export "clip") (param $y i32) (param $x i32) (param $n i32) (param $loBits i32) (param $hiBits i32)
    (local $end i32) (local $loV v128) (local $hiV v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $loV (f32x4.splat (f32.reinterpret_i32 (local.get $loBits))))
    (local.set $hiV (f32x4.splat (f32.reinterpret_i32 (local.get $hiBits))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.pmin (f32x4.pmax (v128.load (local.get $x)) (local.get $loV)) (local.get $hiV)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec))))

  ;; clip_grad is core/nn's clipGradGo on n floats, n a multiple of 4:
  ;; d = g where lo <= x <= hi (false for NaN), else g * 0 (a signed zero,
  ;; NaN for an infinite g). d may be g.
  (func (export "clip_grad") (param $d i32) (param $g i32) (param $x i32) (param $n i32) (param $loBits i32) (param $hiBits i32)
    (local $end i32) (local $loV v128) (local $hiV v128) (local $v v128) (local $gv v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $loV (f32x4.splat (f32.reinterpret_i32 (local.get $loBits))))
    (local.set $hiV (f32x4.splat (f32.reinterpret_i32 (local.get $hiBits))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $g)))
        (v128.store (local.get $d)
          (v128.bitselect (local.get $gv) (f32x4.mul (local.get $gv) (v128.const f32x4 0 0 0 0))
            (v128.and (f32x4.ge (local.get $v) (local.get $loV)) (f32x4.le (local.get $v) (local.get $hiV)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $vec))))

  ;; fake_quant is core/nn's FakeQuant (fakequant.go) on n floats, n a
  ;; multiple of 4: the fused QuantizeLinear -> DequantizeLinear of a QDQ
  ;; model's activations, which Go's scalar division and branches made
  ;; twice the cost of a depthwise network's convolutions. For x at x,
  ;; into y (y may be x unless signBits is not 0):
  ;;
  ;;   the npre ops at pre (12 bytes each: kind, then the float32 a and b),
  ;;     in order: 0 abs, 1 relu (v <= 0 to +0), 2 v - a, 3 v + a,
  ;;     4 clip (v < a to a, then v > b to b), 5 v * a
  ;;   r = v / scale, then lo where r < lo, hi where r > hi, nan where r
  ;;     is NaN; r = (r + 1.5*2^23) - 1.5*2^23 (round half to even);
  ;;     y = (r + off) * step
  ;;   when signBits is not 0, y = y * sign(x * c), c the float32 of
  ;;     signBits (1 unless an input scaling came before the Sign; never
  ;;     0), sign(v) being 1, -1, or v for zeros and NaN
  ;;
  ;; with the float parameters as bit patterns. Every value takes Go's
  ;; float32 operations in Go's order; the compare-and-set clamps are
  ;; pmax and pmin, which keep the value unless the bound compares beyond
  ;; it (a NaN stays NaN, as in Go). With a prefix, blocks of 1024 values
  ;; go through all the passes while they are in cache.
  (func (export "fake_quant")
    (param $y i32) (param $x i32) (param $pre i32) (param $n i32) (param $npre i32)
    (param $scaleBits i32) (param $loBits i32) (param $hiBits i32) (param $nanBits i32) (param $offBits i32) (param $stepBits i32)
    (param $signBits i32)
    (local $done i32) (local $block i32) (local $m i32) (local $dst i32) (local $src i32) (local $op i32) (local $opsEnd i32)
    (local.set $block (local.get $n))
    (if (local.get $npre) (then (local.set $block (i32.const 1024))))
    (local.set $opsEnd (i32.add (local.get $pre) (i32.mul (local.get $npre) (i32.const 12))))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $done) (local.get $n)))
        (local.set $m (i32.sub (local.get $n) (local.get $done)))
        (if (i32.gt_u (local.get $m) (local.get $block)) (then (local.set $m (local.get $block))))
        (local.set $dst (i32.add (local.get $y) (i32.shl (local.get $done) (i32.const 2))))
        (local.set $src (i32.add (local.get $x) (i32.shl (local.get $done) (i32.const 2))))
        (local.set $op (local.get $pre))
        (block $opsDone
          (loop $ops
            (br_if $opsDone (i32.ge_u (local.get $op) (local.get $opsEnd)))
            (call $fqPre (local.get $dst) (local.get $src) (local.get $m)
              (i32.load (local.get $op)) (f32.load offset=4 (local.get $op)) (f32.load offset=8 (local.get $op)))
            (local.set $src (local.get $dst))
            (local.set $op (i32.add (local.get $op) (i32.const 12)))
            (br $ops)))
        (call $fqQuant (local.get $dst) (local.get $src) (local.get $m) (i32.eq (local.get $nanBits) (local.get $loBits))
          (f32.reinterpret_i32 (local.get $scaleBits)) (f32.reinterpret_i32 (local.get $loBits)) (f32.reinterpret_i32 (local.get $hiBits))
          (f32.reinterpret_i32 (local.get $nanBits)) (f32.reinterpret_i32 (local.get $offBits)) (f32.reinterpret_i32 (local.get $stepBits)))
        (if (local.get $signBits)
          (then (call $fqSign (local.get $dst) (i32.add (local.get $x) (i32.shl (local.get $done) (i32.const 2))) (local.get $m)
            (f32.reinterpret_i32 (local.get $signBits)))))
        (local.set $done (i32.add (local.get $done) (local.get $m)))
        (br $blocks))))

  ;; fqQuant: fake_quant's quantization of n floats (n a multiple of 4).
  ;; When nan is lo (every unsigned type: both are minus the zero point),
  ;; pmax with the bound first maps a NaN to lo itself, and the NaN select
  ;; is left out (BenchmarkFakeQuant under node: 33 -> 17 us for 64K).
  (func $fqQuant (param $y i32) (param $x i32) (param $n i32) (param $nanIsLo i32)
    (param $scale f32) (param $lo f32) (param $hi f32) (param $nan f32) (param $off f32) (param $step f32)
    (local $end i32) (local $r v128) (local $scaleV v128) (local $loV v128) (local $hiV v128) (local $nanV v128)
    (local $offV v128) (local $stepV v128) (local $magicV v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $scaleV (f32x4.splat (local.get $scale)))
    (local.set $loV (f32x4.splat (local.get $lo)))
    (local.set $hiV (f32x4.splat (local.get $hi)))
    (local.set $nanV (f32x4.splat (local.get $nan)))
    (local.set $offV (f32x4.splat (local.get $off)))
    (local.set $stepV (f32x4.splat (local.get $step)))
    (local.set $magicV (v128.const f32x4 12582912 12582912 12582912 12582912)) ;; 1.5*2^23
    (if (local.get $nanIsLo)
      (then
        (block $doneLo
          (loop $vecLo
            (br_if $doneLo (i32.ge_u (local.get $x) (local.get $end)))
            (local.set $r (f32x4.div (v128.load (local.get $x)) (local.get $scaleV)))
            (local.set $r (f32x4.pmin (f32x4.pmax (local.get $loV) (local.get $r)) (local.get $hiV)))
            (local.set $r (f32x4.sub (f32x4.add (local.get $r) (local.get $magicV)) (local.get $magicV)))
            (v128.store (local.get $y) (f32x4.mul (f32x4.add (local.get $r) (local.get $offV)) (local.get $stepV)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (br $vecLo)))
        (return)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $r (f32x4.div (v128.load (local.get $x)) (local.get $scaleV)))
        (local.set $r (f32x4.pmin (f32x4.pmax (local.get $r) (local.get $loV)) (local.get $hiV)))
        (local.set $r (v128.bitselect (local.get $nanV) (local.get $r) (f32x4.ne (local.get $r) (local.get $r))))
        (local.set $r (f32x4.sub (f32x4.add (local.get $r) (local.get $magicV)) (local.get $magicV)))
        (v128.store (local.get $y) (f32x4.mul (f32x4.add (local.get $r) (local.get $offV)) (local.get $stepV)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec))))

  ;; fqSign: y = y * sign(x * c) for n floats (n a multiple of 4).
  (func $fqSign (param $y i32) (param $x i32) (param $n i32) (param $c f32)
    (local $end i32) (local $v v128) (local $s v128) (local $cV v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $cV (f32x4.splat (local.get $c)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (f32x4.mul (v128.load (local.get $x)) (local.get $cV)))
        (local.set $s (v128.bitselect (v128.const f32x4 1 1 1 1) (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (local.set $s (v128.bitselect (v128.const f32x4 -1 -1 -1 -1) (local.get $s) (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (v128.store (local.get $y) (f32x4.mul (v128.load (local.get $y)) (local.get $s)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec))))

  ;; fqPre: one op of fake_quant's prefix on n floats (n a multiple of 4),
  ;; x into y (y may be x).
  (func $fqPre (param $y i32) (param $x i32) (param $n i32) (param $kind i32) (param $a f32) (param $b f32)
    (local $end i32) (local $v v128) (local $aV v128) (local $bV v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $aV (f32x4.splat (local.get $a)))
    (local.set $bV (f32x4.splat (local.get $b)))
    (block $done
      (block $mul
        (block $clip
          (block $add
            (block $sub
              (block $relu
                (block $abs
                  (br_table $abs $relu $sub $add $clip $mul $done (local.get $kind)))
                (loop $vec
                  (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
                  (v128.store (local.get $y) (f32x4.abs (v128.load (local.get $x))))
                  (local.set $x (i32.add (local.get $x) (i32.const 16)))
                  (local.set $y (i32.add (local.get $y) (i32.const 16)))
                  (br $vec)))
              (loop $vec
                (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
                (local.set $v (v128.load (local.get $x)))
                (v128.store (local.get $y) (v128.andnot (local.get $v) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (local.set $y (i32.add (local.get $y) (i32.const 16)))
                (br $vec)))
            (loop $vec
              (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
              (v128.store (local.get $y) (f32x4.sub (v128.load (local.get $x)) (local.get $aV)))
              (local.set $x (i32.add (local.get $x) (i32.const 16)))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (br $vec)))
          (loop $vec
            (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
            (v128.store (local.get $y) (f32x4.add (v128.load (local.get $x)) (local.get $aV)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (br $vec)))
        (loop $vec
          (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
          (v128.store (local.get $y) (f32x4.pmin (f32x4.pmax (v128.load (local.get $x)) (local.get $aV)) (local.get $bV)))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (br $vec)))
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $y) (f32x4.mul (v128.load (local.get $x)) (local.get $aV)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec))))

  ;; maxpool takes the maximum of each window of planes images of inH x
  ;; inW floats into planes maps of outH x outW: y[o][oh][ow] = the max of
  ;; x[o][oh*sH+kh][ow*sW+kw] over kh < kH, kw < kW, every window inside
  ;; the image (no padding, no dilation; the caller guarantees it). The
  ;; order is core/nn's maxPoolInside: the first tap, then each tap v in
  ;; row-major order replaces the running best when best < v, which is
  ;; exactly f32x4.pmax(best, v), so NaNs propagate the same way (a NaN
  ;; first tap wins, a later one is skipped). Four outputs of a row at a
  ;; time at strides 1 and 2 (there, pairs of loads split into even and
  ;; odd taps), reading only inside their image row; the rest, and other
  ;; strides, one output at a time. Go's scalar loop made the two pools a
  ;; seventh of mnist-8.
  (func (export "maxpool")
    (param $y i32) (param $x i32) (param $planes i32) (param $inH i32) (param $inW i32)
    (param $outH i32) (param $outW i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
    (local $plane i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32)
    (local $inWBytes i32) (local $top i32) (local $r i32) (local $out i32) (local $vecEnd i32)
    (local $best v128) (local $v0 v128) (local $v1 v128) (local $b f32) (local $v f32)
    (local.set $inWBytes (i32.shl (local.get $inW) (i32.const 2)))
    ;; A vector step of outputs ow .. ow+3 starts while ow < vecEnd. At
    ;; stride 1 its loads stay inside the windows; at stride 2 a pair of
    ;; loads for taps kw, kw+1 reads image columns 2*ow+kw .. 2*ow+kw+7,
    ;; the last pair starting at kw = (kW-1) rounded down to even, so
    ;; 2*ow + ((kW-1) & -2) + 7 < inW as well.
    (local.set $vecEnd (i32.const 0))
    (if (i32.eq (local.get $sW) (i32.const 1))
      (then (local.set $vecEnd (i32.sub (local.get $outW) (i32.const 3)))))
    (if (i32.eq (local.get $sW) (i32.const 2))
      (then
        (local.set $vecEnd (i32.sub (i32.sub (local.get $inW) (i32.const 8))
          (i32.and (i32.sub (local.get $kW) (i32.const 1)) (i32.const -2))))
        (if (i32.ge_s (local.get $vecEnd) (i32.const 0))
          (then
            (local.set $vecEnd (i32.add (i32.shr_u (local.get $vecEnd) (i32.const 1)) (i32.const 1)))
            (if (i32.gt_s (local.get $vecEnd) (i32.sub (local.get $outW) (i32.const 3)))
              (then (local.set $vecEnd (i32.sub (local.get $outW) (i32.const 3)))))))))
    (local.set $out (local.get $y))
    (loop $planeLoop
      (local.set $oh (i32.const 0))
      (loop $rowLoop
        (local.set $top (i32.add (local.get $x) (i32.mul (i32.mul (local.get $oh) (local.get $sH)) (local.get $inWBytes))))
        (local.set $ow (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_s (local.get $ow) (local.get $vecEnd)))
            (local.set $r (i32.add (local.get $top) (i32.shl (i32.mul (local.get $ow) (local.get $sW)) (i32.const 2))))
            (if (i32.eq (local.get $sW) (i32.const 1))
              (then
                (local.set $best (v128.load (local.get $r)))
                (local.set $kh (i32.const 0))
                (loop $kh1
                  (local.set $kw (i32.const 0))
                  (loop $kw1
                    (local.set $best (f32x4.pmax (local.get $best)
                      (v128.load (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2))))))
                    (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                    (br_if $kw1 (i32.lt_s (local.get $kw) (local.get $kW))))
                  (local.set $r (i32.add (local.get $r) (local.get $inWBytes)))
                  (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
                  (br_if $kh1 (i32.lt_s (local.get $kh) (local.get $kH)))))
              (else
                (local.set $best (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (v128.load (local.get $r)) (v128.load offset=16 (local.get $r))))
                (local.set $kh (i32.const 0))
                (loop $kh2
                  (local.set $kw (i32.const 0))
                  (loop $kw2
                    (local.set $v0 (v128.load (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2)))))
                    (local.set $v1 (v128.load offset=16 (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2)))))
                    (local.set $best (f32x4.pmax (local.get $best)
                      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1))))
                    (if (i32.lt_s (i32.add (local.get $kw) (i32.const 1)) (local.get $kW))
                      (then (local.set $best (f32x4.pmax (local.get $best)
                        (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1))))))
                    (local.set $kw (i32.add (local.get $kw) (i32.const 2)))
                    (br_if $kw2 (i32.lt_s (local.get $kw) (local.get $kW))))
                  (local.set $r (i32.add (local.get $r) (local.get $inWBytes)))
                  (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
                  (br_if $kh2 (i32.lt_s (local.get $kh) (local.get $kH))))))
            (v128.store (i32.add (local.get $out) (i32.shl (local.get $ow) (i32.const 2))) (local.get $best))
            (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
            (br $vec)))
        ;; One output at a time: what the vector steps left, other strides.
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_s (local.get $ow) (local.get $outW)))
            (local.set $r (i32.add (local.get $top) (i32.shl (i32.mul (local.get $ow) (local.get $sW)) (i32.const 2))))
            (local.set $b (f32.load (local.get $r)))
            (local.set $kh (i32.const 0))
            (loop $kh3
              (local.set $kw (i32.const 0))
              (loop $kw3
                (local.set $v (f32.load (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2)))))
                (local.set $b (select (local.get $v) (local.get $b) (f32.lt (local.get $b) (local.get $v))))
                (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                (br_if $kw3 (i32.lt_s (local.get $kw) (local.get $kW))))
              (local.set $r (i32.add (local.get $r) (local.get $inWBytes)))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br_if $kh3 (i32.lt_s (local.get $kh) (local.get $kH))))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $ow) (i32.const 2))) (local.get $b))
            (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
            (br $one)))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $outW) (i32.const 2))))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br_if $rowLoop (i32.lt_s (local.get $oh) (local.get $outH))))
      (local.set $x (i32.add (local.get $x) (i32.mul (local.get $inWBytes) (local.get $inH))))
      (local.set $plane (i32.add (local.get $plane) (i32.const 1)))
      (br_if $planeLoop (i32.lt_s (local.get $plane) (local.get $planes)))))
  ;; act_grads is QIL's gradient of an unsigned activation quantizer
  ;; (qil/actgrad.go, actGradsUnsignedGo) on n floats, n a multiple of 4:
  ;; for x at x and the output gradient at dy, writes dx and adds the
  ;; terms of d/dc and d/dd to the two float64 at sums (dc, then dd),
  ;; which hold the sums so far:
  ;;
  ;;   u = x - lo; xh = u*inv; level = ((q*xh + 1.5*2^23) - 1.5*2^23) * invQ
  ;;   f = (2*level + 1) - 2*xh
  ;;   pruned = u <= 0, clipped = u >= width and not pruned (both false on NaN)
  ;;   dx = dy where neither, else +0;  dc -= f64(dx)
  ;;   dd += f64(dy where not pruned, else +0) *
  ;;         f64(f where neither, 2 where clipped, else +0)
  ;;
  ;; with the float32 parameters as bit patterns. Every value takes Go's
  ;; float32 operations in Go's order, four at a time; the product of two
  ;; float32 values is exact in float64; and the sums take the terms one
  ;; at a time in element order, the running sum the first operand, so
  ;; dc and dd are the Go loop's to the bit. Go's scalar loop ran four
  ;; times as long (most of what the activation quantizers cost a QIL
  ;; step in wasm).
  (func (export "act_grads")
    (param $dx i32) (param $x i32) (param $dy i32) (param $sums i32) (param $n i32)
    (param $loBits i32) (param $widthBits i32) (param $invBits i32) (param $qBits i32) (param $invQBits i32)
    (local $end i32) (local $dc f64) (local $dd f64)
    (local $loV v128) (local $widthV v128) (local $invV v128) (local $qV v128) (local $invQV v128) (local $magicV v128)
    (local $u v128) (local $xh v128) (local $level v128) (local $f v128) (local $pruned v128) (local $clipped v128)
    (local $outside v128) (local $gy v128) (local $gin v128) (local $a v128) (local $b v128) (local $t v128) (local $c v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $dc (f64.load (local.get $sums)))
    (local.set $dd (f64.load offset=8 (local.get $sums)))
    (local.set $loV (f32x4.splat (f32.reinterpret_i32 (local.get $loBits))))
    (local.set $widthV (f32x4.splat (f32.reinterpret_i32 (local.get $widthBits))))
    (local.set $invV (f32x4.splat (f32.reinterpret_i32 (local.get $invBits))))
    (local.set $qV (f32x4.splat (f32.reinterpret_i32 (local.get $qBits))))
    (local.set $invQV (f32x4.splat (f32.reinterpret_i32 (local.get $invQBits))))
    (local.set $magicV (v128.const f32x4 12582912 12582912 12582912 12582912)) ;; 1.5*2^23
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $u (f32x4.sub (v128.load (local.get $x)) (local.get $loV)))
        (local.set $xh (f32x4.mul (local.get $u) (local.get $invV)))
        (local.set $level (f32x4.mul
          (f32x4.sub (f32x4.add (f32x4.mul (local.get $qV) (local.get $xh)) (local.get $magicV)) (local.get $magicV))
          (local.get $invQV)))
        (local.set $f (f32x4.sub
          (f32x4.add (f32x4.add (local.get $level) (local.get $level)) (v128.const f32x4 1 1 1 1))
          (f32x4.add (local.get $xh) (local.get $xh))))
        (local.set $pruned (f32x4.le (local.get $u) (v128.const f32x4 0 0 0 0)))
        (local.set $clipped (v128.andnot (f32x4.ge (local.get $u) (local.get $widthV)) (local.get $pruned)))
        (local.set $outside (v128.or (local.get $pruned) (local.get $clipped)))
        (local.set $gy (v128.load (local.get $dy)))
        (local.set $gin (v128.andnot (local.get $gy) (local.get $outside)))
        (v128.store (local.get $dx) (local.get $gin))
        (local.set $a (v128.andnot (local.get $gy) (local.get $pruned)))
        (local.set $b (v128.or (v128.andnot (local.get $f) (local.get $outside))
          (v128.and (v128.const f32x4 2 2 2 2) (local.get $clipped))))
        ;; Elements 0 and 1.
        (local.set $c (f64x2.promote_low_f32x4 (local.get $gin)))
        (local.set $t (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b))))
        (local.set $dc (f64.sub (local.get $dc) (f64x2.extract_lane 0 (local.get $c))))
        (local.set $dd (f64.add (local.get $dd) (f64x2.extract_lane 0 (local.get $t))))
        (local.set $dc (f64.sub (local.get $dc) (f64x2.extract_lane 1 (local.get $c))))
        (local.set $dd (f64.add (local.get $dd) (f64x2.extract_lane 1 (local.get $t))))
        ;; Elements 2 and 3: the high halves moved down first.
        (local.set $c (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $gin) (local.get $gin))))
        (local.set $t (f64x2.mul
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a) (local.get $a)))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $b) (local.get $b)))))
        (local.set $dc (f64.sub (local.get $dc) (f64x2.extract_lane 0 (local.get $c))))
        (local.set $dd (f64.add (local.get $dd) (f64x2.extract_lane 0 (local.get $t))))
        (local.set $dc (f64.sub (local.get $dc) (f64x2.extract_lane 1 (local.get $c))))
        (local.set $dd (f64.add (local.get $dd) (f64x2.extract_lane 1 (local.get $t))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $vec)))
    (f64.store (local.get $sums) (local.get $dc))
    (f64.store offset=8 (local.get $sums) (local.get $dd)))

  ;; qgemm_block is the integer GEMM of a QDQ model's convolutions: C =
  ;; alpha_row * (A * B) (+ C when acc is not 0), with A and B 16-bit
  ;; integer codes and the products summed exactly in int32.
  ;;
  ;;   a     byte address of packed A: ceil(m/4) strips, each kp steps of
  ;;         16 bytes (four rows' pair of consecutive k codes, as i16 x 2)
  ;;   b     byte address of packed B: ceil(n/8) panels, each kp steps of
  ;;         32 bytes (eight columns' pair of k codes, columns 0-3 first)
  ;;   c     byte address of C[0][0]; C is m x n float32, row stride ldc
  ;;   m, n, kp   rows, columns and pairs of k, all >= 1
  ;;   alpha byte address of ceil(m/4)*4 floats, one scale per row
  ;;   acc   0: C is written without being read; else the result is added
  ;;   tile  byte address of 32 floats of scratch for partial edge tiles
  ;;
  ;; i32x4.dot_i16x8_s multiplies two pairs of codes per lane and adds them:
  ;; eight multiply-adds in one instruction (pmaddwd), against four in an
  ;; f32x4 relaxed_madd, on half the bytes of B. The caller bounds
  ;; k * max|a| * max|b| below 2^31, so no sum wraps.
  (func (export "qgemm_block")
    (param $a i32) (param $b i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $kp i32) (param $alpha i32) (param $acc i32) (param $tile i32)
    (local $ldcBytes i32) (local $stripBytes i32) (local $panelBytes i32)
    (local $i i32) (local $j i32) (local $ap i32) (local $aEnd i32) (local $aStrip i32)
    (local $bp i32) (local $bPanel i32) (local $cp i32) (local $dst i32)
    (local $rows i32) (local $cols i32) (local $r i32) (local $q i32) (local $v f32)
    (local $x v128) (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $ldcBytes (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $stripBytes (i32.shl (local.get $kp) (i32.const 4)))
    (local.set $panelBytes (i32.shl (local.get $kp) (i32.const 5)))
    (local.set $aStrip (local.get $a))
    (loop $rowPanels
      (local.set $j (i32.const 0))
      (local.set $bPanel (local.get $b))
      (local.set $aEnd (i32.add (local.get $aStrip) (local.get $stripBytes)))
      (loop $colPanels
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $ap (local.get $aStrip))
        (local.set $bp (local.get $bPanel))
        ;; Per pair of k: two loads of B, four broadcasts of A's row
        ;; pairs, eight dot products.
        (loop $steps
          (local.set $b0 (v128.load (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $x (v128.load32_splat (local.get $ap)))
          (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
          (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
          (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
          (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
          (local.set $c20 (i32x4.add (local.get $c20) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
          (local.set $c21 (i32x4.add (local.get $c21) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
          (local.set $c30 (i32x4.add (local.get $c30) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
          (local.set $c31 (i32x4.add (local.get $c31) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (br_if $steps (i32.lt_u (local.get $ap) (local.get $aEnd))))

        ;; To float32 (exact below 2^24, else rounded to nearest), times the
        ;; row's scale.
        (local.set $s (v128.load32_splat (i32.add (local.get $alpha) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $c00 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c00)) (local.get $s)))
        (local.set $c01 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c01)) (local.get $s)))
        (local.set $s (v128.load32_splat offset=4 (i32.add (local.get $alpha) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $c10 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c10)) (local.get $s)))
        (local.set $c11 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c11)) (local.get $s)))
        (local.set $s (v128.load32_splat offset=8 (i32.add (local.get $alpha) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $c20 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c20)) (local.get $s)))
        (local.set $c21 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c21)) (local.get $s)))
        (local.set $s (v128.load32_splat offset=12 (i32.add (local.get $alpha) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $c30 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c30)) (local.get $s)))
        (local.set $c31 (f32x4.mul (f32x4.convert_i32x4_s (local.get $c31)) (local.get $s)))
        (local.set $cp (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $i) (local.get $ldcBytes)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $rows (i32.sub (local.get $m) (local.get $i)))
        (local.set $cols (i32.sub (local.get $n) (local.get $j)))

        (if (i32.and (i32.ge_s (local.get $rows) (i32.const 4)) (i32.ge_s (local.get $cols) (i32.const 8)))
          (then
            (if (local.get $acc)
              (then
                (local.set $c00 (f32x4.add (v128.load (local.get $cp)) (local.get $c00)))
                (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $cp)) (local.get $c01)))
                (local.set $dst (i32.add (local.get $cp) (local.get $ldcBytes)))
                (local.set $c10 (f32x4.add (v128.load (local.get $dst)) (local.get $c10)))
                (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $c11)))
                (local.set $dst (i32.add (local.get $dst) (local.get $ldcBytes)))
                (local.set $c20 (f32x4.add (v128.load (local.get $dst)) (local.get $c20)))
                (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $c21)))
                (local.set $dst (i32.add (local.get $dst) (local.get $ldcBytes)))
                (local.set $c30 (f32x4.add (v128.load (local.get $dst)) (local.get $c30)))
                (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $c31)))))
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c01))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c10))
            (v128.store offset=16 (local.get $cp) (local.get $c11))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c20))
            (v128.store offset=16 (local.get $cp) (local.get $c21))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldcBytes)))
            (v128.store (local.get $cp) (local.get $c30))
            (v128.store offset=16 (local.get $cp) (local.get $c31)))
          (else
            ;; An edge tile: through the scratch tile, only the rows and
            ;; columns that exist in C.
            (v128.store offset=0 (local.get $tile) (local.get $c00))
            (v128.store offset=16 (local.get $tile) (local.get $c01))
            (v128.store offset=32 (local.get $tile) (local.get $c10))
            (v128.store offset=48 (local.get $tile) (local.get $c11))
            (v128.store offset=64 (local.get $tile) (local.get $c20))
            (v128.store offset=80 (local.get $tile) (local.get $c21))
            (v128.store offset=96 (local.get $tile) (local.get $c30))
            (v128.store offset=112 (local.get $tile) (local.get $c31))
            (if (i32.gt_s (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
            (if (i32.gt_s (local.get $cols) (i32.const 8)) (then (local.set $cols (i32.const 8))))
            (local.set $r (i32.const 0))
            (loop $edgeRows
              (local.set $q (i32.const 0))
              (loop $edgeCols
                (local.set $dst (i32.add (local.get $cp)
                  (i32.add (i32.mul (local.get $r) (local.get $ldcBytes)) (i32.shl (local.get $q) (i32.const 2)))))
                (local.set $v (f32.load (i32.add (local.get $tile)
                  (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 3)) (local.get $q)) (i32.const 2)))))
                (if (local.get $acc)
                  (then (local.set $v (f32.add (f32.load (local.get $dst)) (local.get $v)))))
                (f32.store (local.get $dst) (local.get $v))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br_if $edgeCols (i32.lt_s (local.get $q) (local.get $cols))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $edgeRows (i32.lt_s (local.get $r) (local.get $rows))))))

        (local.set $bPanel (i32.add (local.get $bPanel) (local.get $panelBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br_if $colPanels (i32.lt_s (local.get $j) (local.get $n))))

      (local.set $aStrip (local.get $aEnd))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $rowPanels (i32.lt_s (local.get $i) (local.get $m)))))

  ;; q16_pack turns np float panels of kb rows of 8 (pack_b's and
  ;; im2col_panels' layout, panel after panel) into qgemm_block's B: the
  ;; codes round(v * inv) as i16, two consecutive rows interleaved per
  ;; column, a zero row after an odd kb. It returns 1 when every |code| is
  ;; at most limit, and 0 when one is larger or NaN (the caller then runs
  ;; the float GEMM instead). The values are a quantized activation,
  ;; step * code: v * inv is within 1e-4 of the code, so nearest recovers
  ;; it exactly.
  (func (export "q16_pack") (param $dst i32) (param $src i32) (param $kb i32) (param $np i32)
    (param $invBits i32) (param $limitBits i32) (result i32)
    (local $inv v128) (local $limit v128) (local $ok v128) (local $peak v128)
    (local $p i32) (local $pairs i32) (local $odd i32) (local $r i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $row0 v128) (local $row1 v128)
    (local.set $inv (f32x4.splat (f32.reinterpret_i32 (local.get $invBits))))
    (local.set $limit (f32x4.splat (f32.reinterpret_i32 (local.get $limitBits))))
    (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
    (local.set $pairs (i32.shr_u (local.get $kb) (i32.const 1)))
    (local.set $odd (i32.and (local.get $kb) (i32.const 1)))
    (block $panelsDone
      (loop $panels
        (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $np)))
        (local.set $r (i32.const 0))
        (block $pairsDone
          (loop $pairLoop
            (br_if $pairsDone (i32.ge_u (local.get $r) (local.get $pairs)))
            (local.set $t0 (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $inv))))
            (local.set $t1 (f32x4.nearest (f32x4.mul (v128.load offset=16 (local.get $src)) (local.get $inv))))
            (local.set $t2 (f32x4.nearest (f32x4.mul (v128.load offset=32 (local.get $src)) (local.get $inv))))
            (local.set $t3 (f32x4.nearest (f32x4.mul (v128.load offset=48 (local.get $src)) (local.get $inv))))
            ;; max propagates NaN, and NaN <= limit is false.
            (local.set $peak (f32x4.max (f32x4.max (f32x4.abs (local.get $t0)) (f32x4.abs (local.get $t1)))
              (f32x4.max (f32x4.abs (local.get $t2)) (f32x4.abs (local.get $t3)))))
            (local.set $ok (v128.and (local.get $ok) (f32x4.le (local.get $peak) (local.get $limit))))
            (local.set $row0 (i16x8.narrow_i32x4_s (i32x4.trunc_sat_f32x4_s (local.get $t0)) (i32x4.trunc_sat_f32x4_s (local.get $t1))))
            (local.set $row1 (i16x8.narrow_i32x4_s (i32x4.trunc_sat_f32x4_s (local.get $t2)) (i32x4.trunc_sat_f32x4_s (local.get $t3))))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $row0) (local.get $row1)))
            (v128.store offset=16 (local.get $dst)
              (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $row0) (local.get $row1)))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $pairLoop)))
        (if (local.get $odd)
          (then
            (local.set $t0 (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $inv))))
            (local.set $t1 (f32x4.nearest (f32x4.mul (v128.load offset=16 (local.get $src)) (local.get $inv))))
            (local.set $peak (f32x4.max (f32x4.abs (local.get $t0)) (f32x4.abs (local.get $t1))))
            (local.set $ok (v128.and (local.get $ok) (f32x4.le (local.get $peak) (local.get $limit))))
            (local.set $row0 (i16x8.narrow_i32x4_s (i32x4.trunc_sat_f32x4_s (local.get $t0)) (i32x4.trunc_sat_f32x4_s (local.get $t1))))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $row0) (v128.const i32x4 0 0 0 0)))
            (v128.store offset=16 (local.get $dst)
              (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $row0) (v128.const i32x4 0 0 0 0)))
            (local.set $src (i32.add (local.get $src) (i32.const 32)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panels)))
    (i32x4.all_true (local.get $ok)))

  ;; dw_weight_grad adds one image's weight gradient of a depthwise 2-D
  ;; convolution (one input channel per group) to dw: for each of the
  ;; channels, im2col of its plane into col (kH*kW rows of outH*outW),
  ;; then dw[c] = col * dy[c] + dw[c] by gemv with transB (the m = 1 GEMM
  ;; Go makes of dW_c += dY_c * col^T, alpha and beta 1). It is those two
  ;; kernels' calls per channel, made here instead of from Go: the same
  ;; operations in the same order, without two host calls and Go's checks
  ;; and slicing per channel (MobileNetV2 has thousands of channels in a
  ;; batch). Window parameters as im2col's.
  (func (export "dw_weight_grad")
    (param $dw i32) (param $dy i32) (param $x i32) (param $col i32) (param $channels i32)
    (param $inH i32) (param $inW i32) (param $outH i32) (param $outW i32) (param $kH i32) (param $kW i32)
    (param $strideH i32) (param $strideW i32) (param $padT i32) (param $padL i32) (param $dilH i32) (param $dilW i32)
    (local $c i32) (local $taps i32) (local $outPlane i32) (local $inBytes i32) (local $outBytes i32)
    (local.set $taps (i32.mul (local.get $kH) (local.get $kW)))
    (local.set $outPlane (i32.mul (local.get $outH) (local.get $outW)))
    (local.set $inBytes (i32.shl (i32.mul (local.get $inH) (local.get $inW)) (i32.const 2)))
    (local.set $outBytes (i32.shl (local.get $outPlane) (i32.const 2)))
    (loop $channelLoop
      (call $im2col (local.get $col) (local.get $x) (i32.const 1) (local.get $inH) (local.get $inW)
        (local.get $outH) (local.get $outW) (local.get $kH) (local.get $kW)
        (local.get $strideH) (local.get $strideW) (local.get $padT) (local.get $padL)
        (local.get $dilH) (local.get $dilW))
      (call $gemv (local.get $dw) (local.get $dy) (local.get $col) (local.get $outPlane) (local.get $taps) (local.get $outPlane)
        (i32.const 1) (i32.const 0x3f800000) (i32.const 0x3f800000))
      (local.set $dw (i32.add (local.get $dw) (i32.shl (local.get $taps) (i32.const 2))))
      (local.set $dy (i32.add (local.get $dy) (local.get $outBytes)))
      (local.set $x (i32.add (local.get $x) (local.get $inBytes)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $channelLoop (i32.lt_s (local.get $c) (local.get $channels)))))
)
