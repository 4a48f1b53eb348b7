import type { NamedWeight } from './learners';

// Named float32 weights <-> tfjs weight specs + one buffer: the layout of a model folder's
// model.json/weights.bin and of the per-image model cache's entries.

export interface Float32WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Specs in order and the weights' data concatenated. */
export function packWeights(weights: readonly NamedWeight[]): { weightSpecs: Float32WeightSpec[]; weightData: ArrayBuffer } {
  const buf = new Float32Array(weights.reduce((n, w) => n + w.data.length, 0));
  let at = 0;
  for (const w of weights) {
    buf.set(w.data, at);
    at += w.data.length;
  }
  return { weightSpecs: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })), weightData: buf.buffer };
}

/** The weights back, each a copy; the caller has checked that `data` holds what `specs` say. */
export function unpackWeights(specs: readonly { name: string; shape: number[] }[], data: ArrayBuffer): NamedWeight[] {
  const out: NamedWeight[] = [];
  let at = 0;
  for (const s of specs) {
    const n = sizeOf(s.shape);
    out.push({ name: s.name, shape: s.shape, data: new Float32Array(data.slice(at * 4, (at + n) * 4)) });
    at += n;
  }
  return out;
}

/** `stored` unpacked if it has exactly the names and sizes of `like`, in order; else undefined. */
export function unpackLike(stored: { weightSpecs: readonly { name: string; shape: number[] }[]; weightData: ArrayBuffer }, like: readonly NamedWeight[]): NamedWeight[] | undefined {
  const specs = stored.weightSpecs;
  if (specs.length !== like.length || specs.some((s, i) => s.name !== like[i].name || sizeOf(s.shape) !== like[i].data.length)) return undefined;
  if (specs.reduce((n, s) => n + sizeOf(s.shape), 0) * 4 > stored.weightData.byteLength) return undefined;
  return unpackWeights(specs, stored.weightData);
}
