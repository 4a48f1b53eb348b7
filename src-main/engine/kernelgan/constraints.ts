import { cubic } from '../classical/kernels';
import { G_KERNEL } from './generator';

/**
 * The paper's priors on the kernel G imitates, each a loss with its gradient accumulated into
 * `dK` (weighted): sum to 1, centred, sparse, no mass at the boundaries. As loss.py computes them.
 */
const N = G_KERNEL * G_KERNEL;

/** |1 - sum(K)| */
export function sumToOne(K: Float32Array, dK: Float32Array, weight: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += K[i];
  const g = weight * Math.sign(s - 1);
  if (weight) for (let i = 0; i < N; i++) dK[i] += g;
  return Math.abs(1 - s);
}

/**
 * 30 * (1 - a wide Gaussian normalised to 1 at the centre) on the outer rings, 0 inside
 * (util.create_penalty_mask(13, 30): the two outermost rings of a 13x13 kernel).
 */
export function penaltyMask(size = G_KERNEL, scale = 30): Float32Array {
  const half = Math.floor(size / 2);
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * size * size)));
  const centre = Math.floor(size / 2) + (size % 2);
  const margin = Math.floor((size - centre) / 2) - 1;
  const m = new Float32Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const inside = i >= margin && i < size - margin && j >= margin && j < size - margin;
      m[i * size + j] = inside ? 0 : scale * (1 - g[i] * g[j]);
    }
  return m;
}
const MASK = penaltyMask();

/** mean |K * mask| */
export function boundaries(K: Float32Array, dK: Float32Array, weight: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) {
    s += Math.abs(K[i] * MASK[i]);
    if (weight) dK[i] += (weight * MASK[i] * Math.sign(K[i])) / N;
  }
  return s / N;
}

/**
 * Mean squared distance of the centre of mass from where a x`sf` kernel's should be
 * (k//2 + 0.5 * (sf - k%2): 6.5 for 13x13 at x2, between the two middle pixels of each block).
 */
export function centralized(K: Float32Array, dK: Float32Array, weight: number, sf = 2): number {
  const n = G_KERNEL;
  const want = Math.floor(n / 2) + 0.5 * (sf - (n % 2));
  let S = 0, r = 0, c = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const k = K[i * n + j];
      S += k;
      r += i * k;
      c += j * k;
    }
  r /= S;
  c /= S;
  const loss = ((r - want) ** 2 + (c - want) ** 2) / 2;
  if (weight)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) dK[i * n + j] += (weight * ((r - want) * (i - r) + (c - want) * (j - c))) / S;
  return loss;
}

/** mean |K|^0.2: pushes small values to exactly zero. */
export function sparsity(K: Float32Array, dK: Float32Array, weight: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) {
    const a = Math.abs(K[i]);
    s += a ** 0.2;
    if (weight && a > 1e-12) dK[i] += (weight * 0.2 * a ** -0.8 * Math.sign(K[i])) / N;
  }
  return s / N;
}

/**
 * MATLAB's antialiased bicubic downscale by `scale` as a (4 scale)^2 kernel; for x2 the 8x8 table
 * of loss.DownScaleLoss.
 */
export function bicubicKernel(scale = 2): Float32Array {
  const n = 4 * scale;
  const w = Array.from({ length: n }, (_, i) => cubic((i - (n - 1) / 2) / scale) / scale);
  const k = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = w[i] * w[j];
  return k;
}
