import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { FastConvNet, type ConvNetWeights } from '../../../../src-main/engine/fast/convnet';
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

  for (const threads of [1, 2]) {
    it(`matches tfjs autodiff (loss, gradients, forward) with ${threads} thread(s)`, async () => {
      const depth = 4, width = 8, H = 11, W = 13;
      const net = await FastConvNet.create({ depth, width }, { threads, maxCrop: { height: 16, width: 16 } });
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
