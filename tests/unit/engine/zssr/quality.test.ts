import { describe, expect, it } from 'vitest';
import type { EngineProgress, FloatImage } from '../../../../src-main/contract/image';
import { imresize, makeLowRes } from '../../../../src-main/engine/classical';
import { bicubicBackProjection, isotropic, kernelResampler, zssrUpscale, type ZssrReport } from '../../../../src-main/engine/zssr';
import { measureWindows } from '../../../../src-main/engine/zssr/zssr';
import { srMetrics } from '../../../../src-main/metrics';
import { lobedKernel, noisyJpeg, shapesPhoto } from './photo-fixtures';

// Quality claims on small synthetic photos, computed (PSNR against the ground truth), with the
// real 8x64 network. Step counts are cut to keep CI short; the benchmark runs the presets in full.

const psnr = (hr: FloatImage, sr: FloatImage): number => srMetrics(hr, sr, 2, { ssim: false }).psnr;

function bicubic(lr: FloatImage, w: number, h: number): FloatImage {
  const b = imresize(lr, { width: w, height: h });
  for (let i = 0; i < b.data.length; i++) b.data[i] = Math.min(1, Math.max(0, b.data[i]));
  return b;
}

describe('ZSSR quality', () => {
  it('the network earns its keep: > 0.3 dB over bicubic + back-projection on repeated structure at x2 (Draft)', async () => {
    const { hr, lr } = makeLowRes(shapesPhoto(64, 64), 2);
    let rep: ZssrReport | undefined;
    const sr = await zssrUpscale(lr, { scale: 2, preset: 'draft', backend: 'wasm', zssr: { num_epochs: 100 } }, { threads: 2, onReport: (r) => (rep = r) });
    expect(rep?.noGain).toEqual([false]);
    expect(psnr(hr, sr) - psnr(hr, bicubicBackProjection(lr, 2))).toBeGreaterThan(0.3);
  });

  it('a network that rebuilds the photo no better than interpolation stops early and is not used', async () => {
    const flat: FloatImage = { width: 24, height: 20, channels: 3, data: new Float32Array(24 * 20 * 3).fill(0.4) };
    const progress: EngineProgress[] = [];
    let rep: ZssrReport | undefined;
    const sr = await zssrUpscale(
      flat,
      { scale: 2, preset: 'draft', backend: 'wasm', zssr: { model_depth: 3, model_width: 8, crop_size: 16, patch_size: 16, num_epochs: 1000 }, onProgress: (p) => progress.push(p) },
      { threads: 1, onReport: (r) => (rep = r) },
    );
    expect(rep?.noGain).toEqual([true]);
    expect(rep?.steps[0]).toBeLessThanOrEqual(301); // judged from step 200, given up by 300: not 1000
    expect(progress.find((p) => p.message?.startsWith('trained'))?.message).toMatch(/not used: the result is interpolation and back-projection/);
    expect(Array.from(sr.data)).toEqual(Array.from(bicubicBackProjection(flat, 2).data));
  });

  it('measures a big photo on windows spread over it, not on its centre alone', () => {
    expect(measureWindows(200, 150, 256 * 256)).toEqual([{ x: 0, y: 0, w: 200, h: 150 }]);
    const ws = measureWindows(6000, 4000, 256 * 256);
    expect(ws).toHaveLength(16);
    expect(ws.reduce((n, w) => n + w.w * w.h, 0)).toBeLessThanOrEqual(256 * 256);
    for (const w of ws) expect(w.x >= 0 && w.y >= 0 && w.x + w.w <= 6000 && w.y + w.h <= 4000).toBe(true);
    // one window in each quarter of the photo, none overlapping
    for (const [qx, qy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) expect(ws.some((w) => Math.floor(w.x / 3000) === qx && Math.floor(w.y / 2000) === qy)).toBe(true);
    expect(new Set(ws.map((w) => `${w.x},${w.y}`)).size).toBe(16);
    // a long thin photo still gets windows inside it
    for (const w of measureWindows(20000, 6, 256 * 256)) expect(w.h >= 1 && w.y + w.h <= 6 && w.x + w.w <= 20000).toBe(true);
  });

  it('a big photo with a flat centre and detail around it trains and uses the network', async () => {
    // 400x300: bigger than the measured pixels; the middle 300x224 (where one central window
    // would sit) is flat, as a sky or a blurred background is.
    const lr = shapesPhoto(400, 300);
    for (let y = 38; y < 262; y++) for (let x = 50; x < 350; x++) lr.data.fill(0.5, (y * 400 + x) * 3, (y * 400 + x) * 3 + 3);
    let rep: ZssrReport | undefined;
    await zssrUpscale(lr, { scale: 2, preset: 'draft', backend: 'wasm', zssr: { num_epochs: 300 } }, { threads: 2, onReport: (r) => (rep = r) });
    expect(rep?.noGain).toEqual([false]);
    expect(rep?.steps[0]).toBe(300);
  });

  it('"Real photo" on a noisy JPEG: better than the ideal-case settings', async () => {
    const { hr, lr: clean } = makeLowRes(shapesPhoto(64, 64, 0.08), 2);
    const lr = await noisyJpeg(clean, 5, 80);
    const run = (zssr: Record<string, unknown>): Promise<FloatImage> => zssrUpscale(lr, { scale: 2, preset: 'draft', backend: 'wasm', zssr: { num_epochs: 150, ...zssr } }, { threads: 2 });
    const ideal = psnr(hr, await run({}));
    const real = psnr(hr, await run({ real_photo: true }));
    expect(real).toBeGreaterThan(ideal + 0.5);
    expect(real).toBeGreaterThan(psnr(hr, bicubic(lr, 64, 64)) + 1);
  });

  it('with a negative-lobed kernel on a noisy JPEG every preset scores at least bicubic', async () => {
    const K = lobedKernel();
    expect(Math.min(...K.flat())).toBeLessThan(-0.005);
    const hr = shapesPhoto(64, 64, 0.08);
    const lr = await noisyJpeg(kernelResampler(K).down(hr, isotropic(2), 32, 32), 2, 80);
    const floor = psnr(hr, bicubic(lr, 64, 64));
    // Draft and Balanced at 300 steps, Max's six gradual steps at 100 each (CI time).
    for (const [preset, num_epochs] of [['draft', 300], ['balanced', 300], ['max', 100]] as const) {
      const sr = await zssrUpscale(lr, { scale: 2, preset, backend: 'wasm', zssr: { num_epochs } }, { threads: 2, kernel: K });
      expect(psnr(hr, sr), preset).toBeGreaterThanOrEqual(floor);
    }
  }, 240_000);
});
