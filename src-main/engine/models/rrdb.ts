// RRDBNet (ESRGAN's generator, as in Real-ESRGAN / BasicSR) as a Graph: conv_first, nb
// residual-in-residual dense blocks, conv_body, nearest x2 upsampling + conv per step, conv_hr,
// conv_last. x1 and x2 models read a pixel-unshuffled input (by 4 and by 2).
import type { Graph, GraphNode, ValueId } from '../graph/ir';
import { withShapes } from '../graph/shapes';

export interface Conv {
  weight: Float32Array;
  shape: [number, number, number, number];
  bias?: Float32Array;
}

export interface RrdbWeights {
  /** Pixel-unshuffle factor of the input (1, 2 or 4). */
  unshuffle: number;
  first: Conv;
  /** blocks[b][r][c]: conv c (0..4) of dense block r (0..2) of RRDB b. */
  blocks: Conv[][][];
  body: Conv;
  /** One conv after each nearest x2 upsampling. */
  ups: Conv[];
  hr: Conv;
  last: Conv;
}

const SLOPE = 0.2;

export function buildRrdb(w: RrdbWeights, name: string): Graph {
  const nodes: GraphNode[] = [];
  let n = 0;
  const conv = (input: ValueId, c: Conv, lrelu: boolean): ValueId => {
    const out = `v${n++}`;
    nodes.push({ op: 'conv', out, input, weight: c.weight, weightShape: c.shape, ...(c.bias ? { bias: c.bias } : {}), pad: c.shape[2] >> 1 });
    if (!lrelu) return out;
    nodes.push({ op: 'leakyRelu', out: `v${n++}`, input: out, alpha: SLOPE });
    return `v${n - 1}`;
  };
  const residual = (x: ValueId, skip: ValueId): ValueId => {
    nodes.push({ op: 'scale', out: `v${n++}`, input: x, factor: 0.2 });
    nodes.push({ op: 'add', out: `v${n++}`, inputs: [`v${n - 2}`, skip] });
    return `v${n - 1}`;
  };
  let x: ValueId = 'input';
  if (w.unshuffle > 1) {
    nodes.push({ op: 'pixelUnshuffle', out: 'unshuffled', input: x, factor: w.unshuffle });
    x = 'unshuffled';
  }
  const feat = conv(x, w.first, false);
  let h = feat;
  for (const rrdb of w.blocks) {
    const rrdbIn = h;
    for (const rdb of rrdb) {
      const rdbIn = h;
      const parts = [rdbIn];
      for (let c = 0; c < 4; c++) {
        let cat = parts[0];
        if (parts.length > 1) {
          cat = `v${n++}`;
          nodes.push({ op: 'concat', out: cat, inputs: [...parts] });
        }
        parts.push(conv(cat, rdb[c], true));
      }
      const cat = `v${n++}`;
      nodes.push({ op: 'concat', out: cat, inputs: [...parts] });
      h = residual(conv(cat, rdb[4], false), rdbIn);
    }
    h = residual(h, rrdbIn);
  }
  const body = conv(h, w.body, false);
  nodes.push({ op: 'add', out: `v${n++}`, inputs: [feat, body] });
  h = `v${n - 1}`;
  for (const up of w.ups) {
    nodes.push({ op: 'upsampleNearest', out: `v${n++}`, input: h, factor: 2 });
    h = conv(`v${n - 1}`, up, true);
  }
  const out = conv(conv(h, w.hr, true), w.last, false);
  return withShapes({ name, input: 'input', inChannels: w.first.shape[1] / (w.unshuffle * w.unshuffle), nodes, output: out, outChannels: w.last.shape[0], scale: 1, range: 1 });
}
