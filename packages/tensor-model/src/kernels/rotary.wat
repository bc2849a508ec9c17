;; Rotary position embedding (HF rotate-half convention) and its gradient, in the wasm backend's
;; own memory. x [R, N, D] (R = B·T rows, N heads), cos and sin [R, D]:
;;   forward   y = x·cos + rotate_half(x)·sin        rotate_half(x) = (−x₂, x₁)
;;   backward  dx = dy·cos + rotate_halfᵀ(dy·sin)   rotate_halfᵀ(g) = (g₂, −g₁)
;; (x₁, x₂: the first and second halves of the D values of a head.) `transformer.ts` writes the
;; same with tensor ops: rotate_half as a product by a constant ±1 matrix (exact: one non-zero term
;; per output), two multiplies and an add. The operations here are the same f32 multiplies and
;; adds in the same order, so the values are the same (a zero may differ in sign). D/2 must be a
;; multiple of 4.
;; @variant shared-memory
;;
;; Source of `rotary.wasm.ts` (regenerate with `npm run build:kernels`).
(module
  (import "env" "memory" (memory 1))

  ;; y = x·cos + r·sin over `rows` rows of `heads` heads of `dim` values.
  (func (export "forward") (param $x i32) (param $cos i32) (param $sin i32) (param $y i32)
    (param $rows i32) (param $heads i32) (param $dim i32)
    (local $r i32) (local $h i32) (local $i i32) (local $half i32) (local $row i32) (local $head i32) (local $table i32)
    (local $a v128) (local $b v128) (local $c1 v128) (local $c2 v128) (local $s1 v128) (local $s2 v128)
    (local.set $half (i32.shl (local.get $dim) (i32.const 1))) ;; D/2 values in bytes = D·2
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $table (i32.shl (i32.mul (local.get $r) (local.get $dim)) (i32.const 2)))
        (local.set $row (i32.shl (i32.mul (i32.mul (local.get $r) (local.get $heads)) (local.get $dim)) (i32.const 2)))
        (local.set $h (i32.const 0))
        (loop $headLoop
          (local.set $head (i32.add (local.get $row) (i32.shl (i32.mul (local.get $h) (local.get $dim)) (i32.const 2))))
          (local.set $i (i32.const 0))
          (loop $values
            ;; a = x₁[i..i+4), b = x₂[i..i+4)
            (local.set $a (v128.load (i32.add (local.get $x) (i32.add (local.get $head) (local.get $i)))))
            (local.set $b (v128.load (i32.add (local.get $x) (i32.add (local.get $head) (i32.add (local.get $half) (local.get $i))))))
            (local.set $c1 (v128.load (i32.add (local.get $cos) (i32.add (local.get $table) (local.get $i)))))
            (local.set $c2 (v128.load (i32.add (local.get $cos) (i32.add (local.get $table) (i32.add (local.get $half) (local.get $i))))))
            (local.set $s1 (v128.load (i32.add (local.get $sin) (i32.add (local.get $table) (local.get $i)))))
            (local.set $s2 (v128.load (i32.add (local.get $sin) (i32.add (local.get $table) (i32.add (local.get $half) (local.get $i))))))
            ;; y₁ = x₁·cos₁ + (−x₂)·sin₁,  y₂ = x₂·cos₂ + x₁·sin₂
            (v128.store (i32.add (local.get $y) (i32.add (local.get $head) (local.get $i)))
              (f32x4.add (f32x4.mul (local.get $a) (local.get $c1)) (f32x4.mul (f32x4.neg (local.get $b)) (local.get $s1))))
            (v128.store (i32.add (local.get $y) (i32.add (local.get $head) (i32.add (local.get $half) (local.get $i))))
              (f32x4.add (f32x4.mul (local.get $b) (local.get $c2)) (f32x4.mul (local.get $a) (local.get $s2))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br_if $values (i32.lt_u (local.get $i) (local.get $half))))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br_if $headLoop (i32.lt_u (local.get $h) (local.get $heads))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; dx = dy·cos + rotate_halfᵀ(dy·sin): dx₁ = dy₁·cos₁ + dy₂·sin₂, dx₂ = dy₂·cos₂ + (−(dy₁·sin₁)).
  (func (export "backward") (param $dy i32) (param $cos i32) (param $sin i32) (param $dx i32)
    (param $rows i32) (param $heads i32) (param $dim i32)
    (local $r i32) (local $h i32) (local $i i32) (local $half i32) (local $row i32) (local $head i32) (local $table i32)
    (local $a v128) (local $b v128) (local $c1 v128) (local $c2 v128) (local $s1 v128) (local $s2 v128)
    (local.set $half (i32.shl (local.get $dim) (i32.const 1)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $table (i32.shl (i32.mul (local.get $r) (local.get $dim)) (i32.const 2)))
        (local.set $row (i32.shl (i32.mul (i32.mul (local.get $r) (local.get $heads)) (local.get $dim)) (i32.const 2)))
        (local.set $h (i32.const 0))
        (loop $headLoop
          (local.set $head (i32.add (local.get $row) (i32.shl (i32.mul (local.get $h) (local.get $dim)) (i32.const 2))))
          (local.set $i (i32.const 0))
          (loop $values
            (local.set $a (v128.load (i32.add (local.get $dy) (i32.add (local.get $head) (local.get $i)))))
            (local.set $b (v128.load (i32.add (local.get $dy) (i32.add (local.get $head) (i32.add (local.get $half) (local.get $i))))))
            (local.set $c1 (v128.load (i32.add (local.get $cos) (i32.add (local.get $table) (local.get $i)))))
            (local.set $c2 (v128.load (i32.add (local.get $cos) (i32.add (local.get $table) (i32.add (local.get $half) (local.get $i))))))
            (local.set $s1 (v128.load (i32.add (local.get $sin) (i32.add (local.get $table) (local.get $i)))))
            (local.set $s2 (v128.load (i32.add (local.get $sin) (i32.add (local.get $table) (i32.add (local.get $half) (local.get $i))))))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $head) (local.get $i)))
              (f32x4.add (f32x4.mul (local.get $a) (local.get $c1)) (f32x4.mul (local.get $b) (local.get $s2))))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $head) (i32.add (local.get $half) (local.get $i))))
              (f32x4.add (f32x4.mul (local.get $b) (local.get $c2)) (f32x4.neg (f32x4.mul (local.get $a) (local.get $s1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br_if $values (i32.lt_u (local.get $i) (local.get $half))))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br_if $headLoop (i32.lt_u (local.get $h) (local.get $heads))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))
)
