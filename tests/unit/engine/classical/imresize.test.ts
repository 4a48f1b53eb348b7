import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../../src-main/contract/errors';
import type { FloatImage } from '../../../../src-main/contract/image';
import { imresize, planResize, resizeFloat, resizeToBuffer } from '../../../../src-main/engine/classical/imresize';
import { referenceResize } from './matlab-reference';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomImage(w: number, h: number, c: 1 | 3, seed = 1): FloatImage {
  const r = rng(seed);
  const data = new Float32Array(w * h * c);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { width: w, height: h, channels: c, data };
}

function channel(img: FloatImage, ch: number): number[][] {
  return Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * img.channels + ch]));
}

function maxDiff(img: FloatImage, ref: number[][][]): number {
  let m = 0;
  for (let ch = 0; ch < img.channels; ch++) {
    const got = channel(img, ch);
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) m = Math.max(m, Math.abs(got[y][x] - ref[ch][y][x]));
  }
  return m;
}

const row = (values: number[]): FloatImage => ({ width: values.length, height: 1, channels: 1, data: Float32Array.from(values) });

describe('imresize hand-computed values', () => {
  it('bicubic x2 of [1 2 3 4]: first sample 0.90625 (weights -0.0234375, 0.2265625, 0.8671875, -0.0703125 on 2,1,1,2)', () => {
    const out = imresize(row([1, 2, 3, 4]), { width: 8, height: 1 }, 'bicubic');
    expect(out.width).toBe(8);
    expect(out.data[0]).toBeCloseTo(0.90625, 6);
    // Symmetric: the last sample mirrors the first around the mean 2.5.
    expect(out.data[7]).toBeCloseTo(5 - 0.90625, 6);
  });

  it('bilinear x2 of [0 1] is [0 0.25 0.75 1]; nearest x2 repeats pixels', () => {
    // A scale applies to both dimensions, so a 1-row input gives 2 identical rows (as in MATLAB).
    const bl = imresize(row([0, 1]), { scale: 2 }, 'bilinear');
    expect([bl.width, bl.height]).toEqual([4, 2]);
    expect(Array.from(bl.data)).toEqual([0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]);
    const nn = imresize(row([0.2, 0.6, 0.4]), { width: 6, height: 1 }, 'nearest');
    expect(Array.from(nn.data).map((v) => +v.toFixed(6))).toEqual([0.2, 0.2, 0.6, 0.6, 0.4, 0.4]);
  });

  it('antialiased bicubic /3 averages a pixel checkerboard to grey; without antialiasing it samples pixels', () => {
    const w = 18;
    const data = new Float32Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x + y) % 2;
    const img: FloatImage = { width: w, height: w, channels: 1, data };
    const aa = imresize(img, { scale: 1 / 3 }, 'bicubic', true);
    expect(aa.width).toBe(6);
    // Away from the borders (where symmetric padding breaks the alternation).
    for (let y = 2; y < 4; y++) for (let x = 2; x < 4; x++) expect(Math.abs(aa.data[y * 6 + x] - 0.5)).toBeLessThan(0.05);
    // Plain bicubic at 1/3 lands on pixel centres (u = 3x - 1): the cubic interpolates exactly.
    const plain = imresize(img, { scale: 1 / 3 }, 'bicubic', false);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(plain.data[y * 6 + x]).toBeCloseTo((3 * x + 1 + 3 * y + 1) % 2, 6);
  });

  it('keeps a constant image constant for every kernel and factor', () => {
    const img: FloatImage = { width: 7, height: 5, channels: 3, data: new Float32Array(105).fill(0.3) };
    for (const k of ['nearest', 'bilinear', 'bicubic', 'lanczos3'] as const) {
      for (const scale of [0.25, 0.5, 1 / 3, 1.5, 2, 2.5, 3, 4, 8]) {
        const out = imresize(img, { scale }, k);
        for (const v of out.data) expect(v).toBeCloseTo(0.3, 5);
      }
    }
  });
});

describe('imresize against the MATLAB formulas', () => {
  const cases: { w: number; h: number; target: { scale: number } | { width: number; height: number } }[] = [
    { w: 13, h: 9, target: { scale: 0.5 } },
    { w: 12, h: 9, target: { scale: 1 / 3 } },
    { w: 16, h: 12, target: { scale: 0.25 } },
    { w: 7, h: 5, target: { scale: 2 } },
    { w: 7, h: 5, target: { scale: 2.5 } },
    { w: 6, h: 4, target: { scale: 3 } },
    { w: 9, h: 8, target: { width: 20, height: 5 } }, // height shrinks more: rows first
    { w: 9, h: 8, target: { width: 4, height: 17 } }, // width shrinks more: columns first
  ];
  for (const k of ['bicubic', 'bilinear', 'lanczos3', 'nearest'] as const) {
    for (const c of cases) {
      it(`${k} ${c.w}x${c.h} -> ${JSON.stringify(c.target)}`, () => {
        const img = randomImage(c.w, c.h, 3, c.w * 31 + c.h);
        const out = imresize(img, c.target, k);
        const scales = 'scale' in c.target ? { h: c.target.scale, w: c.target.scale } : undefined;
        const ref = [0, 1, 2].map((ch) => referenceResize(channel(img, ch), out.height, out.width, k, true, scales));
        if ('scale' in c.target) {
          expect(out.width).toBe(Math.ceil(c.w * c.target.scale - 1e-9));
          expect(out.height).toBe(Math.ceil(c.h * c.target.scale - 1e-9));
        } else {
          expect([out.width, out.height]).toEqual([c.target.width, c.target.height]);
        }
        expect(maxDiff(out, ref)).toBeLessThan(1e-6);
      });
    }
  }

  it('MATLAB output sizes: ceil(scale * size), no float noise (255 / 3 = 85)', () => {
    expect(planResize(255, 10, { scale: 1 / 3 }).outW).toBe(85);
    expect(planResize(7, 5, { scale: 2.5 })).toMatchObject({ outW: 18, outH: 13 });
  });
});

describe('buffer and float variants', () => {
  it('resizeToBuffer rounds exactly like Math.round of the float result, in 8 and 16 bits', () => {
    const img = randomImage(11, 7, 3, 5);
    const f = imresize(img, { scale: 1.7 }, 'lanczos3');
    const b8 = resizeToBuffer(img, { scale: 1.7 }, { kernel: 'lanczos3', depth: 8, gain: 255 });
    const b16 = resizeToBuffer(img, { scale: 1.7 }, { kernel: 'lanczos3', depth: 16, gain: 65535 });
    expect(b8.data).toBeInstanceOf(Uint8Array);
    expect(b16.data).toBeInstanceOf(Uint16Array);
    let overshoot = 0;
    for (let i = 0; i < f.data.length; i++) {
      const v = f.data[i];
      if (v < 0 || v > 1) overshoot++;
      expect(b8.data[i]).toBe(Math.min(255, Math.max(0, Math.floor(v * 255 + 0.5))));
      expect(Math.abs(b16.data[i] - Math.min(65535, Math.max(0, v * 65535)))).toBeLessThanOrEqual(0.51);
    }
    expect(overshoot).toBeGreaterThan(0); // lanczos rings on noise: the clamping above was exercised
  });

  it('writes into a caller-provided buffer and works on 8-bit samples in their own units', () => {
    const src = { width: 4, height: 4, channels: 1, data: Uint8Array.from({ length: 16 }, (_, i) => i * 16) };
    const out = new Uint8Array(64);
    const r = resizeToBuffer(src, { scale: 2 }, { depth: 8, kernel: 'bilinear', out });
    expect(r.data).toBe(out);
    const f = resizeFloat(src, { scale: 2 }, { kernel: 'bilinear' });
    for (let i = 0; i < 64; i++) expect(out[i]).toBe(Math.floor(f.data[i] + 0.5));
  });

  it('cancels with E_CANCELLED and reports progress', () => {
    const img = randomImage(64, 64, 3);
    const ac = new AbortController();
    ac.abort();
    expect(() => imresize(img, { scale: 2 }, 'bicubic', true, { signal: ac.signal })).toThrow(StudioError);
    const seen: number[] = [];
    imresize(img, { scale: 4 }, 'bicubic', true, { onProgress: (d, t) => seen.push(d / t) });
    expect(seen.at(-1)).toBe(1);
    expect(seen.length).toBeGreaterThan(1);
  });

  it('rejects bad targets with E_INVALID_ARGUMENT', () => {
    const img = randomImage(4, 4, 1);
    for (const t of [{ scale: 0 }, { scale: Number.NaN }, { width: 0, height: 3 }, { width: 2.5, height: 3 }]) {
      try {
        imresize(img, t);
        expect.unreachable();
      } catch (e) {
        expect((e as StudioError).code).toBe('E_INVALID_ARGUMENT');
      }
    }
  });
});
