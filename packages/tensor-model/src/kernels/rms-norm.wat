;; RMSNorm and its gradient, in the wasm backend's own memory. x [R, C] (R rows), w [C]:
;;   forward   a = mean(x²) + ε,  r = 1/√a,  y = (x·r)·w
;;   backward  g = dy·w,  dw = Σ_rows dy·(x·r),  dx₁ = g·r,  dr = Σ_c g·x,
;;             da = −(dr / (a^1.5 · 2)),  dx₂ = (da / C)·(x·2)
;; `transformer.ts` writes the same with tensor ops (square, mean, add, rsqrt, two multiplies) and
;; TensorFlow.js derives the gradient op by op. Every value here is the same f32 operation in the
;; same order as there: the sums run one element after another from 0 (as tfjs-wasm's Sum and Mean
;; do; dw over rows in row order), the mean divides by C, and a^1.5 comes in from tfjs's own Pow
;; (`p`), so the results are the same bits. The gradient of x comes out in two parts, dx₁ (through
;; x·r) and dx₂ (through mean(x²)): TensorFlow.js adds the gradients reaching a tensor one at a time,
;; and the caller hands both to it so that the sum is formed in the tape's order. C must be a
;; multiple of 4.
;; @variant shared-memory
;;
;; Source of `rms-norm.wasm.ts` (regenerate with `npm run build:kernels`).
(module
  (import "env" "memory" (memory 1))

  ;; y [R, C] and a [R] from x [R, C], w [C].
  (func (export "forward") (param $x i32) (param $w i32) (param $y i32) (param $a i32)
    (param $rows i32) (param $cols i32) (param $eps f32)
    (local $r i32) (local $c i32) (local $bytes i32) (local $row i32)
    (local $sum f32) (local $v f32) (local $mean f32) (local $scale v128)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $bytes)))
        ;; sum of squares, one element after another
        (local.set $sum (f32.const 0))
        (local.set $c (i32.const 0))
        (loop $squares
          (local.set $v (f32.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $c)))))
          (local.set $sum (f32.add (local.get $sum) (f32.mul (local.get $v) (local.get $v))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $squares (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $mean (f32.add (f32.div (local.get $sum) (f32.convert_i32_u (local.get $cols))) (local.get $eps)))
        (f32.store (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))) (local.get $mean))
        (local.set $scale (f32x4.splat (f32.div (f32.const 1) (f32.sqrt (local.get $mean)))))
        (local.set $c (i32.const 0))
        (loop $values
          (v128.store (i32.add (local.get $y) (i32.add (local.get $row) (local.get $c)))
            (f32x4.mul
              (f32x4.mul (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $c)))) (local.get $scale))
              (v128.load (i32.add (local.get $w) (local.get $c)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $values (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; dx₁, dx₂ [R, C] and dw [C] from dy, x [R, C], w [C], a and p = a^1.5 [R].
  (func (export "backward") (param $dy i32) (param $x i32) (param $w i32) (param $a i32) (param $p i32)
    (param $dx1 i32) (param $dx2 i32) (param $dw i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $bytes i32) (local $row i32)
    (local $scale v128) (local $dyv v128) (local $xv v128) (local $g v128) (local $gx v128)
    (local $dr f32) (local $ds f32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (memory.fill (local.get $dw) (i32.const 0) (local.get $bytes))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $bytes)))
        (local.set $scale (f32x4.splat (f32.div (f32.const 1)
          (f32.sqrt (f32.load (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))))))))
        (local.set $dr (f32.const 0))
        (local.set $c (i32.const 0))
        (loop $first
          (local.set $dyv (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $c)))))
          (local.set $xv (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $c)))))
          (local.set $g (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $w) (local.get $c)))))
          ;; dw += dy·(x·r), each channel over the rows in order
          (v128.store (i32.add (local.get $dw) (local.get $c))
            (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $c)))
              (f32x4.mul (local.get $dyv) (f32x4.mul (local.get $xv) (local.get $scale)))))
          (v128.store (i32.add (local.get $dx1) (i32.add (local.get $row) (local.get $c))) (f32x4.mul (local.get $g) (local.get $scale)))
          ;; dr += g·x, one element after another
          (local.set $gx (f32x4.mul (local.get $g) (local.get $xv)))
          (local.set $dr (f32.add (local.get $dr) (f32x4.extract_lane 0 (local.get $gx))))
          (local.set $dr (f32.add (local.get $dr) (f32x4.extract_lane 1 (local.get $gx))))
          (local.set $dr (f32.add (local.get $dr) (f32x4.extract_lane 2 (local.get $gx))))
          (local.set $dr (f32.add (local.get $dr) (f32x4.extract_lane 3 (local.get $gx))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $first (i32.lt_u (local.get $c) (local.get $bytes))))
        ;; da = −(dr / (p·2)), ds = da / C
        (local.set $ds (f32.div
          (f32.neg (f32.div (local.get $dr)
            (f32.mul (f32.load (i32.add (local.get $p) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 2))))
          (f32.convert_i32_u (local.get $cols))))
        (local.set $scale (f32x4.splat (local.get $ds)))
        (local.set $c (i32.const 0))
        (loop $second
          (v128.store (i32.add (local.get $dx2) (i32.add (local.get $row) (local.get $c)))
            (f32x4.mul (local.get $scale)
              (f32x4.mul (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $c)))) (f32x4.splat (f32.const 2)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $second (i32.lt_u (local.get $c) (local.get $bytes))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
