// The image nets of `studio train` as Graphs, for ONNX Runtime: the same layers as archs.ts's
// forward functions, with [0,1] images in and out (the GAN's [-1,1] mapping folded in exactly).
import { hwioToOihw } from '../graph/from-keras';
import type { Graph, GraphNode } from '../graph/ir';
import { upStages, type ArchConfig } from './archs';

type Weights = ReadonlyMap<string, { data: Float32Array; shape: readonly number[] }>;

class Net {
  readonly nodes: GraphNode[] = [];
  private n = 0;
  constructor(private readonly w: Weights) {}
  private id(tag: string): string {
    return `${tag}${this.n++}`;
  }
  conv(name: string, input: string): string {
    const k = this.w.get(`${name}/kernel`);
    const b = this.w.get(`${name}/bias`);
    if (!k || !b) throw new Error(`weights of ${name} are missing`);
    const [kh, kw, ci, co] = k.shape;
    const out = this.id(name);
    this.nodes.push({ op: 'conv', out, input, weight: hwioToOihw(k.data, [kh, kw, ci, co]), weightShape: [co, ci, kh, kw], bias: b.data, pad: kh >> 1 });
    return out;
  }
  relu(input: string): string {
    const out = this.id('relu');
    this.nodes.push({ op: 'relu', out, input });
    return out;
  }
  leaky(input: string): string {
    const out = this.id('lrelu');
    this.nodes.push({ op: 'leakyRelu', out, input, alpha: 0.2 });
    return out;
  }
  push(node: GraphNode): string {
    this.nodes.push(node);
    return node.out;
  }
}

/** The Graph of a trained image net (weights by parameter name, HWIO kernels as trained). */
export function archGraph(c: ArchConfig, weights: Weights, name: string): Graph {
  const net = new Net(weights);
  let out: string;
  let scale = c.scale;
  switch (c.arch) {
    case 'cnn': {
      let h = 'x';
      for (let l = 0; l < c.depth; l++) h = net.relu(net.conv(`conv${l}`, h));
      const ps = net.push({ op: 'pixelShuffle', out: 'shuffle', input: net.conv('up', h), factor: c.scale, mode: 'DCR' });
      out = net.push({ op: 'sigmoid', out: 'y', input: ps });
      break;
    }
    case 'residual': {
      // Runs at output size on the interpolated image (the runner interpolates first).
      scale = 1;
      let h = 'x';
      for (let l = 0; l < c.depth; l++) {
        h = net.conv(`conv${l}`, h);
        if (l < c.depth - 1) h = net.relu(h);
      }
      out = net.push({ op: 'add', out: 'y', inputs: ['x', h] });
      break;
    }
    case 'gan': {
      // The generator sees 2x - 1: a 1x1 convolution with weight 2 and bias -1 (exact, also at
      // the borders, where the trained net's zero padding is in the [-1,1] domain).
      const eye = new Float32Array(9);
      for (let i = 0; i < 3; i++) eye[i * 3 + i] = 2;
      const xs = net.push({ op: 'conv', out: 'x11', input: 'x', weight: eye, weightShape: [3, 3, 1, 1], bias: Float32Array.of(-1, -1, -1), pad: 0 });
      const head = net.leaky(net.conv('head', xs));
      let h = head;
      for (let l = 0; l < c.depth; l++) h = net.leaky(net.conv(`body${l}`, h));
      h = net.push({ op: 'add', out: 'skip', inputs: [h, head] });
      upStages(c.scale).forEach((r, i) => {
        h = net.leaky(net.push({ op: 'pixelShuffle', out: `up${i}ps`, input: net.conv(`up${i}`, h), factor: r, mode: 'DCR' }));
      });
      // ((bilinear(2x-1) + tanh(t)) + 1) / 2 = bilinear(x) + tanh(t) / 2: bilinear weights sum to 1.
      const t = net.push({ op: 'scale', out: 'half', input: net.push({ op: 'tanh', out: 'tanh', input: net.conv('tail', h) }), factor: 0.5 });
      const base = net.push({ op: 'upsampleBilinear', out: 'base', input: 'x', factor: c.scale });
      out = net.push({ op: 'add', out: 'y', inputs: [base, t] });
      break;
    }
  }
  return { name, input: 'x', inChannels: 3, nodes: net.nodes, output: out, outChannels: 3, scale, range: 1 };
}
