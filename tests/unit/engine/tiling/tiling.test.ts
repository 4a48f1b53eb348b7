import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../../src-main/contract/image';
import { StudioError } from '../../../../src-main/contract/errors';
import { checkTiledOutput, chooseTileSize, inferTiled, inferTiledBands, isAllocationFailure, reflectPad, tileStarts } from '../../../../src-main/engine/tiling';

function noise(w: number, h: number, c: 1 | 3, seed = 1): FloatImage {
  let s = seed;
  const data = new Float32Array(w * h * c);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 8) / 2 ** 24;
  }
  return { width: w, height: h, channels: c, data };
}

/** Nearest-neighbour upscale: a purely local function, so tiling must reproduce it exactly. */
function nearest(img: FloatImage, scale: number): FloatImage {
  const W = Math.round(img.width * scale);
  const H = Math.round(img.height * scale);
  const c = img.channels;
  const data = new Float32Array(W * H * c);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sx = Math.min(img.width - 1, Math.floor(x / scale));
      const sy = Math.min(img.height - 1, Math.floor(y / scale));
      for (let k = 0; k < c; k++) data[(y * W + x) * c + k] = img.data[(sy * img.width + sx) * c + k];
    }
  return { width: W, height: H, channels: c, data };
}

/** A 3x3 box blur with zero padding: its output near a tile edge differs from the whole-image one. */
function blur(img: FloatImage): FloatImage {
  const { width: W, height: H, channels: c } = img;
  const data = new Float32Array(W * H * c);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < H && xx >= 0 && xx < W) s += img.data[(yy * W + xx) * c + k];
          }
        data[(y * W + x) * c + k] = s / 9;
      }
  return { width: W, height: H, channels: c, data };
}

function maxDiff(a: FloatImage, b: FloatImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

describe('tileStarts', () => {
  it('covers the axis with evenly spread tiles that overlap at least as asked', () => {
    for (const [len, tile, ov] of [
      [100, 40, 8],
      [161, 100, 40],
      [37, 16, 4],
      [1000, 128, 24],
    ]) {
      const s = tileStarts(len, tile, ov);
      expect(s[0]).toBe(0);
      expect(s[s.length - 1] + tile).toBe(len);
      for (let i = 1; i < s.length; i++) expect(s[i - 1] + tile - s[i]).toBeGreaterThanOrEqual(ov);
      const gaps = s.slice(1).map((v, i) => v - s[i]);
      expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    }
    expect(tileStarts(30, 64, 8)).toEqual([0]);
  });
});

describe('inferTiled', () => {
  it('reproduces a local function exactly (weights sum to one everywhere)', async () => {
    const img = noise(53, 41, 3);
    const whole = nearest(img, 2);
    const tiled = await inferTiled(img, { scale: 2, tile: 16, overlap: 6 }, async (t) => nearest(t, 2));
    expect(maxDiff(tiled, whole)).toBeLessThan(1e-6);
  });

  it('hides the edge effects of a padded filter in the margins', async () => {
    const img = noise(70, 50, 1, 7);
    const whole = blur(img);
    const naive = await inferTiled(img, { scale: 1, tile: 24, overlap: 0, margin: 0 }, async (t) => blur(t));
    const tiled = await inferTiled(img, { scale: 1, tile: 24, overlap: 8, margin: 2 }, async (t) => blur(t));
    expect(maxDiff(naive, whole)).toBeGreaterThan(0.05); // seams without overlap
    expect(maxDiff(tiled, whole)).toBeLessThan(1e-6);
  });

  it('handles fractional scales without gaps', async () => {
    const img = noise(45, 33, 3, 3);
    const out = await inferTiled(img, { scale: 1.5, tile: 16, overlap: 4 }, async (t) => nearest(t, 1.5));
    expect([out.width, out.height]).toEqual([68, 50]);
    for (const v of out.data) expect(Number.isFinite(v)).toBe(true);
    // A constant image stays constant: every output pixel got a full weight.
    const flat: FloatImage = { width: 45, height: 33, channels: 1, data: new Float32Array(45 * 33).fill(0.25) };
    const f = await inferTiled(flat, { scale: 1.5, tile: 16, overlap: 4 }, async (t) => nearest(t, 1.5));
    for (const v of f.data) expect(v).toBeCloseTo(0.25, 6);
  });

  it('reports progress per tile and stops between tiles when cancelled', async () => {
    const img = noise(64, 64, 1);
    const seen: [number, number][] = [];
    await inferTiled(img, { scale: 1, tile: 32, overlap: 8, onTile: (d, t) => seen.push([d, t]) }, async (t) => t);
    // The count first (before any tile runs), then one call per tile.
    expect(seen.length).toBe(10);
    expect(seen[0]).toEqual([0, 9]);
    expect(seen[9]).toEqual([9, 9]);
    const ac = new AbortController();
    let calls = 0;
    const run = inferTiled(img, { scale: 1, tile: 32, overlap: 8, signal: ac.signal }, async (t) => {
      if (++calls === 2) ac.abort();
      return t;
    });
    await expect(run).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(calls).toBe(2);
  });

  it('refuses an output above the limit before calling the function', async () => {
    const img = noise(40, 40, 3);
    let calls = 0;
    const run = inferTiled(img, { scale: 4, tile: 16, overlap: 4, maxOutputPixels: 100 * 100 }, async (t) => {
      calls++;
      return nearest(t, 4);
    });
    await expect(run).rejects.toBeInstanceOf(StudioError);
    await expect(run).rejects.toMatchObject({ code: 'E_OUTPUT_TOO_LARGE' });
    expect(calls).toBe(0);
    expect(() => checkTiledOutput(6000, 4000, 3, 8, 400e6)).toThrow(/above the 400 MP/);
    expect(() => checkTiledOutput(6000, 4000, 3, 4, 400e6)).not.toThrow();
  });

  it('checks the tile function output size', async () => {
    const img = noise(40, 40, 3);
    await expect(inferTiled(img, { scale: 2, tile: 16, overlap: 4 }, async (t) => t)).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});

describe('tiles nobody can see', () => {
  it('pre-pads the photo by reflection: border pixels see context, flat stays flat', async () => {
    const flat: FloatImage = { width: 40, height: 30, channels: 3, data: new Float32Array(40 * 30 * 3).fill(0.5) };
    const dark = await inferTiled(flat, { scale: 1, tile: 16, overlap: 8, margin: 2 }, async (t) => blur(t));
    expect(Math.min(...dark.data)).toBeLessThan(0.3); // a zero-padded filter darkens the corners
    const padded = await inferTiled(flat, { scale: 1, tile: 16, overlap: 8, margin: 2, pad: 2 }, async (t) => blur(t));
    expect([padded.width, padded.height]).toEqual([40, 30]);
    for (const v of padded.data) expect(v).toBeCloseTo(0.5, 6);
    // On a real image: the same as filtering the reflected photo whole and cropping.
    const img = noise(37, 29, 1, 9);
    const ref = blur(reflectPad(img, 3));
    const out = await inferTiled(img, { scale: 1, tile: 14, overlap: 8, margin: 2, pad: 3 }, async (t) => blur(t));
    let m = 0;
    for (let y = 0; y < 29; y++) for (let x = 0; x < 37; x++) m = Math.max(m, Math.abs(out.data[y * 37 + x] - ref.data[(y + 3) * 43 + x + 3]));
    expect(m).toBeLessThan(1e-6);
    // And in the streaming form, at scale 2.
    const rows = new Float32Array(74 * 58);
    await inferTiledBands(img, { scale: 2, tile: 14, overlap: 6, pad: 2 }, async (t) => nearest(t, 2), (b) => rows.set(b.data, b.y * b.width));
    expect(maxDiff({ width: 74, height: 58, channels: 1, data: rows }, nearest(img, 2))).toBeLessThan(1e-6);
  });

  it('mirrors like PyTorch reflect padding', () => {
    const row: FloatImage = { width: 3, height: 1, channels: 1, data: Float32Array.of(1, 2, 3) };
    expect([...reflectPad(row, 2).data.subarray(2 * 7, 3 * 7)]).toEqual([3, 2, 1, 2, 3, 2, 1]);
  });

  it('shrinks tiles to fit, so work grows with the photo and not in steps of whole tiles', async () => {
    const work = async (h: number) => {
      let px = 0;
      await inferTiled({ width: 64, height: h, channels: 1, data: new Float32Array(64 * h) }, { scale: 1, tile: 352, overlap: 16 }, async (t) => {
        px += t.width * t.height;
        return t;
      });
      return px;
    };
    // 680 rows take two tiles, 768 three: with fitted tiles the work follows the rows (+13 %).
    expect((await work(768)) / (await work(680))).toBeLessThan(1.25);
  });

  it('splits a tile whose allocation fails and runs the rest at the smaller size', async () => {
    const img = noise(90, 70, 3, 4);
    let failures = 0;
    const splits: number[] = [];
    const out = await inferTiled(img, { scale: 2, tile: 64, overlap: 8, minTile: 16, onSplit: (t) => splits.push(t) }, async (t) => {
      if (Math.max(t.width, t.height) > 40) {
        failures++;
        throw new Error('Failed to allocate memory for requested buffer of size 123456789');
      }
      return nearest(t, 2);
    });
    expect(maxDiff(out, nearest(img, 2))).toBeLessThan(1e-6);
    expect(failures).toBe(1); // later tiles start small
    expect(splits[0]).toBeLessThanOrEqual(40);
    // Other errors are not retried.
    await expect(inferTiled(img, { scale: 1, tile: 64, overlap: 8 }, async () => Promise.reject(new Error('kernel not registered')))).rejects.toThrow(/kernel not registered/);
    expect(isAllocationFailure(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isAllocationFailure(new Error('std::bad_alloc'))).toBe(true);
    expect(isAllocationFailure(new Error('invalid input'))).toBe(false);
  });
});

describe('inferTiledBands', () => {
  it('streams final rows in order and matches the whole-image result', async () => {
    const img = noise(50, 77, 3, 5);
    const whole = await inferTiled(img, { scale: 2, tile: 20, overlap: 6 }, async (t) => nearest(t, 2));
    const out = new Float32Array(whole.data.length);
    let next = 0;
    let maxBand = 0;
    const dims = await inferTiledBands(img, { scale: 2, tile: 20, overlap: 6 }, async (t) => nearest(t, 2), (b) => {
      expect(b.y).toBe(next);
      next += b.height;
      maxBand = Math.max(maxBand, b.height);
      out.set(b.data, b.y * b.width * 3);
    });
    expect(dims).toEqual({ width: 100, height: 154, channels: 3 });
    expect(next).toBe(154);
    expect(maxBand).toBeLessThan(154); // really streamed, not one block
    expect(maxDiff({ ...whole, data: out }, whole)).toBe(0);
  });
});

describe('chooseTileSize', () => {
  it('gives bigger tiles to lighter nets and to backends with more memory', () => {
    expect(chooseTileSize(1000, 'wasm')).toBeGreaterThan(chooseTileSize(20000, 'wasm'));
    expect(chooseTileSize(20000, 'tensorflow')).toBeGreaterThanOrEqual(chooseTileSize(20000, 'wasm'));
    expect(chooseTileSize(1e9, 'cpu')).toBe(48);
    expect(chooseTileSize(1, 'cpu') % 8).toBe(0);
    expect(chooseTileSize(20000, 'onnx-cpu')).toBeGreaterThanOrEqual(chooseTileSize(20000, 'wasm'));
  });
});
