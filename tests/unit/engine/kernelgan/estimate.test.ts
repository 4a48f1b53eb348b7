import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCache } from '../../../../src-main/cache';
import type { EngineProgress, FloatImage } from '../../../../src-main/contract/image';
import { currentBackend, ensureBackend } from '../../../../src-main/engine/backend';
import { gpuAdapter } from '../../../../src-main/engine/webgpu';
import { imresize } from '../../../../src-main/engine/classical';
import {
  bicubicKernel,
  blindZssrConfig,
  blindZssrUpscale,
  estimateKernel,
  fromMatrix,
  gaussianKernel,
  kernelError,
  runKernelGan,
  toMatrix,
  type Kernel,
} from '../../../../src-main/engine/kernelgan';
import { analyticX4, centreByWholePixels } from '../../../../src-main/engine/kernelgan/post';
import { getUpscaler } from '../../../../src-main/engine/registry';
import { Rng } from '../../../../src-main/engine/train/rng';
import type { EngineEvent } from '../../../../src-main/engine/upscaler';
import { REAL_PHOTO, resolveConfig } from '../../../../src-main/engine/zssr';
import { isotropic, kernelResampler } from '../../../../src-main/engine/zssr/resample';
import { srMetrics } from '../../../../src-main/metrics';
import { deadLeaves } from './fixtures';

// KernelGAN on small synthetic photos with short schedules: behaviour, not benchmark quality
// (bench section `kernelgan` measures that on Set14).

/** A kernel with negative lobes at the corners, like the ones KernelGAN returns before clean-up. */
function lobedKernel(): Kernel {
  const a = gaussianKernel(9, 3.5, 0.8, 0.6), b = gaussianKernel(9, 12, 12, 0);
  const k = a.k.map((v, i) => v - 0.15 * b.k[i]);
  const s = k.reduce((p, v) => p + v, 0);
  return { size: 9, k: k.map((v) => v / s) };
}

function degrade(hr: FloatImage, k: Kernel, scale: number): FloatImage {
  return kernelResampler(toMatrix(k)).down(hr, isotropic(scale), hr.width / scale, hr.height / scale);
}

/** Gaussian noise then a JPEG round trip at quality 80, as a real snapshot would carry. */
async function noisyJpeg(img: FloatImage, sigma: number, seed: number): Promise<FloatImage> {
  const rng = new Rng(seed);
  const u8 = Buffer.from(img.data.map((v) => Math.min(255, Math.max(0, Math.round((v + sigma * rng.normal()) * 255)))));
  const jpeg = await sharp(u8, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
  const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { width: img.width, height: img.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
}

const tinyZssr = { model_depth: 3, model_width: 8, crop_size: 16, num_epochs: 8, patch_size: 32 };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kernelgan-test-'));
  await ensureBackend('wasm');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('kernel estimation', () => {
  it('finds an anisotropic blur: closer to it than the bicubic kernel or an isotropic Gaussian of the same spread', async () => {
    const truth = gaussianKernel(11, 5, 0.6, 0.5);
    const lr = degrade(deadLeaves(256, 256, 1), truth, 2);
    const r = await runKernelGan(lr, { iterations: 400, lrDecayEvery: 200, backend: 'wasm' });
    const est = kernelError(r.k2, truth).psnr;
    expect(est).toBeGreaterThan(kernelError({ size: 8, k: Float64Array.from(bicubicKernel(2)) }, truth).psnr + 3);
    expect(est).toBeGreaterThan(kernelError(gaussianKernel(11, 2.8, 2.8, 0), truth).psnr);
    expect(r.k2.k.every((v) => v >= 0)).toBe(true);
    expect(r.k2.k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  }, 180_000);

  it('is repeatable for a seed; x4 is the analytic composition of the x2 estimate; x3 is refused', async () => {
    const lr = degrade(deadLeaves(160, 160, 2), gaussianKernel(11, 2, 1, 0.3), 2);
    const a = await runKernelGan(lr, { iterations: 20, seed: 3, backend: 'wasm' });
    const b = await runKernelGan(lr, { iterations: 20, seed: 3, backend: 'wasm' });
    expect(Array.from(b.raw.k)).toEqual(Array.from(a.raw.k));
    const k4 = fromMatrix(await estimateKernel(lr, 4, { iterations: 20, seed: 3, backend: 'wasm' }));
    expect(Array.from(k4.k)).toEqual(Array.from(analyticX4(centreByWholePixels(a.k2)).k));
    await expect(estimateKernel(lr, 3, { iterations: 20 })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });

  it('reports its progress as the estimate phase and stops within a second of an abort', async () => {
    const lr = deadLeaves(96, 96, 3);
    const ac = new AbortController();
    ac.abort();
    await expect(runKernelGan(lr, { signal: ac.signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });

    const ac2 = new AbortController();
    const seen: EngineProgress[] = [];
    let abortedAt = 0;
    const run = runKernelGan(lr, {
      iterations: 100_000,
      backend: 'wasm',
      signal: ac2.signal,
      onProgress: (p) => {
        seen.push(p);
        if (!abortedAt) {
          abortedAt = performance.now();
          ac2.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(seen[0]).toMatchObject({ phase: 'estimate', done: 1, total: 100_000, message: 'estimating blur' });
  });

  it('with tfjs on WebGPU (no synchronous reads in Node) runs on wasm and leaves WebGPU active', async (ctx) => {
    const adapter = await gpuAdapter().catch(() => undefined);
    if (!adapter && !process.env.CI) ctx.skip();
    const r = await runKernelGan(deadLeaves(96, 96, 3), { iterations: 3, backend: 'webgpu' });
    expect(r.backend).toBe('wasm');
    expect(r.k2.k.every(Number.isFinite)).toBe(true);
    expect(currentBackend()).toBe('webgpu');
    await ensureBackend('wasm');
  }, 120_000);

  it('refuses a photo smaller than its crops with a coded error', async () => {
    await expect(runKernelGan(deadLeaves(40, 90, 1))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});

describe('blind zssr', () => {
  it('on a noisy JPEG whose blur has negative lobes, scores at least bicubic', async () => {
    const hr = deadLeaves(192, 192, 4);
    const lr = await noisyJpeg(degrade(hr, lobedKernel(), 2), 2 / 255, 5);
    const bic = srMetrics(hr, imresize(lr, { width: 192, height: 192 }), 2);
    const out = await blindZssrUpscale(lr, { scale: 2, preset: 'draft', backend: 'wasm', zssr: { num_epochs: 100 } }, { threads: 2, kernelGan: { iterations: 150, lrDecayEvery: 75 } });
    const blind = srMetrics(hr, out, 2);
    expect(blind.psnr).toBeGreaterThan(bic.psnr - 0.05);
  }, 180_000);

  it('keeps the estimate in the per-image cache: a rerun estimates nothing and gives the same pixels', async () => {
    const store = new ModelCache({ dir: path.join(dir, 'cache') });
    const lr = degrade(deadLeaves(128, 128, 6), gaussianKernel(11, 3, 1, 1), 2);
    const run = async (): Promise<{ out: FloatImage; progress: EngineProgress[]; events: EngineEvent[]; cached: boolean }> => {
      const progress: EngineProgress[] = [], events: EngineEvent[] = [];
      let cached = false;
      const out = await blindZssrUpscale(
        lr,
        { scale: 2, preset: 'draft', backend: 'wasm', zssr: tinyZssr, store, onProgress: (p) => progress.push(p), onEvent: (e) => events.push(e) },
        { threads: 1, kernelGan: { iterations: 30 }, onKernel: (_k, c) => (cached = c) },
      );
      return { out, progress, events, cached };
    };
    const first = await run();
    expect(first.cached).toBe(false);
    expect(first.progress.some((p) => p.phase === 'estimate')).toBe(true);
    const second = await run();
    expect(second.cached).toBe(true);
    expect(second.progress.some((p) => p.phase === 'estimate')).toBe(false);
    expect(second.events.some((e) => e.cacheHit === true)).toBe(true); // ZSSR's own cache too
    expect(Buffer.from(second.out.data.buffer).equals(Buffer.from(first.out.data.buffer))).toBe(true);
    const entries = await store.list();
    expect(entries.map((e) => e.method).sort()).toEqual(['kernelgan', 'zssr']);
  }, 120_000);

  it('is the zssr method with zssr.blind; refuses other scales, a kernel file, and gradual steps', async () => {
    const img = deadLeaves(80, 80, 7);
    await expect(getUpscaler('zssr').upscale(img, { scale: 3, zssr: { blind: true } })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/x2 and x4/) });
    expect(() => blindZssrConfig(2, { kernel_path: '/k.json' })).toThrow(/not both/);
    expect(() => blindZssrConfig(4, { scale_times: 2 })).toThrow(/one x4 step/);
    expect(blindZssrConfig(2, { blind: true, noise_std: 0.02 })).toEqual({ noise_std: 0.02, real_photo: true, scale_times: 1 });
    // The Real photo values are ZSSR's own (one definition), with the estimated kernel or without.
    const k = toMatrix(gaussianKernel(11, 2, 1, 0.3));
    for (const scale of [2, 4]) {
      const blind = resolveConfig(scale, 'balanced', blindZssrConfig(scale), { kernel: k });
      expect(blind).toMatchObject({ real_photo: true, noise_std: REAL_PHOTO.noise_std, ensemble: REAL_PHOTO.ensemble });
      expect(blind.stages.map((s) => s.bpIters)).toEqual([REAL_PHOTO.back_projection_iters]);
      expect(blind.augment).toMatchObject({ scale_diff_sigma: REAL_PHOTO.augment_scale_diff_sigma, shear_sigma: REAL_PHOTO.augment_shear_sigma });
    }
  });
});
