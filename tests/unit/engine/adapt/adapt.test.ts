import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { openModelCache } from '../../../../src-main/cache';
import { adaptUpscaler, fineTune, loadGraphNet } from '../../../../src-main/engine/adapt';
import { ensureBackend, tf } from '../../../../src-main/engine/backend';
import { loadPretrained, modelDir, pretrainedSpec } from '../../../../src-main/engine/pretrained';
import { getUpscaler, listModels } from '../../../../src-main/engine/registry';
import type { EngineEvent } from '../../../../src-main/engine/upscaler';
import { scene } from '../pretrained/synthetic';

let tmp: string;
beforeAll(async () => {
  await ensureBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'studio-adapt-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const same = (a: FloatImage, b: FloatImage) => a.width === b.width && a.height === b.height && a.data.every((v, i) => v === b.data[i]);

describe('adapt', () => {
  it('is in the registry as its own family', () => {
    const m = listModels().find((x) => x.id === 'adapt');
    expect(m?.family).toBe('adapt');
    expect(m?.scales).toEqual([2, 3, 4, 8]);
  });

  it('rebuilds the pretrained Keras graph exactly, in both convolution modes', async () => {
    const spec = pretrainedSpec('esrgan-slim');
    const g = await loadGraphNet(modelDir(spec, 3));
    const p = Object.fromEntries(g.weights.map((w) => [w.name, tf.tensor(w.data, w.shape)]));
    const x = tf.randomUniform([1, 10, 9, 3], 0, 255, 'float32', 11) as tf.Tensor4D;
    const ref = (await loadPretrained(spec, 3)).predict(x) as tf.Tensor;
    for (const mode of ['native', 'im2col'] as const) {
      const y = g.forward(p, x, mode);
      expect(y.shape).toEqual([1, 30, 27, 3]);
      expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-3); // on a 0-255 scale
    }
  });

  it('fine-tuning lowers the photo’s own reconstruction error, and stops when cancelled', async () => {
    const photo = await scene(96, 96, 6);
    const spec = pretrainedSpec('esrgan-slim');
    const g = await loadGraphNet(modelDir(spec, 2));
    const r = await fineTune(photo, g, spec, 2, { parent: 'esrgan-slim', steps: 30, lr: 1e-4, patch: 16, checkEvery: 5 });
    expect(r.report.kept).toBe('adapted');
    expect(r.report.after).toBeLessThan(r.report.before);
    expect(r.weights.map((w) => w.name)).toEqual(g.weights.map((w) => w.name));
    expect(r.weights.some((w, i) => w.data.some((v, k) => v !== g.weights[i].data[k]))).toBe(true);
    const ac = new AbortController();
    const run = fineTune(photo, g, spec, 2, { parent: 'esrgan-slim', steps: 50, lr: 1e-4, patch: 16, checkEvery: 10 }, {
      signal: ac.signal,
      onStep: (d) => d === 3 && ac.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('upscales, caches the tuned weights, and falls back to the parent on tiny photos', async () => {
    const photo = await scene(48, 40, 8);
    const store = openModelCache({ cacheDir: path.join(tmp, 'cache') });
    const up = adaptUpscaler({ steps: 6, checkEvery: 3, lr: 2e-4, patch: 16 });
    const ev1: EngineEvent[] = [];
    const a = await up.upscale(photo, { scale: 2, backend: 'wasm', store, onEvent: (e) => ev1.push(e) });
    expect([a.width, a.height, a.channels]).toEqual([96, 80, 3]);
    expect(ev1.some((e) => e.cacheHit === false)).toBe(true);
    const ev2: EngineEvent[] = [];
    const b = await up.upscale(photo, { scale: 2, backend: 'wasm', store, onEvent: (e) => ev2.push(e) });
    expect(ev2.some((e) => e.cacheHit === true)).toBe(true);
    expect(same(a, b)).toBe(true);

    const tiny = await scene(16, 16, 2); // 8 px after halving: no internal pairs to learn from
    const t = await up.upscale(tiny, { scale: 2, backend: 'wasm' });
    const parent = await getUpscaler('esrgan-slim').upscale(tiny, { scale: 2, backend: 'wasm' });
    expect([t.width, t.height]).toEqual([32, 32]);
    // Same weights; only the float summation order differs from the tfjs-layers model.
    expect(t.data.reduce((m, v, i) => Math.max(m, Math.abs(v - parent.data[i])), 0)).toBeLessThan(1e-5);
  });
});
