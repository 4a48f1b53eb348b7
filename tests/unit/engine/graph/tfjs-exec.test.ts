import { describe, expect, it } from 'vitest';
import { ensureBackend, tf } from '../../../../src-main/engine/backend';
import { checkGraph, type Graph, type GraphNode } from '../../../../src-main/engine/graph/ir';
import { inferShapes, peakActivationBytes, withShapes } from '../../../../src-main/engine/graph/shapes';
import { compileGraph } from '../../../../src-main/engine/graph/tfjs-exec';
import { runReference, type Chw } from './reference-exec';

let seed = 7;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const randn = (n: number) => Float32Array.from({ length: n }, rand);
const conv = (out: string, input: string, o: number, i: number, k: number, extra: Partial<Extract<GraphNode, { op: 'conv' }>> = {}): GraphNode => ({
  op: 'conv',
  out,
  input,
  weight: randn(o * i * k * k),
  weightShape: [o, i, k, k],
  bias: randn(o),
  pad: k >> 1,
  ...extra,
});

/** Every op of the IR at least once, with odd sizes. */
function everyOp(): Graph {
  const nodes: GraphNode[] = [
    { op: 'pixelUnshuffle', out: 'u', input: 'x', factor: 2 },
    conv('c1', 'u', 8, 12, 3),
    { op: 'prelu', out: 'p1', input: 'c1', slope: randn(8) },
    conv('c2', 'p1', 8, 2, 3, { groups: 4 }),
    { op: 'leakyRelu', out: 'l2', input: 'c2', alpha: 0.2 },
    conv('dw', 'l2', 8, 1, 3, { groups: 8 }),
    { op: 'relu', out: 'r', input: 'dw' },
    { op: 'concat', out: 'cat', inputs: ['p1', 'r', 'l2'] },
    conv('c3', 'cat', 8, 24, 1, { pad: 0 }),
    { op: 'scale', out: 's', input: 'c3', factor: 0.2 },
    { op: 'add', out: 'a', inputs: ['s', 'p1'] },
    conv('c4', 'a', 12, 8, 3),
    { op: 'pixelShuffle', out: 'ps', input: 'c4', factor: 2, mode: 'CRD' },
    { op: 'upsampleNearest', out: 'up', input: 'ps', factor: 2 },
    conv('c5', 'up', 12, 3, 3, { stride: 2 }),
    { op: 'pixelShuffle', out: 'ps2', input: 'c5', factor: 2, mode: 'DCR' },
    { op: 'tanh', out: 't', input: 'ps2' },
    { op: 'sigmoid', out: 'sg', input: 't' },
    { op: 'clip', out: 'y', input: 'sg', min: 0.3, max: 0.7 },
  ];
  return withShapes({ name: 'every-op', input: 'x', inChannels: 3, nodes, output: 'y', outChannels: 3, scale: 1, range: 1 });
}

async function runTfjs(g: Graph, x: Chw): Promise<Chw> {
  const net = compileGraph(g);
  try {
    const nhwc = tf.tidy(() => tf.transpose(tf.tensor4d(x.d, [1, x.c, x.h, x.w]), [0, 2, 3, 1]) as tf.Tensor4D);
    const y = tf.tidy(() => tf.transpose(net.run(nhwc), [0, 3, 1, 2]));
    nhwc.dispose();
    const [, c, h, w] = y.shape;
    const d = (await y.data()) as Float32Array;
    y.dispose();
    return { c, h, w, d };
  } finally {
    net.dispose();
  }
}

describe('graph IR on tfjs', () => {
  it('shape inference fills scale and size multiple, and finds nets that do not fit', () => {
    const g = everyOp();
    checkGraph(g);
    expect(g.scale).toBe(2);
    expect(g.sizeMultiple).toBe(2);
    expect(inferShapes(g).get('cat')).toEqual({ channels: 24, factor: 0.5 });
    expect(peakActivationBytes(g)).toBeGreaterThan(0);
    const bad = { ...g, nodes: g.nodes.map((n) => (n.out === 'c3' ? conv('c3', 'cat', 8, 23, 1, { pad: 0 }) : n)) };
    expect(() => withShapes(bad)).toThrow(/conv 'c3' expects 23 input channels, gets 24/);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`every op matches the plain-loop reference on ${backend}`, async () => {
      await ensureBackend(backend);
      const g = everyOp();
      const x: Chw = { c: 3, h: 10, w: 14, d: randn(3 * 10 * 14) };
      const ref = runReference(g, x);
      const got = await runTfjs(g, x);
      expect([got.c, got.h, got.w]).toEqual([ref.c, ref.h, ref.w]);
      let max = 0;
      for (let k = 0; k < ref.d.length; k++) max = Math.max(max, Math.abs(ref.d[k] - got.d[k]));
      expect(max).toBeLessThan(1e-4);
      // Nothing but the result outlives a run.
      const before = tf.memory().numTensors;
      const net = compileGraph(g);
      const inT = tf.zeros([1, 10, 14, 3]) as tf.Tensor4D;
      const out = net.run(inT);
      out.dispose();
      inT.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
