;; The SwiGLU gate silu(g)·u = (g·σ)·u and its gradient, in the wasm backend's own memory, over
;; `count` values (a multiple of 4); σ = sigmoid(g) comes in from tfjs's own Sigmoid:
;;   forward   y = (g·σ)·u
;;   backward  du = dy·(g·σ),  t = dy·u,  dg = t·σ + (t·g)·(σ·(1 − σ))
;; `transformer.ts` writes the same with tensor ops (two multiplies after the sigmoid) and
;; TensorFlow.js derives the gradient op by op; the operations here are the same f32 multiplies,
;; subtraction and add in the same order, so the values are the same bits.
;; @variant shared-memory
;;
;; Source of `swiglu.wasm.ts` (regenerate with `npm run build:kernels`).
(module
  (import "env" "memory" (memory 1))

  (func (export "forward") (param $g i32) (param $s i32) (param $u i32) (param $y i32) (param $count i32)
    (local $i i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (v128.store (i32.add (local.get $y) (local.get $i))
          (f32x4.mul
            (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (v128.load (i32.add (local.get $s) (local.get $i))))
            (v128.load (i32.add (local.get $u) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $values))))

  (func (export "backward") (param $dy i32) (param $g i32) (param $s i32) (param $u i32) (param $dg i32) (param $du i32) (param $count i32)
    (local $i i32) (local $bytes i32) (local $dyv v128) (local $gv v128) (local $sv v128) (local $t v128)
    (local.set $bytes (i32.shl (local.get $count) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $i))))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $sv (v128.load (i32.add (local.get $s) (local.get $i))))
        (v128.store (i32.add (local.get $du) (local.get $i)) (f32x4.mul (local.get $dyv) (f32x4.mul (local.get $gv) (local.get $sv))))
        (local.set $t (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $u) (local.get $i)))))
        (v128.store (i32.add (local.get $dg) (local.get $i))
          (f32x4.add
            (f32x4.mul (local.get $t) (local.get $sv))
            (f32x4.mul (f32x4.mul (local.get $t) (local.get $gv))
              (f32x4.mul (local.get $sv) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $sv))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $values))))
)
