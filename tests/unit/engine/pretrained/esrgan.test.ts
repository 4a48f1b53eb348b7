import { afterAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { ensureBackend, tf } from '../../../../src-main/engine/backend';
import { imresize } from '../../../../src-main/engine/classical/imresize';
import { esrganUpscaler, planScales, PRETRAINED, pretrainedUpscalers, unloadPretrained } from '../../../../src-main/engine/pretrained';
import { getUpscaler, listModels } from '../../../../src-main/engine/registry';
import { srMetrics } from '../../../../src-main/metrics';
import { scene } from './synthetic';

afterAll(() => unloadPretrained());

function quantize(img: FloatImage): FloatImage {
  return { ...img, data: img.data.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255) };
}

describe('pretrained registry entries', () => {
  it('lists slim, medium and thick with scales, size, licence and source', () => {
    const ids = listModels().filter((m) => m.id.startsWith('esrgan-'));
    expect(ids.map((m) => m.id)).toEqual(['esrgan-slim', 'esrgan-medium', 'esrgan-thick']);
    for (const m of ids) {
      expect(m.scales).toEqual([2, 3, 4, 8]);
      expect(m.license).toBe('MIT');
      expect(m.source).toMatch(/@upscalerjs\/esrgan-/);
      expect(m.sizeBytes).toBeGreaterThan(3e6);
      expect(m.speed).toBeTruthy();
    }
    const size = (id: string) => ids.find((m) => m.id === id)?.sizeBytes ?? 0;
    expect(size('esrgan-slim')).toBeLessThan(size('esrgan-medium'));
    expect(size('esrgan-medium')).toBeLessThan(size('esrgan-thick'));
    expect(getUpscaler('esrgan-medium').info.family).toBe('pretrained');
  });
});

describe('planScales', () => {
  it('uses native models directly and composes the others', () => {
    expect(planScales(4, [2, 3, 4, 8])).toEqual({ steps: [4], resize: false });
    expect(planScales(6, [2, 3, 4, 8])).toEqual({ steps: [8], resize: true });
    expect(planScales(1.5, [2, 3, 4, 8])).toEqual({ steps: [2], resize: true });
    expect(planScales(16, [2, 3, 4, 8])).toEqual({ steps: [4, 4], resize: false });
    expect(planScales(2, [4])).toEqual({ steps: [4], resize: true });
    expect(() => planScales(0.5, [2])).toThrow(/at least 1/);
  });
});

describe('ESRGAN models from node_modules', () => {
  it('every model keeps flat grey grey (no brightness or colour shift)', async () => {
    await ensureBackend('wasm');
    const flat: FloatImage = { width: 12, height: 12, channels: 3, data: new Float32Array(12 * 12 * 3).fill(0.5) };
    for (const up of pretrainedUpscalers) {
      const out = await up.upscale(flat, { scale: 2, backend: 'wasm' });
      expect([out.width, out.height, out.channels]).toEqual([24, 24, 3]);
      const mean = out.data.reduce((a, b) => a + b, 0) / out.data.length;
      expect(Math.abs(mean - 0.5), up.info.id).toBeLessThan(0.02);
    }
  });

  it('restores a downscaled photo better than nearest neighbour and close to bicubic', async () => {
    const hr = await scene(96, 96, 3);
    const lr = quantize(imresize(hr, { scale: 1 / 2 }));
    const near = srMetrics(hr, imresize(lr, { scale: 2 }, 'nearest'), 2).psnr;
    const bic = srMetrics(hr, quantize(imresize(lr, { scale: 2 })), 2).psnr;
    for (const id of ['esrgan-slim', 'esrgan-medium']) {
      const sr = await getUpscaler(id).upscale(lr, { scale: 2, backend: 'wasm' });
      const p = srMetrics(hr, sr, 2).psnr;
      expect(p, id).toBeGreaterThan(near + 1);
      expect(p, id).toBeGreaterThan(bic - 1.5);
    }
  });

  it('tiled output equals whole-image output within 2/255', { timeout: 180_000 }, async () => {
    const img = await scene(64, 56, 5);
    for (const spec of PRETRAINED.filter((p) => p.id !== 'esrgan-thick')) {
      const whole = await esrganUpscaler(spec, { tile: 512 }).upscale(img, { scale: 2, backend: 'onnx-cpu' });
      const ticks: number[] = [];
      const tiled = await esrganUpscaler(spec, { tile: 40 }).upscale(img, {
        scale: 2,
        backend: 'onnx-cpu',
        onProgress: (p) => ticks.push(p.done / p.total),
      });
      expect(ticks.length).toBeGreaterThan(1);
      // No tensors left behind by a tiled run on tfjs (the model itself stays loaded).
      await ensureBackend('wasm');
      await esrganUpscaler(spec, { tile: 56 }).upscale(img, { scale: 2, backend: 'wasm' });
      const before = tf.memory().numTensors;
      await esrganUpscaler(spec, { tile: 56 }).upscale(img, { scale: 2, backend: 'wasm' });
      expect(tf.memory().numTensors).toBe(before);
      expect(ticks[ticks.length - 1]).toBe(1);
      let m = 0;
      for (let i = 0; i < whole.data.length; i++) m = Math.max(m, Math.abs(whole.data[i] - tiled.data[i]));
      expect(m, spec.id).toBeLessThan(2 / 255);
    }
  });

  it('grey in, grey out; other scales by composition; exact output size', async () => {
    const rgb = await scene(20, 14, 2);
    const grey: FloatImage = { width: 20, height: 14, channels: 1, data: new Float32Array(20 * 14).map((_, i) => rgb.data[3 * i + 1]) };
    const up = getUpscaler('esrgan-slim');
    const g = await up.upscale(grey, { scale: 2, backend: 'wasm' });
    expect([g.width, g.height, g.channels]).toEqual([40, 28, 1]);
    const six = await up.upscale(rgb, { scale: 6, backend: 'wasm' });
    expect([six.width, six.height, six.channels]).toEqual([120, 84, 3]);
    const frac = await up.upscale(rgb, { scale: 2.5, backend: 'wasm' });
    expect([frac.width, frac.height]).toEqual([50, 35]);
    for (const v of frac.data) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('refuses a huge output before loading anything, and honours cancel', async () => {
    const big = { width: 6000, height: 4000, channels: 3 as const, data: new Float32Array(3) };
    await expect(getUpscaler('esrgan-thick').upscale(big, { scale: 16, backend: 'wasm' })).rejects.toMatchObject({ code: 'E_OUTPUT_TOO_LARGE' });
    const img = await scene(64, 64, 4);
    const ac = new AbortController();
    const run = esrganUpscaler(PRETRAINED[0], { tile: 32 }).upscale(img, {
      scale: 2,
      backend: 'wasm',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done === 1) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('writes 8/16-bit samples band by band equal to the rounded float result (tiled, RGB and grey)', async () => {
    const spec = PRETRAINED.find((p) => p.id === 'esrgan-slim');
    if (!spec) throw new Error('esrgan-slim missing');
    const up = esrganUpscaler(spec, { tile: 40 });
    const rgb = await scene(64, 56, 7);
    const grey: FloatImage = { width: 64, height: 56, channels: 1, data: new Float32Array(64 * 56).map((_, i) => rgb.data[3 * i]) };
    for (const [img, depth] of [[rgb, 8], [grey, 16], [rgb, 16]] as const) {
      const want = await up.upscale(img, { scale: 2, backend: 'wasm' });
      const before = tf.memory().numTensors;
      const got = await up.upscaleToSamples?.(img, { scale: 2, backend: 'wasm' }, depth);
      expect(tf.memory().numTensors).toBe(before);
      if (!got) throw new Error('no sample output for a native scale');
      expect([got.width, got.height, got.channels]).toEqual([want.width, want.height, want.channels]);
      expect(got.data instanceof (depth === 16 ? Uint16Array : Uint8Array)).toBe(true);
      const max = depth === 16 ? 65535 : 255;
      let worst = 0;
      for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - Math.min(max, Math.max(0, Math.floor(want.data[i] * max + 0.5)))));
      expect(worst).toBeLessThanOrEqual(1);
    }
    // Scales that need composition or a final resize keep the float path.
    expect(await up.upscaleToSamples?.(rgb, { scale: 2.5, backend: 'wasm' }, 8)).toBeUndefined();
  });
});
