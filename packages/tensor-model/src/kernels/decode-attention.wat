;; Self-attention of one decoding step, for CPU backends (wasm SIMD, f32).
;;
;; One call per layer does, for every batch row b:
;;   1. rotary embedding of the step's query heads (× `scale` = 1/√D) and key heads, in place in
;;      the q|k|v buffer (HF `rotate_half` convention: y = x·cos + rotate_half(x)·sin);
;;   2. append of the step's key and value to the cache at slot `len − 1`;
;;   3. for each query head h (key/value head j = h / (heads / kvHeads)): scores over the `len`
;;      slots whose mask byte is 1, a softmax, and the probability-weighted sum of values.
;;
;; Memory (all offsets in bytes, all f32 arrays 16-byte aligned, D a multiple of 4):
;;   qkv     [B, H + 2·H_kv, D]   this step's projected q|k|v (not yet rotated)
;;   cos/sin [B, D]               rotary tables at each row's position
;;   mask    [B, cap] u8          1 = attend to that slot (cached keys and this step's)
;;   keys    [B·H_kv, cap, D]     key cache, row n = b·H_kv + j
;;   values  [B·H_kv, cap, D]     value cache, same layout
;;   scores  [cap]                scratch (cap a multiple of 4)
;;   out     [B, H, D]            attention output (heads concatenated per row)
;;
;; Source of `decode-attention.wasm.ts` (regenerate with `npm run build:kernels`).
(module
  (import "env" "memory" (memory 1))

  ;; e^x for x ≤ 0 (softmax exponents): Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2,
  ;; and the degree-6 Taylor polynomial of e^r (relative error < 2e-7). 0 below −87; NaN stays NaN.
  (func $exp (param $x f32) (result f32)
    (local $n f32) (local $r f32) (local $p f32)
    (if (f32.lt (local.get $x) (f32.const -87)) (then (return (f32.const 0))))
    (local.set $n (f32.nearest (f32.mul (local.get $x) (f32.const 1.44269504088896))))
    (local.set $r
      (f32.sub
        (f32.sub (local.get $x) (f32.mul (local.get $n) (f32.const 0.693359375)))
        (f32.mul (local.get $n) (f32.const -2.12194440e-4))))
    (local.set $p (f32.add (f32.const 0.00833333333) (f32.mul (local.get $r) (f32.const 0.00138888889))))
    (local.set $p (f32.add (f32.const 0.0416666667) (f32.mul (local.get $r) (local.get $p))))
    (local.set $p (f32.add (f32.const 0.166666667) (f32.mul (local.get $r) (local.get $p))))
    (local.set $p (f32.add (f32.const 0.5) (f32.mul (local.get $r) (local.get $p))))
    (local.set $p (f32.add (f32.const 1) (f32.mul (local.get $r) (local.get $p))))
    (local.set $p (f32.add (f32.const 1) (f32.mul (local.get $r) (local.get $p))))
    (f32.mul
      (local.get $p)
      (f32.reinterpret_i32
        (i32.shl (i32.add (i32.trunc_sat_f32_s (local.get $n)) (i32.const 127)) (i32.const 23)))))

  ;; Exported for the accuracy test.
  (func (export "exp") (param $x f32) (result f32) (call $exp (local.get $x)))

  ;; In place on one head x[0..D): x ← (x·cos + rotate_half(x)·sin)·scale, with
  ;; rotate_half(x) = [−x[D/2..D), x[0..D/2)].
  (func $rotate (param $x i32) (param $cos i32) (param $sin i32) (param $half i32) (param $scale f32)
    (local $lo i32) (local $end i32) (local $halfBytes i32) (local $a f32) (local $b f32)
    (local.set $halfBytes (i32.shl (local.get $half) (i32.const 2)))
    (local.set $lo (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $lo) (local.get $halfBytes)))
        (local.set $a (f32.load (i32.add (local.get $x) (local.get $lo))))
        (local.set $b (f32.load (i32.add (i32.add (local.get $x) (local.get $halfBytes)) (local.get $lo))))
        (f32.store
          (i32.add (local.get $x) (local.get $lo))
          (f32.mul (local.get $scale)
            (f32.sub
              (f32.mul (local.get $a) (f32.load (i32.add (local.get $cos) (local.get $lo))))
              (f32.mul (local.get $b) (f32.load (i32.add (local.get $sin) (local.get $lo)))))))
        (f32.store
          (i32.add (i32.add (local.get $x) (local.get $halfBytes)) (local.get $lo))
          (f32.mul (local.get $scale)
            (f32.add
              (f32.mul (local.get $b) (f32.load (i32.add (i32.add (local.get $cos) (local.get $halfBytes)) (local.get $lo))))
              (f32.mul (local.get $a) (f32.load (i32.add (i32.add (local.get $sin) (local.get $halfBytes)) (local.get $lo)))))))
        (local.set $lo (i32.add (local.get $lo) (i32.const 4)))
        (br $next))))

  ;; Σ a[i]·b[i] over `bytes` / 4 floats (bytes a multiple of 16).
  (func $dot (param $a i32) (param $b i32) (param $bytes i32) (result f32)
    (local $acc v128) (local $end i32)
    (local.set $acc (v128.const f32x4 0 0 0 0))
    (local.set $end (i32.add (local.get $a) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; y[i] += p·x[i] over `bytes` / 4 floats (bytes a multiple of 16).
  (func $axpy (param $y i32) (param $x i32) (param $p f32) (param $bytes i32)
    (local $pv v128) (local $end i32)
    (local.set $pv (f32x4.splat (local.get $p)))
    (local.set $end (i32.add (local.get $y) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y) (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $pv) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next))))

;; e^x on four lanes (x ≤ 0): the same reduction and polynomial as $exp; lanes below −87
  ;; (−∞ included) are 0, NaN stays NaN.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896)))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375))))
        (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.00833333333)) (f32x4.mul (local.get $r) (f32x4.splat (f32.const 0.00138888889)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.0416666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.166666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.5)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (v128.andnot
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23)))
      (f32x4.lt (local.get $x) (f32x4.splat (f32.const -87)))))

  ;; Exported for the accuracy test: e^x on four lanes.
  (func (export "exp4") (param $a f32) (param $b f32) (param $c f32) (param $d f32) (param $out i32)
    (v128.store (local.get $out)
      (call $exp4
        (f32x4.replace_lane 3
          (f32x4.replace_lane 2
            (f32x4.replace_lane 1 (f32x4.splat (local.get $a)) (local.get $b))
            (local.get $c))
          (local.get $d)))))

  ;; [Σ a, Σ b, Σ c, Σ d] of four f32x4 partial sums.
  (func $sum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $ab v128) (local $cd v128)
    (local.set $ab
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
        (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $cd
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d))
        (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))

  ;; scores[t] = q · K[t] for t < len (K rows of `bytes`), four keys per pass.
  (func $scores (param $q i32) (param $keys i32) (param $scores i32) (param $len i32) (param $bytes i32)
    (local $t i32) (local $d i32) (local $qv v128)
    (local $k0 i32) (local $k1 i32) (local $k2 i32) (local $k3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $quadsDone
      (loop $quad
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $len)))
        (local.set $k0 (i32.add (local.get $keys) (i32.mul (local.get $t) (local.get $bytes))))
        (local.set $k1 (i32.add (local.get $k0) (local.get $bytes)))
        (local.set $k2 (i32.add (local.get $k1) (local.get $bytes)))
        (local.set $k3 (i32.add (local.get $k2) (local.get $bytes)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $d (i32.const 0))
        (loop $dNext
          (local.set $qv (v128.load (i32.add (local.get $q) (local.get $d))))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k0) (local.get $d))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k1) (local.get $d))))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k2) (local.get $d))))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $qv) (v128.load (i32.add (local.get $k3) (local.get $d))))))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br_if $dNext (i32.lt_u (local.get $d) (local.get $bytes))))
        (v128.store (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2)))
          (call $sum4 (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $quad)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $len)))
        (f32.store (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2)))
          (call $dot (local.get $q) (i32.add (local.get $keys) (i32.mul (local.get $t) (local.get $bytes))) (local.get $bytes)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next))))

  ;; out = Σ_{t < len} (p[t]·inv)·V[t] (V rows of `bytes`; out zeroed first), four keys per pass.
  (func $mix (param $out i32) (param $values i32) (param $p i32) (param $len i32) (param $bytes i32) (param $inv f32)
    (local $t i32) (local $d i32) (local $pv v128) (local $o i32)
    (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (memory.fill (local.get $out) (i32.const 0) (local.get $bytes))
    (block $quadsDone
      (loop $quad
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $len)))
        (local.set $pv (f32x4.mul (v128.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2)))) (f32x4.splat (local.get $inv))))
        (local.set $p0 (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $pv) (local.get $pv)))
        (local.set $p1 (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $pv) (local.get $pv)))
        (local.set $p2 (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $pv) (local.get $pv)))
        (local.set $p3 (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $pv) (local.get $pv)))
        (local.set $v0 (i32.add (local.get $values) (i32.mul (local.get $t) (local.get $bytes))))
        (local.set $v1 (i32.add (local.get $v0) (local.get $bytes)))
        (local.set $v2 (i32.add (local.get $v1) (local.get $bytes)))
        (local.set $v3 (i32.add (local.get $v2) (local.get $bytes)))
        (local.set $d (i32.const 0))
        (loop $dNext
          (local.set $o (i32.add (local.get $out) (local.get $d)))
          (v128.store (local.get $o)
            (f32x4.add
              (f32x4.add
                (v128.load (local.get $o))
                (f32x4.add
                  (f32x4.mul (local.get $p0) (v128.load (i32.add (local.get $v0) (local.get $d))))
                  (f32x4.mul (local.get $p1) (v128.load (i32.add (local.get $v1) (local.get $d))))))
              (f32x4.add
                (f32x4.mul (local.get $p2) (v128.load (i32.add (local.get $v2) (local.get $d))))
                (f32x4.mul (local.get $p3) (v128.load (i32.add (local.get $v3) (local.get $d)))))))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br_if $dNext (i32.lt_u (local.get $d) (local.get $bytes))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $quad)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $len)))
        (call $axpy (local.get $out) (i32.add (local.get $values) (i32.mul (local.get $t) (local.get $bytes)))
          (f32.mul (f32.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2)))) (local.get $inv))
          (local.get $bytes))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next))))

  (func (export "attend")
    (param $batch i32) (param $heads i32) (param $kvHeads i32) (param $dim i32)
    (param $cap i32) (param $len i32)
    (param $qkv i32) (param $cos i32) (param $sin i32) (param $mask i32)
    (param $keys i32) (param $values i32) (param $scores i32) (param $out i32)
    (param $scale f32)
    (local $b i32) (local $h i32) (local $j i32) (local $t i32)
    (local $headBytes i32) (local $rowBytes i32) (local $slot i32) (local $group i32) (local $half i32)
    (local $base i32) (local $cosB i32) (local $sinB i32) (local $maskB i32)
    (local $q i32) (local $kRow i32) (local $vRow i32) (local $src i32)
    (local $max f32) (local $sum f32) (local $p f32) (local $sum4 v128) (local $maxv v128) (local $e v128)
    (local.set $headBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $cap) (local.get $headBytes)))
    (local.set $slot (i32.mul (i32.sub (local.get $len) (i32.const 1)) (local.get $headBytes)))
    (local.set $group (i32.div_u (local.get $heads) (local.get $kvHeads)))
    (local.set $half (i32.shr_u (local.get $dim) (i32.const 1)))
    (local.set $b (i32.const 0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $base
          (i32.add (local.get $qkv)
            (i32.mul (i32.mul (local.get $b) (i32.add (local.get $heads) (i32.shl (local.get $kvHeads) (i32.const 1)))) (local.get $headBytes))))
        (local.set $cosB (i32.add (local.get $cos) (i32.mul (local.get $b) (local.get $headBytes))))
        (local.set $sinB (i32.add (local.get $sin) (i32.mul (local.get $b) (local.get $headBytes))))
        (local.set $maskB (i32.add (local.get $mask) (i32.mul (local.get $b) (local.get $cap))))
        ;; 1. rotary on query heads (scaled) ...
        (local.set $h (i32.const 0))
        (block $qDone
          (loop $qNext
            (br_if $qDone (i32.ge_u (local.get $h) (local.get $heads)))
            (call $rotate
              (i32.add (local.get $base) (i32.mul (local.get $h) (local.get $headBytes)))
              (local.get $cosB) (local.get $sinB) (local.get $half) (local.get $scale))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $qNext)))
        ;; ... and key heads; 2. append key and value at slot len − 1.
        (local.set $j (i32.const 0))
        (block $kDone
          (loop $kNext
            (br_if $kDone (i32.ge_u (local.get $j) (local.get $kvHeads)))
            (local.set $src (i32.add (local.get $base) (i32.mul (i32.add (local.get $heads) (local.get $j)) (local.get $headBytes))))
            (call $rotate (local.get $src) (local.get $cosB) (local.get $sinB) (local.get $half) (f32.const 1))
            (memory.copy
              (i32.add (i32.add (local.get $keys) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $kvHeads)) (local.get $j)) (local.get $rowBytes))) (local.get $slot))
              (local.get $src)
              (local.get $headBytes))
            (memory.copy
              (i32.add (i32.add (local.get $values) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $kvHeads)) (local.get $j)) (local.get $rowBytes))) (local.get $slot))
              (i32.add (local.get $src) (i32.mul (local.get $kvHeads) (local.get $headBytes)))
              (local.get $headBytes))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $kNext)))
        ;; 3. attention per query head.
        (local.set $h (i32.const 0))
        (block $hDone
          (loop $hNext
            (br_if $hDone (i32.ge_u (local.get $h) (local.get $heads)))
            (local.set $q (i32.add (local.get $base) (i32.mul (local.get $h) (local.get $headBytes))))
            (local.set $j (i32.div_u (local.get $h) (local.get $group)))
            (local.set $kRow (i32.add (local.get $keys) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $kvHeads)) (local.get $j)) (local.get $rowBytes))))
            (local.set $vRow (i32.add (local.get $values) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $kvHeads)) (local.get $j)) (local.get $rowBytes))))
            ;; scores, then −∞ on masked slots and the maximum over the others
            (call $scores (local.get $q) (local.get $kRow) (local.get $scores) (local.get $len) (local.get $headBytes))
            (local.set $max (f32.const -inf))
            (local.set $t (i32.const 0))
            (block $mDone
              (loop $mNext
                (br_if $mDone (i32.ge_u (local.get $t) (local.get $len)))
                (if (i32.load8_u (i32.add (local.get $maskB) (local.get $t)))
                  (then
                    (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2)))))))
                  (else
                    (f32.store (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2))) (f32.const -inf))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $mNext)))
            ;; exponentials (0 on masked slots: e^−∞) and their sum, four slots per pass
            (local.set $sum4 (v128.const f32x4 0 0 0 0))
            (local.set $maxv (f32x4.splat (local.get $max)))
            (local.set $t (i32.const 0))
            (block $e4Done
              (loop $e4Next
                (br_if $e4Done (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $len)))
                (local.set $e (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2)))) (local.get $maxv))))
                (v128.store (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2))) (local.get $e))
                (local.set $sum4 (f32x4.add (local.get $sum4) (local.get $e)))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (br $e4Next)))
            (local.set $sum
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $sum4)) (f32x4.extract_lane 1 (local.get $sum4)))
                (f32.add (f32x4.extract_lane 2 (local.get $sum4)) (f32x4.extract_lane 3 (local.get $sum4)))))
            (block $eDone
              (loop $eNext
                (br_if $eDone (i32.ge_u (local.get $t) (local.get $len)))
                (local.set $p (call $exp (f32.sub (f32.load (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2)))) (local.get $max))))
                (f32.store (i32.add (local.get $scores) (i32.shl (local.get $t) (i32.const 2))) (local.get $p))
                (local.set $sum (f32.add (local.get $sum) (local.get $p)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $eNext)))
            ;; out = Σ_t (p_t / sum)·v_t
            (call $mix
              (i32.add (local.get $out) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (local.get $headBytes)))
              (local.get $vRow) (local.get $scores) (local.get $len) (local.get $headBytes)
              (f32.div (f32.const 1) (local.get $sum)))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (br $hNext)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $row))))
)
