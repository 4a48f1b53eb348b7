import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { FastConvNet, type ConvAlgorithm, type ConvNetWeights } from '../../../../src-main/engine/fast/convnet';
import type { FloatImage } from '../../../../src-main/contract/image';

// Checks of the fast kernels shared by the test files of both builds (relaxed and plain SIMD).
// Reference: the same network written with tfjs ops, differentiated by tfjs's own autodiff on
// the pure-JS cpu backend (set it before use).

export function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

export function weights(depth: number, width: number, seed: number): ConvNetWeights {
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

export function image(w: number, h: number, seed: number): FloatImage {
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

export function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

export interface TfCase {
  threads: number;
  width: number;
  H: number;
  W: number;
  algo: ConvAlgorithm;
}

/** Loss, every gradient and the forward pass (whole and in thin bands) of a depth-4 net against tfjs autodiff. */
export async function expectMatchesTf({ threads, width, H, W, algo }: TfCase): Promise<void> {
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
}

/**
 * Winograd against the direct kernels on the ZSSR net (8x64) at a size with edge tiles:
 * gradients, a few training steps, then inference, which must see the updated weights.
 */
export async function expectWinogradMatchesDirect(): Promise<void> {
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
}
