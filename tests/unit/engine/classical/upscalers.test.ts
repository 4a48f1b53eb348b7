import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { classicalUpscalers, makeLowRes, modcrop } from '../../../../src-main/engine/classical';
import { getUpscaler } from '../../../../src-main/engine/registry';

const edge = (w: number, h: number): FloatImage => {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(x < w / 2 ? 0 : 1, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, channels: 3, data };
};

describe('classical upscalers', () => {
  it('registers nearest, bilinear, bicubic and lanczos as interpolation methods', () => {
    expect(classicalUpscalers.map((u) => u.info.id)).toEqual(['nearest', 'bilinear', 'bicubic', 'lanczos']);
    for (const u of classicalUpscalers) {
      expect(u.info.family).toBe('interpolation');
      expect(u.info.description.length).toBeGreaterThan(10);
      expect(getUpscaler(u.info.id)).toBe(u);
    }
  });

  it('returns round(w*scale) x round(h*scale), clamped to [0,1], at integer and fractional factors', async () => {
    const img = edge(10, 7);
    for (const u of classicalUpscalers) {
      for (const scale of [2, 3, 4, 8, 1.5, 2.25]) {
        const out = await u.upscale(img, { scale });
        expect([out.width, out.height, out.channels]).toEqual([Math.round(10 * scale), Math.round(7 * scale), 3]);
        expect(Math.min(...out.data)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...out.data)).toBeLessThanOrEqual(1);
      }
    }
    // Nearest keeps the hard edge; bicubic makes intermediate values across it.
    const n = await getUpscaler('nearest').upscale(img, { scale: 4 });
    expect(new Set(n.data).size).toBe(2);
    const c = await getUpscaler('bicubic').upscale(img, { scale: 4 });
    expect(new Set(c.data).size).toBeGreaterThan(4);
  });

  it('keeps grayscale images 1-channel and reports infer progress', async () => {
    const img: FloatImage = { width: 5, height: 5, channels: 1, data: new Float32Array(25).fill(0.5) };
    const phases: string[] = [];
    const out = await getUpscaler('lanczos').upscale(img, { scale: 2, onProgress: (p) => phases.push(p.phase) });
    expect(out.channels).toBe(1);
    expect(phases).toContain('infer');
  });
});

describe('evaluation degradation', () => {
  it('modcrops to a multiple of the scale and makes an 8-bit LR of 1/scale size', () => {
    const img = edge(14, 11);
    expect(modcrop(img, 4)).toMatchObject({ width: 12, height: 8 });
    const { hr, lr } = makeLowRes(img, 3);
    expect([hr.width, hr.height, lr.width, lr.height]).toEqual([12, 9, 4, 3]);
    for (const v of lr.data) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
    // Left half black, right half white: the LR keeps that split (antialiasing blurs the border).
    expect(lr.data[0]).toBe(0);
    expect(lr.data[lr.data.length - 1]).toBe(1);
  });
});
