;; Axis permutations for the wasm backend, run in the backend's own memory (no copies in or out).
;;
;; Every permutation TensorFlow.js asks for in training, once size-1 axes are dropped and axes that
;; stay next to each other are merged (`ops/heap-transpose.ts`), is one of two forms:
;;   transpose_f32:    out[a, c, r] = in[a, r, c]                 (element = one f32)
;;   transpose_blocks: out[a, c, r, :] = in[a, r, c, :]           (element = a block of `bytes`)
;; tfjs-wasm 4.22's own Transpose walks the output with strided scalar reads (~1.5 GB/s here).
;; transpose_f32 moves 4×4 tiles through SIMD registers (four 16-byte loads, eight shuffles, four
;; 16-byte stores); a strip of four input rows is read left to right, so the output rows it
;; writes stay in cache. transpose_blocks copies each block with memory.copy. Pure data
;; movement: the result is bit-identical to any other transpose.
;;
;; @variant shared-memory
;; All offsets are byte offsets into the imported memory. Source of `transpose.wasm.ts`
;; (regenerate with `npm run build:kernels`; the build also emits the shared-memory variant
;; for the multi-threaded backend, whose memory is a SharedArrayBuffer).
(module
  (import "env" "memory" (memory 1))

;; One 4×4 tile: the four columns at `out` (stride outStride) of the four rows at `in` (stride inStride).
  (func $tile (param $in i32) (param $out i32) (param $inStride i32) (param $outStride i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r0 (v128.load align=4 (local.get $in)))
    (local.set $r1 (v128.load align=4 (i32.add (local.get $in) (local.get $inStride))))
    (local.set $r2 (v128.load align=4 (i32.add (local.get $in) (i32.shl (local.get $inStride) (i32.const 1)))))
    (local.set $r3 (v128.load align=4 (i32.add (local.get $in) (i32.mul (local.get $inStride) (i32.const 3)))))
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (v128.store align=4 (local.get $out)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store align=4 (i32.add (local.get $out) (local.get $outStride))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store align=4 (i32.add (local.get $out) (i32.shl (local.get $outStride) (i32.const 1)))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store align=4 (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 3)))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))

  ;; Rows [from, from + 16) of a rows × cols matrix, column strip by column strip: the four tiles
  ;; of a strip fill 64 contiguous bytes (a cache line) of each of four output rows before the next
  ;; strip starts. Going along the input rows instead writes 16 bytes to each of `cols` output
  ;; rows in turn, and when rows·4 is a multiple of 2 KiB those rows share a few cache sets and
  ;; evict each other (a [2048, 352] transpose ran at 4.7 GB/s that way, [352, 2048] at 28).
  (func $block16 (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $from i32)
    (local $c i32) (local $cols4 i32) (local $inStride i32) (local $outStride i32) (local $in i32) (local $out i32)
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $inStride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $outStride (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $in (i32.add (local.get $src) (i32.mul (local.get $from) (local.get $inStride))))
    (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $from) (i32.const 2))))
    (local.set $c (i32.const 0))
    (block $stripsDone
      (loop $strip
        (br_if $stripsDone (i32.ge_u (local.get $c) (local.get $cols4)))
        (call $tile (local.get $in) (local.get $out) (local.get $inStride) (local.get $outStride))
        (call $tile (i32.add (local.get $in) (i32.shl (local.get $inStride) (i32.const 2))) (i32.add (local.get $out) (i32.const 16))
          (local.get $inStride) (local.get $outStride))
        (call $tile (i32.add (local.get $in) (i32.shl (local.get $inStride) (i32.const 3))) (i32.add (local.get $out) (i32.const 32))
          (local.get $inStride) (local.get $outStride))
        (call $tile (i32.add (local.get $in) (i32.mul (local.get $inStride) (i32.const 12))) (i32.add (local.get $out) (i32.const 48))
          (local.get $inStride) (local.get $outStride))
        (local.set $in (i32.add (local.get $in) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $outStride) (i32.const 2))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $strip)))
    ;; The last cols % 4 columns, one by one.
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $c) (local.get $cols)))
        (call $column (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
          (local.get $from) (i32.add (local.get $from) (i32.const 16)) (local.get $c))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail))))

    ;; One rows × cols matrix of f32: out[c, r] = in[r, c].
  (func $matrix (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $rows4 i32) (local $cols4 i32)
    (local $inRow i32) (local $outCol i32) (local $inStride i32) (local $outStride i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $inStride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $outStride (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $r (i32.const 0))
    ;; Output rows a multiple of 2 KiB apart: blocks of 16 rows first (see $block16; measured: it
    ;; wins there, e.g. 2.3× for rows 512, 1.2× for 1,536, 3.2× for 2,048, and loses elsewhere).
    (if (i32.eqz (i32.and (local.get $outStride) (i32.const 2047)))
      (then
        (block $blocksDone
          (loop $blockLoop
            (br_if $blocksDone (i32.gt_u (i32.add (local.get $r) (i32.const 16)) (local.get $rows)))
            (call $block16 (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $r))
            (local.set $r (i32.add (local.get $r) (i32.const 16)))
            (br $blockLoop)))))
    ;; Full 4×4 tiles, strip by strip of four input rows.
    (block $stripsDone
      (loop $strip
        (br_if $stripsDone (i32.ge_u (local.get $r) (local.get $rows4)))
        (local.set $inRow (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $inStride))))
        (local.set $outCol (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $tilesDone
          (loop $tile
            (br_if $tilesDone (i32.ge_u (local.get $c) (local.get $cols4)))
            (local.set $r0 (v128.load align=4 (local.get $inRow)))
            (local.set $r1 (v128.load align=4 (i32.add (local.get $inRow) (local.get $inStride))))
            (local.set $r2 (v128.load align=4 (i32.add (local.get $inRow) (i32.shl (local.get $inStride) (i32.const 1)))))
            (local.set $r3 (v128.load align=4 (i32.add (local.get $inRow) (i32.mul (local.get $inStride) (i32.const 3)))))
            ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] r1[2] r0[3] r1[3]; t2, t3 likewise for r2, r3.
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            ;; Column j of the tile = r0[j] r1[j] r2[j] r3[j].
            (v128.store align=4 (local.get $outCol)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $outCol) (local.get $outStride))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $outCol) (i32.shl (local.get $outStride) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $outCol) (i32.mul (local.get $outStride) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $inRow (i32.add (local.get $inRow) (i32.const 16)))
            (local.set $outCol (i32.add (local.get $outCol) (i32.shl (local.get $outStride) (i32.const 2))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $tile)))
        ;; The strip's last cols % 4 columns, one by one.
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $c) (local.get $cols)))
            (call $column (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
              (local.get $r) (i32.add (local.get $r) (i32.const 4)) (local.get $c))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $strip)))
    ;; The last rows % 4 rows, element by element.
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols)))
            (call $column (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
              (local.get $r) (i32.add (local.get $r) (i32.const 1)) (local.get $c))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; out[c, r] = in[r, c] for r in [from, to) of one column c.
  (func $column (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (param $from i32) (param $to i32) (param $c i32)
    (local $r i32)
    (local.set $r (local.get $from))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $to)))
        (f32.store
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
          (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next))))

  ;; out[a, c, r] = in[a, r, c] for `outer` matrices of rows × cols f32.
  (func (export "transpose_f32") (param $src i32) (param $dst i32) (param $outer i32) (param $rows i32) (param $cols i32)
    (local $a i32) (local $bytes i32)
    (local.set $bytes (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $outer)))
        (call $matrix (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols))
        (local.set $src (i32.add (local.get $src) (local.get $bytes)))
        (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $next))))

  ;; out[a, c, r, :] = in[a, r, c, :] for `outer` matrices of rows × cols blocks of `bytes` bytes.
  (func (export "transpose_blocks") (param $src i32) (param $dst i32) (param $outer i32) (param $rows i32) (param $cols i32) (param $bytes i32)
    (local $a i32) (local $r i32) (local $c i32) (local $in i32) (local $outRow i32) (local $matrix i32) (local $outStride i32)
    (local.set $matrix (i32.mul (i32.mul (local.get $rows) (local.get $cols)) (local.get $bytes)))
    (local.set $outStride (i32.mul (local.get $rows) (local.get $bytes)))
    (block $done
      (loop $nextMatrix
        (br_if $done (i32.ge_u (local.get $a) (local.get $outer)))
        (local.set $in (local.get $src))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $nextRow
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $outRow (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $bytes))))
            (local.set $c (i32.const 0))
            (block $colsDone
              (loop $nextCol
                (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols)))
                (memory.copy (local.get $outRow) (local.get $in) (local.get $bytes))
                (local.set $in (i32.add (local.get $in) (local.get $bytes)))
                (local.set $outRow (i32.add (local.get $outRow) (local.get $outStride)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $nextCol)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $nextRow)))
        (local.set $src (i32.add (local.get $src) (local.get $matrix)))
        (local.set $dst (i32.add (local.get $dst) (local.get $matrix)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $nextMatrix))))
)
