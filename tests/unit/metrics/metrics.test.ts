import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../src-main/contract/image';
import { lumaY, psnrPlane, shavePlane, srMetrics, ssimPlane, type Plane } from '../../../src-main/metrics';

const rgb = (pixels: number[][]): FloatImage => ({ width: pixels.length, height: 1, channels: 3, data: Float32Array.from(pixels.flat().map((v) => v / 255)) });
const plane = (w: number, h: number, f: (x: number, y: number) => number): Plane => {
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
};

describe('Y channel (BT.601, 16-235, uint8 rounding)', () => {
  it('matches hand-computed values', () => {
    // white 16+219 = 235; black 16; red 16+65.481 = 81.48 -> 81;
    // (10,20,30): 16 + (654.81 + 2571.06 + 748.98)/255 = 31.588 -> 32
    const y = lumaY(rgb([[255, 255, 255], [0, 0, 0], [255, 0, 0], [10, 20, 30]]));
    expect(Array.from(y.data)).toEqual([235, 16, 81, 32]);
  });

  it('uses a 1-channel image as its own Y, rounded to uint8', () => {
    const g: FloatImage = { width: 3, height: 1, channels: 1, data: Float32Array.from([0, 100 / 255, 1]) };
    expect(Array.from(lumaY(g).data)).toEqual([0, 100, 255]);
    expect(Array.from(lumaY({ width: 2, height: 1, channels: 1, data: [7, 250.5] }, 255).data)).toEqual([7, 251]);
  });
});

describe('PSNR', () => {
  it('is 10 log10(255^2 / MSE): one pixel off by 2 of 4 -> MSE 1 -> 48.1308 dB', () => {
    const a = plane(2, 2, () => 100);
    const b = plane(2, 2, (x, y) => (x === 1 && y === 1 ? 102 : 100));
    expect(psnrPlane(a, b)).toBeCloseTo(10 * Math.log10(65025), 4);
    expect(psnrPlane(a, b)).toBeCloseTo(48.1308, 4);
    expect(psnrPlane(a, a)).toBe(Infinity);
  });

  it('shaves borders before comparing', () => {
    const a = plane(6, 6, () => 50);
    const b = plane(6, 6, (x, y) => (x === 0 || y === 5 ? 0 : 50)); // damage only on the border
    expect(psnrPlane(a, b)).toBeLessThan(20);
    expect(psnrPlane(shavePlane(a, 1), shavePlane(b, 1))).toBe(Infinity);
    expect(shavePlane(a, 2)).toMatchObject({ width: 2, height: 2 });
  });
});

describe('SSIM (11x11 Gaussian, sigma 1.5, valid windows)', () => {
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;

  it('is 1 for identical images', () => {
    const a = plane(16, 13, (x, y) => (x * 7 + y * 13) % 256);
    expect(ssimPlane(a, a)).toBeCloseTo(1, 12);
  });

  it('constant images: (2ab + C1) / (a^2 + b^2 + C1)', () => {
    const v = ssimPlane(plane(11, 11, () => 100), plane(11, 11, () => 110));
    expect(v).toBeCloseTo((2 * 100 * 110 + C1) / (100 ** 2 + 110 ** 2 + C1), 10);
    expect(v).toBeCloseTo(0.995476, 6);
  });

  it('a ramp against twice the ramp, one 11x11 window: weights are the sigma-1.5 Gaussian', () => {
    // a = 100 + 3(x-5): the Gaussian mean is 100 by symmetry and the variance is
    // 9 * sum_k g_k (k-5)^2; b = 2a doubles the mean and the deviation.
    const g = Array.from({ length: 11 }, (_, k) => Math.exp(-((k - 5) ** 2) / 4.5));
    const gs = g.reduce((s, v) => s + v, 0);
    const var1 = 9 * g.reduce((s, v, k) => s + (v / gs) * (k - 5) ** 2, 0);
    const a = plane(11, 11, (x) => 100 + 3 * (x - 5));
    const b = plane(11, 11, (x) => 2 * (100 + 3 * (x - 5)));
    const expected = ((2 * 100 * 200 + C1) / (100 ** 2 + 200 ** 2 + C1)) * ((2 * 2 * var1 + C2) / (var1 + 4 * var1 + C2));
    expect(ssimPlane(a, b)).toBeCloseTo(expected, 10);
  });

  it('averages over the (w-10) x (h-10) valid windows only', () => {
    // 12 x 11 has two valid windows (x offsets 0 and 1); the changed corner pixel lies only in
    // the second, so the mean is (1 + something below 1) / 2.
    const a = plane(12, 11, () => 80);
    const b = plane(12, 11, (x, y) => (x === 11 && y === 0 ? 90 : 80));
    const s = ssimPlane(a, b);
    expect(s).toBeLessThan(1);
    expect(s).toBeGreaterThan(0.5);
  });
});

describe('srMetrics', () => {
  it('crops the border and compares Y', () => {
    const w = 20;
    const hr: FloatImage = { width: w, height: w, channels: 3, data: new Float32Array(w * w * 3).fill(0.5) };
    const sr: FloatImage = { ...hr, data: hr.data.slice() };
    for (let i = 0; i < w * 3; i++) sr.data[i] = 0; // first row black
    expect(srMetrics(hr, sr, 0).psnr).toBeLessThan(30);
    expect(srMetrics(hr, sr, 2)).toEqual({ psnr: Infinity, ssim: 1 });
  });
});
