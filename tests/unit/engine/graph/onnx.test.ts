import { afterAll, describe, expect, it } from 'vitest';
import { ensureBackend, tf } from '../../../../src-main/engine/backend';
import { type ConvNetWeights } from '../../../../src-main/engine/fast/convnet';
import type { Graph } from '../../../../src-main/engine/graph/ir';
import { channelsOf, graphToOnnx } from '../../../../src-main/engine/graph/onnx';
import { OrtNet, releaseOrtSessions } from '../../../../src-main/engine/graph/ort-exec';
import { zssrGraph } from '../../../../src-main/engine/graph/zssr-net';
import { loadPretrained, pretrainedGraph, PRETRAINED, unloadPretrained } from '../../../../src-main/engine/pretrained';
import { imageNet, initWeights, type ArchConfig } from '../../../../src-main/engine/train/archs';
import { archGraph } from '../../../../src-main/engine/train/graph';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';
import { TfTrainer, initWeights as zssrInit } from '../../../../src-main/engine/zssr/trainer';

afterAll(async () => {
  await releaseOrtSessions();
  await unloadPretrained();
});

/** Deterministic values in [0, range). */
function nchw(c: number, h: number, w: number, range = 1, seed = 3): Float32Array {
  return Float32Array.from({ length: c * h * w }, (_, i) => ((Math.sin(i * 0.731 + seed) + 1) / 2) * range);
}
function toNhwc(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[p * c + k] = x[k * h * w + p];
  return out;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
async function ortRun(g: Graph, x: Float32Array, h: number, w: number) {
  const net = await OrtNet.create(g, 'cpu', 2);
  try {
    return await net.run(x, h, w);
  } finally {
    await net.release();
  }
}

describe('Graph -> ONNX model bytes', () => {
  it('encodes a valid model that ONNX Runtime loads, and refuses a broken graph', async () => {
    const g: Graph = {
      name: 'tiny',
      input: 'x',
      inChannels: 3,
      nodes: [{ op: 'conv', out: 'y', input: 'x', weight: new Float32Array(3 * 3 * 3 * 3).fill(1 / 27), weightShape: [3, 3, 3, 3], pad: 1 }],
      output: 'y',
      outChannels: 3,
      scale: 1,
      range: 1,
    };
    const bytes = graphToOnnx(g);
    expect(bytes.length).toBeGreaterThan(81 * 4);
    const y = await ortRun(g, new Float32Array(3 * 5 * 5).fill(0.3), 5, 5);
    expect(y.data[2 * 5 + 2]).toBeCloseTo(0.3, 5); // centre: 27 taps of 0.3 / 27
    expect(y.data[0]).toBeCloseTo(0.3 * (12 / 27), 5); // corner: 12 taps inside, zero padding
    expect(() => graphToOnnx({ ...g, nodes: [{ ...g.nodes[0], input: 'nope' } as Graph['nodes'][0]] })).toThrow(/before it is made/);
  });

  it('pixel shuffle (both orders), unshuffle, nearest and bilinear upsampling match their definitions', async () => {
    const c = 8, h = 4, w = 6;
    const x = nchw(c, h, w);
    const at = (k: number, y: number, xx: number) => x[(k * h + y) * w + xx];
    const base = { input: 'x', inChannels: c, outChannels: 2, scale: 2, range: 1 } as const;
    // CRD (PyTorch): out[c][y*r+i][x*r+j] = in[c*r*r + i*r + j][y][x]; DCR (TF): in[(i*r+j)*C + c].
    for (const mode of ['CRD', 'DCR'] as const) {
      const y = await ortRun({ ...base, name: mode, nodes: [{ op: 'pixelShuffle', out: 'y', input: 'x', factor: 2, mode }], output: 'y' }, x, h, w);
      const ref = new Float32Array(2 * 2 * h * 2 * w);
      for (let k = 0; k < 2; k++)
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++)
            for (let i = 0; i < 2; i++)
              for (let j = 0; j < 2; j++) ref[(k * 2 * h + yy * 2 + i) * 2 * w + xx * 2 + j] = at(mode === 'CRD' ? k * 4 + i * 2 + j : (i * 2 + j) * 2 + k, yy, xx);
      expect(maxDiff(y.data, ref), mode).toBe(0);
    }
    // Unshuffle is the inverse of the CRD shuffle.
    const round = await ortRun(
      {
        name: 'unshuffle',
        input: 'x',
        inChannels: c,
        nodes: [
          { op: 'pixelShuffle', out: 's', input: 'x', factor: 2, mode: 'CRD' },
          { op: 'pixelUnshuffle', out: 'y', input: 's', factor: 2 },
        ],
        output: 'y',
        outChannels: c,
        scale: 1,
        range: 1,
      },
      x,
      h,
      w,
    );
    expect(maxDiff(round.data, x)).toBe(0);
    expect(channelsOf({ name: 'c', input: 'x', inChannels: 3, nodes: [{ op: 'pixelUnshuffle', out: 'y', input: 'x', factor: 2 }], output: 'y', outChannels: 12, scale: 0.5, range: 1 }).get('y')).toBe(12);
    // Upsampling against tfjs's own resize ops.
    await ensureBackend('cpu');
    const nhwc = tf.tensor4d(toNhwc(x, c, h, w), [1, h, w, c]);
    for (const [op, ref] of [
      ['upsampleNearest', tf.image.resizeNearestNeighbor(nhwc, [3 * h, 3 * w])],
      ['upsampleBilinear', tf.image.resizeBilinear(nhwc, [3 * h, 3 * w], false, true)],
    ] as const) {
      const y = await ortRun({ name: op, input: 'x', inChannels: c, nodes: [{ op, out: 'y', input: 'x', factor: 3 }], output: 'y', outChannels: c, scale: 3, range: 1 }, x, h, w);
      expect(maxDiff(toNhwc(y.data, c, 3 * h, 3 * w), ref.dataSync()), op).toBeLessThan(1e-6);
      ref.dispose();
    }
    nhwc.dispose();
  });
});

describe('nets as Graphs on ONNX Runtime equal their tfjs form', () => {
  it('ESRGAN slim, medium and thick (the Keras models with their custom layers)', { timeout: 240_000 }, async () => {
    await ensureBackend('cpu');
    const h = 10, w = 12;
    for (const spec of PRETRAINED) {
      for (const s of [2, 4]) {
        const x = nchw(3, h, w, spec.range);
        const y = await ortRun(await pretrainedGraph(spec, s), x, h, w);
        const model = await loadPretrained(spec, s);
        const ref = tf.tidy(() => (model.predict(tf.tensor4d(toNhwc(x, 3, h, w), [1, h, w, 3])) as tf.Tensor).dataSync());
        expect(maxDiff(toNhwc(y.data, 3, h * s, w * s), ref) / spec.range, `${spec.id} x${s}`).toBeLessThan(1e-5);
      }
    }
  });

  it("ZSSR's network (trained weights, biases, kernel 3 and 5)", async () => {
    await ensureBackend('cpu');
    for (const kernel of [3, 5]) {
      const shape = { depth: 4, width: 8, kernel };
      const w: ConvNetWeights = zssrInit(shape, new PairedNormalRng(kernel));
      w.biases = w.biases.map((b) => b.map((_, i) => 0.01 * (i % 3)));
      const t = new TfTrainer('cpu', shape, w);
      const img = { width: 9, height: 7, channels: 3 as const, data: toNhwc(nchw(3, 7, 9), 3, 7, 9) };
      const ref = t.forward(img);
      await t.dispose();
      const y = await ortRun(zssrGraph(w, shape), nchw(3, 7, 9), 7, 9);
      expect(maxDiff(toNhwc(y.data, 3, 7, 9), ref.data), `kernel ${kernel}`).toBeLessThan(1e-5);
    }
  });

  it('user-trained nets: cnn, residual and gan at x2, x3 and x4', async () => {
    await ensureBackend('cpu');
    for (const [arch, scale] of [
      ['cnn', 2],
      ['cnn', 3],
      ['residual', 2],
      ['gan', 2],
      ['gan', 4],
    ] as const) {
      const cfg: ArchConfig = { arch, scale, width: 8, depth: 2 };
      const def = imageNet(cfg);
      const init = initWeights(def.params, new PairedNormalRng(7));
      // Non-zero tails and biases so every term shows.
      const weights = new Map([...init].map(([k, v]) => [k, { data: v.map((q, i) => q + (k.endsWith('bias') || k.startsWith('tail') ? 0.05 * Math.sin(i) : 0)), shape: def.params.find((p) => p.name === k)?.shape ?? [] }]));
      const h = arch === 'residual' ? 8 * scale : 8;
      const w = arch === 'residual' ? 6 * scale : 6;
      const x = nchw(3, h, w);
      const y = await ortRun(archGraph(cfg, weights, `${arch}-x${scale}`), x, h, w);
      const ref = tf.tidy(() => {
        const p = Object.fromEntries([...weights].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
        const xin = tf.tensor4d(toNhwc(x, 3, h, w), [1, h, w, 3]);
        if (arch !== 'gan') return def.forward(p, xin, 'native').dataSync();
        return tf.div(tf.add(def.forward(p, tf.sub(tf.mul(xin, 2), 1) as tf.Tensor4D, 'native'), 1), 2).dataSync();
      });
      const outScale = arch === 'residual' ? 1 : scale;
      expect(maxDiff(toNhwc(y.data, 3, h * outScale, w * outScale), ref), `${arch} x${scale}`).toBeLessThan(1e-5);
    }
  });
});
