import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { FastConvNet, type ConvAlgorithm, type ConvNetWeights } from '../../../../src-main/engine/fast/convnet';
import type { FloatImage } from '../../../../src-main/contract/image';

// Reference: the same network written with tfjs ops, differentiated by tfjs's own autodiff on
// the pure-JS cpu backend.
function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

function weights(depth: number, width: number, seed: number): ConvNetWeights {
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l < depth; l++) {
    const ci = l === 0 ? 3 : width;
    const co = l === depth - 1 ? 3 : width;
    kernels.push(rand(9 * ci * co, seed + l, Math.sqrt(3 / (9 * ci))));
    biases.push(rand(co, seed + 100 + l, 0.1));
  }
  return { kernels, biases };
}

function image(w: number, h: number, seed: number): FloatImage {
  return { width: w, height: h, channels: 3, data: rand(w * h * 3, seed, 0.5).map((v) => v + 0.5) };
}

function tfForward(w: ConvNetWeights, vars: tf.Tensor[], x: tf.Tensor4D): tf.Tensor4D {
  let a: tf.Tensor4D = x;
  const L = w.kernels.length;
  for (let l = 0; l < L; l++) {
    const z = tf.add(tf.conv2d(a, vars[2 * l] as tf.Tensor4D, 1, 'same'), vars[2 * l + 1]) as tf.Tensor4D;
    a = l < L - 1 ? tf.relu(z) : z;
  }
  return tf.add(x, a);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('FastConvNet', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => undefined);

  // Width 8 and 16 put the middle layers on the Winograd path; sizes that are not multiples of 4
  // give edge tiles, a width of 70 (18 tiles) two blocks per tile row with a partial group of 4,
  // 2x3 a single tile mostly outside the image.
  const cases: { threads: number; width: number; H: number; W: number; algo: ConvAlgorithm }[] = [
    { threads: 1, width: 8, H: 11, W: 13, algo: 'winograd' },
    { threads: 2, width: 8, H: 11, W: 13, algo: 'winograd' },
    { threads: 3, width: 16, H: 9, W: 70, algo: 'winograd' },
    { threads: 2, width: 8, H: 3, W: 2, algo: 'winograd' },
    { threads: 2, width: 8, H: 11, W: 13, algo: 'direct' },
  ];
  for (const { threads, width, H, W, algo } of cases) {
    it(`matches tfjs autodiff (loss, gradients, forward): ${algo}, width ${width}, ${W}x${H}, ${threads} thread(s)`, async () => {
      const depth = 4;
      const net = await FastConvNet.create({ depth, width }, { threads, maxCrop: { height: 16, width: 72 }, convAlgorithm: algo });
      try {
        const w = weights(depth, width, 7);
        net.setWeights(w);
        const x = image(W, H, 1), y = image(W, H, 2);
        const { loss, grads } = net.gradients(x, y);

        const before = tf.memory().numTensors;
        const shapes = w.kernels.flatMap((k, l) => [[3, 3, l === 0 ? 3 : width, l === depth - 1 ? 3 : width], [w.biases[l].length]]);
        const vars = w.kernels.flatMap((k, l) => [k, w.biases[l]]).map((d, i) => tf.tensor(d, shapes[i]));
        const xt = tf.tensor4d(x.data, [1, H, W, 3]);
        const yt = tf.tensor4d(y.data, [1, H, W, 3]);
        const { value, grads: g } = tf.valueAndGrads((...v: tf.Tensor[]) => tf.mean(tf.abs(tf.sub(tfForward(w, v, xt), yt))) as tf.Scalar)(vars);
        expect(Math.abs(loss - value.dataSync()[0]) / value.dataSync()[0]).toBeLessThan(1e-5);
        for (let l = 0; l < depth; l++) {
          expect(relErr(grads.kernels[l], g[2 * l].dataSync() as Float32Array)).toBeLessThan(1e-4);
          expect(relErr(grads.biases[l], g[2 * l + 1].dataSync() as Float32Array)).toBeLessThan(1e-4);
        }
        const fwd = net.forward(x);
        const ref = tf.tidy(() => tfForward(w, vars, xt).dataSync() as Float32Array);
        expect(relErr(fwd.data, ref)).toBeLessThan(1e-5);
        // Banded forward (tiny bands) equals the single pass.
        const banded = net.forward(x, 3 * W);
        expect(relErr(banded.data, fwd.data)).toBeLessThan(1e-6);
        tf.dispose([value, ...g, ...vars, xt, yt]);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        await net.dispose();
      }
    });
  }

  it('Winograd and direct kernels agree at the ZSSR size (gradients, training steps, forward after training)', async () => {
    const depth = 8, width = 64, S = 30;
    const opts = { threads: 2, maxCrop: { height: S, width: S } };
    const nets = await Promise.all((['winograd', 'direct'] as const).map((a) => FastConvNet.create({ depth, width }, { ...opts, convAlgorithm: a })));
    try {
      const w = weights(depth, width, 11);
      for (const n of nets) n.setWeights(w);
      const x = image(S, S, 3), y = image(S, S, 4);
      const [gw, gd] = nets.map((n) => n.gradients(x, y));
      expect(Math.abs(gw.loss - gd.loss) / gd.loss).toBeLessThan(1e-6);
      for (let l = 0; l < depth; l++) expect(relErr(gw.grads.kernels[l], gd.grads.kernels[l])).toBeLessThan(2e-5);
      // A few Adam steps, then inference: the forward pass must see the updated weights.
      for (let s = 0; s < 3; s++) {
        const [lw, ld] = nets.map((n) => n.trainStep(x, y, 1e-3));
        expect(Math.abs(lw - ld) / ld).toBeLessThan(1e-5);
      }
      const [ow, od] = nets.map((n) => n.forward(x));
      expect(relErr(ow.data, od.data)).toBeLessThan(1e-5);
      const [ww, wd] = nets.map((n) => n.getWeights());
      for (let l = 0; l < depth; l++) expect(relErr(ww.kernels[l], wd.kernels[l])).toBeLessThan(1e-5);
    } finally {
      await Promise.all(nets.map((n) => n.dispose()));
    }
  });

  it('results do not depend on the threads: passes and training steps on 3 threads equal one thread, bit for bit', async () => {
    // Every output element and gradient sum is computed in a fixed order whichever thread takes
    // the work, so a difference means threads shared something they must not (e.g. a stack).
    const nets = await Promise.all([3, 1].map((threads) => FastConvNet.create({ depth: 5, width: 16 }, { threads, maxCrop: { height: 30, width: 30 } })));
    try {
      for (const n of nets) n.setWeights(weights(5, 16, 5));
      const x = image(30, 30, 6), y = image(30, 30, 7);
      const [f0, f1] = nets.map((n) => n.forward(x).data);
      const [g0, g1] = nets.map((n) => n.gradients(x, y));
      expect(f0).toEqual(f1);
      expect(g0).toEqual(g1);
      for (let i = 0; i < 30; i++) {
        expect(nets[0].forward(x).data).toEqual(f0);
        expect(nets[0].gradients(x, y)).toEqual(g0);
      }
      // Training too: the same weights after a few steps, whatever the thread count.
      for (let i = 0; i < 3; i++) expect(nets[0].trainStep(x, y, 1e-3)).toBe(nets[1].trainStep(x, y, 1e-3));
      expect(nets[0].getWeights()).toEqual(nets[1].getWeights());
    } finally {
      await Promise.all(nets.map((n) => n.dispose()));
    }
  });

  it('trainStep applies Adam like torch.optim.Adam and lowers the loss', async () => {
    const net = await FastConvNet.create({ depth: 3, width: 8 }, { threads: 2, maxCrop: { height: 12, width: 12 } });
    try {
      const w = weights(3, 8, 3);
      net.setWeights(w);
      const x = image(12, 12, 4), y = image(12, 12, 5);
      const { grads } = net.gradients(x, y);
      const lr = 1e-3;
      net.trainStep(x, y, lr);
      const after = net.getWeights();
      // First Adam step: m = 0.1 g, v = 0.001 g^2, update = lr * g / (|g| + eps') = ~lr * sign(g).
      for (let l = 0; l < 3; l++) {
        for (let i = 0; i < after.kernels[l].length; i++) {
          const g = grads.kernels[l][i];
          const expected = w.kernels[l][i] - (lr * g) / (Math.abs(g) + 1e-8);
          expect(after.kernels[l][i]).toBeCloseTo(expected, 6);
        }
      }
      let first = 0, last = 0;
      for (let s = 0; s < 60; s++) {
        const loss = net.trainStep(x, y, 1e-3);
        if (s === 0) first = loss;
        last = loss;
      }
      expect(last).toBeLessThan(first * 0.9);
    } finally {
      await net.dispose();
    }
  });
});
