import fs from 'node:fs/promises';
import { StudioError } from '../../contract/errors';
import type { FloatImage } from '../../contract/image';
import { imresize } from '../classical/imresize';

/**
 * How ZSSR makes a son from a father and back-projects: down by a factor (MATLAB bicubic, or
 * a known blur kernel), up by a factor (always MATLAB bicubic), with MATLAB's output sizes
 * ceil(len * scale), then cut/extended to the size the caller needs.
 */
export interface Resampler {
  down(img: FloatImage, factor: number, width: number, height: number): FloatImage;
  up(img: FloatImage, factor: number, width: number, height: number): FloatImage;
  /** Describes the degradation model (goes into the cache key). */
  id: string;
}

/** Cut to w x h (top-left kept); edge pixels repeat where the image is smaller. */
export function fitTo(img: FloatImage, w: number, h: number): FloatImage {
  if (img.width === w && img.height === h) return img;
  const C = img.channels;
  const out = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < w; x++) {
      const sx = Math.min(x, img.width - 1);
      for (let c = 0; c < C; c++) out[(y * w + x) * C + c] = img.data[(sy * img.width + sx) * C + c];
    }
  }
  return { width: w, height: h, channels: img.channels, data: out };
}

export const bicubicResampler: Resampler = {
  id: 'bicubic',
  down: (img, f, w, h) => fitTo(imresize(img, { scale: 1 / f }, 'bicubic', true), w, h),
  up: (img, f, w, h) => fitTo(imresize(img, { scale: f }, 'bicubic', true), w, h),
};

/** A blur kernel from a small text file: JSON [[...], ...] or rows of numbers (spaces/commas). */
export function parseKernel(text: string): number[][] {
  let rows: number[][];
  const t = text.trim();
  if (t.startsWith('[')) {
    const parsed: unknown = JSON.parse(t);
    if (!Array.isArray(parsed) || !parsed.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number'))) {
      throw new StudioError('E_CONFIG_INVALID', 'kernel JSON must be an array of rows of numbers');
    }
    rows = parsed as number[][];
  } else {
    rows = t
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[\s,;]+/).map(Number));
  }
  const n = rows.length;
  if (n === 0 || n > 64 || rows.some((r) => r.length !== rows[0].length) || rows[0].length > 64) {
    throw new StudioError('E_CONFIG_INVALID', 'a blur kernel must be a rectangular matrix of at most 64 x 64 numbers');
  }
  if (rows.some((r) => r.some((v) => !Number.isFinite(v)))) throw new StudioError('E_CONFIG_INVALID', 'the blur kernel has a value that is not a number');
  const sum = rows.flat().reduce((s, v) => s + v, 0);
  if (!(sum > 0)) throw new StudioError('E_CONFIG_INVALID', 'the blur kernel must have a positive sum');
  return rows.map((r) => r.map((v) => v / sum));
}

export async function loadKernel(path: string): Promise<number[][]> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    throw new StudioError('E_FILE_NOT_FOUND', `blur kernel file not found: ${path}`);
  }
  return parseKernel(text);
}

/**
 * Downscaling with a known blur kernel (e.g. estimated by KernelGAN): output pixel i samples the
 * kernel centred (by its centre of mass) on the middle of its block of input pixels,
 * i * f + (f - 1) / 2, with bilinear interpolation and symmetric edges. This is what the original
 * ZSSR's numeric_kernel + kernel_shift compute, without the spline shift.
 */
export function kernelResampler(kernel: number[][]): Resampler {
  const kh = kernel.length, kw = kernel[0].length;
  let cy = 0, cx = 0;
  for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
    cy += u * kernel[u][v];
    cx += v * kernel[u][v];
  }
  const flat = Float64Array.from(kernel.flat());
  const sym = (i: number, n: number): number => {
    // symmetric (MATLAB 'symmetric') reflection into [0, n)
    const p = 2 * n;
    let m = ((i % p) + p) % p;
    if (m >= n) m = p - 1 - m;
    return m;
  };
  const down = (img: FloatImage, f: number, w: number, h: number): FloatImage => {
    const { width: W, height: H, channels: C, data } = img;
    const out = new Float32Array(w * h * C);
    const acc = new Float64Array(C);
    for (let i = 0; i < h; i++) {
      const py = i * f + (f - 1) / 2 - cy;
      const y0 = Math.floor(py), fy = py - y0;
      for (let j = 0; j < w; j++) {
        const px = j * f + (f - 1) / 2 - cx;
        const x0 = Math.floor(px), fx = px - x0;
        acc.fill(0);
        for (let u = 0; u < kh; u++) {
          const ya = sym(y0 + u, H), yb = sym(y0 + u + 1, H);
          for (let v = 0; v < kw; v++) {
            const kv = flat[u * kw + v];
            if (kv === 0) continue;
            const xa = sym(x0 + v, W), xb = sym(x0 + v + 1, W);
            const w00 = kv * (1 - fy) * (1 - fx), w01 = kv * (1 - fy) * fx, w10 = kv * fy * (1 - fx), w11 = kv * fy * fx;
            for (let c = 0; c < C; c++) {
              acc[c] += w00 * data[(ya * W + xa) * C + c] + w01 * data[(ya * W + xb) * C + c] + w10 * data[(yb * W + xa) * C + c] + w11 * data[(yb * W + xb) * C + c];
            }
          }
        }
        for (let c = 0; c < C; c++) out[(i * w + j) * C + c] = acc[c];
      }
    }
    return { width: w, height: h, channels: img.channels, data: out };
  };
  return { id: `kernel:${kh}x${kw}:${Array.from(flat, (v) => v.toPrecision(6)).join(',')}`, down, up: bicubicResampler.up };
}
