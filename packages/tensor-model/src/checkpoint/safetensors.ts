/**
 * A small, defensive safetensors reader and writer.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {string: string} }`,
 * then the raw little-endian data; offsets are relative to the data section.
 *
 * Reading validates everything before allocating: N against the file size and a 100 MB cap, the
 * JSON, each dtype/shape, offsets in range, byte length = elements × dtype size, and no two
 * tensors overlapping. Any violation is a `CheckpointError` naming the file and the problem.
 * Reads F32, F16 and BF16 (converted to float32); writes F32.
 */
import { CheckpointError } from '@oreal-ts/core';
import type { HostTensor } from '../training/parameter-trainer';

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
/** A safetensors dtype this reader supports. */
export type SupportedDtype = keyof typeof DTYPE_BYTES;

/** One tensor of a safetensors header (offsets relative to the data section). */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: SupportedDtype;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function isSupported(dtype: unknown): dtype is SupportedDtype {
  return typeof dtype === 'string' && Object.hasOwn(DTYPE_BYTES, dtype);
}

/** float16 bits → float32 value. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * Math.pow(2, -14) * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
}

/** Validate the 8-byte length prefix against the file size; returns the header's byte length. */
export function headerLengthOf(prefix: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < 8 || prefix.length < 8) throw new CheckpointError(file, `file is ${fileBytes} bytes, shorter than the 8-byte safetensors header length`);
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `safetensors header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or hostile`);
  }
  const length = Number(headerLength);
  if (8 + length > fileBytes) {
    throw new CheckpointError(file, `safetensors header length ${length} runs past the end of the ${fileBytes}-byte file; the file is truncated or corrupt`);
  }
  return length;
}

function parseHeader(bytes: Uint8Array, file: string): { entries: HeaderEntry[]; dataStart: number; metadata: Record<string, string> } {
  const length = headerLengthOf(bytes, bytes.length, file);
  return parseHeaderJson(bytes.subarray(8, 8 + length), bytes.length, file);
}

/** Parse and validate the JSON header (`json` = the header's bytes) of a file of `fileBytes` bytes. */
export function parseHeaderJson(json: Uint8Array, fileBytes: number, file: string): { entries: HeaderEntry[]; dataStart: number; metadata: Record<string, string> } {
  const length = json.length;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw new CheckpointError(file, `safetensors header is not valid UTF-8 JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new CheckpointError(file, 'safetensors header must be a JSON object');
  }
  const dataStart = 8 + length;
  const dataLength = fileBytes - dataStart;
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw new CheckpointError(file, '__metadata__ must be an object of strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof entry !== 'object' || entry === null) throw new CheckpointError(file, `tensor '${name}': header entry is not an object`);
    if (!isSupported(entry.dtype)) {
      throw new CheckpointError(file, `tensor '${name}': dtype ${JSON.stringify(entry.dtype)} is not supported (F32, F16, BF16); convert the checkpoint`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new CheckpointError(file, `tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new CheckpointError(file, `tensor '${name}': data_offsets ${JSON.stringify(offsets)} must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw new CheckpointError(file, `tensor '${name}': data_offsets [${begin}, ${end}] are outside the ${dataLength}-byte data section`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements * DTYPE_BYTES[entry.dtype] !== end - begin) {
      throw new CheckpointError(file, `tensor '${name}': shape [${shape.join(', ')}] × ${entry.dtype} needs ${elements * DTYPE_BYTES[entry.dtype]} bytes but data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype: entry.dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as HeaderEntry;
    const current = sorted[i] as HeaderEntry;
    if (current.begin < previous.end) {
      throw new CheckpointError(file, `tensors '${previous.name}' and '${current.name}' overlap (bytes ${current.begin}–${previous.end}); the file is corrupt or hostile`);
    }
  }
  return { entries, dataStart, metadata };
}

/** Raw little-endian tensor bytes (aligned) of `dtype` → float32 (F32 is viewed in place, not copied). */
export function toFloat32(raw: Uint8Array, dtype: SupportedDtype): Float32Array {
  if (dtype === 'F32') return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  const data = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = (halves[i] as number) << 16;
  } else {
    for (let i = 0; i < halves.length; i++) data[i] = halfToFloat(halves[i] as number);
  }
  return data;
}

/** Bytes per element of a supported dtype. */
export function dtypeBytes(dtype: SupportedDtype): number {
  return DTYPE_BYTES[dtype];
}

/** Decode a safetensors file's bytes into float32 host tensors. */
export function decodeSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const { entries, dataStart, metadata } = parseHeader(bytes, file);
  const tensors = new Map<string, HostTensor>();
  for (const entry of entries) {
    const raw = new Uint8Array(entry.end - entry.begin); // a copy, so typed views are aligned
    raw.set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    const data = toFloat32(raw, entry.dtype);
    tensors.set(entry.name, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}

/** Dtypes the writer can produce. */
export type WriteDtype = 'F32' | 'BF16';

/**
 * A safetensors file as chunks: the header (length prefix + JSON padded to 8 bytes, sorted names),
 * then each tensor's bytes in name order. F32 chunks are views of the tensors' own memory (no
 * copy); `BF16` keeps the high 16 bits of each float32 (truncation), so weights read from a BF16
 * file are written back byte-identical. Written one after the other, a file never exists whole in
 * memory (fresh memory costs ~3 ms per MB in page faults on the 2-core VM).
 */
export function safetensorsChunks(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string> = {}, dtype: WriteDtype = 'F32'): Uint8Array[] {
  const size = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  const names = [...tensors.keys()].sort();
  let offset = 0;
  for (const name of names) {
    const tensor = tensors.get(name) as HostTensor;
    const bytes = tensor.data.length * size;
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const padding = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(padding);
  const headerBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  const chunks: Uint8Array[] = [head];
  for (const name of names) {
    const data = (tensors.get(name) as HostTensor).data;
    if (dtype === 'F32') {
      chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
      const halves = new Uint16Array(data.length);
      for (let k = 0; k < bits.length; k++) halves[k] = (bits[k] as number) >>> 16;
      chunks.push(new Uint8Array(halves.buffer));
    }
  }
  return chunks;
}

/** Encode float32 host tensors as one safetensors file in memory (`safetensorsChunks` joined). */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string> = {}, dtype: WriteDtype = 'F32'): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata, dtype);
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let position = 0;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.byteLength;
  }
  return out;
}
