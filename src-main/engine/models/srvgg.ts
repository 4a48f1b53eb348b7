// SRVGGNetCompact (Real-ESRGAN's compact net) as a Graph: conv + PReLU, num_conv x (conv +
// PReLU), a conv to 3*s*s channels, pixel shuffle by s, plus the input upsampled by nearest.
import type { Graph, GraphNode, ValueId } from '../graph/ir';
import { withShapes } from '../graph/shapes';
import type { Conv } from './rrdb';

export interface SrvggWeights {
  /** Body convs in order, the last one making 3*s*s channels. */
  convs: Conv[];
  /** PReLU slopes after every conv but the last. */
  slopes: Float32Array[];
}

export function buildSrvgg(w: SrvggWeights, name: string): Graph {
  const nodes: GraphNode[] = [];
  let x: ValueId = 'input';
  w.convs.forEach((c, i) => {
    nodes.push({ op: 'conv', out: `c${i}`, input: x, weight: c.weight, weightShape: c.shape, ...(c.bias ? { bias: c.bias } : {}), pad: c.shape[2] >> 1 });
    x = `c${i}`;
    if (i < w.slopes.length) {
      nodes.push({ op: 'prelu', out: `a${i}`, input: x, slope: w.slopes[i] });
      x = `a${i}`;
    }
  });
  const inC = w.convs[0].shape[1];
  const s = Math.round(Math.sqrt(w.convs[w.convs.length - 1].shape[0] / inC));
  nodes.push({ op: 'pixelShuffle', out: 'shuffled', input: x, factor: s, mode: 'CRD' });
  nodes.push({ op: 'upsampleNearest', out: 'base', input: 'input', factor: s });
  nodes.push({ op: 'add', out: 'output', inputs: ['shuffled', 'base'] });
  return withShapes({ name, input: 'input', inChannels: inC, nodes, output: 'output', outChannels: inC, scale: s, range: 1 });
}
