/**
 * Conversion between the internal parameter layout (`model/parameters.ts`: [in, out] weights)
 * and Hugging Face tensor names and layouts ([out, in] weights):
 *
 *   model.embed_tokens.weight                         [V, C]
 *   model.layers.N.input_layernorm.weight             [C]
 *   model.layers.N.self_attn.{q,k,v}_proj.weight      [H·D | H_kv·D | H_kv·D, C]  (+ .bias when attention bias)
 *   model.layers.N.self_attn.o_proj.weight            [C, H·D]                     (+ .bias for llama with attention_bias)
 *   model.layers.N.post_attention_layernorm.weight    [C]
 *   model.layers.N.mlp.{gate,up}_proj.weight          [I, C]
 *   model.layers.N.mlp.down_proj.weight               [C, I]
 *   model.norm.weight                                 [C]
 *   lm_head.weight                                    [V, C]   (absent when tie_word_embeddings)
 */
import { CheckpointError } from '@oreal-ts/core';
import type { ModelDimensions } from '../config';
import { names } from '../model/parameters';
import type { HostTensor } from '../training/parameter-trainer';

/** A HF tensor that is a block of columns of an internal (transposed) weight, or the whole of it. */
export interface HuggingFacePart {
  readonly hfName: string;
  /** HF shape. */
  readonly shape: readonly number[];
  readonly internal: string;
  /** 'matrix': HF [out, in] ↔ internal columns [in, offset..offset+out); 'vector': elements offset..offset+n; 'same': identical layout. */
  readonly kind: 'matrix' | 'vector' | 'same';
  readonly offset: number;
}

/** Every HF tensor of a backbone with these dimensions, mapped to internal parameters. `prefix` is `model.` for causal LMs. */
export function huggingFaceParts(d: ModelDimensions, options: { lmHead: boolean } = { lmHead: true }): HuggingFacePart[] {
  const { hidden: c, heads, kvHeads, headDim, intermediate } = d;
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  const parts: HuggingFacePart[] = [{ hfName: 'model.embed_tokens.weight', shape: [d.vocabSize, c], internal: names.embed, kind: 'same', offset: 0 }];
  for (let layer = 0; layer < d.layers; layer++) {
    const p = `model.layers.${layer}.`;
    parts.push({ hfName: `${p}input_layernorm.weight`, shape: [c], internal: names.inputNorm(layer), kind: 'same', offset: 0 });
    parts.push({ hfName: `${p}self_attn.q_proj.weight`, shape: [q, c], internal: names.queryWeight(layer), kind: 'matrix', offset: 0 });
    parts.push({ hfName: `${p}self_attn.k_proj.weight`, shape: [kv, c], internal: names.keyWeight(layer), kind: 'matrix', offset: 0 });
    parts.push({ hfName: `${p}self_attn.v_proj.weight`, shape: [kv, c], internal: names.valueWeight(layer), kind: 'matrix', offset: 0 });
    if (d.qkvBias) {
      parts.push({ hfName: `${p}self_attn.q_proj.bias`, shape: [q], internal: names.queryBias(layer), kind: 'same', offset: 0 });
      parts.push({ hfName: `${p}self_attn.k_proj.bias`, shape: [kv], internal: names.keyBias(layer), kind: 'same', offset: 0 });
      parts.push({ hfName: `${p}self_attn.v_proj.bias`, shape: [kv], internal: names.valueBias(layer), kind: 'same', offset: 0 });
    }
    parts.push({ hfName: `${p}self_attn.o_proj.weight`, shape: [c, q], internal: names.outputWeight(layer), kind: 'matrix', offset: 0 });
    if (d.outputBias) parts.push({ hfName: `${p}self_attn.o_proj.bias`, shape: [c], internal: names.outputBias(layer), kind: 'same', offset: 0 });
    parts.push({ hfName: `${p}post_attention_layernorm.weight`, shape: [c], internal: names.postNorm(layer), kind: 'same', offset: 0 });
    parts.push({ hfName: `${p}mlp.gate_proj.weight`, shape: [intermediate, c], internal: names.gateWeight(layer), kind: 'matrix', offset: 0 });
    parts.push({ hfName: `${p}mlp.up_proj.weight`, shape: [intermediate, c], internal: names.upWeight(layer), kind: 'matrix', offset: 0 });
    parts.push({ hfName: `${p}mlp.down_proj.weight`, shape: [c, intermediate], internal: names.downWeight(layer), kind: 'matrix', offset: 0 });
  }
  parts.push({ hfName: 'model.norm.weight', shape: [c], internal: names.finalNorm, kind: 'same', offset: 0 });
  if (options.lmHead && !d.tied) parts.push({ hfName: 'lm_head.weight', shape: [d.vocabSize, c], internal: names.lmHead, kind: 'matrix', offset: 0 });
  return parts;
}

/** Internal parameters → HF tensors. `internalShapes` gives each internal parameter's shape. */
export function toHuggingFace(parts: readonly HuggingFacePart[], internal: ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const part of parts) {
    const source = internal.get(part.internal);
    if (!source) throw new Error(`internal: parameter ${part.internal} missing`);
    const size = part.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (part.kind === 'same') data.set(source.data);
    else if (part.kind === 'vector') data.set(source.data.subarray(part.offset, part.offset + size));
    else {
      const [rows, columns] = part.shape as [number, number]; // HF [out, in]
      const width = source.shape[1] as number; // internal [in, width]
      for (let o = 0; o < rows; o++) for (let i = 0; i < columns; i++) data[o * columns + i] = source.data[i * width + part.offset + o] as number;
    }
    out.set(part.hfName, { shape: [...part.shape], data });
  }
  return out;
}

/** Names that may appear in HF checkpoints but carry no parameters here. */
function ignorable(name: string, d: ModelDimensions): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (d.tied && name === 'lm_head.weight');
}

/**
 * Check HF tensor names and shapes against the parts of a backbone, before any data is read.
 * Every missing, unexpected or mis-shaped tensor is collected and reported in ONE `CheckpointError`.
 */
export function checkHuggingFaceShapes(
  parts: readonly HuggingFacePart[],
  shapes: ReadonlyMap<string, readonly number[]>,
  d: ModelDimensions,
  where: string,
): void {
  const biasName = 'model.layers.0.self_attn.q_proj.bias';
  const hasBias = shapes.has(biasName);
  if (d.layers > 0 && hasBias !== d.qkvBias) {
    throw new CheckpointError(
      where,
      `config.json (architectures / model_type / attention_bias) says the attention has ${d.qkvBias ? '' : 'no '}q/k/v biases, but the weights ${hasBias ? 'have' : 'lack'} '${biasName}' ` +
        `(${hasBias ? 'Qwen2' : 'Llama'}-style weights); fix architectures and model_type in config.json`,
    );
  }
  const missing: string[] = [];
  const misShaped: string[] = [];
  const expected = new Set(parts.map((part) => part.hfName));
  const unexpected = [...shapes.keys()].filter((name) => !expected.has(name) && !ignorable(name, d));
  for (const part of parts) {
    const shape = shapes.get(part.hfName);
    if (!shape) missing.push(part.hfName);
    else if (shape.length !== part.shape.length || shape.some((n, i) => n !== part.shape[i])) {
      misShaped.push(`${part.hfName} has shape [${shape.join(', ')}], expected [${part.shape.join(', ')}]`);
    }
  }
  if (missing.length + misShaped.length + unexpected.length > 0) {
    const problems = [
      missing.length ? `missing tensors: ${missing.join(', ')}` : '',
      misShaped.length ? `mis-shaped tensors: ${misShaped.join('; ')}` : '',
      unexpected.length ? `unexpected tensors: ${unexpected.join(', ')}` : '',
    ].filter(Boolean);
    throw new CheckpointError(where, `weights do not match config.json (${problems.join(' | ')}); check that config.json belongs to these weights`);
  }
}

/** Copy one HF tensor into its place in an internal parameter (transposing matrices). */
export function placeHuggingFacePart(part: HuggingFacePart, source: HostTensor, target: HostTensor): void {
  if (part.kind === 'same') target.data.set(source.data);
  else if (part.kind === 'vector') target.data.set(source.data, part.offset);
  else {
    const [rows, columns] = part.shape as [number, number];
    const width = target.shape[1] as number;
    for (let o = 0; o < rows; o++) for (let i = 0; i < columns; i++) target.data[i * width + part.offset + o] = source.data[o * columns + i] as number;
  }
}

/**
 * Stream HF tensors into internal parameters one parameter at a time: `read` is called for the
 * parts of one parameter, the parameter is handed to `consume`, and nothing else is kept — peak
 * host memory is one parameter plus the tensors it is made of. Shapes must have been checked
 * with `checkHuggingFaceShapes`. A parameter made of one same-layout tensor is passed on as read.
 */
export async function streamFromHuggingFace(
  parts: readonly HuggingFacePart[],
  internalShapes: ReadonlyMap<string, readonly number[]>,
  read: (hfName: string) => Promise<HostTensor>,
  consume: (internalName: string, value: HostTensor) => void,
): Promise<void> {
  const byInternal = new Map<string, HuggingFacePart[]>();
  for (const part of parts) {
    if (!internalShapes.has(part.internal)) throw new Error(`internal: parameter ${part.internal} not in the model`);
    byInternal.set(part.internal, [...(byInternal.get(part.internal) ?? []), part]);
  }
  for (const [name, shape] of internalShapes) {
    const own = byInternal.get(name) ?? [];
    const only = own[0];
    if (own.length === 1 && only && only.kind === 'same') {
      consume(name, { shape: [...shape], data: (await read(only.hfName)).data });
      continue;
    }
    const target: HostTensor = { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
    for (const part of own) placeHuggingFacePart(part, await read(part.hfName), target);
    consume(name, target);
  }
}

/**
 * HF tensors → internal parameters. Every missing, unexpected or mis-shaped tensor is collected
 * and reported in ONE `CheckpointError`.
 */
export function fromHuggingFace(
  parts: readonly HuggingFacePart[],
  internalShapes: ReadonlyMap<string, readonly number[]>,
  tensors: ReadonlyMap<string, HostTensor>,
  d: ModelDimensions,
  where: string,
): Map<string, HostTensor> {
  checkHuggingFaceShapes(parts, new Map([...tensors].map(([name, tensor]) => [name, tensor.shape])), d, where);
  const out = new Map<string, HostTensor>();
  for (const [name, shape] of internalShapes) out.set(name, { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  for (const part of parts) {
    const target = out.get(part.internal);
    if (!target) throw new Error(`internal: parameter ${part.internal} not in the model`);
    placeHuggingFacePart(part, tensors.get(part.hfName) as HostTensor, target);
  }
  return out;
}
