import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend, ensureGradients, tf } from '../../../../src-main/engine/backend';
import { FastConvNet } from '../../../../src-main/engine/fast/convnet';
import { cnnNet, ganDiscriminator, ganGenerator, initWeights, residualNet, type Params } from '../../../../src-main/engine/train/archs';
import { conv, pixelShuffle } from '../../../../src-main/engine/train/ops';
import { Rng } from '../../../../src-main/engine/train/rng';

beforeAll(async () => {
  await ensureBackend('wasm');
  ensureGradients();
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('im2col convolution', () => {
  it('equals tf.conv2d for stride 1 and 2, values and gradients', async () => {
    const x = tf.randomNormal([2, 9, 7, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 5, 6], 0, 0.3, 'float32', 2);
    const b = tf.randomNormal([6], 0, 0.1, 'float32', 3);
    for (const stride of [1, 2] as const) {
      expect(maxAbs(conv(x, w, b, 'im2col', stride), conv(x, w, b, 'native', stride))).toBeLessThan(1e-5);
    }
    expect(conv(x, w, b, 'im2col', 2).shape).toEqual([2, 5, 4, 6]);
    // Gradients of the im2col form (wasm) against tf.conv2d's own gradients on the cpu backend.
    const loss = (mode: 'im2col' | 'native') => (ww: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.square(conv(xx as tf.Tensor4D, ww, b, mode, 1)));
    const [gw, gx] = tf.grads(loss('im2col'))([w, x]);
    const wv = await w.data();
    const xv = await x.data();
    await ensureBackend('cpu');
    const [rw, rx] = tf.grads(loss('native'))([tf.tensor(wv, w.shape), tf.tensor(xv, x.shape)]);
    const [rwv, rxv] = [await rw.data(), await rx.data()];
    await ensureBackend('wasm');
    const gwv = await gw.data();
    const gxv = await gx.data();
    let m = 0;
    for (let i = 0; i < gwv.length; i++) m = Math.max(m, Math.abs(gwv[i] - rwv[i]) / (1 + Math.abs(rwv[i])));
    for (let i = 0; i < gxv.length; i++) m = Math.max(m, Math.abs(gxv[i] - rxv[i]) / (1 + Math.abs(rxv[i])));
    expect(m).toBeLessThan(1e-3);
  });

  it('pixelShuffle equals tf.depthToSpace', () => {
    const x = tf.randomUniform([2, 3, 4, 3 * 9], 0, 1, 'float32', 4) as tf.Tensor4D;
    expect(maxAbs(pixelShuffle(x, 3), tf.depthToSpace(x, 3, 'NHWC'))).toBe(0);
  });
});

function params(specs: ReturnType<typeof cnnNet>['params'], seed: number): Params {
  const w = initWeights(specs, new Rng(seed));
  return Object.fromEntries(specs.map((s) => [s.name, tf.tensor(w.get(s.name) as Float32Array, s.shape)]));
}

describe('architectures', () => {
  it('map LR crops to HR crops of the right shape and range', () => {
    for (const scale of [2, 3, 4]) {
      const cfg = { arch: 'cnn' as const, scale, width: 8, depth: 3 };
      const x = tf.randomUniform([1, 6, 5, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const cnn = cnnNet(cfg);
      const y = cnn.forward(params(cnn.params, 1), x, 'native');
      expect(y.shape).toEqual([1, 6 * scale, 5 * scale, 3]);
      expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0);
      const g = ganGenerator({ ...cfg, arch: 'gan' });
      const pg = params(g.params, 2);
      const yg = g.forward(pg, x, 'im2col');
      expect(yg.shape).toEqual([1, 6 * scale, 5 * scale, 3]);
      // An untrained generator (zero output layer) is the bilinear enlargement.
      expect(maxAbs(yg, tf.image.resizeBilinear(x, [6 * scale, 5 * scale], false, true))).toBeLessThan(1e-6);
      const d = ganDiscriminator({ ...cfg, arch: 'gan' });
      expect(d.forward(params(d.params, 3), yg, 'im2col').shape).toEqual([1, Math.ceil((6 * scale) / 8), Math.ceil((5 * scale) / 8), 1]);
    }
  });

  it('the residual net computes what engine/fast computes with the same weights', async () => {
    const cfg = { arch: 'residual' as const, scale: 2, width: 8, depth: 4 };
    const def = residualNet(cfg);
    const init = initWeights(def.params, new Rng(7));
    // Non-zero biases too, so their layout is checked.
    for (const s of def.params) if (s.name.endsWith('/bias')) (init.get(s.name) as Float32Array).forEach((_, i, a) => (a[i] = 0.01 * (i - 2)));
    const net = await FastConvNet.create({ depth: 4, width: 8 }, { threads: 1, maxCrop: { height: 16, width: 16 } });
    try {
      net.setWeights({
        kernels: [0, 1, 2, 3].map((l) => init.get(`conv${l}/kernel`) as Float32Array),
        biases: [0, 1, 2, 3].map((l) => init.get(`conv${l}/bias`) as Float32Array),
      });
      const img = { width: 13, height: 11, channels: 3 as const, data: Float32Array.from({ length: 13 * 11 * 3 }, (_, i) => ((i * 37) % 101) / 100) };
      const fast = net.forward(img);
      const p = Object.fromEntries(def.params.map((s) => [s.name, tf.tensor(init.get(s.name) as Float32Array, s.shape)]));
      const ours = def.forward(p, tf.tensor4d(img.data, [1, 11, 13, 3]), 'native').dataSync();
      let m = 0;
      for (let i = 0; i < ours.length; i++) m = Math.max(m, Math.abs(ours[i] - fast.data[i]));
      expect(m).toBeLessThan(1e-4);
    } finally {
      await net.dispose();
    }
  });
});
