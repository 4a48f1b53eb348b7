import type { FloatImage } from '../../contract/image';
import { imresize } from '../classical/imresize';

/** Vertical and horizontal factor of one step (the original ZSSR's [sf_v, sf_h] pairs). */
export interface Factor {
  y: number;
  x: number;
}

export const isotropic = (f: number): Factor => ({ y: f, x: f });

/**
 * How ZSSR makes a son from a father and back-projects: down by a factor (MATLAB bicubic, or
 * a known blur kernel), up by a factor (always MATLAB bicubic), with MATLAB's output sizes
 * ceil(len * factor), then cut/extended to the size the caller needs (the original's imresize
 * with both scale_factor and output_shape).
 */
export interface Resampler {
  down(img: FloatImage, f: Factor, width: number, height: number): FloatImage;
  up(img: FloatImage, f: Factor, width: number, height: number): FloatImage;
  /** How far (input pixels) down() reaches from an output pixel's centre. */
  downReach(f: Factor): number;
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

const bicubicBy = (img: FloatImage, sx: number, sy: number, w: number, h: number): FloatImage =>
  fitTo(imresize(img, sx === sy ? { scale: sx } : { scaleX: sx, scaleY: sy }, 'bicubic', true), w, h);

export const bicubicResampler: Resampler = {
  id: 'bicubic',
  down: (img, f, w, h) => bicubicBy(img, 1 / f.x, 1 / f.y, w, h),
  up: (img, f, w, h) => bicubicBy(img, f.x, f.y, w, h),
  // The antialiased cubic is widened by the factor: 2 input pixels per factor on each side.
  downReach: (f) => 2 * Math.max(f.x, f.y),
};

/** Whether a kernel is unchanged by the 8 rotations/flips (within 1 % of its peak). */
export function kernelIsSymmetric(kernel: number[][]): boolean {
  const h = kernel.length, w = kernel[0].length;
  if (h !== w) return false;
  const peak = Math.max(...kernel.flat().map(Math.abs));
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      const v = kernel[i][j];
      for (const u of [kernel[j][i], kernel[h - 1 - i][j], kernel[i][w - 1 - j]]) if (Math.abs(u - v) > 0.01 * peak) return false;
    }
  return true;
}

/** MATLAB's cubic (a = -0.5). */
function cubic(t: number): number {
  const a = Math.abs(t);
  if (a <= 1) return 1.5 * a ** 3 - 2.5 * a ** 2 + 1;
  if (a < 2) return -0.5 * a ** 3 + 2.5 * a ** 2 - 4 * a + 2;
  return 0;
}

/**
 * Downscaling with a known blur kernel (e.g. estimated by KernelGAN): the kernel, its centre of
 * mass put on the middle of each output pixel's block of input pixels (i * f + (f - 1) / 2, the
 * alignment of MATLAB's imresize), weights the input pixels; edges are mirrored. The sub-pixel
 * part of that placement shifts the kernel by cubic interpolation, as the original ZSSR's
 * kernel_shift does with a spline; shifted kernels are made once per phase.
 */
export function kernelResampler(kernel: number[][]): Resampler {
  const kh = kernel.length, kw = kernel[0].length;
  let cy = 0, cx = 0;
  for (let u = 0; u < kh; u++)
    for (let v = 0; v < kw; v++) {
      cy += u * kernel[u][v];
      cx += v * kernel[u][v];
    }
  const flat = Float64Array.from(kernel.flat());
  // Shifted kernels: (kh+3) x (kw+3) taps starting at floor(position) - 1, per quantised phase.
  const Q = 64;
  const shifted = new Map<number, Float64Array>();
  const taps = (fy: number, fx: number): Float64Array => {
    const key = Math.round(fy * Q) * (Q + 1) + Math.round(fx * Q);
    let k = shifted.get(key);
    if (k) return k;
    const qy = Math.round(fy * Q) / Q, qx = Math.round(fx * Q) / Q;
    const H = kh + 3, W = kw + 3;
    k = new Float64Array(H * W);
    // Tap (a, b) weighs input pixel (floor + a - 1, floor + b - 1), which sits at kernel
    // coordinate (a - 1 - phase) from the kernel's origin: the kernel is read there by cubic interpolation.
    for (let a = 0; a < H; a++) {
      for (let b = 0; b < W; b++) {
        let s = 0;
        const ty = a - 1 - qy, tx = b - 1 - qx;
        for (let u = Math.max(0, Math.floor(ty) - 1); u <= Math.min(kh - 1, Math.floor(ty) + 2); u++) {
          const wy = cubic(ty - u);
          if (wy === 0) continue;
          for (let v = Math.max(0, Math.floor(tx) - 1); v <= Math.min(kw - 1, Math.floor(tx) + 2); v++) s += flat[u * kw + v] * wy * cubic(tx - v);
        }
        k[a * W + b] = s;
      }
    }
    shifted.set(key, k);
    return k;
  };
  const sym = (i: number, n: number): number => {
    // symmetric (MATLAB 'symmetric') reflection into [0, n)
    const p = 2 * n;
    let m = ((i % p) + p) % p;
    if (m >= n) m = p - 1 - m;
    return m;
  };
  const down = (img: FloatImage, f: Factor, w: number, h: number): FloatImage => {
    const { width: W, height: H, channels: C, data } = img;
    const out = new Float32Array(w * h * C);
    const acc = new Float64Array(C);
    const TH = kh + 3, TW = kw + 3;
    const xs = new Int32Array(TW);
    for (let i = 0; i < h; i++) {
      // Kernel origin (its element [0][0]) in input coordinates, as a whole part and a phase.
      const py = i * f.y + (f.y - 1) / 2 - cy;
      const y0 = Math.floor(py);
      for (let j = 0; j < w; j++) {
        const px = j * f.x + (f.x - 1) / 2 - cx;
        const x0 = Math.floor(px);
        const k = taps(py - y0, px - x0);
        for (let b = 0; b < TW; b++) xs[b] = sym(x0 + b - 1, W);
        acc.fill(0);
        for (let a = 0; a < TH; a++) {
          const row = sym(y0 + a - 1, H) * W;
          for (let b = 0; b < TW; b++) {
            const kv = k[a * TW + b];
            if (kv === 0) continue;
            const o = (row + xs[b]) * C;
            for (let c = 0; c < C; c++) acc[c] += kv * data[o + c];
          }
        }
        for (let c = 0; c < C; c++) out[(i * w + j) * C + c] = acc[c];
      }
    }
    return { width: w, height: h, channels: img.channels, data: out };
  };
  const reach = Math.max(kh, kw) + 2; // the centre of mass may sit off the middle
  return { downReach: () => reach, id: `kernel:${kh}x${kw}:${Array.from(flat, (v) => v.toPrecision(6)).join(',')}`, down, up: bicubicResampler.up };
}
