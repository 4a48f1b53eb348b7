// ZSSR's network as a Graph (inference): `depth` k x k convolutions with ReLU between, and the
// input added back (the net learns the residual over the interpolated image). Weights are in
// the layout the trainers use (tfjs HWIO kernels).
import type { ConvNetWeights } from '../fast/convnet';
import { hwioToOihw } from './from-keras';
import type { Graph, GraphNode } from './ir';

export interface ZssrNetShape {
  depth: number;
  width: number;
  kernel: number;
}

export function zssrGraph(w: ConvNetWeights, shape: ZssrNetShape): Graph {
  const k = shape.kernel;
  const nodes: GraphNode[] = [];
  let prev = 'x';
  for (let l = 0; l < shape.depth; l++) {
    const ci = l === 0 ? 3 : shape.width;
    const co = l === shape.depth - 1 ? 3 : shape.width;
    const last = l === shape.depth - 1;
    nodes.push({ op: 'conv', out: `c${l}`, input: prev, weight: hwioToOihw(w.kernels[l], [k, k, ci, co]), weightShape: [co, ci, k, k], bias: w.biases[l], pad: k >> 1 });
    if (!last) nodes.push({ op: 'relu', out: `r${l}`, input: `c${l}` });
    prev = last ? `c${l}` : `r${l}`;
  }
  nodes.push({ op: 'add', out: 'y', inputs: ['x', prev] });
  return { name: `zssr-${shape.depth}x${shape.width}`, input: 'x', inChannels: 3, nodes, output: 'y', outChannels: 3, scale: 1, range: 1 };
}
