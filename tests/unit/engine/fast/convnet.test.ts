import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { FastConvNet, fastKernelFlavor } from '../../../../src-main/engine/fast/convnet';
import { expectMatchesTf, expectWinogradMatchesDirect, image, weights, type TfCase } from './reference';

describe('FastConvNet', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs the fused multiply-add build where the runtime has relaxed SIMD (Node 20 behind a flag it sets)', () => {
    expect(fastKernelFlavor()).toBe('wasm-simd-fma');
  });

  // Width 8 and 16 put the middle layers on the Winograd path; sizes that are not multiples of 4
  // give edge tiles, a width of 70 (18 tiles) two blocks per tile row with a partial group of 4,
  // 2x3 a single tile mostly outside the image.
  const cases: TfCase[] = [
    { threads: 1, width: 8, H: 11, W: 13, algo: 'winograd' },
    { threads: 2, width: 8, H: 11, W: 13, algo: 'winograd' },
    { threads: 3, width: 16, H: 9, W: 70, algo: 'winograd' },
    { threads: 2, width: 8, H: 3, W: 2, algo: 'winograd' },
    { threads: 2, width: 8, H: 11, W: 13, algo: 'direct' },
  ];
  for (const c of cases) {
    it(`matches tfjs autodiff (loss, gradients, forward): ${c.algo}, width ${c.width}, ${c.W}x${c.H}, ${c.threads} thread(s)`, () => expectMatchesTf(c));
  }

  it('Winograd and direct kernels agree at the ZSSR size (gradients, training steps, forward after training)', () => expectWinogradMatchesDirect());

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
