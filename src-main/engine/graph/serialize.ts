// A Graph on disk: graph.json (the nodes, weights replaced by references) + weights.bin (each
// array as fp16 when every value of it is exactly a half, else fp32). Imported models are kept
// this way, so loading one never parses the file it came from again.
import { exactHalf, readFloats } from '../models/numbers';
import { checkGraph, type Graph, type GraphNode } from './ir';

interface Ref {
  offset: number;
  length: number;
  dtype: 'float16' | 'float32';
}

const ARRAY_KEYS = ['weight', 'bias', 'slope'] as const;

/** JSON-able description + the bytes of all arrays. */
export function serializeGraph(g: Graph): { json: unknown; data: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const put = (a: Float32Array): Ref => {
    const halves = new Uint16Array(a.length);
    let half = true;
    for (let i = 0; i < a.length && half; i++) {
      const h = exactHalf(a[i]);
      if (h === undefined) half = false;
      else halves[i] = h;
    }
    const bytes = half ? new Uint8Array(halves.buffer) : new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    chunks.push(padded);
    const ref: Ref = { offset, length: a.length, dtype: half ? 'float16' : 'float32' };
    offset += padded.length;
    return ref;
  };
  const nodes = g.nodes.map((n) => {
    const o: Record<string, unknown> = { ...n };
    for (const k of ARRAY_KEYS) if (o[k] instanceof Float32Array) o[k] = put(o[k]);
    return o;
  });
  const data = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) {
    data.set(c, p);
    p += c.length;
  }
  return { json: { ...g, nodes }, data };
}

/** The graph back from serializeGraph's output; throws (plain Error) if anything does not fit. */
export function deserializeGraph(json: unknown, data: Uint8Array): Graph {
  const g = json as Graph & { nodes: Record<string, unknown>[] };
  if (!g || typeof g !== 'object' || !Array.isArray(g.nodes) || typeof g.input !== 'string' || typeof g.output !== 'string') throw new Error('not a stored graph');
  const nodes = g.nodes.map((n) => {
    const o: Record<string, unknown> = { ...n };
    for (const k of ARRAY_KEYS) {
      const r = o[k] as Ref | undefined;
      if (r === undefined) continue;
      if (typeof r !== 'object' || !Number.isInteger(r.offset) || !Number.isInteger(r.length)) throw new Error(`bad ${k} reference`);
      o[k] = readFloats(data, r.offset, r.length, r.dtype === 'float16' ? 'float16' : 'float32');
    }
    return o as unknown as GraphNode;
  });
  const out: Graph = { ...g, nodes };
  checkGraph(out);
  return out;
}
