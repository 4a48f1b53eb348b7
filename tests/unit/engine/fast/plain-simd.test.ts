import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { fastKernelFlavor } from '../../../../src-main/engine/fast/convnet';
import { expectMatchesTf, expectWinogradMatchesDirect } from './reference';

// The plain SIMD build (multiply, then add), used where the runtime lacks relaxed SIMD. The
// build is chosen once per process, at the first network: this file runs in its own.
describe('FastConvNet, plain SIMD build', () => {
  const saved = process.env.STUDIO_WASM_FMA;
  beforeAll(async () => {
    process.env.STUDIO_WASM_FMA = '0';
    await tf.setBackend('cpu');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.STUDIO_WASM_FMA;
    else process.env.STUDIO_WASM_FMA = saved;
  });

  it('matches tfjs autodiff with the Winograd layers and edge tiles', async () => {
    await expectMatchesTf({ threads: 2, width: 16, H: 9, W: 70, algo: 'winograd' });
    expect(fastKernelFlavor()).toBe('wasm-simd');
  });

  it('Winograd and direct kernels agree at the ZSSR size', () => expectWinogradMatchesDirect());
});
