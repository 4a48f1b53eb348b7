// Bench-only: the compact Real-ESRGAN net (SRVGGNetCompact x4) as a Graph, read from the
// safetensors file in ../shared/models, for the compute section's speed rows while the studio's
// own Real-ESRGAN methods are not on this branch. Not a model importer (that lives in the engine).
import fs from 'node:fs';
import type { Graph, GraphNode } from '../src-main/engine/graph/ir';

export const COMPACT_SAFETENSORS = '/work/shared/models/realesr-compact-x4.safetensors';

export function compactGraphFromSafetensors(file = COMPACT_SAFETENSORS): Graph {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + n;
  const tensor = (k: string): Float32Array => {
    const h = header[k];
    if (!h || h.dtype !== 'F32') throw new Error(`${file}: ${k} missing or not F32`);
    const [a, b] = h.data_offsets;
    return new Float32Array(buf.buffer.slice(buf.byteOffset + base + a, buf.byteOffset + base + b));
  };
  const idx = [...new Set(Object.keys(header).map((k) => Number(k.split('.')[1])))].sort((a, b) => a - b);
  const nodes: GraphNode[] = [];
  let prev = 'x';
  for (const i of idx) {
    const w = header[`body.${i}.weight`];
    const out = `b${i}`;
    if (w.shape.length === 4) {
      const [o, ci, kh, kw] = w.shape;
      nodes.push({ op: 'conv', out, input: prev, weight: tensor(`body.${i}.weight`), weightShape: [o, ci, kh, kw], bias: tensor(`body.${i}.bias`), pad: kh >> 1 });
    } else nodes.push({ op: 'prelu', out, input: prev, slope: tensor(`body.${i}.weight`) });
    prev = out;
  }
  nodes.push({ op: 'pixelShuffle', out: 'ps', input: prev, factor: 4, mode: 'CRD' });
  nodes.push({ op: 'upsampleNearest', out: 'base', input: 'x', factor: 4 });
  nodes.push({ op: 'add', out: 'y', inputs: ['ps', 'base'] });
  return { name: 'realesr-compact-x4', input: 'x', inChannels: 3, nodes, output: 'y', outChannels: 3, scale: 4, range: 1 };
}
