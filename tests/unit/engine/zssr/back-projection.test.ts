import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { backProject, estimateNoiseStd } from '../../../../src-main/engine/zssr/back-projection';
import { bicubicResampler, isotropic, kernelResampler, type Resampler } from '../../../../src-main/engine/zssr/resample';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';

function scene(w: number, h: number): FloatImage {
  const d = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = 0.5 + 0.35 * Math.sin(x / (2 + c) + y / 3) * Math.cos(y / 5 - x / 7);
  return { width: w, height: h, channels: 3, data: d };
}

function noisy(img: FloatImage, std: number, seed = 1): FloatImage {
  const rng = new PairedNormalRng(seed);
  return { ...img, data: Float32Array.from(img.data, (v) => Math.min(1, Math.max(0, v + rng.normal() * std))) };
}

// A 9x9 anisotropic blur with negative corner lobes (as KernelGAN estimates them).
function lobedKernel(): number[][] {
  const k: number[][] = [];
  for (let i = -4; i <= 4; i++) k.push(Array.from({ length: 9 }, (_, jj) => { const j = jj - 4; return Math.exp(-(j * j) / 8 - (i * i) / 3 + (i * j) / 6) - (Math.abs(i) + Math.abs(j) >= 7 ? 0.15 : 0); }));
  const s = k.flat().reduce((a, b) => a + b, 0);
  return k.map((r) => r.map((v) => v / s));
}

const f2 = isotropic(2);

describe('guarded back-projection', () => {
  it('with bicubic on a clean photo: every iteration lowers the reconstruction error', () => {
    const hr = scene(48, 40);
    const lr = bicubicResampler.down(hr, f2, 24, 20);
    const up = bicubicResampler.up(lr, f2, 48, 40);
    const r = backProject(up, lr, f2, bicubicResampler, 10);
    expect(r.iterations).toBe(10);
    expect(r.stopped).toBeUndefined();
    for (let i = 1; i < r.errors.length; i++) expect(r.errors[i]).toBeLessThan(r.errors[i - 1]);
    expect(r.errors.at(-1)!).toBeLessThan(r.errors[0] / 5);
  });

  it('an iteration that raises the error is undone and ends the loop', () => {
    // An up() that overshoots 2.5x makes the plain iteration diverge.
    const wild: Resampler = { ...bicubicResampler, up: (img, f, w, h) => { const u = bicubicResampler.up(img, f, w, h); return { ...u, data: u.data.map((v) => 2.5 * v) }; } };
    const hr = scene(48, 40);
    const lr = bicubicResampler.down(hr, f2, 24, 20);
    const start = bicubicResampler.up(lr, f2, 48, 40);
    const r = backProject(start, lr, f2, wild, 10);
    expect(r.stopped).toBe('error-grew');
    expect(r.iterations).toBeLessThan(10);
    for (let i = 1; i < r.errors.length; i++) expect(r.errors[i]).toBeLessThan(r.errors[i - 1]);
    // Unguarded, the same ten iterations blow up.
    let y = start;
    for (let i = 0; i < 10; i++) {
      const d = wild.down(y, f2, 24, 20);
      const u = wild.up({ ...lr, data: lr.data.map((v, j) => v - d.data[j]) }, f2, 48, 40);
      y = { ...y, data: y.data.map((v, j) => Math.min(1, Math.max(0, v + u.data[j]))) };
    }
    const e = (img: FloatImage): number => Math.sqrt(wild.down(img, f2, 24, 20).data.reduce((s, v, j) => s + (v - lr.data[j]) ** 2, 0) / lr.data.length);
    expect(e(y)).toBeGreaterThan(2 * r.errors.at(-1)!);
  });

  it('with a negative-lobed kernel on a noisy photo the error never grows, and it stops at the noise floor', () => {
    const rs = kernelResampler(lobedKernel());
    const hr = scene(64, 48);
    const lr = noisy(rs.down(hr, f2, 32, 24), 0.02);
    const start = bicubicResampler.up(lr, f2, 64, 48);
    const r = backProject(start, lr, f2, rs, 10);
    for (let i = 1; i < r.errors.length; i++) expect(r.errors[i]).toBeLessThan(r.errors[i - 1]);
    const floor = estimateNoiseStd(lr);
    const stopped = backProject(start, lr, f2, rs, 10, floor);
    expect(stopped.stopped).toBe('noise-floor');
    expect(stopped.iterations).toBeLessThan(r.iterations);
    expect(stopped.errors.at(-1)!).toBeLessThanOrEqual(floor);
  });

  it('estimates the noise of a photo', () => {
    const clean = scene(96, 80);
    expect(estimateNoiseStd(clean)).toBeLessThan(0.01);
    const flat: FloatImage = { width: 96, height: 80, channels: 3, data: new Float32Array(96 * 80 * 3).fill(0.5) };
    expect(estimateNoiseStd(noisy(flat, 0.02))).toBeCloseTo(0.02, 2);
  });
});
