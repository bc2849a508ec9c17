;; Full-sequence self-attention, forward and backward, for CPU backends (wasm SIMD, f32).
;;
;; Training and prefill attend T queries to the same T keys. Computed with tensor ops, that is
;; ~20 transposes, two products as depthwise convolutions, a softmax and their gradients, over
;; [B·H, T, T] tensors. Here one pass per query row does scores, mask, softmax and the value sum;
;; the backward pass recomputes the probabilities from the saved row max and sum (no [T, T]
;; tensor is kept), FlashAttention-style:
;;   s_j = scale·(q_t·k_j) + bias[t, j]      p_j = exp(s_j − m_t) / l_t      o_t = Σ_j p_j v_j
;;   D_t = dO_t·o_t    dS_j = p_j (dO_t·v_j − D_t)
;;   dq_t = scale Σ_j dS_j k_j    dk_j += scale dS_j q_t    dv_j += p_j dO_t
;; Keys whose bias is ≤ −5e8 (the model's MASKED = −1e9: causal and padding) are skipped: their
;; probability is exactly 0 in float32 either way. A row's passes stop after its last attended key
;; (the causal upper triangle costs nothing past the scores' mask check).
;;
;; Memory (byte offsets, f32, 16-byte aligned, D a multiple of 4; key head of query head h is
;; h / (H / H_kv)):
;;   q, o, dO, dq   [B, T, H, D]        k, v, dk, dv   [B, T, H_kv, D]
;;   bias           [B, T, T]           m, l           [B, H, T]  (row max, row sum of exp)
;;   p              2 × [T], each row rounded up to 16 bytes: scratch (query rows go two at a time)
;;
;; Source of `causal-attention.wasm.ts` (regenerate with `npm run build:kernels`).
;; @variant shared-memory (the multi-threaded backend runs it in its own memory, `ops/heap-attention.ts`)
(module
  (import "env" "memory" (memory 1))

  ;; Set by $scores: keys from here on are all masked in the row (T when none is attended).
  (global $keyEnd (mut i32) (i32.const 0))
  ;; Set by $scores2 for its second row: its key end and row max. Set by $dot4x2: the second result.
  (global $keyEndB (mut i32) (i32.const 0))
  (global $maxB (mut f32) (f32.const 0))
  (global $second (mut v128) (v128.const i32x4 0 0 0 0))

  ;; e^x for x ≤ 0, as in decode-attention.wat (Cody–Waite + degree-6 polynomial, rel. error < 2e-7).
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

  ;; a·b over `bytes` bytes (a multiple of 16).
  (func $dot (param $a i32) (param $b i32) (param $bytes i32) (result f32)
    (local $i i32) (local $acc v128)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $acc
          (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; y += alpha·x over `bytes` bytes.
  (func $axpy (param $y i32) (param $alpha f32) (param $x i32) (param $bytes i32)
    (local $i i32) (local $a v128) (local $at i32)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $at (i32.add (local.get $y) (local.get $i)))
        (v128.store (local.get $at)
          (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $a) (v128.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; y *= alpha over `bytes` bytes.
  (func $scale (param $y i32) (param $alpha f32) (param $bytes i32)
    (local $i i32) (local $a v128) (local $at i32)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $at (i32.add (local.get $y) (local.get $i)))
        (v128.store (local.get $at) (f32x4.mul (local.get $a) (v128.load (local.get $at))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; e^x on four lanes, lane for lane the same operations as $exp (so the same values).
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
    (v128.bitselect
      (v128.const i32x4 0 0 0 0)
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23)))
      (f32x4.lt (local.get $x) (f32x4.splat (f32.const -87)))))

  ;; The four dot products a·b_i, b_i = b + i·stride (i < 4), over `bytes` bytes (a multiple of
  ;; 16): a is read once for the four. Each is summed lane by lane and then (l0 + l1) + (l2 + l3),
  ;; exactly as $dot does.
  (func $dot4 (param $a i32) (param $b i32) (param $stride i32) (param $bytes i32) (result v128)
    (local $i i32) (local $x v128) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $b1 (i32.add (local.get $b) (local.get $stride)))
    (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
    (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b) (local.get $i))))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b1) (local.get $i))))))
        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b2) (local.get $i))))))
        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b3) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    ;; [acc0 (l0+l1)+(l2+l3), acc1 …, acc2 …, acc3 …]
    (call $reduce4 (local.get $acc0) (local.get $acc1) (local.get $acc2) (local.get $acc3)))

  ;; Whether all four lanes of a bias block are masked (≤ −5e8).
  (func $allMasked (param $bias v128) (result i32)
    (i32x4.all_true (f32x4.le (local.get $bias) (f32x4.splat (f32.const -5e8)))))

  ;; Scores of query row `qRow` against the T keys of key head `kh` in batch `b`, with the bias
  ;; row: p[j] = s_j, masked keys get their bias. Returns the row max. Keys go four at a time
  ;; (q read once per four; a block of four masked keys costs no product), then one at a time.
  (func $scores
    (param $qRow i32) (param $keys i32) (param $keyStride i32) (param $biasRow i32) (param $p i32)
    (param $time i32) (param $dimBytes i32) (param $scale f32) (result f32)
    (local $j i32) (local $bias f32) (local $s f32) (local $max f32) (local $biases v128) (local $block v128) (local $maxes v128) (local $end i32)
    (local.set $maxes (f32x4.splat (f32.const -inf)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)))
        (local.set $biases (v128.load (i32.add (local.get $biasRow) (i32.shl (local.get $j) (i32.const 2)))))
        (if (call $allMasked (local.get $biases))
          (then (local.set $block (local.get $biases)))
          (else
            (local.set $end (i32.add (local.get $j) (i32.const 4)))
            (local.set $block
              (v128.bitselect
                (local.get $biases)
                (f32x4.add
                  (f32x4.mul (f32x4.splat (local.get $scale))
                    (call $dot4 (local.get $qRow) (i32.add (local.get $keys) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $keyStride) (local.get $dimBytes)))
                  (local.get $biases))
                (f32x4.le (local.get $biases) (f32x4.splat (f32.const -5e8)))))))
        (v128.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (local.get $block))
        (local.set $maxes (f32x4.max (local.get $maxes) (local.get $block)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $blocks)))
    (local.set $max
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $maxes)) (f32x4.extract_lane 1 (local.get $maxes)))
        (f32.max (f32x4.extract_lane 2 (local.get $maxes)) (f32x4.extract_lane 3 (local.get $maxes)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $time)))
        (local.set $bias (f32.load (i32.add (local.get $biasRow) (i32.shl (local.get $j) (i32.const 2)))))
        (if (f32.le (local.get $bias) (f32.const -5e8))
          (then (local.set $s (local.get $bias)))
          (else
            (local.set $end (i32.add (local.get $j) (i32.const 1)))
            (local.set $s
              (f32.add
                (f32.mul (local.get $scale)
                  (call $dot (local.get $qRow) (i32.add (local.get $keys) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $dimBytes)))
                (local.get $bias)))))
        (f32.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
        (local.set $max (f32.max (local.get $max) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    ;; A row that attends to no key (all masked) keeps every key: softmax spreads it uniformly.
    (global.set $keyEnd (select (local.get $end) (local.get $time) (local.get $end)))
    (local.get $max))

  ;; o += Σ_i e_i·v_i over four keys v_i = v + i·stride, `bytes` bytes; o read and written once.
  ;; Each element gets the four terms one after another, in key order.
  (func $accumulate4 (param $o i32) (param $e v128) (param $v i32) (param $stride i32) (param $bytes i32)
    (local $i i32) (local $at i32) (local $acc v128) (local $v1 i32) (local $v2 i32) (local $v3 i32)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local.set $e0 (i32x4.splat (i32x4.extract_lane 0 (local.get $e))))
    (local.set $e1 (i32x4.splat (i32x4.extract_lane 1 (local.get $e))))
    (local.set $e2 (i32x4.splat (i32x4.extract_lane 2 (local.get $e))))
    (local.set $e3 (i32x4.splat (i32x4.extract_lane 3 (local.get $e))))
    (local.set $v1 (i32.add (local.get $v) (local.get $stride)))
    (local.set $v2 (i32.add (local.get $v1) (local.get $stride)))
    (local.set $v3 (i32.add (local.get $v2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $at (i32.add (local.get $o) (local.get $i)))
        (local.set $acc (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $e0) (v128.load (i32.add (local.get $v) (local.get $i))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $e1) (v128.load (i32.add (local.get $v1) (local.get $i))))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $e2) (v128.load (i32.add (local.get $v2) (local.get $i))))))
        (v128.store (local.get $at) (f32x4.add (local.get $acc) (f32x4.mul (local.get $e3) (v128.load (i32.add (local.get $v3) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; $dot4 for two rows a and a2 against the same four b_i (b read once for the two): returns a's,
  ;; sets $second to a2's. Each lane is summed as in $dot4, so the values are $dot4's.
  (func $dot4x2 (param $a i32) (param $a2 i32) (param $b i32) (param $stride i32) (param $bytes i32) (result v128)
    (local $i i32) (local $x v128) (local $y v128) (local $bn v128) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $bcc0 v128) (local $bcc1 v128) (local $bcc2 v128) (local $bcc3 v128)
    (local.set $b1 (i32.add (local.get $b) (local.get $stride)))
    (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
    (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
        (local.set $y (v128.load (i32.add (local.get $a2) (local.get $i))))
        (local.set $bn (v128.load (i32.add (local.get $b) (local.get $i))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $x) (local.get $bn))))
        (local.set $bcc0 (f32x4.add (local.get $bcc0) (f32x4.mul (local.get $y) (local.get $bn))))
        (local.set $bn (v128.load (i32.add (local.get $b1) (local.get $i))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $x) (local.get $bn))))
        (local.set $bcc1 (f32x4.add (local.get $bcc1) (f32x4.mul (local.get $y) (local.get $bn))))
        (local.set $bn (v128.load (i32.add (local.get $b2) (local.get $i))))
        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $x) (local.get $bn))))
        (local.set $bcc2 (f32x4.add (local.get $bcc2) (f32x4.mul (local.get $y) (local.get $bn))))
        (local.set $bn (v128.load (i32.add (local.get $b3) (local.get $i))))
        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $x) (local.get $bn))))
        (local.set $bcc3 (f32x4.add (local.get $bcc3) (f32x4.mul (local.get $y) (local.get $bn))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (global.set $second (call $reduce4 (local.get $bcc0) (local.get $bcc1) (local.get $bcc2) (local.get $bcc3)))
    (call $reduce4 (local.get $acc0) (local.get $acc1) (local.get $acc2) (local.get $acc3)))

  ;; [Σ acc0, Σ acc1, Σ acc2, Σ acc3], each as (l0 + l1) + (l2 + l3): the reduction of $dot4 and $dot4x2.
  (func $reduce4 (param $acc0 v128) (param $acc1 v128) (param $acc2 v128) (param $acc3 v128) (result v128)
    (local $s01 v128) (local $s23 v128)
    (local.set $s01
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $acc0) (local.get $acc1))
        (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $acc0) (local.get $acc1))))
    (local.set $s23
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $acc2) (local.get $acc3))
        (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $acc2) (local.get $acc3))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $s01) (local.get $s23))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $s01) (local.get $s23))))

  ;; $scores for two query rows A and B at once (k read once for the two in blocks of four):
  ;; A's scores to pA, B's to pB. Returns A's row max and sets $keyEnd to A's key end; B's max and
  ;; key end go to $maxB and $keyEndB. The same values as two calls of $scores.
  (func $scores2
    (param $qA i32) (param $qB i32) (param $keys i32) (param $keyStride i32) (param $biasA i32) (param $biasB i32)
    (param $pA i32) (param $pB i32) (param $time i32) (param $dimBytes i32) (param $scale f32) (result f32)
    (local $j i32) (local $endA i32) (local $endB i32) (local $maskedA i32) (local $maskedB i32)
    (local $biasesA v128) (local $biasesB v128) (local $blockA v128) (local $blockB v128) (local $dots v128)
    (local $maxesA v128) (local $maxesB v128) (local $maxA f32) (local $maxB f32) (local $bias f32) (local $s f32) (local $at i32)
    (local.set $maxesA (f32x4.splat (f32.const -inf)))
    (local.set $maxesB (f32x4.splat (f32.const -inf)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $biasesA (v128.load (i32.add (local.get $biasA) (local.get $at))))
        (local.set $biasesB (v128.load (i32.add (local.get $biasB) (local.get $at))))
        (local.set $maskedA (call $allMasked (local.get $biasesA)))
        (local.set $maskedB (call $allMasked (local.get $biasesB)))
        (local.set $blockA (local.get $biasesA))
        (local.set $blockB (local.get $biasesB))
        (if (i32.eqz (i32.and (local.get $maskedA) (local.get $maskedB)))
          (then
            (local.set $dots
              (call $dot4x2 (local.get $qA) (local.get $qB) (i32.add (local.get $keys) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $keyStride) (local.get $dimBytes)))
            (if (i32.eqz (local.get $maskedA))
              (then
                (local.set $endA (i32.add (local.get $j) (i32.const 4)))
                (local.set $blockA
                  (v128.bitselect (local.get $biasesA)
                    (f32x4.add (f32x4.mul (f32x4.splat (local.get $scale)) (local.get $dots)) (local.get $biasesA))
                    (f32x4.le (local.get $biasesA) (f32x4.splat (f32.const -5e8)))))))
            (if (i32.eqz (local.get $maskedB))
              (then
                (local.set $endB (i32.add (local.get $j) (i32.const 4)))
                (local.set $blockB
                  (v128.bitselect (local.get $biasesB)
                    (f32x4.add (f32x4.mul (f32x4.splat (local.get $scale)) (global.get $second)) (local.get $biasesB))
                    (f32x4.le (local.get $biasesB) (f32x4.splat (f32.const -5e8)))))))))
        (v128.store (i32.add (local.get $pA) (local.get $at)) (local.get $blockA))
        (v128.store (i32.add (local.get $pB) (local.get $at)) (local.get $blockB))
        (local.set $maxesA (f32x4.max (local.get $maxesA) (local.get $blockA)))
        (local.set $maxesB (f32x4.max (local.get $maxesB) (local.get $blockB)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $blocks)))
    (local.set $maxA
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $maxesA)) (f32x4.extract_lane 1 (local.get $maxesA)))
        (f32.max (f32x4.extract_lane 2 (local.get $maxesA)) (f32x4.extract_lane 3 (local.get $maxesA)))))
    (local.set $maxB
      (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $maxesB)) (f32x4.extract_lane 1 (local.get $maxesB)))
        (f32.max (f32x4.extract_lane 2 (local.get $maxesB)) (f32x4.extract_lane 3 (local.get $maxesB)))))
    ;; The last T % 4 keys one at a time, row by row (as $scores).
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $time)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $bias (f32.load (i32.add (local.get $biasA) (local.get $at))))
        (if (f32.le (local.get $bias) (f32.const -5e8))
          (then (local.set $s (local.get $bias)))
          (else
            (local.set $endA (i32.add (local.get $j) (i32.const 1)))
            (local.set $s
              (f32.add
                (f32.mul (local.get $scale)
                  (call $dot (local.get $qA) (i32.add (local.get $keys) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $dimBytes)))
                (local.get $bias)))))
        (f32.store (i32.add (local.get $pA) (local.get $at)) (local.get $s))
        (local.set $maxA (f32.max (local.get $maxA) (local.get $s)))
        (local.set $bias (f32.load (i32.add (local.get $biasB) (local.get $at))))
        (if (f32.le (local.get $bias) (f32.const -5e8))
          (then (local.set $s (local.get $bias)))
          (else
            (local.set $endB (i32.add (local.get $j) (i32.const 1)))
            (local.set $s
              (f32.add
                (f32.mul (local.get $scale)
                  (call $dot (local.get $qB) (i32.add (local.get $keys) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $dimBytes)))
                (local.get $bias)))))
        (f32.store (i32.add (local.get $pB) (local.get $at)) (local.get $s))
        (local.set $maxB (f32.max (local.get $maxB) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (global.set $keyEnd (select (local.get $endA) (local.get $time) (local.get $endA)))
    (global.set $keyEndB (select (local.get $endB) (local.get $time) (local.get $endB)))
    (global.set $maxB (local.get $maxB))
    (local.get $maxA))

  ;; o_A += Σ_i eA_i·v_i and o_B += Σ_i eB_i·v_i over four keys (as $accumulate4 for each row; v
  ;; read once for the two).
  (func $accumulate4x2 (param $oA i32) (param $eA v128) (param $oB i32) (param $eB v128) (param $v i32) (param $stride i32) (param $bytes i32)
    (local $i i32) (local $at i32) (local $accA v128) (local $accB v128) (local $vn v128) (local $v1 i32) (local $v2 i32) (local $v3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $a0 (i32x4.splat (i32x4.extract_lane 0 (local.get $eA))))
    (local.set $a1 (i32x4.splat (i32x4.extract_lane 1 (local.get $eA))))
    (local.set $a2 (i32x4.splat (i32x4.extract_lane 2 (local.get $eA))))
    (local.set $a3 (i32x4.splat (i32x4.extract_lane 3 (local.get $eA))))
    (local.set $b0 (i32x4.splat (i32x4.extract_lane 0 (local.get $eB))))
    (local.set $b1 (i32x4.splat (i32x4.extract_lane 1 (local.get $eB))))
    (local.set $b2 (i32x4.splat (i32x4.extract_lane 2 (local.get $eB))))
    (local.set $b3 (i32x4.splat (i32x4.extract_lane 3 (local.get $eB))))
    (local.set $v1 (i32.add (local.get $v) (local.get $stride)))
    (local.set $v2 (i32.add (local.get $v1) (local.get $stride)))
    (local.set $v3 (i32.add (local.get $v2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $vn (v128.load (i32.add (local.get $v) (local.get $i))))
        (local.set $accA (f32x4.add (v128.load (i32.add (local.get $oA) (local.get $i))) (f32x4.mul (local.get $a0) (local.get $vn))))
        (local.set $accB (f32x4.add (v128.load (i32.add (local.get $oB) (local.get $i))) (f32x4.mul (local.get $b0) (local.get $vn))))
        (local.set $vn (v128.load (i32.add (local.get $v1) (local.get $i))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $a1) (local.get $vn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $b1) (local.get $vn))))
        (local.set $vn (v128.load (i32.add (local.get $v2) (local.get $i))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $a2) (local.get $vn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $b2) (local.get $vn))))
        (local.set $vn (v128.load (i32.add (local.get $v3) (local.get $i))))
        (v128.store (i32.add (local.get $oA) (local.get $i)) (f32x4.add (local.get $accA) (f32x4.mul (local.get $a3) (local.get $vn))))
        (v128.store (i32.add (local.get $oB) (local.get $i)) (f32x4.add (local.get $accB) (f32x4.mul (local.get $b3) (local.get $vn))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; The forward of one query row for its keys from `j` on, up to `keyEnd`, continuing the sum
  ;; `sum` of exp: four keys at a time while a whole block fits, then one at a time. Returns the sum.
  (func $rowForward
    (param $j i32) (param $keyEnd i32) (param $time i32) (param $p i32) (param $max f32) (param $sum f32)
    (param $oRow i32) (param $values i32) (param $keyStride i32) (param $dimBytes i32) (result f32)
    (local $e f32) (local $e4 v128)
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.or (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)) (i32.ge_u (local.get $j) (local.get $keyEnd))))
        (local.set $e4 (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $max)))))
        (if (v128.any_true (local.get $e4))
          (then
            (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 0 (local.get $e4))))
            (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 1 (local.get $e4))))
            (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 2 (local.get $e4))))
            (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 3 (local.get $e4))))
            (call $accumulate4 (local.get $oRow) (local.get $e4) (i32.add (local.get $values) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $keyStride) (local.get $dimBytes))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $blocks)))
    (block $done
      (loop $keysLoop
        (br_if $done (i32.ge_u (local.get $j) (local.get $keyEnd)))
        (local.set $e (call $exp (f32.sub (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (local.get $max))))
        (if (f32.gt (local.get $e) (f32.const 0))
          (then
            (local.set $sum (f32.add (local.get $sum) (local.get $e)))
            (call $axpy (local.get $oRow) (local.get $e) (i32.add (local.get $values) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $dimBytes))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $keysLoop)))
    (local.get $sum))

  ;; The backward update of four keys k_i, v_i (i < 4, rows `stride` apart) for one query row:
  ;;   dv_i += prob_i·dO     dq += ds_i·k_i     dk_i += ds_i·q
  ;; over `bytes` bytes, dO, q and dq read once for the four; each element gets the terms in key order.
  (func $backward4
    (param $prob v128) (param $ds v128) (param $dO i32) (param $q i32) (param $dq i32)
    (param $k i32) (param $dk i32) (param $dv i32) (param $stride i32) (param $bytes i32)
    (local $i i32) (local $g v128) (local $x v128) (local $acc v128) (local $at i32)
    (local $stride1 i32) (local $stride2 i32) (local $stride3 i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local.set $stride1 (local.get $stride))
    (local.set $stride2 (i32.shl (local.get $stride) (i32.const 1)))
    (local.set $stride3 (i32.mul (local.get $stride) (i32.const 3)))
    (local.set $p0 (i32x4.splat (i32x4.extract_lane 0 (local.get $prob))))
    (local.set $p1 (i32x4.splat (i32x4.extract_lane 1 (local.get $prob))))
    (local.set $p2 (i32x4.splat (i32x4.extract_lane 2 (local.get $prob))))
    (local.set $p3 (i32x4.splat (i32x4.extract_lane 3 (local.get $prob))))
    (local.set $d0 (i32x4.splat (i32x4.extract_lane 0 (local.get $ds))))
    (local.set $d1 (i32x4.splat (i32x4.extract_lane 1 (local.get $ds))))
    (local.set $d2 (i32x4.splat (i32x4.extract_lane 2 (local.get $ds))))
    (local.set $d3 (i32x4.splat (i32x4.extract_lane 3 (local.get $ds))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $g (v128.load (i32.add (local.get $dO) (local.get $i))))
        (local.set $x (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $acc (v128.load (i32.add (local.get $dq) (local.get $i))))
        ;; key 0
        (local.set $at (i32.add (local.get $dv) (local.get $i)))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $p0) (local.get $g))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d0) (v128.load (i32.add (local.get $k) (local.get $i))))))
        (local.set $at (i32.add (local.get $dk) (local.get $i)))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $d0) (local.get $x))))
        ;; key 1
        (local.set $at (i32.add (local.get $dv) (i32.add (local.get $stride1) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $p1) (local.get $g))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d1) (v128.load (i32.add (local.get $k) (i32.add (local.get $stride1) (local.get $i)))))))
        (local.set $at (i32.add (local.get $dk) (i32.add (local.get $stride1) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $d1) (local.get $x))))
        ;; key 2
        (local.set $at (i32.add (local.get $dv) (i32.add (local.get $stride2) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $p2) (local.get $g))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d2) (v128.load (i32.add (local.get $k) (i32.add (local.get $stride2) (local.get $i)))))))
        (local.set $at (i32.add (local.get $dk) (i32.add (local.get $stride2) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $d2) (local.get $x))))
        ;; key 3
        (local.set $at (i32.add (local.get $dv) (i32.add (local.get $stride3) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $p3) (local.get $g))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d3) (v128.load (i32.add (local.get $k) (i32.add (local.get $stride3) (local.get $i)))))))
        (local.set $at (i32.add (local.get $dk) (i32.add (local.get $stride3) (local.get $i))))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $d3) (local.get $x))))
        (v128.store (i32.add (local.get $dq) (local.get $i)) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; Forward: o, and the row statistics m, l for the backward pass, for the work units
  ;; [first, last): unit u is batch u / H_kv with key head u % H_kv and its G = H / H_kv query
  ;; heads. Units write disjoint parts of o, m and l, so threads can run units side by side.
  ;; Query rows go two at a time (A = t, B = t + 1: $scores2, then $accumulate4x2 over the keys
  ;; both attend, k and v read once for the two), then each through the rest of its keys; every
  ;; value is summed as when the rows go one by one. `p` holds two rows of scores (see backward).
  (func (export "forward")
    (param $batch i32) (param $time i32) (param $heads i32) (param $kvHeads i32) (param $dim i32) (param $scale f32)
    (param $q i32) (param $k i32) (param $v i32) (param $bias i32) (param $o i32) (param $m i32) (param $l i32)
    (param $p i32) (param $first i32) (param $last i32)
    (local $u i32) (local $b i32) (local $h i32) (local $hEnd i32) (local $t i32) (local $j i32) (local $kh i32) (local $group i32)
    (local $dimBytes i32) (local $qStride i32) (local $keyStride i32) (local $keys i32) (local $values i32) (local $pB i32)
    (local $jointEnd i32) (local $biasRow i32) (local $stat i32)
    (local $offA i32) (local $maxA f32) (local $sumA f32) (local $endA i32) (local $eA v128)
    (local $offB i32) (local $maxB f32) (local $sumB f32) (local $endB i32) (local $eB v128)
    (local.set $dimBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $qStride (i32.mul (local.get $heads) (local.get $dimBytes)))
    (local.set $keyStride (i32.mul (local.get $kvHeads) (local.get $dimBytes)))
    (local.set $group (i32.div_u (local.get $heads) (local.get $kvHeads)))
    (local.set $pB (i32.add (local.get $p) (i32.and (i32.add (i32.shl (local.get $time) (i32.const 2)) (i32.const 15)) (i32.const -16))))
    (local.set $u (local.get $first))
    (block $unitsDone
      (loop $units
        (br_if $unitsDone (i32.ge_u (local.get $u) (local.get $last)))
        (local.set $b (i32.div_u (local.get $u) (local.get $kvHeads)))
        (local.set $kh (i32.rem_u (local.get $u) (local.get $kvHeads)))
        ;; keys/values of (b, kh) start at ((b·T)·H_kv + kh)·D
        (local.set $keys
          (i32.add (local.get $k)
            (i32.add (i32.mul (i32.mul (local.get $b) (local.get $time)) (local.get $keyStride)) (i32.mul (local.get $kh) (local.get $dimBytes)))))
        (local.set $values
          (i32.add (local.get $v)
            (i32.add (i32.mul (i32.mul (local.get $b) (local.get $time)) (local.get $keyStride)) (i32.mul (local.get $kh) (local.get $dimBytes)))))
        (local.set $h (i32.mul (local.get $kh) (local.get $group)))
        (local.set $hEnd (i32.add (local.get $h) (local.get $group)))
        (loop $headLoop
          (local.set $t (i32.const 0))
          (block $pairsDone
            (loop $pairs
              (br_if $pairsDone (i32.ge_u (i32.add (local.get $t) (i32.const 1)) (local.get $time)))
              (local.set $offA
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $qStride)) (i32.mul (local.get $h) (local.get $dimBytes))))
              (local.set $offB (i32.add (local.get $offA) (local.get $qStride)))
              (local.set $biasRow
                (i32.add (local.get $bias) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $time)) (i32.const 2))))
              (local.set $maxA
                (call $scores2 (i32.add (local.get $q) (local.get $offA)) (i32.add (local.get $q) (local.get $offB)) (local.get $keys) (local.get $keyStride)
                  (local.get $biasRow) (i32.add (local.get $biasRow) (i32.shl (local.get $time) (i32.const 2)))
                  (local.get $p) (local.get $pB) (local.get $time) (local.get $dimBytes) (local.get $scale)))
              (local.set $maxB (global.get $maxB))
              (local.set $endA (global.get $keyEnd))
              (local.set $endB (global.get $keyEndB))
              (memory.fill (i32.add (local.get $o) (local.get $offA)) (i32.const 0) (local.get $dimBytes))
              (memory.fill (i32.add (local.get $o) (local.get $offB)) (i32.const 0) (local.get $dimBytes))
              (local.set $sumA (f32.const 0))
              (local.set $sumB (f32.const 0))
              (local.set $jointEnd (select (local.get $endA) (local.get $endB) (i32.lt_u (local.get $endA) (local.get $endB))))
              (local.set $j (i32.const 0))
              (block $jointDone
                (loop $joint
                  (br_if $jointDone (i32.or (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)) (i32.ge_u (local.get $j) (local.get $jointEnd))))
                  (local.set $eA (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $maxA)))))
                  (local.set $eB (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $pB) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $maxB)))))
                  (if (v128.any_true (v128.or (local.get $eA) (local.get $eB)))
                    (then
                      (local.set $sumA (f32.add (local.get $sumA) (f32x4.extract_lane 0 (local.get $eA))))
                      (local.set $sumA (f32.add (local.get $sumA) (f32x4.extract_lane 1 (local.get $eA))))
                      (local.set $sumA (f32.add (local.get $sumA) (f32x4.extract_lane 2 (local.get $eA))))
                      (local.set $sumA (f32.add (local.get $sumA) (f32x4.extract_lane 3 (local.get $eA))))
                      (local.set $sumB (f32.add (local.get $sumB) (f32x4.extract_lane 0 (local.get $eB))))
                      (local.set $sumB (f32.add (local.get $sumB) (f32x4.extract_lane 1 (local.get $eB))))
                      (local.set $sumB (f32.add (local.get $sumB) (f32x4.extract_lane 2 (local.get $eB))))
                      (local.set $sumB (f32.add (local.get $sumB) (f32x4.extract_lane 3 (local.get $eB))))
                      (call $accumulate4x2 (i32.add (local.get $o) (local.get $offA)) (local.get $eA) (i32.add (local.get $o) (local.get $offB)) (local.get $eB)
                        (i32.add (local.get $values) (i32.mul (local.get $j) (local.get $keyStride))) (local.get $keyStride) (local.get $dimBytes))))
                  (local.set $j (i32.add (local.get $j) (i32.const 4)))
                  (br $joint)))
              (local.set $sumA
                (call $rowForward (local.get $j) (local.get $endA) (local.get $time) (local.get $p) (local.get $maxA) (local.get $sumA)
                  (i32.add (local.get $o) (local.get $offA)) (local.get $values) (local.get $keyStride) (local.get $dimBytes)))
              (local.set $sumB
                (call $rowForward (local.get $j) (local.get $endB) (local.get $time) (local.get $pB) (local.get $maxB) (local.get $sumB)
                  (i32.add (local.get $o) (local.get $offB)) (local.get $values) (local.get $keyStride) (local.get $dimBytes)))
              (call $scale (i32.add (local.get $o) (local.get $offA)) (f32.div (f32.const 1) (local.get $sumA)) (local.get $dimBytes))
              (call $scale (i32.add (local.get $o) (local.get $offB)) (f32.div (f32.const 1) (local.get $sumB)) (local.get $dimBytes))
              (local.set $stat
                (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (local.get $time)) (local.get $t)) (i32.const 2)))
              (f32.store (i32.add (local.get $m) (local.get $stat)) (local.get $maxA))
              (f32.store (i32.add (local.get $l) (local.get $stat)) (local.get $sumA))
              (f32.store (i32.add (local.get $m) (i32.add (local.get $stat) (i32.const 4))) (local.get $maxB))
              (f32.store (i32.add (local.get $l) (i32.add (local.get $stat) (i32.const 4))) (local.get $sumB))
              (local.set $t (i32.add (local.get $t) (i32.const 2)))
              (br $pairs)))
          ;; An odd last row on its own.
          (if (i32.lt_u (local.get $t) (local.get $time))
            (then
              (local.set $offA
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $qStride)) (i32.mul (local.get $h) (local.get $dimBytes))))
              (local.set $maxA
                (call $scores (i32.add (local.get $q) (local.get $offA)) (local.get $keys) (local.get $keyStride)
                  (i32.add (local.get $bias) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $time)) (i32.const 2)))
                  (local.get $p) (local.get $time) (local.get $dimBytes) (local.get $scale)))
              (memory.fill (i32.add (local.get $o) (local.get $offA)) (i32.const 0) (local.get $dimBytes))
              (local.set $sumA
                (call $rowForward (i32.const 0) (global.get $keyEnd) (local.get $time) (local.get $p) (local.get $maxA) (f32.const 0)
                  (i32.add (local.get $o) (local.get $offA)) (local.get $values) (local.get $keyStride) (local.get $dimBytes)))
              (call $scale (i32.add (local.get $o) (local.get $offA)) (f32.div (f32.const 1) (local.get $sumA)) (local.get $dimBytes))
              (local.set $stat
                (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (local.get $time)) (local.get $t)) (i32.const 2)))
              (f32.store (i32.add (local.get $m) (local.get $stat)) (local.get $maxA))
              (f32.store (i32.add (local.get $l) (local.get $stat)) (local.get $sumA))))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br_if $headLoop (i32.lt_u (local.get $h) (local.get $hEnd))))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $units))))

;; The backward update of four keys for two query rows A and B (rows after one another in one
  ;; head): as $backward4 for A, then for B, element by element, so every dk and dv element gets
  ;; A's term and then B's, as when the rows go one after the other; k, dk and dv are read once
  ;; for the two.
  (func $backward4x2
    (param $probA v128) (param $dsA v128) (param $probB v128) (param $dsB v128)
    (param $dOA i32) (param $dOB i32) (param $qA i32) (param $qB i32) (param $dqA i32) (param $dqB i32)
    (param $k i32) (param $dk i32) (param $dv i32) (param $stride i32) (param $bytes i32)
    (local $i i32) (local $n i32) (local $off i32) (local $at i32)
    (local $gA v128) (local $gB v128) (local $xA v128) (local $xB v128) (local $accA v128) (local $accB v128) (local $kn v128)
    (local $pa0 v128) (local $pa1 v128) (local $pa2 v128) (local $pa3 v128)
    (local $pb0 v128) (local $pb1 v128) (local $pb2 v128) (local $pb3 v128)
    (local $da0 v128) (local $da1 v128) (local $da2 v128) (local $da3 v128)
    (local $db0 v128) (local $db1 v128) (local $db2 v128) (local $db3 v128)
    (local $stride2 i32) (local $stride3 i32)
    (local.set $stride2 (i32.shl (local.get $stride) (i32.const 1)))
    (local.set $stride3 (i32.mul (local.get $stride) (i32.const 3)))
    (local.set $pa0 (i32x4.splat (i32x4.extract_lane 0 (local.get $probA))))
    (local.set $pa1 (i32x4.splat (i32x4.extract_lane 1 (local.get $probA))))
    (local.set $pa2 (i32x4.splat (i32x4.extract_lane 2 (local.get $probA))))
    (local.set $pa3 (i32x4.splat (i32x4.extract_lane 3 (local.get $probA))))
    (local.set $pb0 (i32x4.splat (i32x4.extract_lane 0 (local.get $probB))))
    (local.set $pb1 (i32x4.splat (i32x4.extract_lane 1 (local.get $probB))))
    (local.set $pb2 (i32x4.splat (i32x4.extract_lane 2 (local.get $probB))))
    (local.set $pb3 (i32x4.splat (i32x4.extract_lane 3 (local.get $probB))))
    (local.set $da0 (i32x4.splat (i32x4.extract_lane 0 (local.get $dsA))))
    (local.set $da1 (i32x4.splat (i32x4.extract_lane 1 (local.get $dsA))))
    (local.set $da2 (i32x4.splat (i32x4.extract_lane 2 (local.get $dsA))))
    (local.set $da3 (i32x4.splat (i32x4.extract_lane 3 (local.get $dsA))))
    (local.set $db0 (i32x4.splat (i32x4.extract_lane 0 (local.get $dsB))))
    (local.set $db1 (i32x4.splat (i32x4.extract_lane 1 (local.get $dsB))))
    (local.set $db2 (i32x4.splat (i32x4.extract_lane 2 (local.get $dsB))))
    (local.set $db3 (i32x4.splat (i32x4.extract_lane 3 (local.get $dsB))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gA (v128.load (i32.add (local.get $dOA) (local.get $i))))
        (local.set $gB (v128.load (i32.add (local.get $dOB) (local.get $i))))
        (local.set $xA (v128.load (i32.add (local.get $qA) (local.get $i))))
        (local.set $xB (v128.load (i32.add (local.get $qB) (local.get $i))))
        (local.set $accA (v128.load (i32.add (local.get $dqA) (local.get $i))))
        (local.set $accB (v128.load (i32.add (local.get $dqB) (local.get $i))))
        ;; key 0
        (local.set $at (i32.add (local.get $dv) (local.get $i)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $pa0) (local.get $gA))) (f32x4.mul (local.get $pb0) (local.get $gB))))
        (local.set $kn (v128.load (i32.add (local.get $k) (local.get $i))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $da0) (local.get $kn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $db0) (local.get $kn))))
        (local.set $at (i32.add (local.get $dk) (local.get $i)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $da0) (local.get $xA))) (f32x4.mul (local.get $db0) (local.get $xB))))
        ;; key 1
        (local.set $off (i32.add (local.get $stride) (local.get $i)))
        (local.set $at (i32.add (local.get $dv) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $pa1) (local.get $gA))) (f32x4.mul (local.get $pb1) (local.get $gB))))
        (local.set $kn (v128.load (i32.add (local.get $k) (local.get $off))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $da1) (local.get $kn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $db1) (local.get $kn))))
        (local.set $at (i32.add (local.get $dk) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $da1) (local.get $xA))) (f32x4.mul (local.get $db1) (local.get $xB))))
        ;; key 2
        (local.set $off (i32.add (local.get $stride2) (local.get $i)))
        (local.set $at (i32.add (local.get $dv) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $pa2) (local.get $gA))) (f32x4.mul (local.get $pb2) (local.get $gB))))
        (local.set $kn (v128.load (i32.add (local.get $k) (local.get $off))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $da2) (local.get $kn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $db2) (local.get $kn))))
        (local.set $at (i32.add (local.get $dk) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $da2) (local.get $xA))) (f32x4.mul (local.get $db2) (local.get $xB))))
        ;; key 3
        (local.set $off (i32.add (local.get $stride3) (local.get $i)))
        (local.set $at (i32.add (local.get $dv) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $pa3) (local.get $gA))) (f32x4.mul (local.get $pb3) (local.get $gB))))
        (local.set $kn (v128.load (i32.add (local.get $k) (local.get $off))))
        (local.set $accA (f32x4.add (local.get $accA) (f32x4.mul (local.get $da3) (local.get $kn))))
        (local.set $accB (f32x4.add (local.get $accB) (f32x4.mul (local.get $db3) (local.get $kn))))
        (local.set $at (i32.add (local.get $dk) (local.get $off)))
        (v128.store (local.get $at)
          (f32x4.add (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $da3) (local.get $xA))) (f32x4.mul (local.get $db3) (local.get $xB))))
        (v128.store (i32.add (local.get $dqA) (local.get $i)) (local.get $accA))
        (v128.store (i32.add (local.get $dqB) (local.get $i)) (local.get $accB))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; The backward of one query row for its keys from `j` on, up to `keyEnd`: four keys at a time
  ;; (see $backward4) while a whole block fits, then one at a time. `dO`, `q` and `dq` are the
  ;; row's; `keys`, `values`, `dk` and `dv` the key head's first rows; `p` the row's scores.
  (func $rowBackward
    (param $j i32) (param $keyEnd i32) (param $time i32) (param $p i32)
    (param $max f32) (param $inverse f32) (param $rowDot f32) (param $scale f32)
    (param $dO i32) (param $q i32) (param $dq i32)
    (param $keys i32) (param $values i32) (param $dk i32) (param $dv i32) (param $keyStride i32) (param $dimBytes i32)
    (local $prob f32) (local $ds f32) (local $prob4 v128) (local $ds4 v128) (local $at i32)
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.or (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)) (i32.ge_u (local.get $j) (local.get $keyEnd))))
        (local.set $prob4
          (f32x4.mul (f32x4.splat (local.get $inverse))
            (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $max))))))
        (if (v128.any_true (local.get $prob4))
          (then
            (local.set $at (i32.mul (local.get $j) (local.get $keyStride)))
            (local.set $ds4
              (f32x4.mul (f32x4.splat (local.get $scale))
                (f32x4.mul (local.get $prob4)
                  (f32x4.sub
                    (call $dot4 (local.get $dO) (i32.add (local.get $values) (local.get $at)) (local.get $keyStride) (local.get $dimBytes))
                    (f32x4.splat (local.get $rowDot))))))
            (call $backward4 (local.get $prob4) (local.get $ds4) (local.get $dO) (local.get $q) (local.get $dq)
              (i32.add (local.get $keys) (local.get $at)) (i32.add (local.get $dk) (local.get $at)) (i32.add (local.get $dv) (local.get $at))
              (local.get $keyStride) (local.get $dimBytes))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $blocks)))
    (block $done
      (loop $keysLoop
        (br_if $done (i32.ge_u (local.get $j) (local.get $keyEnd)))
        (local.set $prob
          (f32.mul (local.get $inverse)
            (call $exp (f32.sub (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (local.get $max)))))
        (if (f32.gt (local.get $prob) (f32.const 0))
          (then
            (local.set $at (i32.mul (local.get $j) (local.get $keyStride)))
            (local.set $ds
              (f32.mul (local.get $scale)
                (f32.mul (local.get $prob)
                  (f32.sub
                    (call $dot (local.get $dO) (i32.add (local.get $values) (local.get $at)) (local.get $dimBytes))
                    (local.get $rowDot)))))
            (call $axpy (i32.add (local.get $dv) (local.get $at)) (local.get $prob) (local.get $dO) (local.get $dimBytes))
            (call $axpy (local.get $dq) (local.get $ds) (i32.add (local.get $keys) (local.get $at)) (local.get $dimBytes))
            (call $axpy (i32.add (local.get $dk) (local.get $at)) (local.get $ds) (local.get $q) (local.get $dimBytes))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $keysLoop))))

  ;; Backward for the work units [first, last) (as in forward): dq, dk and dv overwritten. A
  ;; unit zeroes its key head's rows of dk and dv, then accumulates over its G query heads, so
  ;; units write disjoint memory and the sums run in the same order whatever the thread count.
  ;; Query rows go two at a time (A = t, B = t + 1) through the keys both attend ($backward4x2:
  ;; k, dk and dv read once for the two), then each through the rest of its own keys; every dk,
  ;; dv element still gets its terms in row order. `p` holds two rows of scores (2 × T floats,
  ;; each row 16-byte aligned).
  (func (export "backward")
    (param $batch i32) (param $time i32) (param $heads i32) (param $kvHeads i32) (param $dim i32) (param $scale f32)
    (param $q i32) (param $k i32) (param $v i32) (param $bias i32) (param $o i32) (param $m i32) (param $l i32)
    (param $dO i32) (param $dq i32) (param $dk i32) (param $dv i32)
    (param $p i32) (param $first i32) (param $last i32)
    (local $u i32) (local $b i32) (local $h i32) (local $hEnd i32) (local $t i32) (local $j i32) (local $kh i32) (local $group i32)
    (local $dimBytes i32) (local $qStride i32) (local $keyStride i32) (local $keyOffset i32)
    (local $keys i32) (local $values i32) (local $dkHead i32) (local $dvHead i32) (local $pB i32) (local $jointEnd i32) (local $at i32) (local $biasRow i32)
    (local $offA i32) (local $maxA f32) (local $invA f32) (local $dotA f32) (local $endA i32) (local $probA v128) (local $dsA v128)
    (local $offB i32) (local $maxB f32) (local $invB f32) (local $dotB f32) (local $endB i32) (local $probB v128) (local $dsB v128)
    (local.set $dimBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $qStride (i32.mul (local.get $heads) (local.get $dimBytes)))
    (local.set $keyStride (i32.mul (local.get $kvHeads) (local.get $dimBytes)))
    (local.set $group (i32.div_u (local.get $heads) (local.get $kvHeads)))
    (local.set $pB (i32.add (local.get $p) (i32.and (i32.add (i32.shl (local.get $time) (i32.const 2)) (i32.const 15)) (i32.const -16))))
    (local.set $u (local.get $first))
    (block $unitsDone
      (loop $units
        (br_if $unitsDone (i32.ge_u (local.get $u) (local.get $last)))
        (local.set $b (i32.div_u (local.get $u) (local.get $kvHeads)))
        (local.set $kh (i32.rem_u (local.get $u) (local.get $kvHeads)))
        (local.set $keyOffset
          (i32.add (i32.mul (i32.mul (local.get $b) (local.get $time)) (local.get $keyStride)) (i32.mul (local.get $kh) (local.get $dimBytes))))
        (local.set $keys (i32.add (local.get $k) (local.get $keyOffset)))
        (local.set $values (i32.add (local.get $v) (local.get $keyOffset)))
        (local.set $dkHead (i32.add (local.get $dk) (local.get $keyOffset)))
        (local.set $dvHead (i32.add (local.get $dv) (local.get $keyOffset)))
        ;; Zero this key head's rows of dk and dv.
        (local.set $j (i32.const 0))
        (loop $zero
          (memory.fill (i32.add (local.get $dkHead) (i32.mul (local.get $j) (local.get $keyStride))) (i32.const 0) (local.get $dimBytes))
          (memory.fill (i32.add (local.get $dvHead) (i32.mul (local.get $j) (local.get $keyStride))) (i32.const 0) (local.get $dimBytes))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $zero (i32.lt_u (local.get $j) (local.get $time))))
        (local.set $h (i32.mul (local.get $kh) (local.get $group)))
        (local.set $hEnd (i32.add (local.get $h) (local.get $group)))
        (loop $headLoop
          (local.set $t (i32.const 0))
          (block $pairsDone
            (loop $pairs
              (br_if $pairsDone (i32.ge_u (i32.add (local.get $t) (i32.const 1)) (local.get $time)))
              ;; Row A = t: statistics, dO·o; dq zeroed.
              (local.set $offA
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $qStride)) (i32.mul (local.get $h) (local.get $dimBytes))))
              (local.set $at
                (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (local.get $time)) (local.get $t)) (i32.const 2)))
              (local.set $maxA (f32.load (i32.add (local.get $m) (local.get $at))))
              (local.set $invA (f32.div (f32.const 1) (f32.load (i32.add (local.get $l) (local.get $at)))))
              (local.set $dotA (call $dot (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $o) (local.get $offA)) (local.get $dimBytes)))
              (memory.fill (i32.add (local.get $dq) (local.get $offA)) (i32.const 0) (local.get $dimBytes))
              ;; Row B = t + 1 likewise; then both rows' scores (B's in the second row of p).
              (local.set $offB (i32.add (local.get $offA) (local.get $qStride)))
              (local.set $at (i32.add (local.get $at) (i32.const 4)))
              (local.set $maxB (f32.load (i32.add (local.get $m) (local.get $at))))
              (local.set $invB (f32.div (f32.const 1) (f32.load (i32.add (local.get $l) (local.get $at)))))
              (local.set $biasRow
                (i32.add (local.get $bias) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $time)) (i32.const 2))))
              (drop
                (call $scores2 (i32.add (local.get $q) (local.get $offA)) (i32.add (local.get $q) (local.get $offB)) (local.get $keys) (local.get $keyStride)
                  (local.get $biasRow) (i32.add (local.get $biasRow) (i32.shl (local.get $time) (i32.const 2)))
                  (local.get $p) (local.get $pB) (local.get $time) (local.get $dimBytes) (local.get $scale)))
              (local.set $endA (global.get $keyEnd))
              (local.set $endB (global.get $keyEndB))
              (local.set $dotB (call $dot (i32.add (local.get $dO) (local.get $offB)) (i32.add (local.get $o) (local.get $offB)) (local.get $dimBytes)))
              (memory.fill (i32.add (local.get $dq) (local.get $offB)) (i32.const 0) (local.get $dimBytes))
              ;; The blocks of four keys both rows attend.
              (local.set $jointEnd (select (local.get $endA) (local.get $endB) (i32.lt_u (local.get $endA) (local.get $endB))))
              (local.set $j (i32.const 0))
              (block $jointDone
                (loop $joint
                  (br_if $jointDone (i32.or (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $time)) (i32.ge_u (local.get $j) (local.get $jointEnd))))
                  (local.set $probA
                    (f32x4.mul (f32x4.splat (local.get $invA))
                      (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $maxA))))))
                  (local.set $probB
                    (f32x4.mul (f32x4.splat (local.get $invB))
                      (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $pB) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $maxB))))))
                  (if (v128.any_true (v128.or (local.get $probA) (local.get $probB)))
                    (then
                      (local.set $at (i32.mul (local.get $j) (local.get $keyStride)))
                      (local.set $dsA
                        (f32x4.mul (f32x4.splat (local.get $scale))
                          (f32x4.mul (local.get $probA)
                            (f32x4.sub
                              (call $dot4x2 (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $dO) (local.get $offB))
                                (i32.add (local.get $values) (local.get $at)) (local.get $keyStride) (local.get $dimBytes))
                              (f32x4.splat (local.get $dotA))))))
                      (local.set $dsB
                        (f32x4.mul (f32x4.splat (local.get $scale))
                          (f32x4.mul (local.get $probB) (f32x4.sub (global.get $second) (f32x4.splat (local.get $dotB))))))
                      (call $backward4x2 (local.get $probA) (local.get $dsA) (local.get $probB) (local.get $dsB)
                        (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $dO) (local.get $offB))
                        (i32.add (local.get $q) (local.get $offA)) (i32.add (local.get $q) (local.get $offB))
                        (i32.add (local.get $dq) (local.get $offA)) (i32.add (local.get $dq) (local.get $offB))
                        (i32.add (local.get $keys) (local.get $at)) (i32.add (local.get $dkHead) (local.get $at)) (i32.add (local.get $dvHead) (local.get $at))
                        (local.get $keyStride) (local.get $dimBytes))))
                  (local.set $j (i32.add (local.get $j) (i32.const 4)))
                  (br $joint)))
              ;; The rest of each row's keys, A's first.
              (call $rowBackward (local.get $j) (local.get $endA) (local.get $time) (local.get $p)
                (local.get $maxA) (local.get $invA) (local.get $dotA) (local.get $scale)
                (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $q) (local.get $offA)) (i32.add (local.get $dq) (local.get $offA))
                (local.get $keys) (local.get $values) (local.get $dkHead) (local.get $dvHead) (local.get $keyStride) (local.get $dimBytes))
              (call $rowBackward (local.get $j) (local.get $endB) (local.get $time) (local.get $pB)
                (local.get $maxB) (local.get $invB) (local.get $dotB) (local.get $scale)
                (i32.add (local.get $dO) (local.get $offB)) (i32.add (local.get $q) (local.get $offB)) (i32.add (local.get $dq) (local.get $offB))
                (local.get $keys) (local.get $values) (local.get $dkHead) (local.get $dvHead) (local.get $keyStride) (local.get $dimBytes))
              (local.set $t (i32.add (local.get $t) (i32.const 2)))
              (br $pairs)))
          ;; An odd last row on its own.
          (if (i32.lt_u (local.get $t) (local.get $time))
            (then
              (local.set $offA
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $qStride)) (i32.mul (local.get $h) (local.get $dimBytes))))
              (local.set $at
                (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $heads)) (local.get $h)) (local.get $time)) (local.get $t)) (i32.const 2)))
              (local.set $maxA (f32.load (i32.add (local.get $m) (local.get $at))))
              (local.set $invA (f32.div (f32.const 1) (f32.load (i32.add (local.get $l) (local.get $at)))))
              (drop
                (call $scores (i32.add (local.get $q) (local.get $offA)) (local.get $keys) (local.get $keyStride)
                  (i32.add (local.get $bias) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $time)) (local.get $t)) (local.get $time)) (i32.const 2)))
                  (local.get $p) (local.get $time) (local.get $dimBytes) (local.get $scale)))
              (local.set $endA (global.get $keyEnd))
              (local.set $dotA (call $dot (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $o) (local.get $offA)) (local.get $dimBytes)))
              (memory.fill (i32.add (local.get $dq) (local.get $offA)) (i32.const 0) (local.get $dimBytes))
              (call $rowBackward (i32.const 0) (local.get $endA) (local.get $time) (local.get $p)
                (local.get $maxA) (local.get $invA) (local.get $dotA) (local.get $scale)
                (i32.add (local.get $dO) (local.get $offA)) (i32.add (local.get $q) (local.get $offA)) (i32.add (local.get $dq) (local.get $offA))
                (local.get $keys) (local.get $values) (local.get $dkHead) (local.get $dvHead) (local.get $keyStride) (local.get $dimBytes))))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br_if $headLoop (i32.lt_u (local.get $h) (local.get $hEnd))))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $units))))
)
