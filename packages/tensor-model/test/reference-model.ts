/**
 * A deliberately naive float64 JS re-implementation of Hugging Face's LlamaModel / Qwen2Model
 * forward (modeling_llama.py), reading HF tensor names and [out, in] layouts directly. Used only
 * as an independent oracle in tests: it shares no code with src/ except the tensor map it reads.
 */
import type { HostTensor } from '../src/training/parameter-trainer';
import type { ModelDimensions } from '../src/config';

type Matrix = number[][];

function get(weights: ReadonlyMap<string, HostTensor>, name: string): HostTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t;
}

/** y = x·Wᵀ + b with HF W [out, in]. */
function hfLinear(x: Matrix, w: HostTensor, b?: HostTensor): Matrix {
  const [out, inner] = w.shape as [number, number];
  return x.map((row) => {
    const y: number[] = [];
    for (let o = 0; o < out; o++) {
      let s = b ? (b.data[o] as number) : 0;
      for (let i = 0; i < inner; i++) s += (row[i] as number) * (w.data[o * inner + i] as number);
      y.push(s);
    }
    return y;
  });
}

function rmsNorm(x: Matrix, w: HostTensor, eps: number): Matrix {
  return x.map((row) => {
    const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
    const r = 1 / Math.sqrt(ms + eps);
    return row.map((v, i) => v * r * (w.data[i] as number));
  });
}

/** HF apply_rotary_pos_emb on one head vector at position p. */
function rope(v: number[], p: number, theta: number): number[] {
  const d = v.length;
  const half = d / 2;
  const out: number[] = [];
  for (let j = 0; j < d; j++) {
    const i = j % half;
    const angle = p / Math.pow(theta, (2 * i) / d);
    const rotated = j < half ? -(v[j + half] as number) : (v[j - half] as number); // rotate_half
    out.push((v[j] as number) * Math.cos(angle) + rotated * Math.sin(angle));
  }
  return out;
}

/**
 * Logits [T][V] for ONE row with an attention mask (0 = padding, anywhere): positions are
 * cumsum(mask) − 1, keys masked where mask = 0 or in the future. Rows at padding are returned but meaningless.
 */
export function referenceLogits(weights: ReadonlyMap<string, HostTensor>, d: ModelDimensions, ids: number[], mask: number[] = ids.map(() => 1)): Matrix {
  const T = ids.length;
  const { hidden: C, heads: H, kvHeads: Hkv, headDim: D } = d;
  const embedding = get(weights, 'model.embed_tokens.weight');
  let x: Matrix = ids.map((id) => Array.from(embedding.data.subarray(id * C, (id + 1) * C)));
  const positions: number[] = [];
  let count = 0;
  for (let t = 0; t < T; t++) positions.push(mask[t] ? count++ : 1);
  for (let layer = 0; layer < d.layers; layer++) {
    const p = `model.layers.${layer}.`;
    const bias = (name: string) => (weights.has(`${p}${name}.bias`) ? get(weights, `${p}${name}.bias`) : undefined);
    const h = rmsNorm(x, get(weights, `${p}input_layernorm.weight`), d.eps);
    const q = hfLinear(h, get(weights, `${p}self_attn.q_proj.weight`), bias('self_attn.q_proj'));
    const k = hfLinear(h, get(weights, `${p}self_attn.k_proj.weight`), bias('self_attn.k_proj'));
    const v = hfLinear(h, get(weights, `${p}self_attn.v_proj.weight`), bias('self_attn.v_proj'));
    const attended: Matrix = Array.from({ length: T }, () => new Array<number>(H * D).fill(0));
    for (let head = 0; head < H; head++) {
      const kvHead = Math.floor(head / (H / Hkv)); // repeat_kv
      const qs = q.map((row, t) => rope(row.slice(head * D, (head + 1) * D), positions[t] as number, d.ropeTheta));
      const ks = k.map((row, t) => rope(row.slice(kvHead * D, (kvHead + 1) * D), positions[t] as number, d.ropeTheta));
      const vs = v.map((row) => row.slice(kvHead * D, (kvHead + 1) * D));
      for (let i = 0; i < T; i++) {
        const allowed: number[] = [];
        for (let j = 0; j <= i; j++) if (mask[j]) allowed.push(j);
        if (allowed.length === 0) continue;
        const scores = allowed.map((j) => (qs[i] as number[]).reduce((s, a, c) => s + a * ((ks[j] as number[])[c] as number), 0) / Math.sqrt(D));
        const top = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - top));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let c = 0; c < D; c++) {
          let s = 0;
          allowed.forEach((j, n) => (s += ((exps[n] as number) / total) * ((vs[j] as number[])[c] as number)));
          (attended[i] as number[])[head * D + c] = s;
        }
      }
    }
    const o = hfLinear(attended, get(weights, `${p}self_attn.o_proj.weight`), bias('self_attn.o_proj'));
    x = x.map((row, t) => row.map((a, c) => a + ((o[t] as number[])[c] as number)));
    const h2 = rmsNorm(x, get(weights, `${p}post_attention_layernorm.weight`), d.eps);
    const gate = hfLinear(h2, get(weights, `${p}mlp.gate_proj.weight`));
    const up = hfLinear(h2, get(weights, `${p}mlp.up_proj.weight`));
    const act = gate.map((row, t) => row.map((g, i) => (g / (1 + Math.exp(-g))) * ((up[t] as number[])[i] as number)));
    const down = hfLinear(act, get(weights, `${p}mlp.down_proj.weight`));
    x = x.map((row, t) => row.map((a, c) => a + ((down[t] as number[])[c] as number)));
  }
  const normed = rmsNorm(x, get(weights, 'model.norm.weight'), d.eps);
  return hfLinear(normed, weights.get('lm_head.weight') ?? embedding);
}
