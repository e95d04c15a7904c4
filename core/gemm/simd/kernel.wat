;; Pare's WebAssembly SIMD GEMM micro-kernel.
;;
;; Go's wasm emits no SIMD, so the hot loop of every GEMM lives here. The
;; module owns no memory: it imports Go's own WebAssembly.Memory and reads
;; and writes Go's slices in place, so a call costs a JS trampoline hop and
;; nothing is copied. Three exports: sgemm_block (the 4x8 register-tiled
;; multiply), pack_b (B's k x 8 panels, packed with vector copies) and
;; transpose (for the transposed layouts of op(A) and op(B)). The Go
;; wrapper (core/gemm/sgemm_wasm.go) checks every length before calling,
;; because this code can write anywhere in Go's heap.
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
    (local $alpha v128) (local $beta f32) (local $betaV v128)
    (local $ldaBytes i32) (local $ldcBytes i32) (local $kBytes i32) (local $panelBytes i32)
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
    (local.set $kBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $panelBytes (i32.shl (local.get $k) (i32.const 5)))

    (loop $rowPanels
      ;; Four row pointers into A; rows past m alias row i.
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ldaBytes))))
      (local.set $a1 (select (i32.add (local.get $a0) (local.get $ldaBytes)) (local.get $a0)
        (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
      (local.set $a2 (select (i32.add (local.get $a1) (local.get $ldaBytes)) (local.get $a0)
        (i32.lt_s (i32.add (local.get $i) (i32.const 2)) (local.get $m))))
      (local.set $a3 (select (i32.add (local.get $a2) (local.get $ldaBytes)) (local.get $a0)
        (i32.lt_s (i32.add (local.get $i) (i32.const 3)) (local.get $m))))
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

        ;; The 4x8 register tile: per step of k, two loads of B, four
        ;; broadcasts of A, eight multiply-adds.
        (loop $steps
          (local.set $b0 (v128.load (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $x (v128.load32_splat (i32.add (local.get $a0) (local.get $off))))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $a1) (local.get $off))))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $a2) (local.get $off))))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $a3) (local.get $off))))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (local.set $off (i32.add (local.get $off) (i32.const 4)))
          (br_if $steps (i32.lt_u (local.get $off) (local.get $kBytes))))

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
      (br_if $rows (i32.lt_u (local.get $i) (local.get $i1))))))
