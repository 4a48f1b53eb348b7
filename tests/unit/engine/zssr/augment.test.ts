import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { randomFather, type FatherCrop } from '../../../../src-main/engine/zssr/augment';
import type { AugmentConfig } from '../../../../src-main/engine/zssr/config';
import { PairedNormalRng } from '../../../../src-main/engine/train/rng';

// Each pixel holds its own position (R = x / W, G = y / H): bicubic sampling reproduces linear
// ramps exactly, so a father's pixels say where in the source they were sampled.
function coords(w: number, h: number): FloatImage {
  const d = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      d[(y * w + x) * 3] = x / w;
      d[(y * w + x) * 3 + 1] = y / h;
      d[(y * w + x) * 3 + 2] = 0.5;
    }
  return { width: w, height: h, channels: 3, data: d };
}

/** Source pixels per father pixel: the median Jacobian [[dx/dj, dx/di], [dy/dj, dy/di]] of the inner crop. */
function jacobian(fc: FatherCrop, src: FloatImage): [number, number, number, number] {
  const { ext, inner } = fc;
  const at = (i: number, j: number, c: number): number => ext.data[((inner.y + i) * ext.width + inner.x + j) * 3 + c] * (c === 0 ? src.width : src.height);
  const cols: number[][] = [[], [], [], []];
  for (let i = 0; i < inner.height - 1; i++)
    for (let j = 0; j < inner.width - 1; j++) {
      cols[0].push(at(i, j + 1, 0) - at(i, j, 0));
      cols[1].push(at(i + 1, j, 0) - at(i, j, 0));
      cols[2].push(at(i, j + 1, 1) - at(i, j, 1));
      cols[3].push(at(i + 1, j, 1) - at(i, j, 1));
    }
  const med = (a: number[]): number => a.sort((p, q) => p - q)[a.length >> 1];
  return cols.map(med) as [number, number, number, number];
}

const base: AugmentConfig = { leave_as_is_probability: 0, no_interpolate_probability: 0, min_scale: 0.5, scale_diff_sigma: 0, shear_sigma: 0, allow_rotation: false };
const src = coords(160, 120);

function draws(aug: AugmentConfig, n = 40, sources: FloatImage[] = [src], scales = [1]): FatherCrop[] {
  const rng = new PairedNormalRng(3);
  return Array.from({ length: n }, () => randomFather(sources, scales, aug, 24, 6, rng));
}

describe('father jitter (random_augment)', () => {
  it('augment_min_scale: affine fathers are the photo shrunk by a random factor in [min_scale, 1]', () => {
    const s = draws(base).map((fc) => {
      const [a, b, c, d] = jacobian(fc, src);
      expect(Math.abs(b) + Math.abs(c)).toBeLessThan(1e-3); // no rotation, no shear
      expect(a).toBeCloseTo(d, 3); // same scale on both axes
      return 1 / a;
    });
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0.5 - 1e-3);
    expect(Math.max(...s)).toBeLessThanOrEqual(1 + 1e-3);
    expect(Math.max(...s) - Math.min(...s)).toBeGreaterThan(0.25);
    const narrow = draws({ ...base, min_scale: 0.9 }).map((fc) => 1 / jacobian(fc, src)[0]);
    expect(Math.min(...narrow)).toBeGreaterThan(0.9 - 1e-3);
  });

  it('augment_scale_diff_sigma and augment_shear_sigma: different axis scales and shear', () => {
    const diffs = draws({ ...base, scale_diff_sigma: 0.25 }).map((fc) => {
      const [a, , , d] = jacobian(fc, src);
      return Math.abs(1 / a - 1 / d);
    });
    expect(Math.max(...diffs)).toBeGreaterThan(0.1);
    const shears = draws({ ...base, shear_sigma: 0.1 }).map((fc) => {
      const [, b, c] = jacobian(fc, src);
      return Math.abs(b) + Math.abs(c);
    });
    expect(Math.max(...shears)).toBeGreaterThan(0.05);
  });

  it('rotations only where allowed; no-interpolation fathers are exact rotations/flips; leave-as-is is a plain crop', () => {
    const rotated = draws({ ...base, allow_rotation: true }).map((fc) => jacobian(fc, src));
    expect(rotated.some(([a, b]) => Math.abs(b) > 0.3 * Math.abs(a))).toBe(true); // turned by more than ~17 degrees
    const plain = draws({ ...base, no_interpolate_probability: 1, allow_rotation: true }).map((fc) => jacobian(fc, src).map((v) => Math.round(v * 1e4) / 1e4));
    for (const j of plain) for (const v of j) expect([0, 1, -1]).toContain(v);
    expect(plain.some(([a]) => a === 0)).toBe(true); // a quarter turn
    expect(plain.some(([a]) => a === -1)).toBe(true); // a flip or half turn
    const unrotated = draws({ ...base, no_interpolate_probability: 1 }).map((fc) => jacobian(fc, src));
    for (const j of unrotated) expect(j.map((v) => Math.round(v * 1e4) / 1e4)).toEqual([1, 0, 0, 1]);
    for (const fc of draws({ ...base, leave_as_is_probability: 1, allow_rotation: true })) expect(jacobian(fc, src).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([1, 0, 0, 1]);
  });

  it('takes fathers from earlier gradual results by the random scale, shrunk to it', () => {
    const big = coords(320, 240);
    const picks = draws({ ...base, min_scale: 0.5 }, 60, [src, big], [1, 2]);
    const fromBig = picks.filter((fc) => fc.source === 1);
    expect(fromBig.length).toBeGreaterThan(10);
    expect(picks.length - fromBig.length).toBeGreaterThan(5);
    // A father from the x2 result at random scale s in (1, 2] is that result shrunk by s / 2.
    for (const fc of fromBig) expect(1 / jacobian(fc, big)[0]).toBeGreaterThan(0.5 - 1e-3);
  });

  it('crops keep their margins of real surroundings and never exceed the crop size', () => {
    for (const fc of draws({ ...base, allow_rotation: true, shear_sigma: 0.1, scale_diff_sigma: 0.25 })) {
      expect(fc.inner.width).toBeLessThanOrEqual(24);
      expect(fc.ext.width).toBe(fc.inner.width + 12);
      expect(fc.ext.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
});
