// .safetensors: 8-byte header length, a JSON header {name: {dtype, shape, data_offsets}}, data.
import { StudioError } from '../../contract/errors';
import { readFloats, type StoredDtype } from './numbers';
import type { StateDict } from './state-dict';

const FLOATS: Record<string, StoredDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };

export function readSafetensors(bytes: Uint8Array): StateDict {
  const bad = (m: string) => new StudioError('E_MODEL_INVALID', `not a readable .safetensors file: ${m}`);
  if (bytes.length < 8) throw bad('too short');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || 8 + n > bytes.length) throw bad('bad header length (truncated?)');
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as typeof header;
  } catch {
    throw bad('the header is not JSON');
  }
  const base = 8 + n;
  const out: StateDict = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype = '', shape, data_offsets: off } = t;
    if (!Array.isArray(shape) || !Array.isArray(off) || off.length !== 2) throw bad(`tensor ${name} has no shape or offsets`);
    if (base + off[1] > bytes.length || off[0] > off[1]) throw bad(`tensor ${name} runs past the end of the file (truncated?)`);
    const f = FLOATS[dtype];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!f) {
      out.set(name, { shape, dtype: dtype.toLowerCase() });
      continue;
    }
    try {
      out.set(name, { shape, dtype: f, data: readFloats(bytes, base + off[0], count, f) });
    } catch {
      throw bad(`tensor ${name} is shorter than its shape`);
    }
  }
  if (out.size === 0) throw bad('no tensors');
  return out;
}
