;; One AdamW step of one parameter in one pass, run in the wasm backend's own memory.
;;
;; `training/adamw.ts` writes the step as ~13 TensorFlow.js ops per parameter (≈ 500 a step of a
;; small model, each with its own per-op cost). This does the same float32 operations in the same
;; order, element by element, so the results are bit-identical to those ops (wasm's f32 add, mul,
;; div and sqrt are correctly rounded, as XNNPACK's are; there is no fused multiply-add):
;;   g  = g·clip
;;   m' = m·β₁ + g·(1 − β₁)                 v' = v·β₂ + (g·g)·(1 − β₂)
;;   a  = (m' / c₁) / (sqrt(v' / c₂) + ε)    c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
;;   θ' = θ − a·lr,  then (decay ≠ 0)  θ' = θ' − θ·(lr·λ)
;; The constants arrive as f32, as TensorFlow.js's scalar tensors hold them. θ', m', v' go to
;; new buffers (a variable's buffer may be shared with a clone). `count` need not be a multiple of 4.
;; @variant shared-memory
;;
;; Source of `adamw.wasm.ts` (regenerate with `npm run build:kernels`).
(module
  (import "env" "memory" (memory 1))

  (func (export "adamw")
    (param $theta i32) (param $gradient i32) (param $m i32) (param $v i32)
    (param $outTheta i32) (param $outM i32) (param $outV i32) (param $count i32)
    (param $clip f32) (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32) (param $oneMinusBeta2 f32)
    (param $correction1 f32) (param $correction2 f32) (param $epsilon f32) (param $lr f32) (param $lrDecay f32) (param $decay i32)
    (local $i i32) (local $end4 i32) (local $at i32)
    (local $g v128) (local $nm v128) (local $nv v128) (local $a v128) (local $t v128) (local $next v128)
    (local $gs f32) (local $nms f32) (local $nvs f32) (local $as f32) (local $ts f32) (local $nexts f32)
    (local.set $end4 (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $gradient) (local.get $i))) (f32x4.splat (local.get $clip))))
        (local.set $nm
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (f32x4.splat (local.get $beta1)))
            (f32x4.mul (local.get $g) (f32x4.splat (local.get $oneMinusBeta1)))))
        (local.set $nv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (f32x4.splat (local.get $beta2)))
            (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (f32x4.splat (local.get $oneMinusBeta2)))))
        (local.set $a
          (f32x4.div
            (f32x4.div (local.get $nm) (f32x4.splat (local.get $correction1)))
            (f32x4.add (f32x4.sqrt (f32x4.div (local.get $nv) (f32x4.splat (local.get $correction2)))) (f32x4.splat (local.get $epsilon)))))
        (local.set $t (v128.load (i32.add (local.get $theta) (local.get $i))))
        (local.set $next (f32x4.sub (local.get $t) (f32x4.mul (local.get $a) (f32x4.splat (local.get $lr)))))
        (if (local.get $decay)
          (then (local.set $next (f32x4.sub (local.get $next) (f32x4.mul (local.get $t) (f32x4.splat (local.get $lrDecay)))))))
        (v128.store (i32.add (local.get $outTheta) (local.get $i)) (local.get $next))
        (v128.store (i32.add (local.get $outM) (local.get $i)) (local.get $nm))
        (v128.store (i32.add (local.get $outV) (local.get $i)) (local.get $nv))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (i32.shl (local.get $count) (i32.const 2))))
        (local.set $gs (f32.mul (f32.load (i32.add (local.get $gradient) (local.get $i))) (local.get $clip)))
        (local.set $nms
          (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $beta1)) (f32.mul (local.get $gs) (local.get $oneMinusBeta1))))
        (local.set $nvs
          (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $beta2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $oneMinusBeta2))))
        (local.set $as
          (f32.div (f32.div (local.get $nms) (local.get $correction1))
            (f32.add (f32.sqrt (f32.div (local.get $nvs) (local.get $correction2))) (local.get $epsilon))))
        (local.set $ts (f32.load (i32.add (local.get $theta) (local.get $i))))
        (local.set $nexts (f32.sub (local.get $ts) (f32.mul (local.get $as) (local.get $lr))))
        (if (local.get $decay)
          (then (local.set $nexts (f32.sub (local.get $nexts) (f32.mul (local.get $ts) (local.get $lrDecay))))))
        (f32.store (i32.add (local.get $outTheta) (local.get $i)) (local.get $nexts))
        (f32.store (i32.add (local.get $outM) (local.get $i)) (local.get $nms))
        (f32.store (i32.add (local.get $outV) (local.get $i)) (local.get $nvs))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars))))
)
